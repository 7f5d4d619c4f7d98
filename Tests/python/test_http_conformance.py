"""The conformance scenarios of test_conformance_stdio.py, run again over HTTP with the SDK's own
HTTP transports, against `manifold serve <manifest> --http 127.0.0.1:0`:

* ``stateful``   — Streamable HTTP with sessions (`streamable_http_client`);
* ``stateless``  — Streamable HTTP with ``--stateless`` (no session ids; every request stands alone);
* ``legacy-sse`` — the 2024-11-05 HTTP+SSE transport (`sse_client` on ``/sse``).

The scenario functions are imported from the stdio suite and run unchanged: only its `connect`
is replaced (per test, with monkeypatch) by one that opens an HTTP session to a server started
for that manifest and mode (one server per manifest and mode, shared by the module's tests).

Stateless mode cannot do what needs state between two requests; those scenarios are skipped
there, each with its reason (the same scenarios pass in the two stateful modes)."""

from __future__ import annotations

import contextlib
import inspect

import pytest

import test_conformance_stdio as scenarios
from conftest import HTTPServerProcess, connect_http

pytestmark = [pytest.mark.anyio, pytest.mark.everything, pytest.mark.usefixtures("manifold_bin", "require_everything")]

MODES = ["stateful", "stateless", "legacy-sse"]

#: What stateless mode cannot do, by scenario, and why.
STATELESS_CANNOT = {
    "test_sampling": "a server→client request needs the client's answer to reach the same session",
    "test_sampling_error_from_the_client": "a server→client request needs the client's answer to reach the same session",
    "test_elicitation_accept": "a server→client request needs the client's answer to reach the same session",
    "test_elicitation_decline_and_cancel": "a server→client request needs the client's answer to reach the same session",
    "test_elicitation_sep1034_defaults": "a server→client request needs the client's answer to reach the same session",
    "test_elicitation_sep1330_enums": "a server→client request needs the client's answer to reach the same session",
    "test_elicitation_url_mode": "a server→client request needs the client's answer to reach the same session",
    "test_elicitation_under_revisions_that_have_it": "a server→client request needs the client's answer to reach the same session",
    "test_scenarios_under_every_handshake_revision": "includes sampling (a server→client request)",
    "test_set_level_filters_lower_levels": "logging/setLevel lasts for one request only",
    "test_resource_updated_reaches_subscribers_only": "no session: no subscription, no GET stream for updates",
}


def _cases():
    """(scenario name, keyword arguments) for every scenario, parametrizations expanded."""
    cases = []
    for name, function in sorted(vars(scenarios).items()):
        if not name.startswith("test_") or not inspect.iscoroutinefunction(function):
            continue
        expanded = [{}]
        for mark in getattr(function, "pytestmark", []):
            if mark.name != "parametrize":
                continue
            argnames, values = mark.args[0], mark.args[1]
            names = [n.strip() for n in argnames.split(",")] if isinstance(argnames, str) else list(argnames)
            expanded = [
                {**done, **dict(zip(names, value if len(names) > 1 else (value,)))}
                for done in expanded for value in values
            ]
        for kwargs in expanded:
            cases.append(pytest.param(name, kwargs, id=name + "".join(f"[{v}]" for v in kwargs.values())))
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def servers(manifold_bin):
    """One server per (manifest, stateless), started on first use, stopped with the module."""
    running: dict[tuple[str, bool], HTTPServerProcess] = {}

    def get(manifest, stateless: bool) -> HTTPServerProcess:
        key = (str(manifest), stateless)
        server = running.get(key)
        if server is None or server.process.poll() is not None:
            server = running[key] = HTTPServerProcess(manifest, stateless=stateless)
        return server

    yield get
    for server in running.values():
        server.stop()


def _http_connect(mode: str, servers):
    @contextlib.asynccontextmanager
    async def connect(manifest, *, extra_args=(), env=None, **kwargs):
        if extra_args or env is not None:
            pytest.skip("scenario needs a server process of its own")
        server = servers(manifest, stateless=mode == "stateless")
        if mode == "legacy-sse":
            url, transport = f"{server.base}/sse", "sse"
        else:
            url, transport = server.url, "streamable"
        async with connect_http(url, transport=transport, server=server, **kwargs) as client:
            yield client

    return connect


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("surface", scenarios.SURFACES, ids=["unprefixed", "prefixed-ev"])
@pytest.mark.parametrize("scenario, kwargs", CASES)
async def test_scenario_over_http(scenario, kwargs, surface, mode, servers, monkeypatch):
    if mode == "stateless" and scenario in STATELESS_CANNOT:
        pytest.skip(f"stateless: {STATELESS_CANNOT[scenario]}")
    monkeypatch.setattr(scenarios, "connect", _http_connect(mode, servers))
    await getattr(scenarios, scenario)(surface, **kwargs)


async def test_every_scenario_is_run_over_http():
    """A guard against a silently empty parametrization (a renamed stdio module, say)."""
    assert len(CASES) >= 40, [case.id for case in CASES]


@pytest.mark.mcp2only
@pytest.mark.parametrize("stateless", [False, True], ids=["stateful", "stateless"])
async def test_the_mcp2_client_probes_discover_then_falls_back_to_initialize(stateless, servers):
    """mcp 2.x's high-level `Client(url)` (mode "auto") first POSTs `server/discover` (a
    2026-07-28 request) without a session: the host refuses it with a JSON-RPC error body, and
    the client falls back to the `initialize` handshake at once (no 10 s wait)."""
    from conftest import MCP_MAJOR

    if MCP_MAJOR < 2:
        pytest.skip("mcp 1.x has no discover probe")
    import time

    from mcp import Client

    server = servers(scenarios.SURFACES[0].manifest, stateless=stateless)
    started = time.monotonic()
    async with Client(server.url) as client:
        result = await client.call_tool("test_simple_text", {})
        assert result.content[0].text == "This is a simple text response for testing."
        tools = await client.list_tools()
        assert "test_simple_text" in {tool.name for tool in tools.tools}
    assert time.monotonic() - started < 5
