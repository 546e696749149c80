"""Webhook channel: POST Slack-compatible JSON ({"text", "blocks"}) with urllib.

The URL of an incoming webhook is its credential: it is never put into an error
message here (errors name the HTTP status or the network failure only).
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from publish.alerts.errors import ChannelError

USER_AGENT = "secops-metrics-alerts"


def post_webhook(url: str, payload: dict[str, Any], *, timeout: float) -> None:
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid:
        raise ChannelError("the webhook URL is not an http(s) URL", retryable=False)
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, default=str).encode("utf-8"),
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(4096)
    except urllib.error.HTTPError as exc:
        try:
            detail = exc.read(200).decode("utf-8", "replace").strip()
        except Exception:  # the body is only a hint
            detail = ""
        retryable = exc.code >= 500 or exc.code in (408, 425, 429)
        message = f"webhook answered HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
        raise ChannelError(message, retryable=retryable) from None
    except urllib.error.URLError as exc:
        raise ChannelError(
            f"cannot reach the webhook: {exc.reason}", retryable=True, unreachable=True
        ) from None
    except (TimeoutError, ConnectionError) as exc:
        raise ChannelError(
            f"webhook connection failed: {type(exc).__name__}: {exc}", retryable=True, unreachable=True
        ) from None
    except (http.client.HTTPException, OSError) as exc:
        raise ChannelError(f"webhook request failed: {type(exc).__name__}", retryable=True) from None
