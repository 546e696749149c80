"""The one error a channel raises: what went wrong, whether to retry, whether the endpoint is down."""

from __future__ import annotations


class ChannelError(Exception):
    def __init__(self, message: str, *, retryable: bool = True, unreachable: bool = False):
        super().__init__(message)
        self.retryable = retryable
        # The server could not be reached at all: later alerts to it in the same delivery
        # are not attempted (each would wait out its own retries and timeouts).
        self.unreachable = unreachable
