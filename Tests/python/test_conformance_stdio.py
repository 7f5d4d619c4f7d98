"""The MCP conformance suite's server scenarios (modelcontextprotocol/conformance,
src/scenarios/server/*.ts), re-expressed as tests driven by the official Python SDK over stdio,
against the Everything plugin (a twin of the suite's examples/servers/typescript/everything-server.ts).

Every scenario runs twice: on manifests/conformance.yaml (no prefix, the names the suite
expects) and on manifests/conformance-prefixed.yaml (everything under `ev`: tools and prompts
`ev_<name>`, URIs `test://ev/<path>`, template `test://ev/template/{id}/data`), which checks that
the composition layer keeps every scenario working through a prefix.

The scenario each test mirrors is named in its docstring. Where PROTOCOL.md (the project's
checklist) and a newer draft scenario differ, PROTOCOL.md wins (e.g. -32002 for an unknown
resource, where the draft SEP-2164 scenario prefers -32602)."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

import anyio
import pytest
from jsonschema import Draft202012Validator

from conftest import (
    FIXTURE_MANIFESTS, HANDSHAKE_VERSIONS, MANIFESTS, McpError, ProgressLog, connect, text_of,
)

pytestmark = [pytest.mark.anyio, pytest.mark.everything, pytest.mark.usefixtures("manifold_bin", "require_everything")]

TEST_IMAGE_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
TEST_AUDIO_BASE64 = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="
TOOL_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

REFERENCE_TOOLS = [
    "test_simple_text", "test_image_content", "test_audio_content", "test_embedded_resource",
    "test_multiple_content_types", "test_tool_with_logging", "test_tool_with_progress",
    "test_error_handling", "test_sampling", "test_elicitation", "test_elicitation_sep1034_defaults",
    "test_elicitation_sep1330_enums",
]
REFERENCE_PROMPTS = [
    "test_simple_prompt", "test_prompt_with_arguments", "test_prompt_with_embedded_resource", "test_prompt_with_image",
]


@dataclass(frozen=True)
class Surface:
    """How one conformance manifest exposes the Everything plugin."""

    manifest: object
    watched_manifest: object
    prefix: str | None
    server_name: str

    def name(self, local: str) -> str:
        return f"{self.prefix}_{local}" if self.prefix else local

    def uri(self, path: str) -> str:
        """`static-text` → test://static-text or test://ev/static-text."""
        return f"test://{self.prefix}/{path}" if self.prefix else f"test://{path}"


SURFACES = [
    Surface(MANIFESTS / "conformance.yaml", FIXTURE_MANIFESTS / "everything-watched.yaml", None, "manifold-conformance"),
    Surface(MANIFESTS / "conformance-prefixed.yaml", FIXTURE_MANIFESTS / "everything-watched-prefixed.yaml", "ev",
            "manifold-conformance-prefixed"),
]


@pytest.fixture(params=SURFACES, ids=["unprefixed", "prefixed-ev"])
def surface(request) -> Surface:
    return request.param


# -- Lifecycle (server-initialize, lifecycle.ts, ping) --------------------------------------------


async def test_initialize_announces_capabilities(surface):
    """server-initialize: serverInfo and the capabilities the surface needs."""
    async with connect(surface.manifest) as client:
        init = client.initialize_result
        assert init["serverInfo"]["name"] == surface.server_name
        assert init["serverInfo"]["version"]
        capabilities = init["capabilities"]
        assert "tools" in capabilities
        assert capabilities["resources"].get("subscribe") is True
        assert "prompts" in capabilities
        assert "logging" in capabilities
        assert "completions" in capabilities
        assert init.get("instructions")


async def test_ping(surface):
    """ping: `{}` at any time, also while a tool runs."""
    async with connect(surface.manifest) as client:
        assert await client.ping() == {}
        async with anyio.create_task_group() as group:
            group.start_soon(client.call_tool, surface.name("test_tool_with_progress"), {})
            assert await client.ping() == {}


# -- Tools (tools.ts) -----------------------------------------------------------------------------


