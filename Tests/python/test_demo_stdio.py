"""The demo host (manifests/demo.yaml) through a real MCP client over stdio: the Math plugin
(C) under prefix `math`, TextTools (Swift) under prefix `text`, admin tools hidden from the
stdio endpoint."""

from __future__ import annotations

import json
import os

import pytest

from conftest import (
    FIXTURE_MANIFESTS, HANDSHAKE_VERSIONS, MANIFESTS, MCP_MAJOR, ROOT, McpError, connect, text_of, texttools_ready,
)

pytestmark = pytest.mark.anyio

DEMO = MANIFESTS / "demo.yaml"


async def test_initialize_announces_the_demo_server(manifold_bin):
    async with connect(DEMO) as client:
        init = client.initialize_result
        assert init["serverInfo"]["name"] == "manifold-demo"
        assert init["serverInfo"]["version"] == "0.1.0"
        assert init["serverInfo"].get("title") == "Manifold demo"
        assert "math_" in init["instructions"] and "text_" in init["instructions"]
        capabilities = init["capabilities"]
        assert "tools" in capabilities and "resources" in capabilities and "prompts" in capabilities
        assert client.protocol_version in ("2025-06-18", "2025-11-25")


async def test_tools_list_shows_prefixed_public_tools_and_hides_admin(manifold_bin):
    async with connect(DEMO) as client:
        tools = await client.all_pages("tools")
        names = [tool["name"] for tool in tools]
        assert len(names) == len(set(names)), "tool names are unique"
        assert {"math_add", "math_multiply", "math_divide", "math_sqrt", "math_hello"} <= set(names)
        assert "math_reset_memory" not in names, "the endpoint filter (excludeTags: [admin]) hides it"
        assert "reset_memory" not in names and "add" not in names, "no unprefixed names leak"
        assert all(name.startswith(("math_", "text_")) for name in names), names
        if texttools_ready():
            assert any(name.startswith("text_") for name in names), names
        for tool in tools:
            assert tool.get("description"), f"{tool['name']} has a description"
            assert tool["inputSchema"]["type"] == "object"


async def test_every_schema_is_a_valid_json_schema(manifold_bin):
    """JSON Schemas default to draft 2020-12 and must be valid; outputSchema roots are objects."""
    from jsonschema import Draft202012Validator

    async with connect(DEMO) as client:
        for tool in await client.all_pages("tools"):
            Draft202012Validator.check_schema(tool["inputSchema"])
            if "outputSchema" in tool:
                assert tool["outputSchema"]["type"] == "object", tool["name"]
                Draft202012Validator.check_schema(tool["outputSchema"])


@pytest.mark.skipif(not texttools_ready(), reason="TextTools is not built yet")
async def test_structured_content_is_echoed_as_a_text_block(manifold_bin):
    """A tool with an outputSchema returns structuredContent and the same JSON as text."""
    async with connect(DEMO) as client:
        result = await client.call_tool("text_text_stats", {"text": "hello big world\nbye"})
        assert result["structuredContent"]["words"] == 4
        assert result["structuredContent"]["lines"] == 2
        assert any(json.loads(block["text"]) == result["structuredContent"]
                   for block in result["content"] if block["type"] == "text")


@pytest.mark.skipif(not texttools_ready(), reason="TextTools is not built yet")
async def test_texttools_are_served_under_text_prefix(manifold_bin):
    async with connect(DEMO) as client:
        names = {tool["name"] for tool in await client.all_pages("tools")}
        assert "text_word_count" in names
        result = await client.call_tool("text_word_count", {"text": "one two  three"})
        assert not result.get("isError"), result
        assert "3" in text_of(result)


async def test_math_add_returns_text_and_structured_content(manifold_bin):
    async with connect(DEMO) as client:
        result = await client.call_tool("math_add", {"a": 2, "b": 3})
        assert not result.get("isError")
        assert result["content"] == [{"type": "text", "text": "5"}]
        assert result["structuredContent"] == {"result": 5}


