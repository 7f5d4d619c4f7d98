"""Fail-open (DESIGN.md §6): a remote backend killed with SIGKILL while a client keeps calling
other mounts. Those calls keep succeeding; calls to the dead backend fail at once (never hang);
the backend is respawned and its tools come back, announced with tools/list_changed.
"""

from __future__ import annotations

import os
import re
import signal
import time

import anyio
import pytest

from conftest import McpError, connect, text_of, wait_notifications, count_notifications
from test_mesh_support import (EVENTS, PLUGINS, inspect_text, peer_python, pids_in, quoted,  # noqa: F401
                               stdio_remote, wait_until, write_manifest)

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("manifold_bin", "peer_python")]


async def test_a_killed_backend_fails_fast_and_comes_back(tmp_path):
    pid_file = tmp_path / "pids"
    manifest = write_manifest(tmp_path, "crash.yaml", f"""
pluginFolders: [{quoted(PLUGINS)}]
mounts:
  - plugin: math
    prefix: math
  - remote: {stdio_remote(EVENTS, env={"MESH_PID_FILE": str(pid_file)})}
    prefix: ev
""")
    async with connect(manifest) as client:
        assert text_of(await client.call_tool("ev_greet", {"name": "Ann"})) == "Hello, Ann!"
        [first_pid] = pids_in(pid_file)
        before = count_notifications(client)

        stop = anyio.Event()
        other_calls = {"ok": 0}

        async def keep_calling_math():
            while not stop.is_set():
                result = await client.call_tool("math_add", {"a": 20, "b": 22}, timeout=5)
                assert text_of(result) == "42"
                other_calls["ok"] += 1
                await anyio.sleep(0.01)

        async with anyio.create_task_group() as group:
            group.start_soon(keep_calling_math)
            await anyio.sleep(0.2)
            os.kill(first_pid, signal.SIGKILL)

            # Calls to the dead backend fail with an error at once, each well under a second:
            # "crashed" / "disconnected" while it is down, "Unknown tool" once its tools left the list.
            failures = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and len(failures) < 5:
                started = time.monotonic()
                try:
                    await client.call_tool("ev_greet", {"name": "Bo"}, timeout=5)
                    await anyio.sleep(0.02)  # the kill has not landed yet
                    continue
                except McpError as error:
                    elapsed = time.monotonic() - started
                    assert elapsed < 1.0, f"a call to the dead backend took {elapsed:.2f}s"
                    message = error.error.message
                    assert any(word in message for word in ("crashed", "disconnected", "Unknown tool", "not available")), message
                    failures.append(message)
            assert failures, "calls to the killed backend kept succeeding"

            # The backend is respawned (a new pid), and its tools come back with list_changed.
            await anyio.to_thread.run_sync(lambda: wait_until(lambda: len(pids_in(pid_file)) >= 2, timeout=30))
            await wait_notifications(client, before + 2, timeout=30)  # gone, then back

            async def back():
                tools = {t["name"] for t in await client.all_pages("tools")}
                return "ev_greet" in tools

            with anyio.fail_after(30):
                while not await back():
                    await client.received._changed.wait()
            assert text_of(await client.call_tool("ev_greet", {"name": "Cy"})) == "Hello, Cy!"
            stop.set()

        assert other_calls["ok"] > 10, other_calls
        [_, second_pid] = pids_in(pid_file)[:2]
        assert second_pid != first_pid
        assert "was killed by signal 9 (SIGKILL)" in client.stderr()


async def test_inspect_shows_a_failing_remote_and_why(tmp_path):
    """A remote that cannot start: inspect says so, with the reason and the next attempt."""
    manifest = write_manifest(tmp_path, "failing.yaml", f"""
pluginFolders: [{quoted(PLUGINS)}]
mounts:
  - plugin: math
    prefix: math
  - remote: {{ command: python3, args: ["-c", "import sys; sys.exit(1)"] }}
    prefix: broken
""")
    text = inspect_text(manifest)
    assert re.search(r"connection: disconnected: 'python3' exited with status 1; "
                     r"(retrying in \d+\.\ds|reconnecting \(attempt \d+\))", text), text
    from test_mesh_support import inspect_json

    report = inspect_json(manifest)
    broken = next(m for m in report["mounts"] if m["prefix"] == "broken")
    [remote] = broken["remotes"]
    assert remote["state"] == "failing"
    assert remote["reason"] == "'python3' exited with status 1"
    assert remote["endpoint"] == "python3 -c import sys; sys.exit(1)"
    # Between attempts it says when the next one is; during one, which attempt it is.
    assert remote["retryInSeconds"] is None or float(remote["retryInSeconds"]) >= 0
    assert remote["status"].startswith("disconnected: 'python3' exited with status 1; ")
    assert any("broken" in problem or "python3" in problem for problem in report["problems"])
    math = next(m for m in report["mounts"] if m["prefix"] == "math")
    assert math["state"] == "ready" and math["remotes"] == []


# A hand-written stdio MCP server that answers the handshake and tools/list, then closes its
# stdin while staying alive: the host's next write to it meets a pipe with no reader.
DEAF_SERVER = r'''
import json, os, sys, time
for line in sys.stdin:
    message = json.loads(line)
    if message.get("method") == "initialize":
        result = {"protocolVersion": message["params"]["protocolVersion"], "capabilities": {"tools": {}},
                  "serverInfo": {"name": "deaf", "version": "1"}}
    elif message.get("method") == "tools/list":
        result = {"tools": [{"name": "hello", "inputSchema": {"type": "object"}}]}
    else:
        continue
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}) + "\n")
    sys.stdout.flush()
    if message.get("method") == "tools/list":
        break
os.close(0)
time.sleep(30)
'''


async def test_a_backend_that_stops_reading_fails_its_call_at_once(tmp_path):
    """Writing to a backend whose stdin is closed (EPIPE) must not kill the host with SIGPIPE,
    and must not leave the call waiting for an answer that cannot come: the host stops that
    backend and the call fails at once, saying why; the other mounts keep answering."""
    script = tmp_path / "deaf.py"
    script.write_text(DEAF_SERVER)
    manifest = write_manifest(tmp_path, "deaf.yaml", f"""
pluginFolders: [{quoted(PLUGINS)}]
mounts:
  - plugin: math
    prefix: math
  - remote: {stdio_remote(script)}
    prefix: deaf
""")
    async with connect(manifest) as client:
        assert text_of(await client.call_tool("math_add", {"a": 1, "b": 2})) == "3"
        before = count_notifications(client)
        started = time.monotonic()
        with pytest.raises(McpError) as raised:
            await client.call_tool("deaf_hello", {}, timeout=20)
        elapsed = time.monotonic() - started
        # The host's SIGTERM ends the deaf server (it does not handle it), well before the
        # two-second SIGKILL and the client's timeout.
        assert elapsed < 2.0, f"the call to the deaf backend took {elapsed:.2f}s"
        assert "stopped reading its input" in raised.value.error.message, raised.value.error.message
        assert text_of(await client.call_tool("math_add", {"a": 20, "b": 22})) == "42"
        assert "' stopped reading its input (Broken pipe)" in client.stderr()
        # The stopped backend's tools leave the list and come back once it is restarted: both
        # list_changed notifications arrive before the session ends (an SDK client closing while
        # one is still being delivered fails in its reader task).
        await wait_notifications(client, before + 2, timeout=30)
