"""Broken plugins are refused one by one, each with its cause named, while the rest of the host
keeps serving; a broken host manifest is refused with its file, line, column and key.

Tests/Fixtures/manifests/refusals.yaml mounts Math (good) beside five plugins the loader must
refuse: a missing library, a wrong sha256 pin, a descriptor speaking ABI 2.0
(libFixtureWrongABI.so), a library exporting only manifold_plugin_entry_v2
(libFixtureFutureABI.so) and a library with no entry symbol at all (libFixtureNoEntry.so)."""

from __future__ import annotations

import json
import re

import pytest

from conftest import FIXTURE_MANIFESTS, McpError, connect, run_manifold, text_of

REFUSALS = FIXTURE_MANIFESTS / "refusals.yaml"
TYPO = FIXTURE_MANIFESTS / "typo-key.yaml"
REFUSED_IDS = ["missing", "badpin", "wrongabi", "futureabi", "noentry"]


def line_about(text: str, plugin_id: str) -> str:
    """The log line that names `plugin '<id>'` (the first one)."""
    for line in text.splitlines():
        if f"plugin '{plugin_id}'" in line:
            return line
    raise AssertionError(f"nothing names plugin '{plugin_id}' in:\n{text}")


def assert_each_cause_is_named(text: str) -> None:
    missing = line_about(text, "missing")
    assert "not found" in missing and "libManifoldNoSuchPlugin.so" in missing, missing

    badpin = line_about(text, "badpin")
    assert "checksum mismatch" in badpin, badpin
    assert "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" in badpin, "names the pin"

    wrong = line_about(text, "wrongabi")
    assert "ABI 2.0" in wrong and "1.x" in wrong, wrong
    assert "libFixtureWrongABI.so" in wrong

    future = line_about(text, "futureabi")
    assert "manifold_plugin_entry_v2" in future or "ABI 2" in future, future
    assert "1.x" in future, future
    assert "libFixtureFutureABI.so" in future

    noentry = line_about(text, "noentry")
    assert "missing symbol manifold_plugin_entry_v1" in noentry, noentry
    assert "libFixtureNoEntry.so" in noentry


# -- Serving despite refusals ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_host_serves_the_good_plugin_and_logs_each_refusal(manifold_bin):
    async with connect(REFUSALS) as client:
        tools = [tool["name"] for tool in await client.all_pages("tools")]
        assert "math_add" in tools
        assert all(name.startswith("math_") for name in tools), \
            f"refused plugins expose nothing: {tools}"
        result = await client.call_tool("math_add", {"a": 2, "b": 3})
        assert text_of(result) == "5"
        assert result["structuredContent"] == {"result": 5}
        resources = [r["uri"] for r in await client.all_pages("resources")]
        assert resources == ["math://math/constants"]
        for plugin_id in REFUSED_IDS:
            with pytest.raises(McpError) as caught:
                await client.call_tool(f"{plugin_id}_anything", {})
            assert caught.value.error.code == -32602
    assert_each_cause_is_named(client.stderr())


def test_validate_exits_1_and_prints_every_problem(manifold_bin):
    completed = run_manifold("validate", str(REFUSALS))
    assert completed.returncode == 1, completed
    assert_each_cause_is_named(completed.stdout)
    problems = [line for line in completed.stdout.splitlines() if line.strip()]
    assert len(problems) == len(REFUSED_IDS), problems
    assert not any("plugin 'math'" in line for line in problems), "Math loads fine"


def test_validate_accepts_the_demo(manifold_bin):
    completed = run_manifold("validate", "manifests/demo.yaml")
    assert completed.returncode == 0, completed
    assert "ok" in completed.stdout


# -- Manifest errors ------------------------------------------------------------------------------


def _position_of(path, needle: str) -> tuple[int, int]:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(f"{needle!r} not in {path}")


@pytest.mark.parametrize("command", ["serve", "validate", "inspect"])
def test_typo_in_a_host_manifest_names_file_line_column_key_and_suggestion(manifold_bin, command):
    completed = run_manifold(command, str(TYPO), timeout=30)
    assert completed.returncode != 0, completed
    line, column = _position_of(TYPO, "prefx:")
    match = re.search(r"typo-key\.yaml:(\d+):(\d+):(.*)", completed.stderr)
    assert match, completed.stderr
    assert (int(match.group(1)), int(match.group(2))) == (line, column), completed.stderr
    message = match.group(3)
    assert "prefx" in message and "prefix" in message, message
    assert "did you mean" in message.lower(), message
    assert completed.stdout == "", "stdout stays clean for the protocol"


def test_missing_host_manifest_is_an_error(manifold_bin):
    completed = run_manifold("serve", "manifests/no-such-manifest.yaml", timeout=30)
    assert completed.returncode != 0
    assert "no-such-manifest.yaml" in completed.stderr
    assert completed.stdout == ""


def test_inspect_shows_each_refused_mount_as_failed_with_its_cause(manifold_bin):
    completed = run_manifold("inspect", str(REFUSALS), "--json")
    assert completed.returncode == 0, completed
    report = json.loads(completed.stdout)
    states = {mount["prefix"]: mount["state"] for mount in report["mounts"]}
    assert states["math"] == "ready"
    for plugin_id in REFUSED_IDS:
        assert states[plugin_id].startswith("failed"), states[plugin_id]
    assert_each_cause_is_named("\n".join(states.values()))
    assert len(report["problems"]) == len(REFUSED_IDS)
    [endpoint] = report["endpoints"]
    assert all(name.startswith("math_") for name in endpoint["visible"]["tools"])