async def test_tools_list(surface):
    """tools-list + tools-name-format: every tool has a valid name, a description and an
    object inputSchema that is a valid JSON Schema (2020-12)."""
    async with connect(surface.manifest) as client:
        tools = await client.all_pages("tools")
        names = [tool["name"] for tool in tools]
        assert len(names) == len(set(names))
        for local in REFERENCE_TOOLS:
            assert surface.name(local) in names, f"{surface.name(local)} missing from {names}"
        for tool in tools:
            assert TOOL_NAME.match(tool["name"]), tool["name"]
            assert isinstance(tool.get("description"), str) and tool["description"], tool
            schema = tool["inputSchema"]
            assert isinstance(schema, dict) and schema.get("type") == "object", tool
            Draft202012Validator.check_schema(schema)
            if "outputSchema" in tool:
                assert tool["outputSchema"].get("type") == "object"
        if surface.prefix:
            assert all(name.startswith("ev_") for name in names), names


async def test_tools_list_is_stable(surface):
    async with connect(surface.manifest) as client:
        first = [tool["name"] for tool in await client.all_pages("tools")]
        second = [tool["name"] for tool in await client.all_pages("tools")]
        assert first == second


async def test_tool_arguments_schemas(surface):
    """test_sampling(prompt) and test_elicitation(message) declare their required string argument."""
    async with connect(surface.manifest) as client:
        tools = {tool["name"]: tool for tool in await client.all_pages("tools")}
        for local, argument in (("test_sampling", "prompt"), ("test_elicitation", "message")):
            schema = tools[surface.name(local)]["inputSchema"]
            assert schema["properties"][argument]["type"] == "string"
            assert argument in schema.get("required", [])


async def test_json_schema_2020_12_tool_keeps_its_schema(surface):
    """json-schema-2020-12 (SEP-1613): $schema, $defs and additionalProperties survive listing."""
    async with connect(surface.manifest) as client:
        tools = {tool["name"]: tool for tool in await client.all_pages("tools")}
        name = surface.name("json_schema_2020_12_tool")
        if name not in tools:
            pytest.skip("the Everything plugin does not offer json_schema_2020_12_tool")
        schema = tools[name]["inputSchema"]
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$defs"]["address"]["properties"]["city"] == {"type": "string"}
        assert schema["properties"]["address"] == {"$ref": "#/$defs/address"}
        assert schema["additionalProperties"] is False
        result = await client.call_tool(name, {"name": "Ada", "address": {"city": "London"}})
        assert not result.get("isError"), result
        text = text_of(result)
        assert text.startswith("JSON Schema 2020-12 tool called with: ")
        assert json.loads(text.split(": ", 1)[1]) == {"name": "Ada", "address": {"city": "London"}}


async def test_simple_text(surface):
    """tools-call-simple-text (called without `arguments`, as the suite does)."""
    async with connect(surface.manifest) as client:
        result = await client.call_tool(surface.name("test_simple_text"))
        assert not result.get("isError")
        assert result["content"] == [{"type": "text", "text": "This is a simple text response for testing."}]


async def test_image_content(surface):
    """tools-call-image: a 1×1 PNG."""
    async with connect(surface.manifest) as client:
        result = await client.call_tool(surface.name("test_image_content"), {})
        assert result["content"] == [{"type": "image", "data": TEST_IMAGE_BASE64, "mimeType": "image/png"}]
        assert base64.b64decode(result["content"][0]["data"]).startswith(b"\x89PNG\r\n\x1a\n")


async def test_audio_content(surface):
    """tools-call-audio: a WAV file, mimeType audio/wav."""
    async with connect(surface.manifest) as client:
        result = await client.call_tool(surface.name("test_audio_content"), {})
        assert result["content"] == [{"type": "audio", "data": TEST_AUDIO_BASE64, "mimeType": "audio/wav"}]
        assert base64.b64decode(result["content"][0]["data"]).startswith(b"RIFF")


async def test_embedded_resource(surface):
    """tools-call-embedded-resource."""
    async with connect(surface.manifest) as client:
        result = await client.call_tool(surface.name("test_embedded_resource"), {})
        [block] = result["content"]
        assert block["type"] == "resource"
        resource = block["resource"]
        assert resource["uri"] in ("test://embedded-resource", surface.uri("embedded-resource"))
        assert resource["mimeType"] == "text/plain"
        assert resource["text"] == "This is an embedded resource content."


