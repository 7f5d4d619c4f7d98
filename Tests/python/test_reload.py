"""Hot reload through a real client over stdio (docs/RELOAD.md).

- A plugin's library replaced 20 times while a background task calls it in a loop: no failed or
  wrong answer, every answer from one of the two builds, after each swap new calls get the new
  build, a tools/list_changed each time, and the host's memory stays bounded.
- A plugin dropped into a drop-in folder is announced within 200 ms and callable; removed, it is
  gone with a list_changed.
- The host manifest is reloaded when it changes: a new mount appears, loaded plugins are reused,
  a manifest that does not parse is reported (file:line) and the running composition kept.

The two builds are compiled here from the Crashy fixture's C source with different variants
("a" and "b"): `flip_version` answers the variant and every tool description carries it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import anyio
import pytest

from conftest import (
    MANIFESTS,
    McpError,
    compile_crashy,
    connect,
    count_notifications,
    eventually,
    mapped_files,
    rss_kib,
    server_pid,
    text_of,
    wait_notifications,
    write_atomically,
)

MATH_MANIFEST = MANIFESTS.parent / "Plugins" / "Math" / "math.plugin.yaml"
SWAPS = 20
#: The bound on memory growth: RSS after 20 reloads may exceed RSS after the first by at most
#: this much (each reload maps no new image once both builds were seen — they are loaded from
#: their content-addressed copies — and every replaced instance is shut down).
RSS_GROWTH_BOUND_KIB = 16 * 1024


async def tools_of(client) -> set[str]:
    return {tool["name"] for tool in await client.all_pages("tools")}


@pytest.mark.anyio
@pytest.mark.parametrize("unloadable", [
    False,
    # dlclose after shutdown is off (NativePluginLoader.unloadingEnabled): a pool thread whose
    # call completed inside `call` can still be returning through the closed image's code.
    pytest.param(True, marks=pytest.mark.skip(reason="unloading is disabled until calls are counted inside `call`")),
], ids=["pinned", "unloadable"])
async def test_library_replaced_20_times_under_continuous_load(tmp_path, reload_env, manifold_bin, unloadable):
    builds = {variant: compile_crashy(tmp_path / "builds" / f"libflip-{variant}.so", variant=variant, plugin_id="flip",
                                      unloadable=unloadable)
              for variant in ("a", "b")}
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    library = plugins / "libflip.so"
    write_atomically(library, builds["a"].read_bytes())
    (plugins / "flip.plugin.yaml").write_text("kind: plugin\nid: flip\nlibrary: libflip.so\n")
    host = tmp_path / "host.yaml"
    host.write_text(f"""
pluginFolders: [plugins]
mounts:
  - plugin: flip
    prefix: flip
  - plugin: {MATH_MANIFEST}
    prefix: math
""")
    async with connect(host, env=reload_env, extra_args=("--log-level", "info")) as client:
        assert text_of(await client.call_tool("flip_version")) == "a"
        pid = server_pid(host)
        answers: list[str] = []
        failures: list[str] = []
        stop = anyio.Event()

        async def load():
            while not stop.is_set():
                try:
                    result = await client.call_tool("flip_version")
                    if result.get("isError"):
                        failures.append(f"tool error: {result}")
                    answers.append(text_of(result))
                except Exception as error:  # noqa: BLE001 - every failure is a test failure
                    failures.append(repr(error))

        rss_after_first = None
        async with anyio.create_task_group() as group:
            group.start_soon(load)
            for swap in range(1, SWAPS + 1):
                variant = "b" if swap % 2 else "a"
                announced = count_notifications(client)
                if swap % 4 in (1, 2):
                    write_atomically(library, builds[variant].read_bytes())   # renamed into place
                else:
                    with open(library, "r+b") as handle:                      # `cp` over it, in place
                        handle.truncate(0)
                        handle.write(builds[variant].read_bytes())
                await wait_notifications(client, announced + 1)
                # After the announcement every new call gets the new build.
                for _ in range(3):
                    assert text_of(await client.call_tool("flip_version")) == variant, f"swap {swap}"
                descriptions = {t["name"]: t.get("description", "") for t in await client.all_pages("tools")}
                assert descriptions["flip_ok"].endswith(f"({variant})"), descriptions["flip_ok"]
                if swap == 1:
                    rss_after_first = rss_kib(pid)
            stop.set()

        assert failures == [], failures[:5]
        assert len(answers) > SWAPS, f"the load loop made only {len(answers)} calls"
        assert set(answers) <= {"a", "b"}, set(answers)
        assert {"a", "b"} <= set(answers)
        assert count_notifications(client) >= SWAPS
        rss_after_last = rss_kib(pid)
        assert rss_after_first is not None
        assert rss_after_last - rss_after_first <= RSS_GROWTH_BOUND_KIB, \
            f"RSS grew from {rss_after_first} KiB to {rss_after_last} KiB over {SWAPS - 1} reloads"
        print(f"{len(answers)} calls during {SWAPS} swaps; RSS after the first reload {rss_after_first} KiB, "
              f"after the last {rss_after_last} KiB")
        # The other plugin was never disturbed.
        assert text_of(await client.call_tool("math_add", {"a": 2, "b": 3})) == "5"

        # Bounded on disk: once the last replaced instance is shut down, its content-addressed
        # copy is deleted — one copy of flip is left in the cache. In memory: a pinned image is
        # never unmapped, but the two builds are two images in all; an unloadable (pure-C) one
        # is closed after its shutdown — one image is left.
        libs = Path(reload_env["MANIFOLD_CACHE_DIR"]) / "libs"

        async def one_copy_left():
            return len(list(libs.glob("*-libflip.so"))) == 1
        assert await eventually(one_copy_left), sorted(p.name for p in libs.iterdir())
        flip_images = {f for f in mapped_files(pid, libs) if f.endswith("-libflip.so")}
        if unloadable:
            async def one_image_mapped():
                return len({f for f in mapped_files(pid, libs) if f.endswith("-libflip.so")}) == 1
            assert await eventually(one_image_mapped), mapped_files(pid, libs)
        else:
            assert len(flip_images) == 2, flip_images
    assert client.stderr().count("reloaded plugin 'flip'") >= SWAPS


@pytest.mark.anyio
async def test_drop_in_is_announced_within_200ms_and_removal_unmounts_it(tmp_path, reload_env, crashy_library,
                                                                          manifold_bin):
    drop = tmp_path / "drop"
    drop.mkdir()
    host = tmp_path / "host.yaml"
    host.write_text(f"""
