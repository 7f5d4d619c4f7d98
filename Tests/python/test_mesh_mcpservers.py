"""`mcpServers` files (the Claude Desktop / Cursor format) mounted as a group: each server under
its key as prefix, inside the mount's own prefix; per-server options from the mount's
`options.servers`; a broken, unusable or disabled server never stops the others.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import McpError, connect, text_of
from test_mesh_support import (EVENTS, FASTMCP_HOST, PEER_PYTHON, PLUGINS, backends, free_port, inspect_json,  # noqa: F401
                               inspect_text, peer_python, write_manifest)

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("manifold_bin", "peer_python")]


async def test_an_mcpservers_file_as_a_group(tmp_path, backends):
    peer_port, sse_port = free_port(), free_port()
    backends(str(PEER_PYTHON), str(FASTMCP_HOST), "http", str(peer_port), "2", "4", port=peer_port)
    backends(str(PEER_PYTHON), str(EVENTS), "sse", str(sse_port), port=sse_port)
    (tmp_path / "mcp.json").write_text(json.dumps({
        "mcpServers": {
            "events": {"command": str(PEER_PYTHON), "args": [str(EVENTS)], "env": {"UNUSED": 1},
                       "autoApprove": ["greet"]},
            "peer": {"url": f"http://127.0.0.1:{peer_port}/mcp", "headers": {"X-Client": "manifold"}},
            "legacy": {"url": f"http://127.0.0.1:{sse_port}/sse", "type": "sse"},
            "broken": {"command": "python3", "args": ["-c", "import sys; sys.exit(3)"]},
            "unusable": {"args": ["no command, no url"]},
            "off": {"command": "does-not-exist", "disabled": True},
            "skipped": {"command": "does-not-exist-either"},
        }
    }, indent=2))
    manifest = write_manifest(tmp_path, "group.yaml", """
mounts:
  - mcpServers: mcp.json
    prefix: ext
    options:
      servers:
        events: { excludeTags: [admin], tools: { deny: [pid, "ro*"] } }
        peer: { tools: { allow: ["p0_*"] } }
        legacy: { tools: { allow: [greet] } }
        skipped: { disabled: true }
""")
    async with connect(manifest) as client:
        tools = {t["name"] for t in await client.all_pages("tools")}
        assert {"ext_events_greet", "ext_events_report", "ext_peer_p0_add", "ext_peer_p0_echo",
                "ext_legacy_greet"} <= tools
        assert not {"ext_events_wipe", "ext_events_pid", "ext_events_roots"} & tools
        assert not any(name.startswith("ext_peer_p1_") for name in tools)
        assert [name for name in tools if name.startswith("ext_legacy_")] == ["ext_legacy_greet"]
        assert not any(name.startswith(("ext_broken_", "ext_unusable_", "ext_off_", "ext_skipped_")) for name in tools)
        assert text_of(await client.call_tool("ext_peer_p0_add", {"a": 2, "b": 3})) == "5"
        assert text_of(await client.call_tool("ext_events_greet", {"name": "Ann"})) == "Hello, Ann!"
        assert text_of(await client.call_tool("ext_legacy_greet", {"name": "Bo"})) == "Hello, Bo!"
        with pytest.raises(McpError):
            await client.call_tool("ext_broken_anything", {})

    report = inspect_json(manifest)
    [group] = report["mounts"]
    states = {remote["label"]: remote for remote in group["remotes"]}
    assert states["server 'events' (mcp.json)"]["state"] == "connected"
    assert states["server 'peer' (mcp.json)"]["state"] == "connected"
    assert states["server 'legacy' (mcp.json)"]["state"] == "connected"
    broken = states["server 'broken' (mcp.json)"]
    assert broken["state"] == "failing" and broken["reason"] == "'python3' exited with status 3"
    assert not any("'off'" in label or "'skipped'" in label for label in states)
    assert any("needs a 'command'" in problem and "unusable" in problem for problem in report["problems"]), report["problems"]
    assert group["state"].startswith("degraded:")
    text = inspect_text(manifest)
    assert re.search(r"server 'broken' \(mcp\.json\) — python3 -c import sys; sys\.exit\(3\)   connection: "
                     r"disconnected: 'python3' exited with status 3; (retrying in \d+\.\ds|reconnecting \(attempt \d+\))",
                     text), text


async def test_an_unreadable_mcpservers_file_fails_only_its_mount(tmp_path):
    (tmp_path / "bad.json").write_text('{"servers_typo": {}}')
    manifest = write_manifest(tmp_path, "bad-group.yaml", f"""
pluginFolders: [{json.dumps(str(PLUGINS))}]
mounts:
  - plugin: math
    prefix: math
  - mcpServers: bad.json
""")
    async with connect(manifest) as client:
        assert text_of(await client.call_tool("math_add", {"a": 1, "b": 2})) == "3"
    report = inspect_json(manifest)
    assert any("top-level \"mcpServers\" object" in problem for problem in report["problems"]), report["problems"]
