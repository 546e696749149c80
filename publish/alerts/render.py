"""The words of an alert: e-mail subject and body, Slack-compatible webhook JSON."""

from __future__ import annotations

from typing import Any

from publish.alerts.model import Alert, FailedExpectation

MAX_SAMPLE_CHARS = 80
# Slack limits: header text 150 characters, section text 3000, 50 blocks a message.
SLACK_HEADER_CHARS = 150
SLACK_SECTION_CHARS = 3000
SLACK_EXPECTATION_BLOCKS = 20


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sample(value: Any) -> str:
    return _clip(repr(value), MAX_SAMPLE_CHARS)  # quoted: the string 'None' is not a missing value


def _percent(value: float | None) -> str:
    return "" if value is None else f" ({value:.2f}%)"


def describe_expectation(e: FailedExpectation) -> str:
    """One line: expectation, column, counts, samples (plain text)."""
    line = e.expectation + (f" on column {e.column}" if e.column else "")
    if e.unexpected_count is not None:
        line += f": {e.unexpected_count} unexpected{_percent(e.unexpected_percent)}"
    elif e.unexpected_percent is not None:
        line += f": {e.unexpected_percent:.2f}% unexpected"
    if e.observed_value is not None:
        line += f"; observed {_sample(e.observed_value)}"
    if e.sample_values:
        line += "; samples: " + ", ".join(_sample(v) for v in e.sample_values)
    return line


def title(alert: Alert) -> str:
    if alert.title_text:
        return alert.title_text
    if alert.is_pipeline_failure:
        return f"[secops {alert.severity}] run {alert.run_id} of {alert.asset[len('job:'):]} failed"
    return f"[secops {alert.severity}] check {alert.check_name} failed on {alert.asset} (run {alert.run_id})"


def email_subject(alert: Alert) -> str:
    return _clip(" ".join(title(alert).split()), 200)


def _notification_body(alert: Alert, team: str) -> str:
    width = max(len(label) for label, _ in alert.facts) + 2 if alert.facts else 0
    lines = [alert.title_text or "", ""]
    lines += [f"{label + ':':<{width}}{value}" for label, value in alert.facts]
    lines.append(f"{'Owners:':<{width}}{', '.join(alert.owners)} (sent to {team})")
    if alert.link:
        lines.append(f"{'Report:':<{width}}{alert.link}")
    if alert.summary:
        lines += ["", alert.summary]
    lines += ["", "-- ", "secops-metrics. Sent once per SLO, month and status; a recompute that changes the status sends a correction."]
    return "\n".join(lines) + "\n"


def email_body(alert: Alert, team: str) -> str:
    if alert.title_text:
        return _notification_body(alert, team)
    lines = []
    if alert.is_pipeline_failure:
        lines += [f"Pipeline run failed: job {alert.asset[len('job:'):]}", ""]
    else:
        lines += [f"Check failed (severity {alert.severity}).", ""]
    lines += [
        f"Asset:     {alert.asset}",
        f"Check:     {alert.check_name}",
        f"Severity:  {alert.severity}",
        f"Run:       {alert.run_id}",
        f"Owners:    {', '.join(alert.owners)} (sent to {team})",
    ]
    if alert.link:
        lines.append(f"Report:    {alert.link}")
    if alert.summary:
        lines += ["", alert.summary]
    if alert.failed_steps:
        lines += ["", "Failed steps:"] + [f"  - {step}" for step in alert.failed_steps]
    if alert.failed_expectations:
        lines += ["", f"Failed expectations ({len(alert.failed_expectations)}):"]
        lines += [f"  - {describe_expectation(e)}" for e in alert.failed_expectations]
    lines += [
        "",
        "-- ",
        "secops-metrics. Repeats of this failure are not sent again within the suppression "
        "interval (SECOPS_ALERT_SUPPRESS_HOURS).",
    ]
    return "\n".join(lines) + "\n"


def _mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: Any) -> str:
    return "`" + _mrkdwn(str(text)).replace("`", "'") + "`"


def _expectation_mrkdwn(e: FailedExpectation) -> str:
    text = f"*{_mrkdwn(e.expectation)}*" + (f" on {_code(e.column)}" if e.column else "")
    if e.unexpected_count is not None:
        text += f": {e.unexpected_count} unexpected{_percent(e.unexpected_percent)}"
    elif e.unexpected_percent is not None:
        text += f": {e.unexpected_percent:.2f}% unexpected"
    if e.observed_value is not None:
        text += f"; observed {_code(_sample(e.observed_value))}"
    if e.sample_values:
        text += "\nsamples: " + ", ".join(_code(_sample(v)) for v in e.sample_values)
    return _clip(text, SLACK_SECTION_CHARS)


def slack_payload(alert: Alert, team: str) -> dict[str, Any]:
    """{"text": plain fallback, "blocks": [...]}, accepted by Slack and Mattermost-style webhooks."""
    facts = [f"*{_mrkdwn(label)}* {_code(value)}" for label, value in alert.facts] or [
        f"*Asset* {_code(alert.asset)}",
        f"*Check* {_code(alert.check_name)}",
        f"*Severity* {alert.severity}",
        f"*Run* {_code(alert.run_id)}",
    ]
    facts.append(f"*Owners* {_mrkdwn(', '.join(alert.owners))}")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(title(alert), SLACK_HEADER_CHARS)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(facts)}},
    ]
    if alert.summary:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(_mrkdwn(alert.summary), SLACK_SECTION_CHARS)}})
    if alert.failed_steps:
        steps = "*Failed steps*\n" + "\n".join(f"• {_code(s)}" for s in alert.failed_steps)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(steps, SLACK_SECTION_CHARS)}})
    shown = alert.failed_expectations[:SLACK_EXPECTATION_BLOCKS]
    for e in shown:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _expectation_mrkdwn(e)}})
    context = []
    if len(alert.failed_expectations) > len(shown):
        context.append(f"and {len(alert.failed_expectations) - len(shown)} more failed expectations")
    if alert.link:
        context.append(f"Report: {_mrkdwn(alert.link)}")
    context.append(f"Sent to {_mrkdwn(team)}")
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(" · ".join(context), SLACK_SECTION_CHARS)}]})
    return {"text": _clip(_mrkdwn(fallback_text(alert)), SLACK_SECTION_CHARS), "blocks": blocks}


def fallback_text(alert: Alert) -> str:
    """The plain text of a webhook message (notifications, clients without blocks)."""
    lines = [title(alert)]
    lines += [f"{label}: {value}" for label, value in alert.facts]
    if alert.summary:
        lines.append(alert.summary)
    lines += [f"step failed: {step}" for step in alert.failed_steps]
    lines += [describe_expectation(e) for e in alert.failed_expectations]
    if alert.link:
        lines.append(f"Report: {alert.link}")
    return "\n".join(lines)
