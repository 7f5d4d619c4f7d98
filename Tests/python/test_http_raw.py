"""The Streamable HTTP endpoint driven with raw HTTP (`http.client` and plain sockets) over real
sockets on 127.0.0.1: what a client library never sends (evil Host and Origin headers, missing
or ended sessions, bad version headers, oversize and malformed bodies, half-sent requests), the
health probes, the JSON-or-SSE rule, resumability, the CLI's endpoint wiring and a graceful
shutdown. Servers listen on port 0 and announce their port through --port-file (no sleeps to wait
for readiness)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import time
from pathlib import Path

import pytest

from conftest import FIXTURE_MANIFESTS, MANIFESTS, ROOT, HTTPServerProcess, run_manifold

pytestmark = pytest.mark.usefixtures("manifold_bin")

INITIALIZE = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}},
}
ACCEPT_BOTH = "application/json, text/event-stream"


def raw_manifest(tmp_path: Path, endpoint: bool = True, **settings) -> Path:
    """A host with the Math plugin and (unless `endpoint` is false) one HTTP endpoint on port 0
    with these settings."""
    lines = [
        "kind: host",
        "server: {name: http-raw, version: 0.1.0}",
        f"pluginFolders: [{json.dumps(str(ROOT / 'Plugins'))}]",
        "mounts:",
        "  - plugin: math",
        "    prefix: math",
    ]
    if endpoint:
        lines += ["endpoints:", "  - http:", '      listen: "127.0.0.1:0"']
    for key, value in settings.items():
        lines.append(f"      {key}: {json.dumps(value)}")
    path = tmp_path / "http-raw.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


class Exchange:
    """One HTTP request's answer, read whole."""

    def __init__(self, response: http.client.HTTPResponse):
        self.status = response.status
        self.headers = {k.lower(): v for k, v in response.getheaders()}
        self.body = response.read()

    @property
    def json(self):
        return json.loads(self.body)

    def events(self) -> list[dict[str, str]]:
        """The SSE events of the body (field name → value)."""
        events = []
        for block in self.body.decode().split("\n\n"):
            if not block.strip():
                continue
            fields: dict[str, str] = {}
            for line in block.split("\n"):
                if line.startswith(":"):
                    continue
                name, _, value = line.partition(":")
                fields[name] = value[1:] if value.startswith(" ") else value
            events.append(fields)
        return events


def request(server: HTTPServerProcess, method: str = "POST", body=None, *, session: str | None = None,
            headers: dict[str, str] | None = None, path: str = "/mcp", raw: bytes | None = None) -> Exchange:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        all_headers = {"Accept": ACCEPT_BOTH}
        if body is not None or raw is not None:
            all_headers["Content-Type"] = "application/json"
        if session:
            all_headers["Mcp-Session-Id"] = session
        all_headers.update(headers or {})
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        connection.request(method, path, body=payload, headers=all_headers)
        return Exchange(connection.getresponse())
    finally:
        connection.close()


def initialize(server: HTTPServerProcess) -> str:
    answer = request(server, body=INITIALIZE)
    assert answer.status == 200, answer.body
    session = answer.headers["mcp-session-id"]
    assert request(server, body={"jsonrpc": "2.0", "method": "notifications/initialized"}, session=session).status == 202
    return session


def call(server, session, name="math_add", arguments=None, id_=2, **kwargs) -> Exchange:
    return request(server, body={"jsonrpc": "2.0", "id": id_, "method": "tools/call",
                                 "params": {"name": name, "arguments": arguments or {"a": 2, "b": 3}}},
                   session=session, **kwargs)


@pytest.fixture
def server(http_server, tmp_path) -> HTTPServerProcess:
    return http_server(raw_manifest(tmp_path, allowedOrigins=["https://app.example.com"], maxBodyBytes=65536,
                                    headerTimeoutMs=500), http=False)


# -- Listening ------------------------------------------------------------------------------------


def test_port_zero_is_announced_on_stderr_and_in_the_port_file(server):
    assert server.port > 0
    assert f"listening on http://127.0.0.1:{server.port}/mcp" in server.stderr()


