"""Crash containment through a real client over stdio (docs/RELOAD.md, DESIGN.md §3).

- An isolated plugin (FixtureCrashy in a runner child) crashes while another plugin is under
  load: the other plugin's calls lose nothing, the crashing call fails at once with an error
  naming the plugin and SIGSEGV, and the plugin comes back.
- Crashing again and again is a crash loop: the plugin is marked failed — in
  `manifold inspect --live` and by its tools leaving the list with list_changed.
- The runner's limits from the plugin manifest work: callTimeoutMs, cpuSeconds, addressSpaceMB.
- A plugin that crashes during discovery (its init segfaults; mounted in-process) never takes
  the host down: the host names the plugin and the cause, keeps serving the rest, and refuses
  that library again at the next launch without running it.
"""

from __future__ import annotations

import json
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
    run_manifold,
    text_of,
    wait_notifications,
    write_atomically,
)

MATH_MANIFEST = MANIFESTS.parent / "Plugins" / "Math" / "math.plugin.yaml"
#: How soon a call in flight must fail when its plugin's runner dies.
PROMPT = 2.0


def isolated_host(tmp_path: Path, library: Path, limits: str = "") -> Path:
    (tmp_path / "crashy.plugin.yaml").write_text(
        f"kind: plugin\nid: crashy\nlibrary: {library}\nexecution: isolated\n{limits}")
    host = tmp_path / "host.yaml"
    host.write_text(f"""
mounts:
  - plugin: {MATH_MANIFEST}
    prefix: math
  - plugin: ./crashy.plugin.yaml
    prefix: crashy
""")
    return host


async def tool_names(client) -> set[str]:
    return {tool["name"] for tool in await client.all_pages("tools")}


async def crash_once(client) -> McpError:
    """Calls `crashy_crash`: it must fail promptly, naming the plugin and the signal."""
    started = time.monotonic()
    with pytest.raises(McpError) as caught:
        await client.call_tool("crashy_crash", timeout=10)
    elapsed = time.monotonic() - started
    message = caught.value.error.message
    assert elapsed < PROMPT, f"the crashed call failed after {elapsed:.2f}s"
    assert "plugin 'crashy'" in message and "SIGSEGV" in message, message
    return caught.value


async def back_up(client) -> None:
    """Waits (polling with a deadline) until the restarted runner answers again."""
    async def answers():
        return text_of(await client.call_tool("crashy_ok", timeout=5)) == "ok built-in"
    await eventually(answers, timeout=15, interval=0.05)


@pytest.mark.anyio
async def test_a_crash_costs_only_the_crashing_call_and_the_plugin_comes_back(tmp_path, reload_env, crashy_library,
                                                                             manifold_bin):
    host = isolated_host(tmp_path, crashy_library)
    async with connect(host, env=reload_env) as client:
        assert {"crashy_ok", "crashy_crash", "math_add"} <= await tool_names(client)
        assert text_of(await client.call_tool("crashy_ok")) == "ok built-in"
        results: list[tuple[int, str]] = []
        failures: list[str] = []
        stop = anyio.Event()

        async def load(worker: int):
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    answer = text_of(await client.call_tool("math_add", {"a": worker, "b": n}))
                    if answer != str(worker + n):
                        failures.append(f"wrong answer {answer} for {worker}+{n}")
                    results.append((worker, n))
                except Exception as error:  # noqa: BLE001 - any failure of the other plugin is a test failure
                    failures.append(repr(error))

        async with anyio.create_task_group() as group:
            for worker in range(4):
                group.start_soon(load, worker)
            # A crash while another call of the same plugin is in flight: both fail at once.
            blocked_error: list[str] = []
            blocked_done = anyio.Event()

            async def blocked_call():
                try:
                    await client.call_tool("crashy_block", timeout=10)
                    blocked_error.append("the blocked call answered")
                except McpError as error:
                    blocked_error.append(error.error.message)
                finally:
                    blocked_done.set()

            group.start_soon(blocked_call)
            before_crash = len(results)
            await crash_once(client)
            with anyio.fail_after(PROMPT):
                await blocked_done.wait()
            assert "plugin 'crashy'" in blocked_error[0] and "SIGSEGV" in blocked_error[0], blocked_error
            await back_up(client)
            # The load goes on across the crash and the restart, however fast this machine is:
            # wait (bounded) for a good number of answers counted from before the crash.
            with anyio.fail_after(60):
                while len(results) < before_crash + 50 and not failures:
                    await anyio.sleep(0.01)
            stop.set()

        assert failures == [], failures[:5]
        assert len(results) >= before_crash + 50, f"only {len(results)} calls to the other plugin during the test"
        assert "crashy_ok" in await tool_names(client)
    assert "killed by signal 11 (SIGSEGV)" in client.stderr()


