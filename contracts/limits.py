"""Length limits shared by intake (``IncidentEventV1``) and the evidence/snapshot contracts.

Defined once so that whatever the API accepts (202) the collectors can also store: before, a
metric dimension value of 300 characters or a 512-character log group passed intake (1024/512)
and then failed the evidence contract (256) in a run. The values are CloudWatch's own limits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import StringConstraints

LOG_GROUP_NAME_MAX = 512  # CloudWatch Logs
METRIC_NAMESPACE_MAX = 255
METRIC_NAME_MAX = 255
DIMENSION_NAME_MAX = 255
DIMENSION_VALUE_MAX = 1024
STAT_MAX = 32
#: a metric's label: "<namespace> <metric> <stat> <resource>" (resource: a dimension value)
METRIC_LABEL_MAX = METRIC_NAMESPACE_MAX + METRIC_NAME_MAX + STAT_MAX + DIMENSION_VALUE_MAX + 3
#: windows start no earlier than this (CloudWatch keeps nothing older; earlier dates overflowed
#: the baseline arithmetic near year 1 and made a 500)
EARLIEST_WINDOW_START = datetime(2000, 1, 1, tzinfo=UTC)

LogGroupText = Annotated[str, StringConstraints(min_length=1, max_length=LOG_GROUP_NAME_MAX)]
NamespaceText = Annotated[str, StringConstraints(min_length=1, max_length=METRIC_NAMESPACE_MAX)]
MetricNameText = Annotated[str, StringConstraints(min_length=1, max_length=METRIC_NAME_MAX)]
DimensionNameText = Annotated[str, StringConstraints(min_length=1, max_length=DIMENSION_NAME_MAX)]
DimensionValueText = Annotated[str, StringConstraints(min_length=1, max_length=DIMENSION_VALUE_MAX)]
MetricLabelText = Annotated[str, StringConstraints(min_length=1, max_length=METRIC_LABEL_MAX)]