dropIns:
  - folder: drop
mounts:
  - plugin: {MATH_MANIFEST}
    prefix: math
""")
    manifest_text = f"kind: plugin\nid: crashy\nlibrary: {crashy_library}\n"
    async with connect(host, env=reload_env) as client:
        assert not any(name.startswith("crashy_") for name in await tools_of(client))

        # The first drop of a library this host has never seen: it is discovered in a runner.
        announced = count_notifications(client)
        started = time.monotonic()
        write_atomically(drop / "crashy.plugin.yaml", manifest_text)
        await wait_notifications(client, announced + 1)
        first_drop = time.monotonic() - started
        # Includes discovering the new library in a runner child; bounded more loosely than the
        # 200 ms below, which is for a library the host has already vetted.
        assert first_drop < 0.5, f"first drop announced after {first_drop * 1000:.0f} ms"
        assert "crashy_ok" in await tools_of(client)
        assert text_of(await client.call_tool("crashy_ok")) == "ok built-in"

        announced = count_notifications(client)
        os.unlink(drop / "crashy.plugin.yaml")
        await wait_notifications(client, announced + 1)
        assert not any(name.startswith("crashy_") for name in await tools_of(client))
        with pytest.raises(McpError):
            await client.call_tool("crashy_ok")

        # Dropped again (the library is known now): announced within 200 ms of the rename.
        announced = count_notifications(client)
        started = time.monotonic()
        os.rename(_staged(drop, manifest_text), drop / "crashy.plugin.yaml")
        await wait_notifications(client, announced + 1, timeout=5)
        elapsed = time.monotonic() - started
        assert elapsed < 0.2, f"list_changed {elapsed * 1000:.0f} ms after the rename (first drop: {first_drop * 1000:.0f} ms)"
        assert text_of(await client.call_tool("crashy_ok")) == "ok built-in"
        assert text_of(await client.call_tool("math_add", {"a": 1, "b": 1})) == "2"
        print(f"drop-in announced {elapsed * 1000:.0f} ms after the rename "
              f"(first drop with discovery in a runner: {first_drop * 1000:.0f} ms)")


def _staged(folder: Path, text: str) -> Path:
    staged = folder / ".crashy.plugin.yaml.staged"
    staged.write_text(text)
    return staged


@pytest.mark.anyio
async def test_host_manifest_changes_are_applied_and_a_broken_one_is_reported(tmp_path, reload_env, crashy_library,
                                                                              manifold_bin):
    (tmp_path / "crashy.plugin.yaml").write_text(f"kind: plugin\nid: crashy\nlibrary: {crashy_library}\n")
    host = tmp_path / "host.yaml"
    base = f"""
mounts:
  - plugin: {MATH_MANIFEST}
    prefix: math