async def test_multiple_content_types(surface):
    """tools-call-mixed-content: text, image and resource, in that order."""
    async with connect(surface.manifest) as client:
        result = await client.call_tool(surface.name("test_multiple_content_types"), {})
        text, image, resource = result["content"]
        assert text == {"type": "text", "text": "Multiple content types test:"}
        assert image == {"type": "image", "data": TEST_IMAGE_BASE64, "mimeType": "image/png"}
        assert resource["type"] == "resource"
        assert resource["resource"]["uri"] in ("test://mixed-content-resource", surface.uri("mixed-content-resource"))
        assert resource["resource"]["mimeType"] == "application/json"
        assert json.loads(resource["resource"]["text"]) == {"test": "data", "value": 123}


async def test_error_handling(surface):
    """tools-call-error: a failing tool is a result with isError, not a JSON-RPC error."""
    async with connect(surface.manifest) as client:
        result = await client.call_tool(surface.name("test_error_handling"), {})
        assert result["isError"] is True
        assert result["content"][0]["type"] == "text"
        assert result["content"][0]["text"] == "This tool intentionally returns an error for testing"


async def test_unknown_tool_is_invalid_params(surface):
    async with connect(surface.manifest) as client:
        with pytest.raises(McpError) as caught:
            await client.call_tool(surface.name("test_no_such_tool"), {})
        assert caught.value.error.code == -32602
        if surface.prefix:
            # The plugin's own name is not reachable through the prefixed host.
            with pytest.raises(McpError) as caught:
                await client.call_tool("test_simple_text", {})
            assert caught.value.error.code == -32602


# -- Logging (tools-call-with-logging, logging.ts) ------------------------------------------------


async def test_tool_with_logging(surface):
    """tools-call-with-logging: three info messages while the tool runs, in order."""
    async with connect(surface.manifest) as client:
        await client.set_level("debug")
        result = await client.call_tool(surface.name("test_tool_with_logging"), {})
        assert text_of(result) == "Tool with logging executed successfully"
        logs = await client.received.wait_logs(3)
        assert [log["data"] for log in logs] == [
            "Tool execution started", "Tool processing data", "Tool execution completed"]
        assert all(log["level"] == "info" for log in logs)


async def test_logs_arrive_without_set_level(surface):
    """Until logging/setLevel, every message is delivered."""
    async with connect(surface.manifest) as client:
        await client.call_tool(surface.name("test_tool_with_logging"), {})
        assert len(await client.received.wait_logs(3)) == 3


async def test_set_level_filters_lower_levels(surface):
    """logging-threshold-filtering: after setLevel("error") no info message arrives; after
    setLevel("debug") they do again. (The second call's logs arriving proves the first call's
    would have arrived before them, as stdio keeps order.)"""
    async with connect(surface.manifest) as client:
        assert await client.set_level("error") == {}
        assert text_of(await client.call_tool(surface.name("test_tool_with_logging"), {})) \
            == "Tool with logging executed successfully"
        assert await client.set_level("info") == {}
        await client.call_tool(surface.name("test_tool_with_logging"), {})
        logs = await client.received.wait_logs(3)
        await client.ping()
        assert len(client.received.logs) == 3, client.received.logs
        levels = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]
        assert all(levels.index(log["level"]) >= levels.index("info") for log in logs)


async def test_set_level_rejects_an_unknown_level(surface):
    """logging-invalid-level: -32602."""
    async with connect(surface.manifest) as client:
        with pytest.raises(McpError) as caught:
            await client.raw_request("logging/setLevel", {"level": "banana"})
        assert caught.value.error.code == -32602
        for level in ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"):
            assert await client.set_level(level) == {}


# -- Progress (tools-call-with-progress) ----------------------------------------------------------


