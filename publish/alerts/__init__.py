"""Alerts to owners: a failing check (or a failed run) told to its owning teams by e-mail and webhook.

    from publish.alerts import check_failure_alert, deliver_alerts
    alert = check_failure_alert(run_id, asset_key, "rows_accepted", severity="WARN",
                                failed_expectations=[FailedExpectation(...)])
    deliver_alerts(warehouse_path_or_connection, [alert])

model.py     Alert, FailedExpectation, builders (checks, failed pipeline runs), fingerprint
config.py    settings and per-team contacts from the environment, redaction of secrets
render.py    e-mail subject/body and Slack-compatible JSON
mail.py      SMTP channel          webhook.py   HTTP POST channel
store.py     ingest.alert_deliveries (records and suppression)
delivery.py  deliver_alerts: suppression, retries, recording; never raises
"""

from publish.alerts.config import AlertSettings, SmtpSettings, load_settings
from publish.alerts.delivery import CHANNELS, DeliveryOutcome, deliver_alerts
from publish.alerts.model import (
    PIPELINE_CHECK,
    Alert,
    FailedExpectation,
    asset_key_string,
    check_failure_alert,
    fingerprint,
    pipeline_failure_alert,
)
from publish.alerts.store import ALERT_DELIVERIES_DDL, ensure_alert_table

__all__ = [
    "ALERT_DELIVERIES_DDL",
    "CHANNELS",
    "PIPELINE_CHECK",
    "Alert",
    "AlertSettings",
    "DeliveryOutcome",
    "FailedExpectation",
    "SmtpSettings",
    "asset_key_string",
    "check_failure_alert",
    "deliver_alerts",
    "ensure_alert_table",
    "fingerprint",
    "load_settings",
    "pipeline_failure_alert",
]