@pytest.mark.anyio
async def test_a_crash_loop_marks_the_plugin_failed_in_inspect_and_removes_its_tools(tmp_path, reload_env,
                                                                                   crashy_library, manifold_bin):
    host = isolated_host(tmp_path, crashy_library)
    async with connect(host, env=reload_env) as client:
        live = run_manifold("inspect", "--live", "--json", str(host), env=reload_env)
        assert live.returncode == 0, live.stderr
        states = {m["label"]: m["state"] for m in json.loads(live.stdout)["mounts"]}
        assert all(state == "ready" for state in states.values()), states

        # More than 5 crashes within 60 s: given up. After each crash, either the runner is
        # restarted (crashy_ok answers again) or the host reports the crash loop.
        async def inspect_says_failed():
            report = run_manifold("inspect", "--live", "--json", str(host), env=reload_env)
            mounts = json.loads(report.stdout)["mounts"] if report.returncode == 0 else []
            return next((m for m in mounts if "crashy" in m["label"] and m["state"].startswith("failed: crash loop")), None)

        async def restarted_or_given_up():
            try:
                if text_of(await client.call_tool("crashy_ok", timeout=5)) == "ok built-in":
                    return "restarted"
            except McpError:
                pass
            return "given up" if await inspect_says_failed() else None

        crashes = 0
        while True:
            before_crash = count_notifications(client)
            await crash_once(client)
            crashes += 1
            outcome = await eventually(restarted_or_given_up, timeout=15, interval=0.05)
            if outcome == "given up":
                break
            assert crashes < 6, "still restarted after 6 crashes"
        assert crashes == 6, crashes

        # The last crash took its tools out of the lists, announced, and they stay out.
        await wait_notifications(client, before_crash + 1)
        assert await _no_crashy_tools(client)
        assert "math_add" in await tool_names(client)
        with pytest.raises(McpError) as caught:
            await client.call_tool("crashy_ok")
        assert caught.value.error.code == -32602  # gone from the surface

        mount = await eventually(inspect_says_failed, timeout=10)
        assert "SIGSEGV" in mount["state"], mount["state"]
        assert mount["components"] == []
        text = run_manifold("inspect", "--live", str(host), env=reload_env).stdout
        assert "state: failed: crash loop" in text, text
        assert text_of(await client.call_tool("math_add", {"a": 1, "b": 2})) == "3"


async def _no_crashy_tools(client) -> bool:
    return not any(name.startswith("crashy_") for name in await tool_names(client))


