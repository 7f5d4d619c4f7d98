"""The `manifold` command line: `call` for scripts, `inspect` for humans (and `--json` for
tools), checked against what a real MCP client sees through `serve`."""

from __future__ import annotations

import json
import re

import pytest

from conftest import MANIFESTS, connect, run_manifold, texttools_ready

DEMO = MANIFESTS / "demo.yaml"


# -- manifold call --------------------------------------------------------------------------------


def test_call_prints_the_text_result_and_exits_0(manifold_bin):
    completed = run_manifold("call", str(DEMO), "math_add", '{"a":2,"b":3}')
    assert completed.returncode == 0, completed
    assert completed.stdout == "5\n"


def test_call_with_relative_manifest_path(manifold_bin):
    completed = run_manifold("call", "manifests/demo.yaml", "math_multiply", '{"a":6,"b":7}')
    assert (completed.returncode, completed.stdout) == (0, "42\n"), completed


def test_call_with_an_error_result_exits_1(manifold_bin):
    completed = run_manifold("call", str(DEMO), "math_divide", '{"a":1,"b":0}')
    assert completed.returncode == 1, completed
    assert "'b'" in completed.stdout, "the tool's message is printed"


def test_call_json_prints_the_whole_result(manifold_bin):
    completed = run_manifold("call", str(DEMO), "math_add", '{"a":2,"b":3}', "--json")
    assert completed.returncode == 0, completed
    assert json.loads(completed.stdout) == {"content": [{"type": "text", "text": "5"}], "structuredContent": {"result": 5}}


def test_call_default_arguments_are_an_empty_object(manifold_bin):
    completed = run_manifold("call", str(DEMO), "math_add")
    assert completed.returncode == 1, "a and b are required"
    assert "'a'" in completed.stdout


def test_call_keeps_stdout_for_the_result_when_a_plugin_printfs(manifold_bin):
    completed = run_manifold("call", str(DEMO), "math_hello")
    assert completed.returncode == 0, completed
    assert completed.stdout == "hello from math\n"
    assert "hello from the math plugin's printf" in completed.stderr


@pytest.mark.parametrize("tool", ["math_reset_memory", "no_such_tool"])
def test_call_of_a_tool_the_endpoint_does_not_show_fails(manifold_bin, tool):
    completed = run_manifold("call", str(DEMO), tool, "{}")
    assert completed.returncode != 0
    assert tool in completed.stderr
    assert completed.stdout == ""


@pytest.mark.parametrize("arguments", ["not json", "[1,2]", "42"])
def test_call_rejects_arguments_that_are_not_a_json_object(manifold_bin, arguments):
    completed = run_manifold("call", str(DEMO), "math_add", arguments)
    assert completed.returncode != 0
    assert "JSON object" in completed.stderr
    assert completed.stdout == ""


# -- manifold inspect -----------------------------------------------------------------------------


def test_inspect_lists_every_exposed_name_with_tags(manifold_bin):
    completed = run_manifold("inspect", str(DEMO))
    assert completed.returncode == 0, completed
    text = completed.stdout

    def tags_of(name: str) -> set[str]:
        match = re.search(rf"\s{re.escape(name)}\s+\[([^\]]*)\]", text)
        assert match, f"{name} not listed:\n{text}"
        return {tag.strip() for tag in match.group(1).split(",") if tag.strip()}

    for name in ("math_add", "math_multiply", "math_divide", "math_sqrt", "math_hello", "math_explain",
                 "math://math/constants", "math://math/constants/{name}"):
        assert {"math", "public"} <= tags_of(name), name
    assert tags_of("math_reset_memory") == {"admin", "math"}
    assert "prefix: math" in text
    if texttools_ready():
        assert "prefix: text" in text
        assert "text" in tags_of("text_word_count")


def test_inspect_shows_the_admin_tool_hidden_by_the_endpoint_filter_and_why(manifold_bin):
    text = run_manifold("inspect", str(DEMO)).stdout
    endpoint = text[text.index("endpoint stdio"):]
    hidden = [line for line in endpoint.splitlines() if "math_reset_memory" in line]
    assert len(hidden) == 1, endpoint
    assert "hides" in hidden[0]
    assert "admin" in hidden[0], "says why: the admin tag is excluded"
    assert "math_add" not in endpoint, "visible tools are not listed as hidden"


@pytest.mark.anyio
async def test_inspect_json_matches_what_a_client_sees(manifold_bin):
    completed = run_manifold("inspect", str(DEMO), "--json")
    assert completed.returncode == 0, completed
    report = json.loads(completed.stdout)
    [endpoint] = report["endpoints"]
    visible = endpoint["visible"]
    async with connect(DEMO) as client:
        tools = {tool["name"] for tool in await client.all_pages("tools")}
        resources = {r["uri"] for r in await client.all_pages("resources")}
        templates = {t["uriTemplate"] for t in await client.all_pages("resourceTemplates")}
        prompts = {p["name"] for p in await client.all_pages("prompts")}
    assert set(visible["tools"]) == tools
    assert set(visible["resources"]) == resources
    assert set(visible["resourceTemplates"]) == templates
    assert set(visible["prompts"]) == prompts
    # Every component of every mount, with tags; those not visible are the admin ones.
    components = {c["name"]: c for mount in report["mounts"] for c in mount["components"]}
    hidden = {name for name, c in components.items() if c["kind"] == "tool"} - tools
    assert "math_reset_memory" in hidden
    assert all("admin" in components[name]["tags"] for name in hidden), hidden
    assert report["problems"] == []
    assert all(mount["state"] == "ready" for mount in report["mounts"])
