"""mount vs import (DESIGN.md §6): `mount` is live — a backend's later changes show through and
are announced; `import` is a snapshot taken when the composition is built. Shown with a FastMCP
backend whose `grow` tool adds a tool at run time and sends tools/list_changed.
"""

from __future__ import annotations

import pytest

from conftest import McpError, connect, count_notifications, text_of, wait_notifications
from test_mesh_support import EVENTS, peer_python, stdio_remote, write_manifest  # noqa: F401

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("manifold_bin", "peer_python")]


async def test_a_mounted_backend_shows_new_tools_and_an_imported_one_does_not(tmp_path):
    manifest = write_manifest(tmp_path, "modes.yaml", f"""
mounts:
  - remote: {stdio_remote(EVENTS)}
    prefix: live
    mode: mount
  - remote: {stdio_remote(EVENTS)}
    prefix: snap
    mode: import
""")
    async with connect(manifest) as client:
        before = {t["name"] for t in await client.all_pages("tools")}
        assert {"live_grow", "snap_grow"} <= before
        changes = count_notifications(client)

        # The snapshot's backend grows: it says so, but the exposed list stays as it was imported.
        assert text_of(await client.call_tool("snap_grow", {"name": "extra"})) == "added extra"
        # The live backend grows: the new tool appears, announced with list_changed.
        assert text_of(await client.call_tool("live_grow", {"name": "extra"})) == "added extra"
        await wait_notifications(client, changes + 1)
        after = {t["name"] for t in await client.all_pages("tools")}
        assert after - before == {"live_extra"}
        assert text_of(await client.call_tool("live_extra", {})) == "grown"
        with pytest.raises(McpError) as unknown:
            await client.call_tool("snap_extra", {})
        assert "Unknown tool" in unknown.value.error.message
        # The imported mount still serves what it imported (its backend is live behind it).
        assert text_of(await client.call_tool("snap_greet", {"name": "Ann"})) == "Hello, Ann!"
        await client.ping()
        assert count_notifications(client) == changes + 1, client.received.methods()