async def test_tool_with_progress(surface):
    """tools-call-with-progress: 0, 50, 100 of 100, strictly increasing, before the result."""
    async with connect(surface.manifest) as client:
        progress = ProgressLog()
        result = await client.call_tool(surface.name("test_tool_with_progress"), {}, progress=progress)
        updates = await progress.wait_count(3)
        assert [u["progress"] for u in updates] == [0, 50, 100]
        assert all(u["total"] == 100 for u in updates)
        assert [u["message"] for u in updates] == [f"Completed step {n} of 100" for n in (0, 50, 100)]
        values = [u["progress"] for u in updates]
        assert values == sorted(set(values)), "progress strictly increases"
        # The reference answers String(progressToken); the token is the SDK's choice (the raw
        # stdio tests check the exact echo).
        [block] = result["content"]
        assert block["type"] == "text" and block["text"]


async def test_no_progress_without_a_token(surface):
    async with connect(surface.manifest) as client:
        result = await client.call_tool(surface.name("test_tool_with_progress"), {})
        assert result["content"] == [{"type": "text", "text": "0"}], "the reference's String(undefined ?? 0)"
        await client.ping()
        assert "notifications/progress" not in client.received.methods()


# -- Sampling (tools-call-sampling) ---------------------------------------------------------------


def _assistant_answer(request: dict) -> dict:
    return {
        "role": "assistant",
        "content": {"type": "text", "text": "This is a test response from the client"},
        "model": "test-model",
        "stopReason": "endTurn",
    }


async def test_sampling(surface):
    """tools-call-sampling: the host forwards sampling/createMessage to this client."""
    async with connect(surface.manifest, sampling=_assistant_answer) as client:
        result = await client.call_tool(surface.name("test_sampling"), {"prompt": "Test prompt for sampling"})
        assert text_of(result) == "LLM response: This is a test response from the client"
        [request] = client.received.server_requests
        assert request["method"] == "sampling/createMessage"
        params = request["params"]
        assert params["maxTokens"] == 100
        assert params["messages"] == [{"role": "user", "content": {"type": "text", "text": "Test prompt for sampling"}}]


async def test_sampling_without_the_capability(surface):
    """A client without the sampling capability is never asked; the tool says so."""
    async with connect(surface.manifest) as client:
        result = await client.call_tool(surface.name("test_sampling"), {"prompt": "hello"})
        assert text_of(result).startswith("Sampling not supported or error:"), result
        assert client.received.server_requests == []


async def test_sampling_error_from_the_client(surface):
    """The client answers the sampling request with a JSON-RPC error: the tool reports it."""
    async with connect(surface.manifest, sampling=lambda request: SamplingRefused("user rejected sampling")) as client:
        result = await client.call_tool(surface.name("test_sampling"), {"prompt": "hello"})
        assert text_of(result).startswith("Sampling not supported or error:"), result
        assert "user rejected sampling" in text_of(result)
        assert len(client.received.server_requests) == 1


class SamplingRefused(Exception):
    """Returned by a sampling callback: the SDK answers the server with this error."""

    code = -1


# -- Elicitation (tools-call-elicitation, elicitation-defaults.ts, elicitation-enums.ts) ----------


async def test_elicitation_accept(surface):
    """tools-call-elicitation: form mode, the client's answer comes back in the result."""
    def answer(request):
        assert request["message"] == "Please provide your information"
        schema = request["requestedSchema"]
        assert schema["type"] == "object"
        assert schema["properties"]["response"]["type"] == "string"
        assert schema["required"] == ["response"]
        return {"action": "accept", "content": {"response": "testuser"}}

    async with connect(surface.manifest, elicitation=answer) as client:
        result = await client.call_tool(surface.name("test_elicitation"), {"message": "Please provide your information"})
        assert text_of(result) == 'User response: action=accept, content={"response":"testuser"}'
        assert [r["method"] for r in client.received.server_requests] == ["elicitation/create"]
        assert client.received.server_requests[0]["params"].get("mode", "form") == "form"


@pytest.mark.parametrize("action", ["decline", "cancel"])
async def test_elicitation_decline_and_cancel(surface, action):
    async with connect(surface.manifest, elicitation=lambda request: {"action": action}) as client:
        result = await client.call_tool(surface.name("test_elicitation"), {"message": "Your name?"})
        assert text_of(result) == f"User response: action={action}, content={{}}"


async def test_elicitation_without_the_capability(surface):
    async with connect(surface.manifest) as client:
        result = await client.call_tool(surface.name("test_elicitation"), {"message": "Your name?"})
        assert text_of(result).startswith("Elicitation not supported or error:"), result


