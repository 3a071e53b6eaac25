"""Alarms of the compute stack: requests waiting, the daemon's heartbeat, failed runs, RDS storage."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_sns as sns

from opsrunbook_cdk import roles

#: Published by the incident request sensor every tick (opsrunbook_dagster/aws/metrics.py).
OLDEST_PENDING_METRIC = "OldestPendingRequestAgeSeconds"
FAILED_RUNS_METRIC = "FailedRuns"
OLDEST_PENDING_ALARM_SECONDS = 300
RDS_FREE_STORAGE_BYTES = 2 * 1024**3


def compute_alarms(
    stack: Stack, scope: roles.Scope, database: rds.DatabaseInstance, log_groups: dict[str, logs.LogGroup]
) -> sns.Topic:
    topic = sns.Topic(
        stack, "AlarmTopic", master_key=kms.Alias.from_alias_name(stack, "SnsKey", "alias/aws/sns")
    )
    notify = actions.SnsAction(topic)
    pending = cloudwatch.Metric(
        namespace=roles.METRICS_NAMESPACE,
        metric_name=OLDEST_PENDING_METRIC,
        dimensions_map={"RequestsTable": scope.names.table("incident-requests")},
        period=Duration.minutes(1),
    )
    alarms = [
        cloudwatch.Alarm(
            stack,
            "OldestPendingRequestAlarm",
            metric=pending.with_(statistic="Maximum"),
            threshold=OLDEST_PENDING_ALARM_SECONDS,
            evaluation_periods=3,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description="An incident request has waited over 5 minutes for its run (capacity or a stuck sensor).",
        ),
        # The sensor publishes on every heartbeat (10 s): no sample for 3 minutes = daemon not ticking.
        cloudwatch.Alarm(
            stack,
            "DaemonHeartbeatAlarm",
            metric=pending.with_(statistic="SampleCount"),
            threshold=1,
            evaluation_periods=3,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            alarm_description="The incident request sensor has not ticked for 3 minutes (daemon or code server down).",
        ),
        cloudwatch.Alarm(
            stack,
            "FreeStorageAlarm",
            metric=database.metric_free_storage_space(period=Duration.minutes(5)),
            threshold=RDS_FREE_STORAGE_BYTES,
            evaluation_periods=2,
            comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            alarm_description="Dagster's PostgreSQL has under 2 GiB free (autoscaling storage may be at its maximum).",
        ),
    ]
    failed = cloudwatch.Metric(
        namespace=roles.METRICS_NAMESPACE,
        metric_name=FAILED_RUNS_METRIC,
        period=Duration.minutes(5),
        statistic="Sum",
    )
    for name in ("CodeServer", "Run"):
        # Dagster logs the RUN_FAILURE event in the run worker's output (code-server task, or the run task)
        filter_ = logs.MetricFilter(
            stack,
            f"{name}FailedRunsFilter",
            log_group=log_groups[name],
            metric_namespace=roles.METRICS_NAMESPACE,
            metric_name=FAILED_RUNS_METRIC,
            filter_pattern=logs.FilterPattern.literal('"RUN_FAILURE"'),
            metric_value="1",
            default_value=0,
        )
        if name == "Run":
            run_condition = log_groups[name].node.default_child.cfn_options.condition  # type: ignore[union-attr]
            filter_.node.default_child.cfn_options.condition = run_condition  # type: ignore[union-attr]
    alarms.append(
        cloudwatch.Alarm(
            stack,
            "FailedRunsAlarm",
            metric=failed,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description="A Dagster run failed (after its retries): see the run in the Dagster UI.",
        )
    )
    for alarm in alarms:
        alarm.add_alarm_action(notify)
    return topic
