"""The server mesh over stdio: FastMCP servers (real child processes) mounted as remotes under a
prefix beside native plugins (Math, Bench), through a real MCP client.

- The FastMCP peer host's tools answer correctly through Manifold; its filtered `wipe` stays
  hidden; calls to native mounts beside it are unaffected.
- Messages cross both ways, re-prefixed: progress and logs reach the client request that caused
  them; resources/updated reaches subscribers under the exposed URI; cancellation reaches the
  backend; `timeoutMs` bounds a call.
- Per-mount transforms on a remote: description override, fixed arguments (hidden from the
  schema, merged into the call), tool allow/deny lists.
"""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import pytest

from conftest import McpError, ProgressLog, connect, text_of
from test_mesh_support import (EVENTS, FASTMCP_HOST, PLUGINS, inspect_json, peer_python, quoted,  # noqa: F401
                               stdio_remote, wait_until, write_manifest)

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("manifold_bin", "peer_python")]


def mesh_manifest(folder: Path, *, events_env: dict[str, str] | None = None, events_extra: str = "") -> Path:
    return write_manifest(folder, "mesh.yaml", f"""
pluginFolders: [{quoted(PLUGINS)}]
mounts:
  - plugin: math
    prefix: math
  - plugin: bench
    prefix: bench
  - remote: {stdio_remote(FASTMCP_HOST, "stdio", "3", "4")}
    prefix: fm
  - remote: {stdio_remote(EVENTS, env=events_env)}
    prefix: ev
    excludeTags: [admin]
    timeoutMs: 3000
    descriptions: {{ greet: "Greets, the manifest's way." }}
    fixedArguments: {{ greet: {{ greeting: Howdy }} }}
    tools: {{ deny: [pid, "ro*"] }}
{events_extra}
""")


async def test_fastmcp_peer_beside_native_plugins(tmp_path):
    manifest = mesh_manifest(tmp_path)
    async with connect(manifest) as client:
        tools = {tool["name"]: tool for tool in await client.all_pages("tools")}
        # The peer's three sub-servers under fm_, its admin-tagged wipe filtered out by FastMCP.
        for i in range(3):
            assert {f"fm_p{i}_add", f"fm_p{i}_echo", f"fm_p{i}_t0"} <= tools.keys()
            assert f"fm_p{i}_wipe" not in tools
        assert "math_add" in tools and "bench_add" in tools
        assert text_of(await client.call_tool("fm_p1_add", {"a": 2, "b": 3})) == "5"
        assert text_of(await client.call_tool("fm_p2_echo", {"text": "héllo ✓"})) == "héllo ✓"
        assert text_of(await client.call_tool("fm_p0_t0", {"x": 41})) == "41"
        assert text_of(await client.call_tool("math_add", {"a": 2, "b": 3})) == "5"
        with pytest.raises(McpError) as refused:
            await client.call_tool("fm_p0_wipe", {})
        assert "Unknown tool" in str(refused.value.error.message)
        # Resources and prompts of the peer, re-prefixed.
        resources = {r["uri"] for r in await client.all_pages("resources")}
        assert "data://fm/p1/plugin1/config" in resources
        read = await client.read_resource("data://fm/p1/plugin1/config")
        assert read["contents"][0]["uri"] == "data://fm/p1/plugin1/config"
        assert read["contents"][0]["text"] == '{"v": 1}'
        prompt = await client.get_prompt("fm_p0_greet", {"name": "Ann"})
        assert prompt["messages"][0]["content"]["text"] == "Hello Ann"


async def test_progress_and_logs_reach_the_calling_request(tmp_path):
    async with connect(mesh_manifest(tmp_path)) as client:
        await client.set_level("info")
        progress = ProgressLog()
        result = await client.call_tool("ev_report", {"steps": 3}, progress=progress)
        assert text_of(result) == "done 3"
        updates = await progress.wait_count(3)
        assert [u["progress"] for u in updates] == [1, 2, 3]
        assert updates[-1]["total"] == 3 and updates[-1]["message"] == "step 3"
        logs = await client.received.wait_logs(1)
        assert any("reported 3 steps" in str(log.get("data")) for log in logs), logs


