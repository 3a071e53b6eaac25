"""Map AWS client errors to a source status (what analysis and the UI should be told)."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from contracts.evidence import SourceResult, SourceStatus

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "LimitExceededException",
    }
)


@dataclass(frozen=True)
class ErrorInfo:
    code: str
    message: str

    @property
    def throttled(self) -> bool:
        return self.code in THROTTLING_CODES


def describe_error(exc: Exception) -> ErrorInfo:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(
            error.get("Code")
            or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            or "ClientError"
        )
        message = str(error.get("Message") or exc)
        return ErrorInfo(code=code, message=message.splitlines()[0][:500] if message else code)
    if isinstance(exc, BotoCoreError):
        return ErrorInfo(code=type(exc).__name__, message=str(exc)[:500])
    return ErrorInfo(code=type(exc).__name__, message=str(exc)[:500])


def failed_source(source: str, exc: Exception, status: SourceStatus = SourceStatus.failed) -> SourceResult:
    info = describe_error(exc)
    return SourceResult(source=source, status=status, error_code=info.code, error_message=info.message)
