"""Requests from a backend to the client (PROTOCOL.md §6) across the mesh: sampling,
elicitation and roots, asked by a native plugin (through the host services) or by a remote
FastMCP server, reach the client that made the call; its answer goes back and completes the
call. A client without the capability is never asked, and the asker gets a clear error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import connect, text_of
from test_mesh_support import EVENTS, PLUGINS, peer_python, quoted, stdio_remote, write_manifest  # noqa: F401

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("manifold_bin", "peer_python", "require_everything")]


def manifest(folder: Path) -> Path:
    return write_manifest(folder, "requests.yaml", f"""
pluginFolders: [{quoted(PLUGINS)}]
mounts:
  - plugin: everything
    prefix: everything
  - remote: {stdio_remote(EVENTS)}
    prefix: ev
""")


def answer(text: str):
    def sample(request: dict) -> dict:
        return {"role": "assistant", "content": {"type": "text", "text": text}, "model": "test-model",
                "stopReason": "endTurn"}
    return sample


async def test_plugin_sampling_is_answered_by_the_calling_client(tmp_path):
    async with connect(manifest(tmp_path), sampling=answer("from the client")) as client:
        result = await client.call_tool("everything_test_sampling", {"prompt": "What is 2+2?"})
        assert text_of(result) == "LLM response: from the client"
        [request] = client.received.server_requests
        assert request["params"]["messages"][0]["content"]["text"] == "What is 2+2?"


async def test_plugin_elicitation_is_answered_by_the_calling_client(tmp_path):
    def accept(request: dict) -> dict:
        assert request["message"] == "Your name?"
        return {"action": "accept", "content": {"response": "Ann"}}

    async with connect(manifest(tmp_path), elicitation=accept) as client:
        result = await client.call_tool("everything_test_elicitation", {"message": "Your name?"})
        assert text_of(result) == 'User response: action=accept, content={"response":"Ann"}'


async def test_plugin_gets_a_clear_error_without_the_capability(tmp_path):
    async with connect(manifest(tmp_path)) as client:
        sampled = await client.call_tool("everything_test_sampling", {"prompt": "hi"})
        assert text_of(sampled) == ("Sampling not supported or error: Client does not support sampling "
                                    "(required for sampling/createMessage)")
        elicited = await client.call_tool("everything_test_elicitation", {"message": "hi"})
        assert "Client does not support elicitation (required for elicitation/create)" in text_of(elicited)
        assert client.received.server_requests == []


async def test_remote_sampling_is_answered_by_the_calling_client(tmp_path):
    async with connect(manifest(tmp_path), sampling=answer("four")) as client:
        result = await client.call_tool("ev_ask", {"prompt": "What is 2+2?"})
        assert text_of(result) == "sampled: four"
        [request] = client.received.server_requests
        assert request["method"] == "sampling/createMessage"
        assert request["params"]["messages"][0]["content"]["text"] == "What is 2+2?"
        assert request["params"]["maxTokens"] == 50


async def test_remote_elicitation_and_roots(tmp_path):
    def accept(request: dict) -> dict:
        assert request["message"] == "Proceed?"
        return {"action": "accept", "content": {"value": "yes"}}

    roots = [{"uri": "file:///work/project", "name": "project"}]
    async with connect(manifest(tmp_path), elicitation=accept, roots=roots) as client:
        assert text_of(await client.call_tool("ev_confirm", {"message": "Proceed?"})) == "accept: yes"
        assert text_of(await client.call_tool("ev_roots", {})) == "file:///work/project"


async def test_remote_gets_a_clear_error_without_the_capability(tmp_path):
    async with connect(manifest(tmp_path)) as client:
        result = await client.call_tool("ev_ask", {"prompt": "hi"})
        assert result.get("isError") is True
        assert "the client did not declare the capability for sampling/createMessage" in text_of(result), result
        assert client.received.server_requests == []