async def test_transforms_on_a_remote_mount(tmp_path):
    async with connect(mesh_manifest(tmp_path)) as client:
        tools = {tool["name"]: tool for tool in await client.all_pages("tools")}
        greet = tools["ev_greet"]
        assert greet["description"] == "Greets, the manifest's way."
        # The fixed argument is gone from the schema (properties and required)...
        assert "greeting" not in greet["inputSchema"]["properties"]
        assert set(greet["inputSchema"]["properties"]) == {"name", "punctuation"}
        assert greet["inputSchema"]["required"] == ["name"]
        # ...and merged into every call, whatever the client sends under its name.
        assert text_of(await client.call_tool("ev_greet", {"name": "Ann"})) == "Howdy, Ann!"
        assert text_of(await client.call_tool("ev_greet", {"name": "Bo", "punctuation": "?"})) == "Howdy, Bo?"
        assert text_of(await client.call_tool("ev_greet", {"greeting": "Bye", "name": "Cy"})) == "Howdy, Cy!"
        # tools.deny: an exact name and a glob; excludeTags still applies.
        assert "ev_pid" not in tools and "ev_roots" not in tools and "ev_wipe" not in tools
        assert {"ev_report", "ev_ask", "ev_confirm", "ev_sleep", "ev_touch", "ev_grow"} <= tools.keys()
    report = inspect_json(mesh_manifest(tmp_path))
    events = next(m for m in report["mounts"] if m["prefix"] == "ev")
    reasons = {r["name"]: r["reason"] for r in events["removed"]}
    assert reasons["pid"].startswith("denied by tools.deny 'pid'")
    assert reasons["roots"].startswith("denied by tools.deny 'ro*'")
    assert events["remotes"][0]["state"] == "connected"


async def test_cancellation_reaches_the_backend(tmp_path):
    log = tmp_path / "events.log"
    async with connect(mesh_manifest(tmp_path, events_env={"MESH_EVENTS_LOG": str(log)})) as client:
        async with anyio.create_task_group() as group:
            scope = anyio.CancelScope()

            async def call():
                with scope:
                    await client.call_tool("ev_sleep", {"seconds": 30})

            group.start_soon(call)
            # Cancel once the backend is running the call (it records its start).
            await anyio.to_thread.run_sync(lambda: wait_until(lambda: log.exists() and "started sleep" in log.read_text()))
            scope.cancel()  # the SDK sends notifications/cancelled for the request
        await anyio.to_thread.run_sync(lambda: wait_until(lambda: log.exists() and "cancelled sleep" in log.read_text()))
        # The session still serves.
        assert text_of(await client.call_tool("ev_greet", {"name": "Di"})) == "Howdy, Di!"


async def test_timeout_ms_bounds_a_remote_call(tmp_path):
    log = tmp_path / "events.log"
    async with connect(mesh_manifest(tmp_path, events_env={"MESH_EVENTS_LOG": str(log)})) as client:
        started = time.monotonic()
        with pytest.raises(McpError) as timed_out:
            await client.call_tool("ev_sleep", {"seconds": 20})
        elapsed = time.monotonic() - started
        assert 2.5 < elapsed < 8, elapsed
        assert "did not answer within 3.0s" in timed_out.value.error.message
        # The backend was told to stop.
        await anyio.to_thread.run_sync(lambda: wait_until(lambda: log.exists() and "cancelled sleep" in log.read_text()))


async def test_resource_updates_reach_subscribers_under_the_exposed_uri(tmp_path):
    async with connect(mesh_manifest(tmp_path)) as client:
        uris = {r["uri"] for r in await client.all_pages("resources")}
        assert "data://ev/events/counter" in uris
        await client.subscribe("data://ev/events/counter")
        assert text_of(await client.call_tool("ev_touch", {})) == "1"
        updated = await client.received.wait_for(lambda n: n.get("method") == "notifications/resources/updated")
        assert updated["params"]["uri"] == "data://ev/events/counter"
        read = await client.read_resource("data://ev/events/counter")
        assert read["contents"][0]["text"] == "1"
