"""Alert settings and contacts, from the environment only (no contact or secret is in the repository).

Per owning team (TEAM = the name after "team:", upper-cased, every other character than
A-Z and 0-9 as '_'; "team:sre-platform" -> SRE_PLATFORM):

  SECOPS_ALERT_EMAIL_TO_<TEAM>     comma-separated addresses   (fallback SECOPS_ALERT_EMAIL_TO)
  SECOPS_ALERT_WEBHOOK_URL_<TEAM>  Slack-compatible incoming webhook (fallback SECOPS_ALERT_WEBHOOK_URL)

SMTP:
  SECOPS_SMTP_HOST, SECOPS_SMTP_PORT (default 587 with STARTTLS, else 25),
  SECOPS_SMTP_USER, SECOPS_SMTP_PASSWORD, SECOPS_SMTP_FROM,
  SECOPS_SMTP_STARTTLS  true: required | false: never (plain text) | unset: used when offered;
                        credentials are never sent unencrypted unless it is false

Delivery:
  SECOPS_ALERT_SUPPRESS_HOURS     repeats of a failure already sent are suppressed (default 24; 0: never)
  SECOPS_ALERT_RETRIES            further attempts after a failed one (default 2)
  SECOPS_ALERT_BACKOFF_SECONDS    wait before the first retry, doubled for each next (default 2)
  SECOPS_ALERT_TIMEOUT_SECONDS    connect/read timeout per attempt (default 10)

An unparsable number falls back to its default with a warning naming the variable.
"""

from __future__ import annotations

import base64
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Mapping
from urllib.parse import urlsplit

LOGGER = logging.getLogger("secops.alerts")

PREFIX = "SECOPS_"
EMAIL_TO = "SECOPS_ALERT_EMAIL_TO"
WEBHOOK_URL = "SECOPS_ALERT_WEBHOOK_URL"

DEFAULT_SUPPRESS_HOURS = 24.0
DEFAULT_RETRIES = 2
DEFAULT_BACKOFF_SECONDS = 2.0
DEFAULT_TIMEOUT_SECONDS = 10.0

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def team_name(owner: str) -> str:
    """"team:sre-platform" -> "sre-platform"; an e-mail owner stays as it is."""
    return owner[len("team:"):] if owner.startswith("team:") else owner


def team_env_suffix(team: str) -> str:
    """"sre-platform" -> "SRE_PLATFORM"."""
    return re.sub(r"[^A-Z0-9]", "_", team_name(team).upper())


def describe_url(url: str) -> str:
    """scheme://host[:port] only: a webhook's path and query are its secret."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid url>"
    return f"{parts.scheme or '?'}://{host}{port}"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    from_addr: str = "secops-metrics@localhost"
    starttls: bool | None = None           # None: use when the server offers it

    @property
    def destination(self) -> str:
        return f"smtp://{self.host}:{self.port}"


@dataclass(frozen=True)
class AlertSettings:
    smtp: SmtpSettings | None = None
    suppress_interval: timedelta = timedelta(hours=DEFAULT_SUPPRESS_HOURS)
    retries: int = DEFAULT_RETRIES
    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    # The SECOPS_ALERT_* contact variables as read (addresses and webhook URLs).
    contacts: Mapping[str, str] = field(default_factory=dict, repr=False)

    def email_recipients(self, owner: str) -> list[str]:
        """Addresses for an owning team; an e-mail owner is its own recipient."""
        if "@" in owner and not owner.startswith("team:"):
            return [owner]
        value = self.contacts.get(f"{EMAIL_TO}_{team_env_suffix(owner)}") or self.contacts.get(EMAIL_TO) or ""
        return [a.strip() for a in re.split(r"[,;]", value) if a.strip()]

    def webhook_url(self, owner: str) -> str | None:
        url = self.contacts.get(f"{WEBHOOK_URL}_{team_env_suffix(owner)}") or self.contacts.get(WEBHOOK_URL)
        return url.strip() if url and url.strip() else None

    def secrets(self) -> list[str]:
        """Every value that must never be logged or stored: SMTP credentials, webhook URLs and their paths."""
        found: list[str] = []
        if self.smtp is not None:
            user, password = self.smtp.user or "", self.smtp.password or ""
            if password:
                found += [password, base64.b64encode(password.encode()).decode()]
                found.append(base64.b64encode(f"\0{user}\0{password}".encode()).decode())
            if len(user) >= 6:  # a shorter name would blank ordinary words; it is never logged anyway
                found += [user, base64.b64encode(user.encode()).decode()]
        for name, value in self.contacts.items():
            if name.startswith(WEBHOOK_URL) and value:
                found.append(value.strip())
                try:
                    parts = urlsplit(value.strip())
                except ValueError:
                    continue
                if len(parts.path) > 1:
                    found.append(parts.path)
                if parts.query:
                    found.append(parts.query)
                if parts.password:
                    found.append(parts.password)
        return sorted({s for s in found if s}, key=len, reverse=True)


def _number(environ: Mapping[str, str], name: str, default: float, *, integer: bool = False) -> float:
    value = environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value) if integer else float(value)
    except ValueError:
        LOGGER.warning("%s is not a number; using the default %s", name, default)
        return default
    if number < 0:
        LOGGER.warning("%s is negative; using the default %s", name, default)
        return default
    return number


def _flag(environ: Mapping[str, str], name: str) -> bool | None:
    value = (environ.get(name) or "").strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    LOGGER.warning("%s is neither true nor false; STARTTLS is used when the server offers it", name)
    return None


def load_settings(environ: Mapping[str, str] | None = None) -> AlertSettings:
    """Read the alert settings from the environment (or the mapping given)."""
    env = os.environ if environ is None else environ
    smtp = None
    host = (env.get("SECOPS_SMTP_HOST") or "").strip()
    if host:
        starttls = _flag(env, "SECOPS_SMTP_STARTTLS")
        default_port = 25 if starttls is False else 587
        user = env.get("SECOPS_SMTP_USER") or None
        sender = (env.get("SECOPS_SMTP_FROM") or "").strip()
        if not sender:
            sender = user if user and "@" in user else "secops-metrics@localhost"
        smtp = SmtpSettings(
            host=host,
            port=int(_number(env, "SECOPS_SMTP_PORT", default_port, integer=True)) or default_port,
            user=user,
            password=env.get("SECOPS_SMTP_PASSWORD") or None,
            from_addr=sender,
            starttls=starttls,
        )
    return AlertSettings(
        smtp=smtp,
        suppress_interval=timedelta(hours=_number(env, "SECOPS_ALERT_SUPPRESS_HOURS", DEFAULT_SUPPRESS_HOURS)),
        retries=int(_number(env, "SECOPS_ALERT_RETRIES", DEFAULT_RETRIES, integer=True)),
        backoff_seconds=_number(env, "SECOPS_ALERT_BACKOFF_SECONDS", DEFAULT_BACKOFF_SECONDS),
        timeout_seconds=_number(env, "SECOPS_ALERT_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS) or DEFAULT_TIMEOUT_SECONDS,
        contacts={
            k: v for k, v in env.items() if k.startswith(EMAIL_TO) or k.startswith(WEBHOOK_URL)
        },
    )


class Redactor:
    """Replaces every secret of the settings in a text (errors, log lines)."""

    def __init__(self, settings: AlertSettings):
        self._secrets = settings.secrets()

    def __call__(self, text: object, limit: int = 500) -> str:
        text = str(text)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text if len(text) <= limit else text[: limit - 3] + "..."
