"""Remote mounts over HTTP, through Manifold's own SwiftNIO client transports: Streamable HTTP
(POST with JSON or SSE answers, sessions, the GET stream) and the legacy HTTP+SSE transport.

Backends are real servers on 127.0.0.1 (a free port each, readiness polled): the FastMCP peer
host in its http mode (stateless, JSON answers), the FastMCP events server (sessions, SSE
answers carrying progress, logs and sampling on the request's own stream), the same over legacy
SSE, a gated copy that wants a bearer token and a header, and Manifold itself
(`manifold serve --http 127.0.0.1:0 --port-file F`), over both transports.
"""

from __future__ import annotations

import time

import anyio
import pytest

from conftest import HTTPServerProcess, McpError, ProgressLog, connect, count_notifications, text_of
from test_mesh_support import (AUTH_EVENTS, EVENTS, FASTMCP_HOST, PLUGINS, PEER_PYTHON, backends, env_with,  # noqa: F401
                               free_port, inspect_json, peer_python, quoted, wait_for_port, wait_until, write_manifest)

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("manifold_bin", "peer_python")]


def answer(text: str):
    def sample(request: dict) -> dict:
        return {"role": "assistant", "content": {"type": "text", "text": text}, "model": "m", "stopReason": "endTurn"}
    return sample


async def test_fastmcp_peer_over_streamable_http(tmp_path, backends):
    port = free_port()
    backends(str(PEER_PYTHON), str(FASTMCP_HOST), "http", str(port), "3", "4", port=port)
    manifest = write_manifest(tmp_path, "peer-http.yaml", f"""
pluginFolders: [{quoted(PLUGINS)}]
mounts:
  - plugin: math
    prefix: math
  - remote: {{ url: "http://127.0.0.1:{port}/mcp" }}
    prefix: fm
""")
    async with connect(manifest) as client:
        tools = {t["name"] for t in await client.all_pages("tools")}
        assert {"fm_p0_add", "fm_p1_echo", "fm_p2_t0", "math_add"} <= tools
        assert not any(name.endswith("_wipe") for name in tools)
        assert text_of(await client.call_tool("fm_p1_add", {"a": 2, "b": 3})) == "5"
        # Many calls at once share the keep-alive pool and each gets its own answer.
        results: dict[int, str] = {}

        async def add(i: int):
            results[i] = text_of(await client.call_tool("fm_p0_add", {"a": i, "b": 1000}))

        async with anyio.create_task_group() as group:
            for i in range(40):
                group.start_soon(add, i)
        assert results == {i: str(i + 1000) for i in range(40)}
        read = await client.read_resource("data://fm/p2/plugin2/config")
        assert read["contents"][0]["text"] == '{"v": 1}'


async def test_sessions_sse_answers_and_the_get_stream(tmp_path, backends):
    """The events server with sessions: progress, logs and sampling ride the request's own SSE
    stream back to the calling client; resources/updated (unrelated to a request) arrives on the
    GET stream; list_changed shows the new tool; `timeoutMs` bounds a call, and the backend is
    told to stop (notifications/cancelled)."""
    port = free_port()
    log = tmp_path / "events.log"
    backends(str(PEER_PYTHON), str(EVENTS), "http", str(port), port=port, env=env_with(MESH_EVENTS_LOG=str(log)))
    manifest = write_manifest(tmp_path, "events-http.yaml", f"""
mounts:
  - remote: {{ url: "http://127.0.0.1:{port}/mcp" }}
    prefix: ev
    excludeTags: [admin]
    timeoutMs: 2000
""")
    async with connect(manifest, sampling=answer("over http")) as client:
        await client.set_level("info")
        progress = ProgressLog()
        assert text_of(await client.call_tool("ev_report", {"steps": 2}, progress=progress)) == "done 2"
        assert [u["progress"] for u in await progress.wait_count(2)] == [1, 2]
        logs = await client.received.wait_logs(1)
        assert any("reported 2 steps" in str(log.get("data")) for log in logs)
        assert text_of(await client.call_tool("ev_ask", {"prompt": "hi"})) == "sampled: over http"

        await client.subscribe("data://ev/events/counter")
        assert text_of(await client.call_tool("ev_touch", {})) == "1"
        updated = await client.received.wait_for(lambda n: n.get("method") == "notifications/resources/updated")
        assert updated["params"]["uri"] == "data://ev/events/counter"

        changes = count_notifications(client)
        assert text_of(await client.call_tool("ev_grow", {"name": "late"})) == "added late"
        await client.received.wait_for(lambda n: n.get("method") == "notifications/tools/list_changed"
                                       and count_notifications(client) > changes)
        tools = {t["name"] for t in await client.all_pages("tools")}
        assert "ev_late" in tools
        assert text_of(await client.call_tool("ev_late", {})) == "grown"

        started = time.monotonic()
        with pytest.raises(McpError) as timed_out:
            await client.call_tool("ev_sleep", {"seconds": 20})
        assert 1.5 < time.monotonic() - started < 8
        assert "did not answer within 2.0s" in timed_out.value.error.message
        await anyio.to_thread.run_sync(lambda: wait_until(lambda: log.exists() and "cancelled sleep" in log.read_text()))


