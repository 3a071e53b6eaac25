"""Lambda runtime/platform lines: REPORT metrics, timeouts, out-of-memory, runtime exits."""

from __future__ import annotations

import re
from dataclasses import dataclass

_REPORT = re.compile(r"^REPORT RequestId: (?P<rid>\S+)")
_FIELD = re.compile(r"(Duration|Billed Duration|Memory Size|Max Memory Used|Init Duration): ([\d.]+)")
_STATUS = re.compile(r"Status: (\w+)")
_ERROR_TYPE = re.compile(r"Error Type: ([\w.]+)")
TIMEOUT_RE = re.compile(r"Task timed out after ([\d.]+) seconds")
OOM_RE = re.compile(
    r"Runtime\.OutOfMemory|signal: killed|MemoryError|JavaScript heap out of memory|OutOfMemoryError"
)
EXIT_RE = re.compile(r"Runtime\.ExitError|Runtime exited with error")


@dataclass(frozen=True)
class Report:
    request_id: str
    duration_ms: float | None
    billed_ms: float | None
    memory_mb: float | None
    max_memory_mb: float | None
    init_ms: float | None
    status: str | None
    error_type: str | None

    @property
    def out_of_memory(self) -> bool:
        if self.error_type == "Runtime.OutOfMemory":
            return True
        return bool(self.memory_mb and self.max_memory_mb and self.max_memory_mb >= self.memory_mb)

    @property
    def timed_out(self) -> bool:
        return (self.status or "").lower() == "timeout"


def parse_report(message: str) -> Report | None:
    match = _REPORT.match(message)
    if not match:
        return None
    fields = {name: float(value) for name, value in _FIELD.findall(message)}
    status = _STATUS.search(message)
    error_type = _ERROR_TYPE.search(message)
    return Report(
        request_id=match.group("rid"),
        duration_ms=fields.get("Duration"),
        billed_ms=fields.get("Billed Duration"),
        memory_mb=fields.get("Memory Size"),
        max_memory_mb=fields.get("Max Memory Used"),
        init_ms=fields.get("Init Duration"),
        status=status.group(1) if status else None,
        error_type=error_type.group(1) if error_type else None,
    )