def event_loop_threads(server: HTTPServerProcess) -> int:
    """The host's NIO event-loop threads (named NIO-ELT-…), read from /proc."""
    return sum(1 for comm in Path(f"/proc/{server.process.pid}/task").glob("*/comm")
               if comm.read_text().startswith("NIO-ELT"))


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs Linux CPU affinity")
def test_one_event_loop_per_usable_core_or_as_many_as_asked(http_server, tmp_path):
    """By default one event loop per core the host may run on — under `taskset` that is the cores
    it was given, not the machine's — and exactly `--event-loops` when given; each answers."""
    manifest = raw_manifest(tmp_path, endpoint=False)
    allowed = sorted(os.sched_getaffinity(0))
    default = http_server(manifest)
    assert 1 <= event_loop_threads(default) <= len(allowed)
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {allowed[0]})  # the child inherits it, as under `taskset -c N`
    try:
        pinned = http_server(manifest)
    finally:
        os.sched_setaffinity(0, saved)
    assert event_loop_threads(pinned) == 1
    explicit = http_server(manifest, extra_args=("--event-loops", "3"))
    assert event_loop_threads(explicit) == 3
    for server in (default, pinned, explicit):
        assert call(server, initialize(server)).json["result"]["content"][0]["text"] == "5"
    refused = run_manifold("serve", str(manifest), "--http", "127.0.0.1:0", "--event-loops", "0")
    assert refused.returncode != 0 and "--event-loops must be ≥ 1" in refused.stderr


def test_the_flag_and_the_manifest_endpoints_listen_together(http_server, tmp_path):
    both = http_server(raw_manifest(tmp_path), http=True)
    assert len(both.ports) == 2 and both.ports[0] != both.ports[1]
    for port in both.ports:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/healthz")
        assert connection.getresponse().status == 200
        connection.close()


def test_stdio_and_http_are_served_together(http_server):
    """demo.yaml declares stdio: with --http both run; stdin at EOF ends stdio, not HTTP."""
    both = http_server(MANIFESTS / "demo.yaml")
    session = initialize(both)
    answer = call(both, session, id_=5)
    assert answer.status == 200
    assert answer.json["result"]["structuredContent"] == {"result": 5}
    assert both.process.poll() is None


# -- DNS rebinding: Host and Origin ---------------------------------------------------------------


def test_an_evil_host_is_refused_and_localhost_accepted(server):
    evil = request(server, body=INITIALIZE, headers={"Host": "evil.example.com"})
    assert 400 <= evil.status < 500
    assert evil.status == 421
    assert request(server, body=INITIALIZE, headers={"Host": f"localhost:{server.port}"}).status == 200
    assert request(server, body=INITIALIZE, headers={"Host": f"127.0.0.1:{server.port}"}).status == 200


def test_an_evil_origin_is_forbidden(server):
    evil = request(server, body=INITIALIZE, headers={"Origin": "http://evil.example.com"})
    assert evil.status == 403
    assert evil.json["error"]["code"] == -32600
    assert request(server, body=INITIALIZE, headers={"Origin": "http://localhost:5173"}).status == 200
    assert request(server, body=INITIALIZE, headers={"Origin": "https://app.example.com"}).status == 200


# -- Sessions -------------------------------------------------------------------------------------


def test_a_request_without_a_session_is_a_bad_request(server):
    answer = call(server, None, id_=9)
    assert answer.status == 400
    assert answer.json["error"]["code"] == -32600
    assert answer.json["id"] == 9


def test_after_delete_the_session_is_not_found(server):
    session = initialize(server)
    assert call(server, session).status == 200
    assert request(server, "DELETE", session=session).status == 200
    gone = call(server, session)
    assert gone.status == 404
    assert request(server, "DELETE", session=session).status == 404


def test_an_unsupported_protocol_version_is_a_bad_request(server):
    session = initialize(server)
    answer = call(server, session, headers={"MCP-Protocol-Version": "1999-12-31"})
    assert answer.status == 400
    assert "1999-12-31" in answer.json["error"]["message"]
    assert call(server, session, headers={"MCP-Protocol-Version": "2025-11-25"}).status == 200


