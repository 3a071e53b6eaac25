"""HTTP for the action clients: ``requests`` + a urllib3 ``Retry`` policy, timeouts on every call.

Two retry policies per client. *Safe* calls (reads, and writes that are idempotent by nature) are
retried on connection errors, read errors and 429/500/502/503/504. *Unsafe* calls (a POST that
creates something) are retried only when the request certainly was not processed: connection
refused, or 429/503 (the server said "not now"). Backoff is exponential with jitter; a
``Retry-After`` header on 429/503 is honoured (capped). Errors carry whether the request *may*
have been processed (``ambiguous``: a timeout, a reset, or a 5xx other than 503 to a write) — the
exactly-once layer decides what that means. Redirects are never followed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from opsrunbook_dagster.clients.secrets import install_log_redaction, redact

log = logging.getLogger("opsrunbook.clients")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "POST"})
#: Called after a write returned 2xx (fault injection: "the caller crashes before recording").
AfterWrite = Callable[[str, str, str], None]


@dataclass(frozen=True)
class Pacing:
    """How a client waits: ``sleep`` between retries (a seam: tests pass a fake clock's), and
    ``before_wait(seconds)`` / ``guard()`` hooks the exactly-once layer uses to renew its lease
    before a wait and to stop a worker that lost it before its next request."""

    sleep: Callable[[float], None] = time.sleep
    before_wait: Callable[[float], None] | None = None
    guard: Callable[[], None] | None = None

    def wait(self, seconds: float) -> None:
        if self.before_wait is not None:
            self.before_wait(seconds)
        self.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    backoff_factor: float = 0.5
    backoff_max: float = 8.0
    jitter: float = 0.25
    retry_after_max: int = 60
    connect_timeout: float = 3.05
    read_timeout: float = 15.0

    def retry(self, *, safe: bool, pacing: Pacing | None = None) -> Retry:
        retry = _Retry(
            total=self.attempts - 1,
            connect=self.attempts - 1,
            read=self.attempts - 1 if safe else 0,
            status=self.attempts - 1,
            other=0,
            redirect=0,
            allowed_methods=SAFE_METHODS,
            status_forcelist=(429, 500, 502, 503, 504) if safe else (429, 503),
            backoff_factor=self.backoff_factor,
            backoff_max=self.backoff_max,
            backoff_jitter=self.jitter,
            respect_retry_after_header=True,
            retry_after_max=self.retry_after_max,
            raise_on_status=False,
            raise_on_redirect=False,
        )
        retry.pacing = pacing or Pacing()
        return retry

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)


class _Retry(Retry):
    """urllib3's Retry, tolerant of a malformed Retry-After (e.g. "0.5"): seconds as a float, else 1 s;
    it waits through ``pacing`` (never ``time.sleep`` directly)."""

    pacing: Pacing = Pacing()

    def new(self, **kw: Any) -> _Retry:
        retry = super().new(**kw)
        retry.pacing = self.pacing
        return retry

    def sleep(self, response: Any = None) -> None:
        seconds = self.get_retry_after(response) if self.respect_retry_after_header and response else None
        seconds = seconds or self.get_backoff_time()
        if seconds > 0:
            self.pacing.wait(seconds)

    def parse_retry_after(self, retry_after: str) -> float:
        try:
            return super().parse_retry_after(retry_after)
        except Exception:
            try:
                return max(0.0, min(float(retry_after), float(self.retry_after_max)))
            except ValueError:
                return 1.0


class HttpError(Exception):
    """A call failed. ``ambiguous``: the server may have processed it anyway."""

    def __init__(self, code: str, message: str, *, ambiguous: bool, status: int | None = None) -> None:
        super().__init__(redact(message)[:1000])
        self.code = code
        self.status = status
        self.ambiguous = ambiguous

    @property
    def message(self) -> str:
        return str(self)


class UnsafePathError(HttpError):
    """A value would change which resource a path addresses (a dot segment, a bad name)."""

    def __init__(self, message: str) -> None:
        super().__init__("unsafe_path", message, ambiguous=False)


def check_path(path: str) -> None:
    """Refuse a relative API path with a dot segment (also percent-encoded) or a backslash:
    ``requests`` would collapse it and address another resource."""
    for part in path.split("?", 1)[0].split("/"):
        if unquote(part) in (".", "..") or "\\" in unquote(part):
            raise UnsafePathError(f"refusing a path with a dot segment: {path[:200]!r}")


def _session(policy: RetryPolicy, safe: bool, pacing: Pacing) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(
        max_retries=policy.retry(safe=safe, pacing=pacing), pool_connections=4, pool_maxsize=8
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = False
    return session


class HttpClient:
    """One remote API. ``label`` names it in logs and errors instead of the (possibly secret) URL."""

    def __init__(
        self,
        base_url: str,
        label: str,
        policy: RetryPolicy | None = None,
        headers: Callable[[], Mapping[str, str]] | None = None,
        after_write: AfterWrite | None = None,
        pacing: Pacing | None = None,
    ) -> None:
        install_log_redaction()
        self.base_url = base_url.rstrip("/")
        self.label = label
        self.policy = policy or RetryPolicy()
        self._headers = headers
        self._after_write = after_write
        self.pacing = pacing or Pacing()
        self._safe = _session(self.policy, True, self.pacing)
        self._unsafe = _session(self.policy, False, self.pacing)

    def close(self) -> None:
        self._safe.close()
        self._unsafe.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        safe: bool | None = None,
        read: bool | None = None,
        expect: tuple[int, ...] = (),
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one request (with retries). 2xx and the statuses in ``expect`` are returned;
        anything else raises ``HttpError``. ``safe`` (may be retried after a read error or a 5xx)
        defaults to "not a POST"; ``read`` (changes nothing remotely) defaults to "a GET"."""
        method = method.upper()
        safe = method != "POST" if safe is None else safe
        read = method == "GET" if read is None else read
        if not path.startswith(("http://", "https://")):
            check_path(path)
        if self.pacing.guard is not None:
            self.pacing.guard()
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        shown = f"{method} {self.label}{_path_only(path)}"
        sent = {"Accept": "application/json", "User-Agent": "opsrunbook/0.1", **(headers or {})}
        if self._headers is not None:
            sent.update(self._headers())
        session = self._safe if safe else self._unsafe
        try:
            response = session.request(
                method,
                url,
                json=json,
                params=params,
                files=files,
                headers=sent,
                timeout=self.policy.timeout,
                allow_redirects=False,  # a redirect never carries credentials or a body elsewhere
            )
        except requests.ConnectTimeout as exc:
            raise HttpError("connect_timeout", f"{shown}: {exc}", ambiguous=False) from None
        except requests.ReadTimeout as exc:
            raise HttpError("timeout", f"{shown}: {exc}", ambiguous=True) from None
        except requests.ConnectionError as exc:
            if "ReadTimeoutError" in repr(exc):
                raise HttpError("timeout", f"{shown}: {exc}", ambiguous=True) from None
            refused = "NewConnectionError" in repr(exc) or "Connection refused" in str(exc)
            raise HttpError("connection_error", f"{shown}: {exc}", ambiguous=not refused) from None
        except requests.RequestException as exc:
            raise HttpError("http_error", f"{shown}: {exc}", ambiguous=True) from None
        history = getattr(getattr(response.raw, "retries", None), "history", None) or ()
        retries = len(history)
        log.info("%s -> %s (%d retries)", redact(shown), response.status_code, retries)
        if 200 <= response.status_code < 300 or response.status_code in expect:
            if not read and 200 <= response.status_code < 300 and self._after_write:
                self._after_write(self.label, method, _path_only(path))
            return response
        raise HttpError(
            f"http_{response.status_code}",
            f"{shown} -> HTTP {response.status_code} after {retries + 1} attempt(s): {response.text[:300]}",
            ambiguous=_uncertain(response.status_code, read=read),
            status=response.status_code,
        )


def _uncertain(status: int, *, read: bool) -> bool:
    """A 5xx answer to a write may come from a gateway after the backend did the work (a 504 is
    exactly that), so the outcome is unknown. 503 is "not now" (retried blindly, like 429)."""
    return not read and status >= 500 and status != 503


def _path_only(path: str) -> str:
    """The path of ``path`` without scheme, host or query (never a webhook's signature)."""
    if path.startswith(("http://", "https://")):
        return ""
    return path.split("?", 1)[0]