@pytest.mark.anyio
async def test_runner_limits_call_timeout_and_address_space(tmp_path, reload_env, crashy_library, manifold_bin):
    host = isolated_host(tmp_path, crashy_library, "limits: { callTimeoutMs: 400, addressSpaceMB: 1024 }\n")
    async with connect(host, env=reload_env) as client:
        # callTimeoutMs: a call that never answers fails after the deadline (and is cancelled in
        # the runner, so the plugin is free again).
        started = time.monotonic()
        with pytest.raises(McpError) as caught:
            await client.call_tool("crashy_block", timeout=10)
        elapsed = time.monotonic() - started
        assert 0.35 < elapsed < 2.5, elapsed
        assert "plugin 'crashy' (isolated) did not answer within 0.4s" in caught.value.error.message, caught.value.error.message

        # addressSpaceMB: within the limit works, beyond it malloc fails (a tool error, no crash).
        assert text_of(await client.call_tool("crashy_hog", {"mb": 64})) == "allocated 64 MiB"
        over = await client.call_tool("crashy_hog", {"mb": 2048})
        assert over.get("isError") and "malloc of 2048 MiB failed" in text_of(over)
        assert text_of(await client.call_tool("crashy_ok")) == "ok built-in"


@pytest.mark.anyio
async def test_runner_limits_cpu_seconds(tmp_path, reload_env, crashy_library, manifold_bin):
    host = isolated_host(tmp_path, crashy_library, "limits: { cpuSeconds: 1 }\n")
    async with connect(host, env=reload_env) as client:
        # A call that burns CPU until cancelled: the kernel stops the runner after 1 s of CPU.
        started = time.monotonic()
        with pytest.raises(McpError) as caught:
            await client.call_tool("crashy_spin", timeout=15)
        elapsed = time.monotonic() - started
        message = caught.value.error.message
        assert "plugin 'crashy' (isolated) crashed" in message and "SIGXCPU" in message, message
        assert elapsed < 5, elapsed
        await back_up(client)


@pytest.mark.anyio
async def test_a_plugin_crashing_in_discovery_never_takes_the_host_down(tmp_path, reload_env, manifold_bin):
    library = compile_crashy(tmp_path / "libbad.so", plugin_id="bad", init_segfault=True)
    (tmp_path / "bad.plugin.yaml").write_text(f"kind: plugin\nid: bad\nlibrary: {library}\n")   # in-process
    host = tmp_path / "host.yaml"
    host.write_text(f"""
mounts:
  - plugin: {MATH_MANIFEST}
    prefix: math
  - plugin: ./bad.plugin.yaml
    prefix: bad
dropIns:
  - folder: drop
""")
    (tmp_path / "drop").mkdir()
    async with connect(host, env=reload_env) as client:
        assert text_of(await client.call_tool("math_add", {"a": 2, "b": 3})) == "5"
        assert not any(name.startswith("bad_") for name in await tool_names(client))
        log = client.stderr()
        assert "plugin 'bad'" in log and "crashed during discovery: killed by signal 11 (SIGSEGV)" in log, log

        # Dropped in while serving (another copy of it, under another id): refused the same way.
        other = compile_crashy(tmp_path / "drop" / "libworse.so", plugin_id="worse", init_segfault=True)
        write_atomically(tmp_path / "drop" / "worse.plugin.yaml", f"kind: plugin\nid: worse\nlibrary: {other}\n")
        await eventually(lambda: _async(lambda: "plugin 'worse'" in client.stderr()
                                        and client.stderr().count("crashed during discovery") >= 2), timeout=10)
        assert text_of(await client.call_tool("math_add", {"a": 1, "b": 1})) == "2"
        assert not any(name.startswith("worse_") for name in await tool_names(client))

    # The refusal is recorded: the next launch does not run the library at all.
    refused = Path(reload_env["MANIFOLD_CACHE_DIR"]) / "refused"
    assert len(list(refused.iterdir())) == 2
    report = run_manifold("inspect", "--json", str(host), env=reload_env)
    assert report.returncode == 0, report.stderr
    bad = next(m for m in json.loads(report.stdout)["mounts"] if "bad" in m["label"])
    assert bad["state"].startswith("failed:") and "crashed during discovery: killed by signal 11 (SIGSEGV)" in bad["state"]
    assert "is refused" in bad["state"], bad["state"]
    assert "last words" not in report.stderr, "no runner was started for a refused library"


async def _async(fn):
    return fn()