def test_a_notification_is_accepted_with_an_empty_body(server):
    session = initialize(server)
    answer = request(server, body={"jsonrpc": "2.0", "method": "notifications/initialized"}, session=session)
    assert answer.status == 202
    assert answer.body == b""


def test_session_ids_are_random_visible_ascii(server):
    ids = {initialize(server) for _ in range(5)}
    assert len(ids) == 5
    for session in ids:
        assert len(session) >= 32 and all(0x21 <= ord(c) <= 0x7E for c in session)


# -- Bodies ---------------------------------------------------------------------------------------


def test_an_oversize_body_is_refused(server):
    answer = request(server, raw=b"[" + b" " * 70000 + b"]")
    assert answer.status == 413


def test_malformed_json_is_a_parse_error(server):
    answer = request(server, raw=b'{"jsonrpc":"2.0","id":1,"method":')
    assert answer.status == 400
    assert answer.json["error"]["code"] == -32700
    assert answer.json["id"] is None


def test_a_json_answer_for_a_quiet_call(server):
    session = initialize(server)
    answer = call(server, session, id_="abc")
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json["id"] == "abc"
    assert answer.json["result"]["content"][0]["text"] == "5"


# -- Slow clients ---------------------------------------------------------------------------------


def test_a_half_sent_request_is_timed_out_while_other_clients_are_served(server):
    stalled = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    stalled.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
    started = time.monotonic()
    session = initialize(server)
    for n in range(20):
        assert call(server, session, id_=n).status == 200
    received = b""
    while True:
        chunk = stalled.recv(4096)
        if not chunk:
            break
        received += chunk
    elapsed = time.monotonic() - started
    stalled.close()
    assert received.startswith(b"HTTP/1.1 408"), received
    assert elapsed < 5, f"closed after {elapsed:.2f}s (header timeout 0.5s)"
    assert call(server, session).status == 200


# -- Health ---------------------------------------------------------------------------------------


def test_healthz_and_readyz(server):
    health = request(server, "GET", path="/healthz")
    assert health.status == 200 and health.body == b"ok\n"
    ready = request(server, "GET", path="/readyz")
    assert ready.status == 200
    assert ready.json == {"ready": True, "failing": []}


def test_readyz_names_failing_mounts(http_server):
    refusals = http_server(FIXTURE_MANIFESTS / "refusals.yaml")
    ready = request(refusals, "GET", path="/readyz")
    assert ready.status == 503
    failing = ready.json["failing"]
    assert len(failing) == 5, failing
    assert all(entry["mount"] and entry["health"].startswith("failed") for entry in failing)
    # The healthy Math mount still serves.
    session = initialize(refusals)
    assert call(refusals, session).json["result"]["content"][0]["text"] == "5"


# -- Stateless ------------------------------------------------------------------------------------


def test_stateless_requests_stand_alone(http_server, tmp_path):
    stateless = http_server(raw_manifest(tmp_path, endpoint=False), http=True, stateless=True)
    assert "(stateless)" in stateless.stderr()
    answer = call(stateless, None, id_=3)
    assert answer.status == 200 and answer.json["result"]["structuredContent"] == {"result": 5}
    init = request(stateless, body=INITIALIZE)
    assert init.status == 200 and "mcp-session-id" not in init.headers
    assert request(stateless, "GET", headers={"Accept": "text/event-stream"}).status == 405
    assert request(stateless, "DELETE").status == 405


# -- SSE and resumability (the Everything plugin's progress tool) -----------------------------------


@pytest.fixture
def everything(http_server, require_everything) -> HTTPServerProcess:
    return http_server(MANIFESTS / "conformance.yaml")


def _progress_call(server, session, id_=7) -> Exchange:
    return request(server, body={"jsonrpc": "2.0", "id": id_, "method": "tools/call", "params": {
        "name": "test_tool_with_progress", "arguments": {}, "_meta": {"progressToken": "tok"}}}, session=session)


