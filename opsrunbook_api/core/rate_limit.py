"""Per-API-key token buckets, in this process only (several workers or replicas each have their own:
the effective limit is the setting times the number of processes)."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RateLimiter:
    """``per_minute`` requests per key on average, bursts up to ``burst``; ``per_minute <= 0``: off."""

    per_minute: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def retry_after(self, key: str) -> int | None:
        """Take a token for ``key``: None when allowed, else the whole seconds until the next token."""
        if self.per_minute <= 0:
            return None
        rate = self.per_minute / 60.0
        capacity = float(max(self.burst, 1))
        bucket_id = hashlib.sha256(key.encode("utf-8")).hexdigest()  # the key itself is not kept
        now = self.clock()
        with self._lock:
            tokens, seen = self._buckets.get(bucket_id, (capacity, now))
            tokens = min(capacity, tokens + (now - seen) * rate)
            if tokens >= 1.0:
                self._buckets[bucket_id] = (tokens - 1.0, now)
                return None
            self._buckets[bucket_id] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / rate))
