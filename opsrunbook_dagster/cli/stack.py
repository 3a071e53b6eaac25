"""Start and stop the local stack: `dagster dev` (webserver + daemon) as a child process group."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from opsrunbook_dagster.cli.dagster_api import DagsterApi
from opsrunbook_dagster.cli.supervisor import exit_reason

REPO_ROOT = Path(__file__).resolve().parents[2]


def instance_config() -> str:
    """The project's dagster.yaml (infra/dagster.yaml in a checkout)."""
    checkout = REPO_ROOT / "infra" / "dagster.yaml"
    if checkout.exists():
        return checkout.read_text(encoding="utf-8")
    return resources.files("opsrunbook_dagster").joinpath("dagster.yaml").read_text(encoding="utf-8")


def prepare_dagster_home(
    home: Path,
    env: dict[str, str],
    storage: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> None:
    """Write dagster.yaml and migrate the instance storage before the first start.

    ``storage`` is a dagster.yaml ``storage:`` section (e.g. ``{"postgres": {"postgres_url": …}}``);
    without it the instance keeps its SQLite files in ``home``. ``overrides`` replaces top-level
    sections of the project's file (benchmarks comparing e.g. run launchers).
    """
    home.mkdir(parents=True, exist_ok=True)
    config = instance_config()
    if overrides:
        config = yaml.safe_dump({**yaml.safe_load(config), **overrides}, sort_keys=True)
    if storage:
        config += "\n" + yaml.safe_dump({"storage": dict(storage)}, sort_keys=True)
    (home / "dagster.yaml").write_text(config, encoding="utf-8")
    dagster = shutil.which("dagster", path=str(Path(sys.executable).parent)) or "dagster"
    subprocess.run(
        [dagster, "instance", "migrate"],
        env={**env, "DAGSTER_HOME": str(home)},
        check=True,
        capture_output=True,
        timeout=120,
    )


def _restore_sigint() -> None:
    # A shell running `make` non-interactively makes children ignore SIGINT; undo that.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass
class DagsterDev:
    home: Path
    env: dict[str, str]
    port: int = 3000
    log_path: Path | None = None
    #: dagster.yaml ``storage:`` section; None = SQLite in ``home``
    storage: Mapping[str, Any] | None = None
    #: top-level dagster.yaml sections replacing the project's (see prepare_dagster_home)
    overrides: Mapping[str, Any] | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        prepare_dagster_home(self.home, self.env, self.storage, self.overrides)
        dagster = shutil.which("dagster", path=str(Path(sys.executable).parent)) or "dagster"
        log = open(self.log, "ab")  # noqa: SIM115 - kept for the child's lifetime
        self.process = subprocess.Popen(
            [
                dagster,
                "dev",
                "-w",
                str(REPO_ROOT / "workspace.yaml"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
            ],
            cwd=REPO_ROOT,
            env={**self.env, "DAGSTER_HOME": str(self.home)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_restore_sigint,
        )
        api = DagsterApi(self.url)
        deadline = time.monotonic() + timeout
        while not api.ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"dagster dev exited with {self.process.returncode}; see {log.name}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"dagster dev not ready after {timeout}s; see {log.name}")
            time.sleep(0.5)

    @property
    def log(self) -> Path:
        return self.log_path or self.home / "dagster-dev.log"

    def probe(self) -> str | None:
        """None while `dagster dev` runs (it exits when its webserver or daemon dies)."""
        return exit_reason(self.process.poll() if self.process else -1, self.log)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM the whole process group (webserver, daemon, code server, runs); SIGKILL stragglers."""
        stop_group(self.process, timeout)


def stop_group(process: subprocess.Popen[bytes] | None, timeout: float = 30.0) -> None:
    """SIGTERM the process group ``process`` leads (it was started with ``start_new_session``), wait
    up to ``timeout`` for it, then SIGKILL whatever of the group is left."""
    if process is None or process.poll() is not None:
        return
    pgid = os.getpgid(process.pid)
    os.killpg(pgid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(pgid, signal.SIGKILL)
        process.wait()
    try:  # children that outlived the parent
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@dataclass
class ApiServer:
    """`opsrunbook api` (uvicorn) as a child process."""

    env: dict[str, str]
    port: int = 8000
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        import requests

        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115

        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "opsrunbook_dagster.cli.main",
                "api",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_restore_sigint,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(f"{self.url}/health/live", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the API did not start")
            time.sleep(0.2)

    def probe(self) -> str | None:
        """None while the API process runs."""
        return exit_reason(self.process.poll() if self.process else -1, self.log_path)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