async def test_elicitation_sep1034_defaults(surface):
    """elicitation-sep1034-defaults: a default for every primitive type."""
    sent = {"name": "Jane Smith", "age": 25, "score": 88.5, "status": "inactive", "verified": False}

    async with connect(surface.manifest, elicitation=lambda request: {"action": "accept", "content": sent}) as client:
        result = await client.call_tool(surface.name("test_elicitation_sep1034_defaults"), {})
        [request] = client.received.server_requests
        properties = request["params"]["requestedSchema"]["properties"]
        assert properties["name"]["type"] == "string" and properties["name"]["default"] == "John Doe"
        assert properties["age"]["type"] == "integer" and properties["age"]["default"] == 30
        assert type(properties["age"]["default"]) is int
        assert properties["score"]["type"] == "number" and properties["score"]["default"] == 95.5
        assert properties["status"]["type"] == "string"
        assert properties["status"]["enum"] == ["active", "inactive", "pending"]
        assert properties["status"]["default"] == "active"
        assert properties["verified"]["type"] == "boolean" and properties["verified"]["default"] is True
        text = text_of(result)
        prefix = "Elicitation completed: action=accept, content="
        assert text.startswith(prefix), text
        assert json.loads(text[len(prefix):]) == sent


async def test_elicitation_sep1330_enums(surface):
    """elicitation-sep1330-enums: the five enum variants."""
    sent = {"untitledSingle": "option1", "titledSingle": "value1", "legacyEnum": "opt1",
            "untitledMulti": ["option1", "option2"], "titledMulti": ["value1", "value2"]}

    async with connect(surface.manifest, elicitation=lambda request: {"action": "accept", "content": sent}) as client:
        result = await client.call_tool(surface.name("test_elicitation_sep1330_enums"), {})
        [request] = client.received.server_requests
        p = request["params"]["requestedSchema"]["properties"]

        assert p["untitledSingle"]["type"] == "string"
        assert p["untitledSingle"]["enum"] == ["option1", "option2", "option3"]
        assert "oneOf" not in p["untitledSingle"] and "enumNames" not in p["untitledSingle"]

        assert p["titledSingle"]["type"] == "string"
        assert p["titledSingle"]["oneOf"] == [
            {"const": "value1", "title": "First Option"}, {"const": "value2", "title": "Second Option"},
            {"const": "value3", "title": "Third Option"}]
        assert "enum" not in p["titledSingle"]

        assert p["legacyEnum"]["enum"] == ["opt1", "opt2", "opt3"]
        assert p["legacyEnum"]["enumNames"] == ["Option One", "Option Two", "Option Three"]

        assert p["untitledMulti"]["type"] == "array"
        assert p["untitledMulti"]["items"] == {"type": "string", "enum": ["option1", "option2", "option3"]}
        assert (p["untitledMulti"]["minItems"], p["untitledMulti"]["maxItems"]) == (1, 3)

        assert p["titledMulti"]["type"] == "array"
        assert p["titledMulti"]["items"]["anyOf"] == [
            {"const": "value1", "title": "First Choice"}, {"const": "value2", "title": "Second Choice"},
            {"const": "value3", "title": "Third Choice"}]
        assert "enum" not in p["titledMulti"]["items"]

        text = text_of(result)
        prefix = "Elicitation completed: action=accept, content="
        assert text.startswith(prefix), text
        assert json.loads(text[len(prefix):]) == sent


async def test_elicitation_url_mode(surface):
    """elicitation-url (SEP-1036), when the plugin offers it."""
    async with connect(surface.manifest, elicitation=lambda request: {"action": "accept"}) as client:
        names = {tool["name"] for tool in await client.all_pages("tools")}
        if surface.name("test_elicitation_sep1036_url") not in names:
            pytest.skip("the Everything plugin does not offer test_elicitation_sep1036_url")
        result = await client.call_tool(surface.name("test_elicitation_sep1036_url"), {})
        [request] = client.received.server_requests
        params = request["params"]
        assert params["mode"] == "url"
        assert params["url"] == "https://mcp.example.com/authorize"
        assert params["elicitationId"].startswith("sep1036-test-")
        assert text_of(result) == "URL elicitation completed: action=accept"