async def test_math_tools_compute(manifold_bin):
    async with connect(DEMO) as client:
        assert (await client.call_tool("math_multiply", {"a": 6, "b": 7}))["structuredContent"] == {"result": 42}
        assert (await client.call_tool("math_divide", {"a": 1, "b": 4}))["structuredContent"] == {"result": 0.25}
        assert (await client.call_tool("math_sqrt", {"x": 81}))["structuredContent"] == {"result": 9}


async def test_divide_by_zero_is_a_tool_error_naming_b(manifold_bin):
    async with connect(DEMO) as client:
        result = await client.call_tool("math_divide", {"a": 1, "b": 0})
        assert result.get("isError") is True
        message = text_of(result)
        assert "'b'" in message or " b " in message, message


async def test_wrong_argument_type_is_a_tool_error_naming_the_argument(manifold_bin):
    async with connect(DEMO) as client:
        result = await client.call_tool("math_add", {"a": "two", "b": 3})
        assert result.get("isError") is True
        assert "'a'" in text_of(result), text_of(result)
        missing = await client.call_tool("math_add", {"a": 2})
        assert missing.get("isError") is True
        assert "'b'" in text_of(missing), text_of(missing)


async def test_filtered_admin_tool_is_unknown_to_the_client(manifold_bin):
    async with connect(DEMO) as client:
        with pytest.raises(McpError) as caught:
            await client.call_tool("math_reset_memory", {})
        assert caught.value.error.code == -32602
        # The plugin's own (unprefixed) name is not reachable either.
        with pytest.raises(McpError) as caught:
            await client.call_tool("reset_memory", {})
        assert caught.value.error.code == -32602


async def test_prefixed_resource_and_template(manifold_bin):
    async with connect(DEMO) as client:
        resources = await client.all_pages("resources")
        uris = [resource["uri"] for resource in resources]
        assert "math://math/constants" in uris
        assert "math://constants" not in uris
        templates = await client.all_pages("resourceTemplates")
        assert "math://math/constants/{name}" in [t["uriTemplate"] for t in templates]

        constants = await client.read_resource("math://math/constants")
        [content] = constants["contents"]
        assert content["uri"] == "math://math/constants"
        assert content["mimeType"] == "application/json"
        assert json.loads(content["text"])["pi"] == pytest.approx(3.141592653589793)

        pi = await client.read_resource("math://math/constants/pi")
        [content] = pi["contents"]
        assert content["uri"] == "math://math/constants/pi"
        assert content["text"] == "3.141592653589793"


async def test_unknown_constant_is_resource_not_found(manifold_bin):
    async with connect(DEMO) as client:
        with pytest.raises(McpError) as caught:
            await client.read_resource("math://math/constants/tau")
        assert caught.value.error.code == -32002
        # The plugin's unprefixed URI is not served by the composition.
        with pytest.raises(McpError) as caught:
            await client.read_resource("math://constants")
        assert caught.value.error.code == -32002


async def test_prompt_math_explain(manifold_bin):
    async with connect(DEMO) as client:
        prompts = {prompt["name"]: prompt for prompt in await client.all_pages("prompts")}
        assert "math_explain" in prompts
        assert prompts["math_explain"]["arguments"][0]["name"] == "expression"
        assert prompts["math_explain"]["arguments"][0].get("required") is True

        result = await client.get_prompt("math_explain", {"expression": "2 + 3 * 4"})
        [message] = result["messages"]
        assert message["role"] == "user"
        assert message["content"]["type"] == "text"
        assert "2 + 3 * 4" in message["content"]["text"]

        with pytest.raises(McpError) as caught:
            await client.get_prompt("math_explain", {})
        assert caught.value.error.code == -32602