async def test_legacy_sse_backend(tmp_path, backends):
    port = free_port()
    backends(str(PEER_PYTHON), str(EVENTS), "sse", str(port), port=port)
    manifest = write_manifest(tmp_path, "events-sse.yaml", f"""
mounts:
  - remote: {{ url: "http://127.0.0.1:{port}/sse", transport: sse }}
    prefix: old
""")
    async with connect(manifest, sampling=answer("over sse")) as client:
        assert text_of(await client.call_tool("old_greet", {"name": "Ann"})) == "Hello, Ann!"
        progress = ProgressLog()
        assert text_of(await client.call_tool("old_report", {"steps": 2}, progress=progress)) == "done 2"
        assert len(await progress.wait_count(2)) == 2
        assert text_of(await client.call_tool("old_ask", {"prompt": "hi"})) == "sampled: over sse"
    report = inspect_json(manifest)
    [remote] = report["mounts"][0]["remotes"]
    assert remote["state"] == "connected" and remote["endpoint"].endswith("/sse (legacy SSE)")


async def test_headers_and_bearer_token_from_the_environment(tmp_path, backends):
    port = free_port()
    backends(str(PEER_PYTHON), str(AUTH_EVENTS), str(port), "s3cret-token", port=port)
    manifest = write_manifest(tmp_path, "gated.yaml", f"""
mounts:
  - remote:
      url: "http://127.0.0.1:{port}/mcp"
      headers: {{ X-Team: tools }}
      bearerTokenEnv: MESH_TEST_TOKEN
    prefix: gated
""")
    async with connect(manifest, env=env_with(MESH_TEST_TOKEN="s3cret-token")) as client:
        assert text_of(await client.call_tool("gated_greet", {"name": "Ann"})) == "Hello, Ann!"
        assert "s3cret-token" not in client.stderr()

    # A wrong token: the backend refuses, and inspect says why (without the token).
    report = inspect_json(manifest, env=env_with(MESH_TEST_TOKEN="wrong"))
    [remote] = report["mounts"][0]["remotes"]
    assert remote["state"] == "failing"
    assert remote["reason"] == "initialize failed: HTTP 401 Unauthorized: missing or wrong bearer token"
    # No token at all: the transport does not start.
    env = env_with()
    env.pop("MESH_TEST_TOKEN", None)
    report = inspect_json(manifest, env=env)
    [remote] = report["mounts"][0]["remotes"]
    assert "the environment variable MESH_TEST_TOKEN (bearerTokenEnv) is not set" in remote["reason"]


async def test_manifold_as_a_backend_over_both_transports(tmp_path, http_server):
    """Manifold's own HTTP endpoint as a remote of another Manifold: Streamable HTTP and the
    legacy /sse transport."""
    backend_manifest = write_manifest(tmp_path, "backend.yaml", f"""
pluginFolders: [{quoted(PLUGINS)}]
mounts:
  - plugin: math
    prefix: math
    excludeTags: [admin]
endpoints: []
""")
    backend = http_server(backend_manifest)
    front = write_manifest(tmp_path, "front.yaml", f"""
mounts:
  - remote: {{ url: "{backend.url}" }}
    prefix: far
  - remote: {{ url: "{backend.base}/sse", transport: sse }}
    prefix: old
""")
    async with connect(front) as client:
        tools = {t["name"] for t in await client.all_pages("tools")}
        assert {"far_math_add", "old_math_add"} <= tools
        assert "far_math_reset_memory" not in tools
        assert text_of(await client.call_tool("far_math_add", {"a": 2, "b": 3})) == "5"
        assert text_of(await client.call_tool("old_math_multiply", {"a": 6, "b": 7})) == "42"
        read = await client.read_resource("math://far/math/constants")
        assert read["contents"][0]["uri"] == "math://far/math/constants"


async def test_an_http_backend_that_goes_away_fails_fast_and_is_reconnected(tmp_path, backends):
    port = free_port()
    first = backends(str(PEER_PYTHON), str(EVENTS), "http", str(port), port=port)
    manifest = write_manifest(tmp_path, "flaky.yaml", f"""
pluginFolders: [{quoted(PLUGINS)}]
mounts:
  - plugin: math
    prefix: math
  - remote: {{ url: "http://127.0.0.1:{port}/mcp" }}
    prefix: ev
""")
    async with connect(manifest) as client:
        assert text_of(await client.call_tool("ev_greet", {"name": "Ann"})) == "Hello, Ann!"
        changes = count_notifications(client)
        first.process.kill()
        first.process.wait(timeout=10)
        # The next call finds the connection refused: an error at once, not a hang.
        started = time.monotonic()
        with pytest.raises(McpError):
            await client.call_tool("ev_greet", {"name": "Bo"}, timeout=5)
        assert time.monotonic() - started < 1.0
        assert text_of(await client.call_tool("math_add", {"a": 1, "b": 1})) == "2"
        # The server comes back on the same port: the mount reconnects (backoff) and its tools return.
        backends(str(PEER_PYTHON), str(EVENTS), "http", str(port), port=port)

        async def back() -> bool:
            try:
                return text_of(await client.call_tool("ev_greet", {"name": "Cy"})) == "Hello, Cy!"
            except McpError:
                return False

        with anyio.fail_after(30):
            while not await back():
                await client.received._changed.wait()
        assert count_notifications(client) >= changes + 2  # gone, then back