# -- Resources (resources.ts) ---------------------------------------------------------------------


async def test_resources_list(surface):
    """resources-list: direct resources only, each with uri, name, description."""
    async with connect(surface.manifest) as client:
        resources = {r["uri"]: r for r in await client.all_pages("resources")}
        for path in ("static-text", "static-binary", "watched-resource"):
            resource = resources[surface.uri(path)]
            assert resource["name"] and resource["description"]
        assert resources[surface.uri("static-text")]["mimeType"] == "text/plain"
        assert resources[surface.uri("static-binary")]["mimeType"] == "image/png"
        assert not any("{" in uri for uri in resources), "templates are not resources"


async def test_resource_templates_list(surface):
    async with connect(surface.manifest) as client:
        templates = await client.all_pages("resourceTemplates")
        [template] = [t for t in templates if t["uriTemplate"] == surface.uri("template/{id}/data")]
        assert template["name"]
        assert template["mimeType"] == "application/json"


async def test_read_static_text(surface):
    """resources-read-text."""
    async with connect(surface.manifest) as client:
        result = await client.read_resource(surface.uri("static-text"))
        assert result["contents"] == [{"uri": surface.uri("static-text"), "mimeType": "text/plain",
                                       "text": "This is the content of the static text resource."}]


async def test_read_static_binary(surface):
    """resources-read-binary."""
    async with connect(surface.manifest) as client:
        result = await client.read_resource(surface.uri("static-binary"))
        assert result["contents"] == [{"uri": surface.uri("static-binary"), "mimeType": "image/png",
                                       "blob": TEST_IMAGE_BASE64}]


@pytest.mark.parametrize("id_", ["123", "abc-XYZ_9"])
async def test_read_template(surface, id_):
    """resources-templates-read: {id} substituted, the requested URI echoed."""
    async with connect(surface.manifest) as client:
        uri = surface.uri(f"template/{id_}/data")
        result = await client.read_resource(uri)
        [content] = result["contents"]
        assert content["uri"] == uri
        assert content["mimeType"] == "application/json"
        assert json.loads(content["text"]) == {"id": id_, "templateTest": True, "data": f"Data for ID: {id_}"}


async def test_read_watched_resource(surface):
    async with connect(surface.manifest) as client:
        result = await client.read_resource(surface.uri("watched-resource"))
        assert result["contents"][0]["text"] == "Watched resource content"


async def test_unknown_resource_is_not_found(surface):
    """sep-2164-resource-not-found: an error (never empty contents) carrying the URI; -32002 per
    PROTOCOL.md."""
    async with connect(surface.manifest) as client:
        uri = "test://nonexistent-resource-for-conformance-testing"
        with pytest.raises(McpError) as caught:
            await client.read_resource(uri)
        assert caught.value.error.code == -32002
        assert caught.value.error.data == {"uri": uri}
        for missing in (surface.uri("no-such-thing"), surface.uri("template/123/other")):
            with pytest.raises(McpError) as caught:
                await client.read_resource(missing)
            assert caught.value.error.code == -32002
            assert caught.value.error.data == {"uri": missing}
        if surface.prefix:
            with pytest.raises(McpError) as caught:
                await client.read_resource("test://static-text")
            assert caught.value.error.code == -32002


async def test_subscribe_and_unsubscribe(surface):
    """resources-subscribe / resources-unsubscribe: `{}`."""
    async with connect(surface.manifest) as client:
        assert await client.subscribe(surface.uri("watched-resource")) == {}
        assert await client.unsubscribe(surface.uri("watched-resource")) == {}
        assert await client.ping() == {}


async def test_resource_updated_reaches_subscribers_only(surface):
    """notifications/resources/updated carries the exposed URI, only while subscribed."""
    watched = surface.uri("watched-resource")
    async with connect(surface.watched_manifest) as client:
        assert await client.read_resource(watched)
        # Not subscribed: a read and a ping later, no update has been sent.
        await client.ping()
        assert "notifications/resources/updated" not in client.received.methods()

        assert await client.subscribe(watched) == {}
        update = await client.received.wait_for(lambda n: n["method"] == "notifications/resources/updated")
        assert update["params"] == {"uri": watched}
        # Several updates keep coming while subscribed.
        await client.received.wait_for(
            lambda n: n["method"] == "notifications/resources/updated" and n is not update)

        assert await client.unsubscribe(watched) == {}
        await client.ping()
        seen = client.received.methods().count("notifications/resources/updated")
        # The plugin reports an update every 50 ms: 400 ms of silence means it is filtered.
        with anyio.move_on_after(0.4):
            await client.received.wait_for(lambda n: False)
        assert client.received.methods().count("notifications/resources/updated") == seen