async def test_hello_prints_to_plugin_stdout_without_corrupting_the_stream(manifold_bin):
    async with connect(DEMO) as client:
        result = await client.call_tool("math_hello", {})
        assert not result.get("isError")
        assert text_of(result) == "hello from math"
        # The stream is intact: more requests, and a second printf, still work.
        assert (await client.call_tool("math_add", {"a": 1, "b": 1}))["structuredContent"] == {"result": 2}
        assert text_of(await client.call_tool("math_hello", {})) == "hello from math"
        assert await client.ping() == {}
        assert not any(n["method"] == "<exception>" for n in client.received.notifications), \
            client.received.notifications
    # The printf went to stderr (the host points fd 1 at stderr before loading plugins).
    assert "hello from the math plugin's printf" in client.stderr()


async def test_concurrent_calls_each_get_their_own_answer(manifold_bin):
    import anyio

    async with connect(DEMO) as client:
        results: dict[int, dict] = {}

        async def add(i: int):
            results[i] = await client.call_tool("math_add", {"a": i, "b": 1000})

        async with anyio.create_task_group() as group:
            for i in range(50):
                group.start_soon(add, i)
        assert {i: r["structuredContent"]["result"] for i, r in results.items()} == {i: i + 1000 for i in range(50)}


async def test_pagination_follows_next_cursor(manifold_bin):
    """A host with pageSize 2 (Tests/Fixtures/manifests/bench.yaml): the client walks the pages."""
    async with connect(FIXTURE_MANIFESTS / "bench.yaml") as client:
        first = await client.list_tools()
        assert len(first["tools"]) == 2 and first.get("nextCursor")
        names = [tool["name"] for tool in await client.all_pages("tools")]
        assert names == ["add", "echo", "wipe"]
        second = await client.list_tools(first["nextCursor"])
        assert [tool["name"] for tool in second["tools"]] == ["wipe"]
        assert "nextCursor" not in second
        with pytest.raises(McpError) as caught:
            await client.list_tools("garbage")
        assert caught.value.error.code == -32602


@pytest.mark.mcp2only
@pytest.mark.skipif(MCP_MAJOR < 2, reason="mcp 1.x has no high-level Client with server/discover probing")
async def test_mcp2_high_level_client_probes_discover_then_falls_back_fast(manifold_bin, tmp_path):
    """mcp 2.x's `Client` (mode="auto") sends `server/discover` first and falls back to
    `initialize` on an error; a host that stayed silent would cost it 10 seconds."""
    import time

    import anyio
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=str(manifold_bin), args=["serve", str(DEMO)], env=dict(os.environ),
                                   cwd=str(ROOT))
    with open(tmp_path / "stderr.log", "w+") as errlog:
        started = time.monotonic()
        with anyio.fail_after(20):
            async with Client(stdio_client(params, errlog=errlog), mode="auto") as client:
                connected = time.monotonic() - started
                assert client.protocol_version == "2025-11-25"
                result = await client.call_tool("math_add", {"a": 2, "b": 3})
                assert result.structured_content == {"result": 5}
    assert connected < 5, f"connecting took {connected:.1f}s: the discover probe was not answered"


@pytest.mark.parametrize("version", HANDSHAKE_VERSIONS)
async def test_every_handshake_revision_negotiates_and_serves(manifold_bin, version):
    """The SDK offers an older revision: the host echoes it and serves the same surface (the
    mcp 2.x client validates every result against the negotiated revision's schema)."""
    async with connect(DEMO, protocol_version=version) as client:
        assert client.protocol_version == version
        names = {tool["name"] for tool in await client.all_pages("tools")}
        assert "math_add" in names and "math_reset_memory" not in names
        assert text_of(await client.call_tool("math_add", {"a": 2, "b": 3})) == "5"
        assert (await client.read_resource("math://math/constants/pi"))["contents"][0]["text"] == "3.141592653589793"
        assert "2 + 2" in (await client.get_prompt("math_explain", {"expression": "2 + 2"}))["messages"][0]["content"]["text"]
        assert (await client.complete_template("math://math/constants/{name}", "name", "p"))["completion"]["values"]
        assert await client.ping() == {}
