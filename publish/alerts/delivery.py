"""Deliver alerts to their owners: each alert, each owning team, each channel, once.

For every (alert, team, channel) one outcome is decided and recorded in
ingest.alert_deliveries:

  not_configured  the channel has no destination for the team (or no SMTP server)
  suppressed      the same failure went to the same team by the same channel within
                  SECOPS_ALERT_SUPPRESS_HOURS
  sent            delivered (after at most SECOPS_ALERT_RETRIES retries)
  failed          every attempt failed, or a permanent error; logged as a warning

Nothing here raises for a delivery or bookkeeping problem: a check or a run is never
failed by its alert. Logs (logger "secops.alerts") and stored errors name the team,
channel and scheme://host only, never an address, a password or a webhook path.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable

import duckdb

from publish.alerts.config import AlertSettings, Redactor, describe_url, load_settings, team_env_suffix
from publish.alerts.errors import ChannelError
from publish.alerts.mail import build_message, send_email
from publish.alerts.model import Alert, fingerprint
from publish.alerts.render import email_body, email_subject, slack_payload
from publish.alerts.store import DeliveryStore
from publish.alerts.webhook import post_webhook

LOGGER = logging.getLogger("secops.alerts")

CHANNELS = ("email", "webhook")


@dataclass(frozen=True)
class DeliveryOutcome:
    run_id: str
    asset: str
    check_name: str
    team: str
    channel: str
    status: str                  # sent | suppressed | failed | not_configured
    attempts: int
    fingerprint: str
    error: str | None = None
    destination: str | None = None   # smtp://host:port or scheme://host, never a secret

    def as_row(self, sent_at: datetime) -> tuple:
        return (
            self.run_id, sent_at, self.fingerprint, self.asset, self.check_name,
            self.team, self.channel, self.status, self.attempts, self.error,
        )


@dataclass(frozen=True)
class _Target:
    key: str                     # identifies the endpoint (kept in memory only)
    label: str                   # what logs may say about it
    send: Callable[[], None]


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    return now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now.astimezone(timezone.utc)


def _target(alert: Alert, team: str, channel: str, settings: AlertSettings) -> _Target | str:
    """Where and how to send, or why there is nowhere to send."""
    suffix = team_env_suffix(team)
    if channel == "email":
        if settings.smtp is None:
            return "SECOPS_SMTP_HOST is not set"
        recipients = settings.email_recipients(team)
        if not recipients:
            return f"neither SECOPS_ALERT_EMAIL_TO_{suffix} nor SECOPS_ALERT_EMAIL_TO is set"
        smtp = settings.smtp
        message = build_message(
            smtp, recipients, email_subject(alert), email_body(alert, team),
            {"X-Secops-Run": alert.run_id, "X-Secops-Asset": alert.asset, "X-Secops-Check": alert.check_name},
        )

        def send_mail() -> None:
            refused = send_email(smtp, message, timeout=settings.timeout_seconds)
            if refused:
                LOGGER.warning("alert e-mail for %s: the SMTP server refused %d of its recipients", team, refused)

        return _Target(smtp.destination, smtp.destination, send_mail)
    url = settings.webhook_url(team)
    if not url:
        return f"neither SECOPS_ALERT_WEBHOOK_URL_{suffix} nor SECOPS_ALERT_WEBHOOK_URL is set"
    payload = slack_payload(alert, team)
    return _Target(url, describe_url(url), lambda: post_webhook(url, payload, timeout=settings.timeout_seconds))


def _send_with_retries(target: _Target, settings: AlertSettings, redact: Redactor, what: str) -> tuple[int, ChannelError | None]:
    attempts = 0
    error: ChannelError | None = None
    for attempt in range(1, settings.retries + 2):
        attempts = attempt
        try:
            target.send()
            return attempts, None
        except ChannelError as exc:
            error = exc
        except Exception as exc:  # anything unforeseen is a failed attempt, not a crash
            error = ChannelError(f"{type(exc).__name__}: {exc}", retryable=True)
        if not error.retryable or attempt > settings.retries:
            break
        delay = settings.backoff_seconds * (2 ** (attempt - 1))
        LOGGER.info(
            "%s via %s: attempt %d failed (%s); retrying in %.1fs",
            what, target.label, attempt, redact(error), delay,
        )
        if delay:
            time.sleep(delay)
    return attempts, error


def deliver_alerts(
    con: duckdb.DuckDBPyConnection | str | os.PathLike,
    alerts: Iterable[Alert],
    *,
    now: datetime | None = None,
    settings: AlertSettings | None = None,
) -> list[DeliveryOutcome]:
    """Send each alert to each owning team by each channel; record and return every outcome.

    `con` is an open warehouse connection or the warehouse path (opened only to look up
    and record). `now` (default: the current time, UTC) is the time recorded and the end of
    the suppression window. Settings default to `load_settings()` (the environment).
    Never raises for delivery or bookkeeping problems.
    """
    settings = settings if settings is not None else load_settings()
    redact = Redactor(settings)
    now = _utc(now)
    store = DeliveryStore(con, redact)
    outcomes: list[DeliveryOutcome] = []
    unreachable: dict[str, str] = {}

    for alert in alerts:
        owners = list(alert.owners)
        if not owners:
            LOGGER.warning("alert %s on %s names no owners; sent to the pipeline's owners", alert.check_name, alert.asset)
            try:
                from orchestration.owners import pipeline_owners

                owners = pipeline_owners()
            except Exception as exc:
                LOGGER.warning("owners.yaml could not be read: %s: %s", type(exc).__name__, exc)
        for team in owners:
            for channel in CHANNELS:
                outcome = _deliver_one(alert, team, channel, settings, redact, store, now, unreachable)
                store.record(outcome.as_row(now))
                outcomes.append(outcome)
    if outcomes and all(o.status == "not_configured" for o in outcomes):
        LOGGER.info("alerts are not configured (no SMTP server, no webhook): %d deliveries recorded as not_configured", len(outcomes))
    return outcomes


def _deliver_one(
    alert: Alert,
    team: str,
    channel: str,
    settings: AlertSettings,
    redact: Redactor,
    store: DeliveryStore,
    now: datetime,
    unreachable: dict[str, str],
) -> DeliveryOutcome:
    fp = fingerprint(alert, team, channel)

    def outcome(status: str, attempts: int = 0, error: str | None = None, destination: str | None = None) -> DeliveryOutcome:
        return DeliveryOutcome(
            run_id=alert.run_id, asset=alert.asset, check_name=alert.check_name, team=team,
            channel=channel, status=status, attempts=attempts, fingerprint=fp,
            error=redact(error) if error else None, destination=destination,
        )

    what = f"alert {alert.check_name} on {alert.asset} (run {alert.run_id}) to {team} by {channel}"
    try:
        target = _target(alert, team, channel, settings)
        if isinstance(target, str):
            LOGGER.debug("%s: not configured (%s)", what, target)
            return outcome("not_configured", error=target)
        if settings.suppress_interval.total_seconds() > 0 and store.sent_since(fp, now - settings.suppress_interval):
            LOGGER.info("%s: suppressed, the same failure was sent within %s", what, settings.suppress_interval)
            return outcome("suppressed", destination=target.label)
        if target.key in unreachable:
            error = f"not attempted: {target.label} was unreachable earlier in this delivery ({unreachable[target.key]})"
            LOGGER.warning("%s: %s", what, redact(error))
            return outcome("failed", error=error, destination=target.label)
        attempts, error = _send_with_retries(target, settings, redact, what)
        if error is None:
            LOGGER.info("%s: sent via %s", what, target.label)
            return outcome("sent", attempts, destination=target.label)
        if error.unreachable:
            unreachable[target.key] = redact(error)
        LOGGER.warning("%s: failed via %s after %d attempt(s): %s", what, target.label, attempts, redact(error))
        return outcome("failed", attempts, str(error), target.label)
    except Exception as exc:  # rendering or anything else: recorded, never raised
        LOGGER.warning("%s: failed: %s: %s", what, type(exc).__name__, redact(exc))
        return outcome("failed", 0, f"{type(exc).__name__}: {exc}")