# -- Prompts (prompts.ts) -------------------------------------------------------------------------


async def test_prompts_list(surface):
    """prompts-list: name and description; test_prompt_with_arguments has arg1, arg2 required."""
    async with connect(surface.manifest) as client:
        prompts = {p["name"]: p for p in await client.all_pages("prompts")}
        for local in REFERENCE_PROMPTS:
            prompt = prompts[surface.name(local)]
            assert prompt.get("description"), prompt
        arguments = prompts[surface.name("test_prompt_with_arguments")]["arguments"]
        assert [(a["name"], a.get("required")) for a in arguments] == [("arg1", True), ("arg2", True)]
        assert all(a.get("description") for a in arguments)
        embedded = prompts[surface.name("test_prompt_with_embedded_resource")]["arguments"]
        assert [a["name"] for a in embedded] == ["resourceUri"]


async def test_get_simple_prompt(surface):
    """prompts-get-simple."""
    async with connect(surface.manifest) as client:
        result = await client.get_prompt(surface.name("test_simple_prompt"))
        assert result["messages"] == [
            {"role": "user", "content": {"type": "text", "text": "This is a simple prompt for testing."}}]


async def test_get_prompt_with_arguments(surface):
    """prompts-get-with-args."""
    async with connect(surface.manifest) as client:
        result = await client.get_prompt(surface.name("test_prompt_with_arguments"),
                                         {"arg1": "testValue1", "arg2": "testValue2"})
        assert result["messages"] == [{"role": "user", "content": {
            "type": "text", "text": "Prompt with arguments: arg1='testValue1', arg2='testValue2'"}}]


async def test_get_prompt_with_embedded_resource(surface):
    """prompts-get-embedded-resource."""
    async with connect(surface.manifest) as client:
        result = await client.get_prompt(surface.name("test_prompt_with_embedded_resource"),
                                         {"resourceUri": "test://example-resource"})
        first, second = result["messages"]
        assert first["role"] == "user"
        assert first["content"]["type"] == "resource"
        assert first["content"]["resource"] == {"uri": "test://example-resource", "mimeType": "text/plain",
                                                "text": "Embedded resource content for testing."}
        assert second == {"role": "user", "content": {"type": "text", "text": "Please process the embedded resource above."}}


async def test_get_prompt_with_image(surface):
    """prompts-get-with-image."""
    async with connect(surface.manifest) as client:
        result = await client.get_prompt(surface.name("test_prompt_with_image"))
        first, second = result["messages"]
        assert first == {"role": "user", "content": {"type": "image", "data": TEST_IMAGE_BASE64, "mimeType": "image/png"}}
        assert second == {"role": "user", "content": {"type": "text", "text": "Please analyze the image above."}}


async def test_missing_required_prompt_argument_is_invalid_params(surface):
    async with connect(surface.manifest) as client:
        with pytest.raises(McpError) as caught:
            await client.get_prompt(surface.name("test_prompt_with_arguments"), {"arg1": "only one"})
        assert caught.value.error.code == -32602
        assert "arg2" in caught.value.error.message
        with pytest.raises(McpError) as caught:
            await client.get_prompt(surface.name("test_prompt_with_arguments"))
        assert caught.value.error.code == -32602


async def test_unknown_prompt_is_invalid_params(surface):
    async with connect(surface.manifest) as client:
        with pytest.raises(McpError) as caught:
            await client.get_prompt(surface.name("test_no_such_prompt"))
        assert caught.value.error.code == -32602


# -- Completion -----------------------------------------------------------------------------------


