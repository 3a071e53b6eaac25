"""Regenerate the blind set's synthetic metric CSVs (``timestamp,value``, the NAB format).

Run from the repository root: ``python opsrunbook_dagster/sandbox/scenarios/blind/generate_csv.py``.
Seeded, so the output is byte-identical. The shapes are modelled on how these metrics look in real
accounts (diurnal traffic with a night trough and an afternoon/evening peak, multiplicative noise,
short bursts; a leaking service's memory climbing linearly between deploys and OOM restarts); no
analyzer output was consulted.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Every series is written in this clock; scenarios anchor it with ``csv_anchor``.
START = datetime(2026, 3, 2, 0, 0)


def diurnal(hour: float, trough: float = 4.0) -> float:
    """0 at the night trough, 1 twelve hours later; a little sharper than a cosine at the top."""
    base = 0.5 - 0.5 * math.cos(2 * math.pi * (hour - trough) / 24)
    return float(base**1.3)


def write(
    name: str, step_minutes: int, hours: float, value: Callable[[datetime, random.Random], float]
) -> None:
    rng = random.Random(name)
    rows = ["timestamp,value"]
    for i in range(int(hours * 60 / step_minutes)):
        moment = START + timedelta(minutes=i * step_minutes)
        rows.append(f"{moment:%Y-%m-%d %H:%M:%S},{value(moment, rng):.3f}")
    (HERE / name).write_text("\n".join(rows) + "\n", encoding="utf-8")


def hour_of(moment: datetime) -> float:
    return moment.hour + moment.minute / 60


def traffic(
    peak: float, floor: float, noise: float, burst_p: float
) -> Callable[[datetime, random.Random], float]:
    def value(moment: datetime, rng: random.Random) -> float:
        level = floor + (peak - floor) * diurnal(hour_of(moment))
        level *= rng.lognormvariate(0, noise)
        if rng.random() < burst_p:
            level *= rng.uniform(1.3, 1.9)
        return round(level)

    return value


def latency(fast: float, slow: float, noise: float) -> Callable[[datetime, random.Random], float]:
    def value(moment: datetime, rng: random.Random) -> float:
        level = fast + (slow - fast) * diurnal(hour_of(moment))
        level *= rng.lognormvariate(0, noise)
        if rng.random() < 0.03:  # GC pauses / a slow client: the occasional fat point
            level *= rng.uniform(2.0, 4.5)
        return level

    return value


def cpu(idle: float, busy: float, noise: float) -> Callable[[datetime, random.Random], float]:
    def value(moment: datetime, rng: random.Random) -> float:
        level = idle + (busy - idle) * diurnal(hour_of(moment))
        return max(1.0, min(100.0, rng.gauss(level, noise)))

    return value


#: The leaking gateway: deployed at hour 14, four tasks, each killed when its heap is full.
LEAK_DEPLOY_H = 14.0
LEAK_KILLS_H = (24.0 + 22 / 60, 24.0 + 33 / 60, 24.0 + 41 / 60, 24.0 + 51 / 60)


def leaking_memory(moment: datetime, rng: random.Random) -> float:
    hours = (moment - START).total_seconds() / 3600
    if hours < LEAK_DEPLOY_H:  # the previous version: flat, a little load-dependent
        return rng.gauss(35.0 + 2.5 * diurnal(hour_of(moment)), 1.0)
    tasks = []
    for slope, kill in zip((6.45, 6.2, 6.05, 5.9), LEAK_KILLS_H, strict=True):
        started = LEAK_DEPLOY_H if hours < kill else kill + 1 / 60
        tasks.append(min(97.5, 31.0 + slope * (hours - started) + rng.gauss(0, 1.2)))
    return sum(tasks) / len(tasks)


def steady_memory(moment: datetime, rng: random.Random) -> float:
    return rng.gauss(41.0 + 3.0 * diurnal(hour_of(moment)), 1.1)


def main() -> None:
    # blind-diurnal-checkout-npe: three days of 5-minute ALB/ECS series.
    write("checkout-web-requestcount.csv", 5, 72, traffic(peak=5200, floor=900, noise=0.09, burst_p=0.02))
    write("checkout-web-target-response-time.csv", 5, 72, latency(fast=0.085, slow=0.16, noise=0.18))
    write("catalog-web-requestcount.csv", 5, 72, traffic(peak=14000, floor=2100, noise=0.08, burst_p=0.02))
    write("catalog-web-cpu.csv", 5, 72, cpu(idle=14, busy=61, noise=4.5))
    # blind-healthy-evening-decline: two days of 1-minute Lambda series.
    write("feed-ranker-invocations.csv", 1, 48, traffic(peak=2400, floor=260, noise=0.12, burst_p=0.01))
    write("feed-ranker-duration.csv", 1, 48, latency(fast=140, slow=230, noise=0.22))
    write("feed-ranker-concurrent.csv", 1, 48, traffic(peak=38, floor=4, noise=0.2, burst_p=0.02))
    # blind-ecs-memory-leak-oom: 25 hours of 1-minute ECS MemoryUtilization.
    write("ws-session-gateway-memory.csv", 1, 25, leaking_memory)
    write("ws-presence-memory.csv", 1, 25, steady_memory)


if __name__ == "__main__":
    main()