def test_a_call_with_progress_is_answered_with_sse(everything):
    session = initialize(everything)
    answer = _progress_call(everything, session)
    assert answer.status == 200
    assert answer.headers["content-type"] == "text/event-stream"
    events = answer.events()
    assert events[0]["data"] == "" and events[0]["id"], "priming event: an id and empty data"
    messages = [json.loads(e["data"]) for e in events if e.get("data")]
    assert [m.get("method") for m in messages[:-1]] == ["notifications/progress"] * 3
    assert messages[-1]["id"] == 7 and "result" in messages[-1]
    ids = [e["id"] for e in events]
    assert len(set(ids)) == len(ids)


def test_a_json_only_client_without_a_get_stream_gets_sampling_refused_at_once(everything):
    """A server→client request has nowhere to go when the client takes JSON only and has no GET
    stream open: the plugin hears so at once and the call ends, instead of waiting forever."""
    hello = {**INITIALIZE, "params": {**INITIALIZE["params"], "capabilities": {"sampling": {}}}}
    answer = request(everything, body=hello)
    assert answer.status == 200, answer.body
    session = answer.headers["mcp-session-id"]
    assert request(everything, body={"jsonrpc": "2.0", "method": "notifications/initialized"},
                   session=session).status == 202
    started = time.monotonic()
    call = request(everything, body={"jsonrpc": "2.0", "id": 9, "method": "tools/call",
                                     "params": {"name": "test_sampling", "arguments": {"prompt": "hi"}}},
                   session=session, headers={"Accept": "application/json"})
    assert time.monotonic() - started < 15, "the call waited for an answer that could not come"
    assert call.status == 200 and call.headers["content-type"].startswith("application/json"), call.body
    message = json.loads(call.body)
    assert message["id"] == 9
    # The Everything plugin answers as the reference server does when sampling fails.
    assert "Sampling not supported" in message["result"]["content"][0]["text"], message


def test_last_event_id_replays_the_rest_of_a_stream(everything):
    session = initialize(everything)
    events = _progress_call(everything, session).events()
    first_progress = events[1]["id"]
    replay = request(everything, "GET", session=session, headers={"Accept": "text/event-stream",
                                                                   "Last-Event-ID": first_progress})
    assert replay.status == 200
    replayed = [json.loads(e["data"]) for e in replay.events() if e.get("data")]
    assert [m.get("method") for m in replayed] == ["notifications/progress", "notifications/progress", None]
    assert replayed[-1]["id"] == 7


def test_legacy_sse_announces_its_endpoint(everything):
    connection = socket.create_connection(("127.0.0.1", everything.port), timeout=10)
    connection.sendall(b"GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
    received = b""
    while b"\n\n" not in received.partition(b"\r\n\r\n")[2]:
        received += connection.recv(4096)
    connection.close()
    assert received.startswith(b"HTTP/1.1 200")
    assert b"event: endpoint" in received and b"data: /messages?sessionId=" in received


# -- Shutdown -------------------------------------------------------------------------------------


def test_sigterm_lets_the_call_in_flight_finish_and_exits_0(everything):
    session = initialize(everything)
    connection = socket.create_connection(("127.0.0.1", everything.port), timeout=20)
    body = json.dumps({"jsonrpc": "2.0", "id": 11, "method": "tools/call", "params": {
        "name": "test_tool_with_progress", "arguments": {}, "_meta": {"progressToken": "t"}}}).encode()
    connection.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       b"Accept: application/json, text/event-stream\r\nMcp-Session-Id: " + session.encode()
                       + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    received = connection.recv(4096)
    assert received.startswith(b"HTTP/1.1 200"), received  # the SSE stream started: the call is in flight
    everything.process.send_signal(15)
    while True:
        chunk = connection.recv(4096)
        if not chunk:
            break
        received += chunk
    connection.close()
    assert b'"id":11' in received, "the call in flight finished"
    assert everything.process.wait(timeout=20) == 0


def test_sigterm_with_an_open_get_stream_exits_0(server):
    session = initialize(server)
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    connection.sendall(b"GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nMcp-Session-Id: "
                       + session.encode() + b"\r\n\r\n")
    assert connection.recv(4096).startswith(b"HTTP/1.1 200")
    started = time.monotonic()
    server.process.send_signal(15)
    while connection.recv(4096):
        pass
    connection.close()
    assert server.process.wait(timeout=20) == 0
    assert time.monotonic() - started < 5, "an open GET stream does not hold up the shutdown"