async def test_completion_on_prompt_argument(surface):
    """completion/complete on test_prompt_with_arguments.arg1: the reference offers no values."""
    async with connect(surface.manifest) as client:
        result = await client.complete_prompt(surface.name("test_prompt_with_arguments"), "arg1", "")
        completion = result["completion"]
        assert isinstance(completion["values"], list) and len(completion["values"]) <= 100
        assert all(isinstance(v, str) for v in completion["values"])
        assert completion == {"values": [], "total": 0, "hasMore": False}
        with_context = await client.complete_prompt(surface.name("test_prompt_with_arguments"), "arg2", "x",
                                                    context={"arg1": "a"})
        assert with_context["completion"]["values"] == []


async def test_completion_on_template_argument(surface):
    async with connect(surface.manifest) as client:
        result = await client.complete_template(surface.uri("template/{id}/data"), "id", "1")
        assert isinstance(result["completion"]["values"], list)
        assert len(result["completion"]["values"]) <= 100


async def test_completion_on_unknown_prompt_is_invalid_params(surface):
    async with connect(surface.manifest) as client:
        with pytest.raises(McpError) as caught:
            await client.complete_prompt(surface.name("test_no_such_prompt"), "arg1", "")
        assert caught.value.error.code == -32602


# -- Pagination -----------------------------------------------------------------------------------


async def test_bad_cursor_is_invalid_params(surface):
    async with connect(surface.manifest) as client:
        for method in (client.list_tools, client.list_resources, client.list_resource_templates, client.list_prompts):
            with pytest.raises(McpError) as caught:
                await method("not-a-cursor-this-server-issued")
            assert caught.value.error.code == -32602, method.__name__
        assert await client.ping() == {}


# -- Every handshake revision ---------------------------------------------------------------------


@pytest.mark.parametrize("version", HANDSHAKE_VERSIONS)
async def test_scenarios_under_every_handshake_revision(surface, version):
    """The main scenarios again with the SDK offering each revision it can negotiate: the host
    echoes the revision and every result passes the SDK's validation for it."""
    async with connect(surface.manifest, protocol_version=version, sampling=_assistant_answer) as client:
        assert client.protocol_version == version
        names = {tool["name"] for tool in await client.all_pages("tools")}
        assert {surface.name(local) for local in REFERENCE_TOOLS} <= names
        for local in ("test_simple_text", "test_image_content", "test_audio_content", "test_embedded_resource",
                      "test_multiple_content_types"):
            assert (await client.call_tool(surface.name(local), {}))["content"]
        assert (await client.call_tool(surface.name("test_error_handling"), {}))["isError"] is True
        progress = ProgressLog()
        await client.call_tool(surface.name("test_tool_with_progress"), {}, progress=progress)
        assert [u["progress"] for u in await progress.wait_count(3)] == [0, 50, 100]
        await client.set_level("info")
        await client.call_tool(surface.name("test_tool_with_logging"), {})
        assert len(await client.received.wait_logs(3)) == 3
        sampled = await client.call_tool(surface.name("test_sampling"), {"prompt": "p"})
        assert text_of(sampled) == "LLM response: This is a test response from the client"
        assert (await client.read_resource(surface.uri("static-binary")))["contents"][0]["blob"] == TEST_IMAGE_BASE64
        assert (await client.read_resource(surface.uri("template/7/data")))["contents"][0]["uri"] == surface.uri("template/7/data")
        assert await client.subscribe(surface.uri("watched-resource")) == {}
        assert len((await client.get_prompt(surface.name("test_prompt_with_image")))["messages"]) == 2
        assert (await client.complete_prompt(surface.name("test_prompt_with_arguments"), "arg1", ""))["completion"]["values"] == []
        with pytest.raises(McpError) as caught:
            await client.read_resource(surface.uri("nope"))
        assert caught.value.error.code == -32002


@pytest.mark.parametrize("version", ["2025-06-18", "2025-11-25"])
async def test_elicitation_under_revisions_that_have_it(surface, version):
    """Elicitation exists since 2025-06-18."""
    async with connect(surface.manifest, protocol_version=version,
                       elicitation=lambda request: {"action": "accept", "content": {"response": "ok"}}) as client:
        result = await client.call_tool(surface.name("test_elicitation"), {"message": "m"})
        assert text_of(result) == 'User response: action=accept, content={"response":"ok"}'
