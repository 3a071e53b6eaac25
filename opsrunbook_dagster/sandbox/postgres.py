"""A throwaway PostgreSQL for tests and benchmarks: an existing server's URL, or one started here.

``throwaway_postgres()`` yields a :class:`PostgresServer`: the server named by
``$OPSRUNBOOK_TEST_POSTGRES_URL`` when set, else a private server (``initdb`` + ``pg_ctl``) in a
temporary directory on a free loopback port, with trust auth, its unix socket in that directory and
fsync off, stopped and deleted at the end. initdb refuses to run as root, so as root the server runs
as the ``postgres`` system user when it exists, else as ``nobody``. No binaries and no URL raise
:class:`PostgresUnavailable` with the reason (tests skip on it).
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from opsrunbook_dagster.sandbox.server import free_port

URL_ENV = "OPSRUNBOOK_TEST_POSTGRES_URL"
#: Where Debian's `postgresql` package puts the binaries (not on PATH by default).
DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"
SUPERUSER = "postgres"
#: SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3, which dagster-postgres does not bring;
#: Dagster storage URLs name the psycopg2 driver it does bring.
DAGSTER_SCHEME = "postgresql+psycopg2"
_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresUnavailable(RuntimeError):
    """No server URL was given and no PostgreSQL binaries were found (or they could not start)."""


def bin_dir() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``: PATH first, then Debian's."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(Path("/").glob(DEBIAN_BIN_GLOB.lstrip("/")), key=_major, reverse=True)
    return next((d for d in versions if (d / "initdb").exists() and (d / "pg_ctl").exists()), None)


def _major(path: Path) -> int:
    version = path.parent.name
    return int(version) if version.isdigit() else 0


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` instead (same server, user and options)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def dagster_url(url: str) -> str:
    """A libpq URL (``postgresql://…``) as Dagster's ``postgres_url`` (psycopg2 driver named)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=DAGSTER_SCHEME))


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+driver://…``) as libpq takes it."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=parts.scheme.split("+")[0]))


@dataclass(frozen=True)
class PostgresServer:
    """A reachable server; ``url`` is its admin database's URL (``postgresql://…``); ``pid`` its
    postmaster's process id when this machine runs it (a private server), for CPU accounting."""

    url: str
    pid: int | None = None

    def create_database(self, name: str) -> str:
        """Create (or empty and recreate) database ``name``; returns its URL for Dagster storage."""
        import psycopg2  # a dependency of dagster-postgres

        if not _DB_NAME.match(name):
            raise ValueError(f"database name must match {_DB_NAME.pattern}: {name!r}")
        conn = psycopg2.connect(libpq_url(self.url))
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return dagster_url(with_database(self.url, name))


@dataclass
class LocalPostgres:
    """A private server run with ``pg_ctl`` from ``binaries``; ``start()`` returns its URL."""

    binaries: Path
    port: int = 0
    root: Path | None = None

    def start(self) -> PostgresServer:
        self.port = self.port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="opsrunbook-pg-"))
        (self.root / "data").mkdir()
        owner = _server_user()
        if owner is not None:
            for path in (self.root, self.root / "data"):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        try:
            self._run(
                "initdb", "-D", "data", "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C"
            )  # fmt: skip
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            self._run("pg_ctl", "-D", "data", "-l", "server.log", "-o", options, "-w", "-t", "60", "start")
        except (OSError, subprocess.SubprocessError) as exc:
            self.stop()
            raise PostgresUnavailable(f"could not start PostgreSQL from {self.binaries}: {exc}") from exc
        pid = int((self.root / "data" / "postmaster.pid").read_text().split()[0])
        return PostgresServer(f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres", pid)

    def stop(self) -> None:
        if self.root is None:
            return
        if (self.root / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", "data", "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def _run(self, tool: str, *args: str, check: bool = True) -> None:
        assert self.root is not None
        command = [str(self.binaries / tool), *args]
        owner = _server_user()
        if owner is not None:
            command = ["runuser", "-u", owner.pw_name, "--", *command]
        result = subprocess.run(command, cwd=self.root, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise subprocess.SubprocessError(f"{tool} exited {result.returncode}: {result.stderr}{tail}")


def _server_user() -> pwd.struct_passwd | None:
    """Who runs the server: nobody to switch to unless root (initdb refuses root)."""
    if os.geteuid() != 0:
        return None
    for name in (SUPERUSER, "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresUnavailable("running as root and neither a 'postgres' nor a 'nobody' user exists")


@contextmanager
def throwaway_postgres(env: dict[str, str] | None = None) -> Iterator[PostgresServer]:
    """The server at ``$OPSRUNBOOK_TEST_POSTGRES_URL``, else a private one for the block's duration."""
    environ = os.environ if env is None else env
    if environ.get(URL_ENV):
        yield PostgresServer(environ[URL_ENV])
        return
    binaries = bin_dir()
    if binaries is None:
        raise PostgresUnavailable(
            f"no PostgreSQL: set {URL_ENV} or install initdb/pg_ctl (Debian: apt-get install postgresql)"
        )
    local = LocalPostgres(binaries)
    server = local.start()
    try:
        yield server
    finally:
        local.stop()
