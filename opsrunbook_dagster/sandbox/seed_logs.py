"""Write a scenario's log lines to CloudWatch Logs (put_log_events)."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from opsrunbook_dagster.sandbox.scenario import LogSpec, Scenario
from opsrunbook_dagster.sandbox.textgen import render, seeded_uuid

MAX_EVENTS_PER_CALL = 10_000
MAX_BYTES_PER_CALL = 1_000_000
EVENT_OVERHEAD_BYTES = 26


def _default_stream(now: datetime, rng: random.Random) -> str:
    return f"{now:%Y/%m/%d}/[$LATEST]{rng.getrandbits(128):032x}"


def render_log_events(scenario: Scenario, now: datetime) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """All events per (log group, stream), sorted by time. Pure: same inputs → same events."""
    events: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for index, spec in enumerate(scenario.logs):
        rng = random.Random(f"{scenario.seed}:logs:{index}")
        stream = spec.stream or _default_stream(now, rng)
        for moment in _ticks(spec, now, rng):
            tick_uuid = seeded_uuid(rng)
            for template in spec.templates:
                message = render(template, rng=rng, moment=moment, tick_uuid=tick_uuid)
                events[(spec.log_group, stream)].append(
                    {"timestamp": int(moment.timestamp() * 1000), "message": message}
                )
    for batch in events.values():
        batch.sort(key=lambda e: e["timestamp"])
    return dict(events)


def _ticks(spec: LogSpec, now: datetime, rng: random.Random) -> list[datetime]:
    moments = []
    offset = spec.from_minute * 60.0
    end = spec.to_minute * 60.0
    while offset <= end:
        jitter = rng.uniform(0, spec.jitter_seconds) if spec.jitter_seconds else 0.0
        keep = spec.probability >= 1.0 or rng.random() < spec.probability
        moment = now + timedelta(seconds=min(offset + jitter, end))
        if keep and moment <= now:
            moments.append(moment)
        offset += spec.every_seconds
    return moments


def _batches(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    batches: list[list[dict[str, Any]]] = [[]]
    size = 0
    for event in events:
        event_size = len(event["message"].encode("utf-8")) + EVENT_OVERHEAD_BYTES
        if len(batches[-1]) >= MAX_EVENTS_PER_CALL or size + event_size > MAX_BYTES_PER_CALL:
            batches.append([])
            size = 0
        batches[-1].append(event)
        size += event_size
    return [b for b in batches if b]


def seed_logs(
    logs_client: Any, scenario: Scenario, now: datetime, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Create groups/streams as needed and write every event; returns events written per group.
    ``progress("log events", n)`` is called after each batch."""
    written: dict[str, int] = defaultdict(int)
    for (group, stream), events in render_log_events(scenario, now).items():
        try:
            logs_client.create_log_group(logGroupName=group)
        except logs_client.exceptions.ResourceAlreadyExistsException:
            pass
        try:
            logs_client.create_log_stream(logGroupName=group, logStreamName=stream)
        except logs_client.exceptions.ResourceAlreadyExistsException:
            pass
        for batch in _batches(events):
            logs_client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)
            written[group] += len(batch)
            if progress is not None:
                progress("log events", len(batch))
    return dict(sorted(written.items()))
