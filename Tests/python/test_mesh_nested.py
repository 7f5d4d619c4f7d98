"""A composition three levels deep — host → nested manifest → nested manifest holding a remote
FastMCP server and a native plugin — with filters and allow/deny lists at every level: a real
client sees exactly the names `manifold inspect --json` prints.
"""

from __future__ import annotations

import pytest

from conftest import connect, text_of
from test_mesh_support import (EVENTS, PLUGINS, exposed_names, inspect_json, peer_python, quoted,  # noqa: F401
                               stdio_remote, write_manifest)

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("manifold_bin", "peer_python")]


async def test_three_levels_expose_exactly_what_inspect_prints(tmp_path):
    write_manifest(tmp_path, "level3.yaml", f"""
mounts:
  - remote: {stdio_remote(EVENTS)}
    prefix: ev
    tools: {{ allow: [greet, report, "s*", wipe] }}
    rename: {{ greet: hello_tool }}
  - plugin: math
    prefix: math
    excludeTags: [admin]
""")
    write_manifest(tmp_path, "level2.yaml", """
mounts:
  - manifest: level3.yaml
    prefix: inner
    addTags: [inner]
    tools: { deny: ["math_sq*"] }
""")
    host = write_manifest(tmp_path, "host.yaml", f"""
pluginFolders: [{quoted(PLUGINS)}]
mounts:
  - manifest: level2.yaml
    prefix: team
    filter: "not admin"
  - plugin: bench
    prefix: bench
    includeTags: [public]
""")
    report = inspect_json(host)
    expected = exposed_names(report)
    async with connect(host) as client:
        seen = {
            "tools": {t["name"] for t in await client.all_pages("tools")},
            "resources": {r["uri"] for r in await client.all_pages("resources")},
            "resourceTemplates": {t["uriTemplate"] for t in await client.all_pages("resourceTemplates")},
            "prompts": {p["name"] for p in await client.all_pages("prompts")},
        }
        assert seen == expected
        # What each level kept, spelled out.
        assert seen["tools"] == {
            "team_inner_ev_hello_tool", "team_inner_ev_report", "team_inner_ev_sleep",
            "team_inner_math_add", "team_inner_math_multiply", "team_inner_math_divide", "team_inner_math_hello",
            "bench_add", "bench_echo",
        }
        assert "team_inner_ev_hello" in seen["prompts"]
        assert "data://team/inner/ev/events/counter" in seen["resources"]
        assert text_of(await client.call_tool("team_inner_ev_hello_tool", {"name": "Ann"})) == "Hello, Ann!"
        assert text_of(await client.call_tool("team_inner_math_add", {"a": 1, "b": 2})) == "3"
        read = await client.read_resource("data://team/inner/ev/events/counter")
        assert read["contents"][0]["uri"] == "data://team/inner/ev/events/counter"
    # Where things went, per inspect: the filter at the top removed wipe (admin), the allow list
    # at the bottom removed the tools it does not name, the deny list in the middle math_sqrt.
    team = next(m for m in report["mounts"] if m["prefix"] == "team")
    reasons = {r["name"]: r["reason"] for r in team["removed"]}
    # (inspect names a component as it was called where it was removed.)
    assert "does not match 'not admin'" in reasons["inner_ev_wipe"]
    assert reasons["ask"].startswith("not in tools.allow")
    assert reasons["math_sqrt"].startswith("denied by tools.deny 'math_sq*'")
    assert [r["state"] for r in team["remotes"]] == ["connected"]
