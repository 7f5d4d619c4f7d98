"""Helpers for the server-mesh tests (test_mesh_*.py): remote MCP servers mounted beside native
plugins, over stdio, Streamable HTTP and legacy SSE.

The remote backends are real processes: the FastMCP peer host (Benchmarks/peers/fastmcp_host.py)
and a FastMCP test server (Tests/Fixtures/remotes/fastmcp_events.py), run by the `.venv-peer`
interpreter that scripts/test creates (fastmcp==4.1.2, kept apart from the mcp venvs). HTTP
backends listen on 127.0.0.1 on a free port; readiness is polled with a deadline, never slept.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, run_manifold

PEER_VENV = ROOT / ".venv-peer"
PEER_PYTHON = PEER_VENV / "bin" / "python"
FASTMCP_HOST = ROOT / "Benchmarks" / "peers" / "fastmcp_host.py"
EVENTS = FIXTURES / "remotes" / "fastmcp_events.py"
AUTH_EVENTS = FIXTURES / "remotes" / "fastmcp_auth.py"
PLUGINS = ROOT / "Plugins"


@pytest.fixture(scope="session")
def peer_python() -> Path:
    """The interpreter with fastmcp 4.1.2 (made by scripts/test)."""
    if not PEER_PYTHON.is_file():
        pytest.fail(f"{PEER_PYTHON} is missing: run scripts/test (it creates .venv-peer with fastmcp==4.1.2)",
                    pytrace=False)
    return PEER_PYTHON


def write_manifest(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def quoted(path: Path | str) -> str:
    return json.dumps(str(path))


def stdio_remote(script: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """The `remote:` mapping (YAML flow style) that spawns `script` with the peer interpreter."""
    remote = {"command": str(PEER_PYTHON), "args": [str(script), *args]}
    if env:
        remote["env"] = env
    return json.dumps(remote)


def inspect_json(manifest: Path, env: dict[str, str] | None = None) -> dict:
    completed = run_manifold("inspect", str(manifest), "--json", env=env)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def inspect_text(manifest: Path, env: dict[str, str] | None = None) -> str:
    completed = run_manifold("inspect", str(manifest), env=env)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 30) -> None:
    """Polls until 127.0.0.1:port accepts connections (or the process died, or the deadline)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the backend exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.02)
    raise AssertionError(f"nothing listened on 127.0.0.1:{port} within {timeout}s")


class Backend:
    """A backend process listening on 127.0.0.1:port."""

    def __init__(self, args: list[str], port: int, env: dict[str, str] | None = None):
        self.port = port
        self.stderr = tempfile.TemporaryFile("w+b")
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=self.stderr, cwd=str(ROOT), env=env)
        try:
            wait_for_port(port, self.process)
        except AssertionError:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.stderr.close()


@pytest.fixture
def backends():
    """Starts HTTP backends: `backends(args..., port=P)`; all stopped at the end."""
    started: list[Backend] = []

    def start(*args: str, port: int, env: dict[str, str] | None = None) -> Backend:
        backend = Backend(list(args), port, env)
        started.append(backend)
        return backend

    yield start
    for backend in started:
        backend.stop()


def pids_in(path: Path) -> list[int]:
    if not path.exists():
        return []
    return [int(line) for line in path.read_text().split()]


def wait_until(check, timeout: float = 20, interval: float = 0.02):
    """Polls a synchronous `check()` until truthy (returned) or the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def exposed_names(report: dict, endpoint: int = 0) -> dict[str, set[str]]:
    """What `inspect --json` says an endpoint shows, by list."""
    visible = report["endpoints"][endpoint]["visible"]
    return {kind: set(names) for kind, names in visible.items()}


def env_with(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env
