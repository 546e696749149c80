"""A failed run launched from the UI, a schedule or a backfill alerts the pipeline's owners.

(`secops run` executes in-process without the daemon and sends the same alert itself.)
"""

import dagster as dg

from publish.alerts import deliver_alerts, pipeline_failure_alert
from orchestration.settings import warehouse_path


@dg.run_failure_sensor(
    name="alert_pipeline_owners_on_failure",
    description="E-mail and webhook to the pipeline's owners (owners.yaml) when a run fails.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def alert_pipeline_owners_on_failure(context: dg.RunFailureSensorContext):
    failure = context.failure_event
    message = failure.message or "the run failed"
    steps = [failure.step_key] if failure.step_key else []
    alert = pipeline_failure_alert(context.dagster_run.run_id, context.dagster_run.job_name, message, failed_steps=steps)
    deliver_alerts(warehouse_path(), [alert])