"""
    host.write_text(base)
    async with connect(host, env=reload_env, extra_args=("--log-level", "info")) as client:
        assert not any(name.startswith("c_") for name in await tools_of(client))

        # A mount added to the manifest: loaded and announced.
        announced = count_notifications(client)
        write_atomically(host, base + "  - plugin: ./crashy.plugin.yaml\n    prefix: c\n")
        await wait_notifications(client, announced + 1)
        assert {"c_ok", "math_add"} <= await tools_of(client)

        # A manifest that does not parse: reported with file:line and key, nothing changes.
        write_atomically(host, base + "  - plugin: ./crashy.plugin.yaml\n    prefx: c\n")
        await eventually(lambda: _async(lambda: "host manifest not reloaded" in client.stderr()))
        line = next(line for line in client.stderr().splitlines() if "host manifest not reloaded" in line)
        assert f"{host}:6:" in line and "prefx" in line, line
        assert {"c_ok", "math_add"} <= await tools_of(client)
        assert text_of(await client.call_tool("c_ok")) == "ok built-in"

        # SIGHUP reloads too (here: after fixing the manifest to drop the mount again).
        announced = count_notifications(client)
        host.write_text(base)   # in place; the watcher sees it when it is closed
        await wait_notifications(client, announced + 1)
        assert not any(name.startswith("c_") for name in await tools_of(client))
        os.kill(server_pid(host), 1)
        assert text_of(await client.call_tool("math_add", {"a": 2, "b": 2})) == "4"
        await eventually(lambda: _async(lambda: "reloading (SIGHUP)" in client.stderr()))


async def _async(fn):
    return fn()


@pytest.mark.anyio
async def test_an_endpoint_filter_changed_in_the_host_manifest_applies_to_the_open_session(tmp_path, reload_env,
                                                                                          manifold_bin):
    host = tmp_path / "host.yaml"

    def manifest(endpoint_filter: str) -> str:
        return f"""
mounts:
  - plugin: {MATH_MANIFEST}
    prefix: math
endpoints:
  - stdio: {{}}
    filter: {endpoint_filter}
"""
    host.write_text(manifest("not admin"))
    async with connect(host, env=reload_env, extra_args=("--log-level", "info")) as client:
        tools = await tools_of(client)
        assert "math_add" in tools and "math_reset_memory" not in tools

        # The filter widened: the session that is already open sees the admin tool, with list_changed.
        announced = count_notifications(client)
        write_atomically(host, manifest("public or admin"))
        await wait_notifications(client, announced + 1)
        assert {"math_add", "math_reset_memory"} <= await tools_of(client)
        await client.call_tool("math_reset_memory")

        # Narrowed: the hidden tool is gone from the list and cannot be called.
        announced = count_notifications(client)
        write_atomically(host, manifest("admin"))
        await wait_notifications(client, announced + 1)
        assert await tools_of(client) == {"math_reset_memory"}
        with pytest.raises(McpError):
            await client.call_tool("math_add", {"a": 1, "b": 2})
        assert "endpoints were added, removed or changed" not in client.stderr()


@pytest.mark.anyio
async def test_an_isolated_plugin_reloads_by_restarting_its_runner(tmp_path, reload_env, manifold_bin):
    builds = {variant: compile_crashy(tmp_path / "builds" / f"libiso-{variant}.so", variant=variant, plugin_id="iso")
              for variant in ("a", "b")}
    library = tmp_path / "libiso.so"
    write_atomically(library, builds["a"].read_bytes())
    (tmp_path / "iso.plugin.yaml").write_text("kind: plugin\nid: iso\nlibrary: libiso.so\nexecution: isolated\n")
    host = tmp_path / "host.yaml"
    host.write_text("mounts:\n  - plugin: ./iso.plugin.yaml\n    prefix: iso\n")
    async with connect(host, env=reload_env) as client:
        assert text_of(await client.call_tool("iso_version")) == "a"
        for variant in ("b", "a"):
            announced = count_notifications(client)
            write_atomically(library, builds[variant].read_bytes())
            await wait_notifications(client, announced + 1)
            assert text_of(await client.call_tool("iso_version")) == variant


@pytest.mark.anyio
async def test_a_new_build_that_crashes_is_refused_and_the_old_one_keeps_serving(tmp_path, reload_env, manifold_bin):
    good = compile_crashy(tmp_path / "builds" / "libflip-good.so", variant="good", plugin_id="flip")
    bad = compile_crashy(tmp_path / "builds" / "libflip-bad.so", variant="bad", plugin_id="flip", init_segfault=True)
    library = tmp_path / "libflip.so"
    write_atomically(library, good.read_bytes())
    (tmp_path / "flip.plugin.yaml").write_text("kind: plugin\nid: flip\nlibrary: libflip.so\n")   # in-process
    host = tmp_path / "host.yaml"
    host.write_text("mounts:\n  - plugin: ./flip.plugin.yaml\n    prefix: flip\n")
    async with connect(host, env=reload_env) as client:
        assert text_of(await client.call_tool("flip_version")) == "good"
        write_atomically(library, bad.read_bytes())
        await eventually(lambda: _async(lambda: "crashed during discovery: killed by signal 11 (SIGSEGV)" in client.stderr()))
        line = next(line for line in client.stderr().splitlines() if "crashed during discovery" in line)
        assert "plugin 'flip'" in line, line
        assert "the previous build keeps serving" in client.stderr()
        assert text_of(await client.call_tool("flip_version")) == "good"
        # Fixed again: the good build is back (it was never unloaded; the swap is to its new instance).
        announced = count_notifications(client)
        write_atomically(library, compile_crashy(tmp_path / "builds" / "libflip-fixed.so", variant="fixed",
                                                 plugin_id="flip").read_bytes())
        await wait_notifications(client, announced + 1)
        assert text_of(await client.call_tool("flip_version")) == "fixed"
