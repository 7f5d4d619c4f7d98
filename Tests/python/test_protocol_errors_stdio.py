"""JSON-RPC over stdio, byte by byte, for what a client library never sends: malformed JSON,
batches, wrong id and param types, requests out of lifecycle order, huge lines, end of input.
No client library here: `RawServer` writes lines to `manifold serve` and reads lines back, and
every line it reads must be JSON (stdout carries the protocol only)."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURE_MANIFESTS, MANIFESTS

DEMO = MANIFESTS / "demo.yaml"
BENCH = FIXTURE_MANIFESTS / "bench.yaml"


def error_code(response: dict) -> int:
    assert "error" in response and "result" not in response, response
    return response["error"]["code"]


# -- Parse errors and invalid requests ------------------------------------------------------------


def test_malformed_json_is_a_parse_error_with_null_id_and_the_host_keeps_serving(raw_server):
    server = raw_server(DEMO)
    server.initialize()
    server.send_line('{"jsonrpc": "2.0", "id": 1, "method": ')
    response = server.recv()
    assert error_code(response) == -32700
    assert "id" in response and response["id"] is None
    assert response["jsonrpc"] == "2.0"
    server.send_line("this is not json")
    assert error_code(server.recv()) == -32700
    # Still serving.
    assert server.request("ping")["result"] == {}
    assert server.request("tools/call", {"name": "math_add", "arguments": {"a": 2, "b": 3}})["result"][
        "structuredContent"] == {"result": 5}


def test_unknown_method_is_method_not_found(raw_server):
    server = raw_server(DEMO)
    server.initialize()
    response = server.request("tools/frobnicate", {})
    assert error_code(response) == -32601
    assert error_code(server.request("resources/delete", {"uri": "math://math/constants"})) == -32601


@pytest.mark.parametrize("message, code", [
    ({"jsonrpc": "2.0", "id": None, "method": "ping"}, -32600),          # ids are never null
    ({"jsonrpc": "1.0", "id": 77, "method": "ping"}, -32600),            # not JSON-RPC 2.0
    ({"id": 77, "method": "ping"}, -32600),                              # no jsonrpc member
    ({"jsonrpc": "2.0", "id": 77, "method": 42}, -32600),                # method must be a string
    ({"jsonrpc": "2.0", "id": 77, "method": "ping", "params": "x"}, -32600),  # params: object/array
    ("42", -32600),                                                      # valid JSON, not a message
], ids=["null-id", "jsonrpc-1.0", "no-jsonrpc", "method-number", "params-string", "bare-number"])
def test_invalid_requests(raw_server, message, code):
    server = raw_server(DEMO)
    server.initialize()
    if isinstance(message, str):
        server.send_line(message)
    else:
        server.send(message)
    response = server.recv()
    assert error_code(response) == code
    if isinstance(message, dict) and isinstance(message.get("id"), int):
        assert response["id"] in (77, None)
    assert server.request("ping")["result"] == {}


def test_wrong_param_types_are_invalid_params(raw_server):
    server = raw_server(DEMO)
    server.initialize()
    assert error_code(server.request("tools/call", {"name": 5})) == -32602
    assert error_code(server.request("tools/call", {"name": "math_add", "arguments": "x"})) == -32602
    assert error_code(server.request("tools/call", {"name": "math_add", "arguments": [1, 2]})) == -32602
    assert error_code(server.request("tools/call", {})) == -32602
    assert error_code(server.request("resources/read", {"uri": 7})) == -32602
    assert error_code(server.request("prompts/get", {"name": ["math_explain"]})) == -32602
    assert error_code(server.request("tools/list", {"cursor": 3})) == -32602
    assert error_code(server.request("logging/setLevel", {"level": "loud"})) == -32602
    # Missing `arguments` means {}: the tool itself reports what is missing.
    result = server.request("tools/call", {"name": "math_add"})["result"]
    assert result["isError"] is True


def test_invalid_utf8_is_a_parse_error_and_never_reaches_stdout(raw_server):
    """JSON-RPC over MCP is UTF-8 (RFC 8259 §8.1: JSON text exchanged between systems MUST be
    UTF-8). A line with invalid UTF-8 is not valid JSON text: -32700, and stdout must stay
    valid UTF-8 whatever the client sent (the SDKs decode stdout strictly)."""
    server = raw_server(BENCH)
    server.initialize()
    server.send_line(b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"a\xffb"}}}')
    response = server.recv()  # fails if the line is not UTF-8
    assert error_code(response) == -32700, response
    assert response["id"] is None
    assert server.request("ping", id_="after")["result"] == {}


# -- Batches --------------------------------------------------------------------------------------


def test_batch_is_rejected_on_a_2025_06_18_session(raw_server):
    server = raw_server(DEMO)
    assert server.initialize("2025-06-18")["protocolVersion"] == "2025-06-18"
    server.send([{"jsonrpc": "2.0", "id": 10, "method": "ping"}, {"jsonrpc": "2.0", "id": 11, "method": "tools/list"}])
    response = server.recv()
    assert isinstance(response, dict), "one error, not an array of responses"
    assert error_code(response) == -32600
    assert response["id"] is None
    # Neither element was executed: the next message is the answer to this ping.
    assert server.request("ping", id_=12)["result"] == {}


def test_batch_is_rejected_on_a_2025_11_25_session(raw_server):
    server = raw_server(DEMO)
    assert server.initialize("2025-11-25")["protocolVersion"] == "2025-11-25"
    server.send([{"jsonrpc": "2.0", "id": 10, "method": "ping"}])
    assert error_code(server.recv()) == -32600


def test_batch_is_served_on_a_2025_03_26_session(raw_server):
    server = raw_server(DEMO)
    assert server.initialize("2025-03-26")["protocolVersion"] == "2025-03-26"
    server.send([
        {"jsonrpc": "2.0", "id": 10, "method": "ping"},
        {"jsonrpc": "2.0", "id": "eleven", "method": "tools/call", "params": {"name": "math_add", "arguments": {"a": 1, "b": 2}}},
        {"jsonrpc": "2.0", "method": "notifications/whatever"},
        {"jsonrpc": "2.0", "id": 12, "method": "no/such/method"},
    ])
    response = server.recv()
    assert isinstance(response, list), response
    by_id = {json.dumps(item["id"]): item for item in response}
    assert set(by_id) == {"10", '"eleven"', "12"}, "one response per request, none for the notification"
    assert by_id["10"]["result"] == {}
    assert by_id['"eleven"']["result"]["structuredContent"] == {"result": 3}
    assert error_code(by_id["12"]) == -32601
    # A batch of notifications only gets no reply at all.
    server.send([{"jsonrpc": "2.0", "method": "notifications/whatever"}])
    assert server.request("ping", id_=13)["result"] == {}
    # An empty batch is an invalid request.
    server.send_line("[]")
    assert error_code(server.recv()) == -32600


# -- Lifecycle ------------------------------------------------------------------------------------


def test_ping_before_initialize_answers_empty_result(raw_server):
    server = raw_server(DEMO)
    assert server.request("ping") == {"jsonrpc": "2.0", "id": 1, "result": {}}


def test_request_before_initialize_is_an_error(raw_server):
    server = raw_server(DEMO)
    response = server.request("tools/list")
    assert "error" in response and "result" not in response, response
    assert response["id"] == 1
    response = server.request("tools/call", {"name": "math_add", "arguments": {"a": 1, "b": 2}})
    assert "error" in response, "no tool runs before initialize"
    # The session can still be initialized afterwards.
    server.initialize()
    assert "tools" in server.request("tools/list")["result"]


def test_unknown_method_before_initialize_is_method_not_found(raw_server):
    # The mcp 2.x client probes `server/discover` first and falls back to initialize on an
    # error; silence would cost it a 10 s timeout.
    server = raw_server(DEMO)
    response = server.request("server/discover", {}, timeout=3)
    assert error_code(response) == -32601
    server.initialize()


@pytest.mark.parametrize("requested, expected", [
    ("2024-11-05", "2024-11-05"),
    ("2025-03-26", "2025-03-26"),
    ("2025-06-18", "2025-06-18"),
    ("2025-11-25", "2025-11-25"),
    ("1999-01-01", "2025-11-25"),
    ("2099-12-31", "2025-11-25"),
])
def test_initialize_negotiates_the_protocol_version(raw_server, requested, expected):
    server = raw_server(DEMO)
    result = server.initialize(requested)
    assert result["protocolVersion"] == expected
    assert result["serverInfo"]["name"] == "manifold-demo"
    assert {"tools", "resources", "prompts"} <= set(result["capabilities"])


def test_initialize_cannot_be_cancelled(raw_server):
    server = raw_server(DEMO)
    server.send({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "x", "version": "1"}}})
    server.notify("notifications/cancelled", {"requestId": "init", "reason": "too slow"})
    response = server.response("init")
    assert response["result"]["protocolVersion"] == "2025-06-18"


def test_initialize_twice_is_an_error(raw_server):
    server = raw_server(DEMO)
    server.initialize()
    response = server.request("initialize", {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "again", "version": "1"}})
    assert "error" in response
    assert server.request("ping")["result"] == {}


def test_initialize_without_protocol_version_is_invalid_params(raw_server):
    server = raw_server(DEMO)
    response = server.request("initialize", {"capabilities": {}, "clientInfo": {"name": "x", "version": "1"}})
    assert error_code(response) == -32602


# -- Ids and notifications ------------------------------------------------------------------------


def test_ids_are_echoed_exactly(raw_server):
    server = raw_server(DEMO)
    server.initialize()
    server.send({"jsonrpc": "2.0", "id": "1", "method": "ping"})
    server.send({"jsonrpc": "2.0", "id": 1, "method": "ping"})
    first, second = server.recv(), server.recv()
    ids = sorted([first["id"], second["id"]], key=lambda v: (isinstance(v, str), v))
    assert ids == [1, "1"]
    assert any(type(r["id"]) is str for r in (first, second)) and any(type(r["id"]) is int for r in (first, second))
    for id_ in ("", "élan-✓", "a b\\c\"d", 0, -5, 9007199254740993, "9007199254740993"):
        response = server.request("ping", id_=id_)
        assert response["id"] == id_ and type(response["id"]) is type(id_)
    # Ids written with exponents or fractions come back as written (the host echoes bytes).
    server.send_line('{"jsonrpc":"2.0","id":1e3,"method":"ping"}')
    server.send_line('{"jsonrpc":"2.0","id":2.5,"method":"ping"}')
    echoed = [server.recv()["id"], server.recv()["id"]]
    assert sorted(echoed) == [2.5, 1000]


def test_notifications_get_no_reply(raw_server):
    server = raw_server(DEMO)
    server.initialize()
    server.notify("notifications/initialized")
    server.notify("notifications/unknown/thing", {"x": 1})
    server.notify("notifications/cancelled", {"requestId": 424242, "reason": "no such request"})
    server.notify("notifications/roots/list_changed")
    server.notify("tools/list")  # a request method sent as a notification: still no reply
    server.send({"jsonrpc": "2.0", "id": 9999, "result": {}})  # a response to nothing we asked
    response = server.request("ping", id_="after-notifications")
    assert response == {"jsonrpc": "2.0", "id": "after-notifications", "result": {}}, \
        "the first message after the notifications is the ping's answer"


# -- Framing --------------------------------------------------------------------------------------


def test_two_megabyte_argument_round_trips(raw_server):
    server = raw_server(BENCH)
    server.initialize()
    text = ("0123456789abcdef" * 131072)[: 2 * 1024 * 1024 - 7] + "é\n\"✓"
    response = server.request("tools/call", {"name": "echo", "arguments": {"text": text}}, timeout=60)
    result = response["result"]
    assert result["structuredContent"]["result"] == text
    assert result["content"][0]["text"] == text
    assert server.request("ping")["result"] == {}


def test_escaped_line_separators_stay_inside_one_line(raw_server):
    server = raw_server(BENCH)
    server.initialize()
    text = "line1\nline2\r\n\u2028\u2029\ttab \"quoted\" \\ back"
    result = server.request("tools/call", {"name": "echo", "arguments": {"text": text}})["result"]
    assert result["structuredContent"]["result"] == text


def test_crlf_line_endings_and_blank_lines_are_accepted(raw_server):
    server = raw_server(DEMO)
    server.initialize()
    server.send_line("")
    server.send_line("   ")
    server.send_line('{"jsonrpc":"2.0","id":"crlf","method":"ping"}\r')
    assert server.recv() == {"jsonrpc": "2.0", "id": "crlf", "result": {}}


def test_a_message_split_across_writes_is_one_message(raw_server):
    server = raw_server(DEMO)
    server.initialize()
    message = b'{"jsonrpc":"2.0","id":"split","method":"tools/call","params":{"name":"math_add","arguments":{"a":40,"b":2}}}'
    server.send_raw(message[:17])
    server.send_raw(message[17:60])
    server.send_raw(message[60:] + b"\n")
    assert server.response("split")["result"]["structuredContent"] == {"result": 42}


def test_stdout_carries_only_json_rpc_even_when_a_plugin_printfs(raw_server):
    server = raw_server(DEMO)
    server.initialize()
    for i in range(5):
        result = server.request("tools/call", {"name": "math_hello", "arguments": {}})["result"]
        assert result["content"][0]["text"] == "hello from math"
    server.close_stdin()
    assert server.wait() == 0
    server._reader.join(timeout=10)
    assert server.all_lines, "stdout carried the responses"
    for line in server.all_lines:
        message = json.loads(line)
        assert message["jsonrpc"] == "2.0"
        assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert "hello from the math plugin's printf" in server.stderr()


def test_a_flood_of_pipelined_requests_gets_one_answer_each(raw_server):
    server = raw_server(BENCH)
    server.initialize()
    count = 2000
    lines = []
    for n in range(count):
        if n % 2:
            lines.append(json.dumps({"jsonrpc": "2.0", "id": n, "method": "ping"}))
        else:
            lines.append(json.dumps({"jsonrpc": "2.0", "id": f"add-{n}", "method": "tools/call",
                                     "params": {"name": "add", "arguments": {"a": n, "b": 1}}}))
    server.send_raw(("\n".join(lines) + "\n").encode())  # one write: truly pipelined
    answers: dict = {}
    for _ in range(count):
        message = server.recv(timeout=60)
        key = json.dumps(message["id"])
        assert key not in answers, f"two answers for {key}"
        answers[key] = message
    for n in range(count):
        if n % 2:
            assert answers[json.dumps(n)]["result"] == {}
        else:
            assert answers[json.dumps(f"add-{n}")]["result"]["structuredContent"] == {"result": n + 1}


# -- End of input ---------------------------------------------------------------------------------


def test_stdin_eof_exits_zero_after_answering_in_flight_requests(raw_server):
    server = raw_server(BENCH)
    server.initialize()
    payload = "x" * 100_000
    ids = list(range(100, 160))
    for id_ in ids:
        server.send({"jsonrpc": "2.0", "id": id_, "method": "tools/call",
                     "params": {"name": "echo", "arguments": {"text": f"{id_}:{payload}"}}})
    server.close_stdin()
    answered = {}
    for _ in ids:
        message = server.recv(timeout=30)
        answered[message["id"]] = message["result"]["structuredContent"]["result"]
    assert set(answered) == set(ids)
    assert all(answered[id_] == f"{id_}:{payload}" for id_ in ids)
    assert server.wait(timeout=30) == 0


def test_stdin_eof_right_after_initialize_exits_zero(raw_server):
    server = raw_server(DEMO)
    server.initialize()
    server.close_stdin()
    assert server.wait(timeout=30) == 0


def test_stdin_eof_before_anything_exits_zero(raw_server):
    server = raw_server(DEMO)
    server.close_stdin()
    assert server.wait(timeout=30) == 0
    assert server.all_lines == []


# -- With the Everything plugin: progress, cancellation, server-to-client requests ----------------

CONFORMANCE = MANIFESTS / "conformance.yaml"


@pytest.mark.usefixtures("require_everything")
@pytest.mark.parametrize("token", ["tok-1", 7, ""], ids=["string", "integer", "empty-string"])
def test_progress_notifications_echo_the_token_exactly_and_stop_at_the_response(raw_server, token):
    server = raw_server(CONFORMANCE)
    server.initialize()
    related: list = []
    response = server.request("tools/call", {"name": "test_tool_with_progress", "arguments": {},
                                             "_meta": {"progressToken": token}}, into=related)
    assert "result" in response
    progress = [m for m in related if m.get("method") == "notifications/progress"]
    assert [p["params"]["progress"] for p in progress] == [0, 50, 100]
    for p in progress:
        assert p["params"]["progressToken"] == token and type(p["params"]["progressToken"]) is type(token)
        assert p["params"]["total"] == 100
    # As the reference server: the tool answers String(_meta.progressToken).
    assert response["result"]["content"] == [{"type": "text", "text": str(token)}]
    # Nothing for that token after its response: the next message is the ping's answer.
    assert server.request("ping", id_="after") == {"jsonrpc": "2.0", "id": "after", "result": {}}


@pytest.mark.usefixtures("require_everything")
def test_cancelled_request_gets_no_response(raw_server):
    server = raw_server(CONFORMANCE)
    server.initialize()
    server.send({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
                 "params": {"name": "test_tool_with_logging", "arguments": {}}})
    server.notify("notifications/cancelled", {"requestId": 5, "reason": "changed my mind"})
    # The same slow tool, started after: had id 5 not been cancelled, its answer would come first.
    seen: list = []
    response = server.request("tools/call", {"name": "test_tool_with_logging", "arguments": {}}, id_=6, into=seen)
    assert response["result"]["content"][0]["text"] == "Tool with logging executed successfully"
    assert not any(m.get("id") == 5 and "method" not in m for m in seen), seen
    assert server.request("ping", id_=7)["result"] == {}


@pytest.mark.usefixtures("require_everything")
def test_cancellation_matches_ids_exactly(raw_server):
    server = raw_server(CONFORMANCE)
    server.initialize()
    server.send({"jsonrpc": "2.0", "id": 8, "method": "tools/call",
                 "params": {"name": "test_tool_with_logging", "arguments": {}}})
    server.notify("notifications/cancelled", {"requestId": "8"})  # "8" is not 8
    response = server.response(8)
    assert response["result"]["content"][0]["text"] == "Tool with logging executed successfully"


@pytest.mark.usefixtures("require_everything")
def test_sampling_request_is_routed_to_the_client_and_its_answer_back(raw_server):
    server = raw_server(CONFORMANCE)
    server.initialize(capabilities={"sampling": {}})
    server.send({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                 "params": {"name": "test_sampling", "arguments": {"prompt": "raw prompt"}}})
    request = server.recv()
    assert request["method"] == "sampling/createMessage", request
    assert "id" in request and request["id"] is not None
    assert request["params"]["messages"][0]["content"] == {"type": "text", "text": "raw prompt"}
    assert request["params"]["maxTokens"] == 100
    server.send({"jsonrpc": "2.0", "id": request["id"], "result": {
        "role": "assistant", "content": {"type": "text", "text": "raw answer"}, "model": "m", "stopReason": "endTurn"}})
    response = server.response(1)
    assert response["result"]["content"] == [{"type": "text", "text": "LLM response: raw answer"}]


@pytest.mark.usefixtures("require_everything")
def test_sampling_error_answer_reaches_the_tool(raw_server):
    server = raw_server(CONFORMANCE)
    server.initialize(capabilities={"sampling": {}})
    server.send({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                 "params": {"name": "test_sampling", "arguments": {"prompt": "p"}}})
    request = server.recv()
    assert request["method"] == "sampling/createMessage"
    server.send({"jsonrpc": "2.0", "id": request["id"], "error": {"code": -1, "message": "User rejected sampling request"}})
    text = server.response(1)["result"]["content"][0]["text"]
    assert text.startswith("Sampling not supported or error:"), text
    assert "User rejected sampling request" in text


@pytest.mark.usefixtures("require_everything")
def test_no_server_request_without_the_client_capability(raw_server):
    server = raw_server(CONFORMANCE)
    server.initialize(capabilities={})
    seen: list = []
    response = server.request("tools/call", {"name": "test_elicitation", "arguments": {"message": "m"}}, into=seen)
    assert not any(m.get("method") == "elicitation/create" for m in seen), seen
    assert response["result"]["content"][0]["text"].startswith("Elicitation not supported or error:")


@pytest.mark.usefixtures("require_everything")
def test_stdin_eof_waits_for_slow_tools(raw_server):
    server = raw_server(CONFORMANCE)
    server.initialize()
    ids = [f"slow-{n}" for n in range(6)]
    for id_ in ids:
        server.send({"jsonrpc": "2.0", "id": id_, "method": "tools/call",
                     "params": {"name": "test_tool_with_logging", "arguments": {}}})
    server.close_stdin()
    answered = set()
    while answered != set(ids):
        message = server.recv(timeout=30)
        if "method" in message:
            continue  # the tools' log messages
        assert message["result"]["content"][0]["text"] == "Tool with logging executed successfully"
        answered.add(message["id"])
    assert server.wait(timeout=30) == 0


@pytest.mark.usefixtures("require_everything")
def test_no_resource_update_before_notifications_initialized(raw_server):
    """Before `notifications/initialized` the server sends only responses, pings and logs."""
    server = raw_server(FIXTURE_MANIFESTS / "everything-watched.yaml")
    response = server.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                             "clientInfo": {"name": "x", "version": "1"}})
    assert "result" in response
    assert server.request("resources/subscribe", {"uri": "test://watched-resource"})["result"] == {}
    # The plugin reports an update every 50 ms; this call takes about 100 ms.
    seen: list = []
    server.request("tools/call", {"name": "test_tool_with_logging", "arguments": {}}, into=seen)
    assert not any(m.get("method") == "notifications/resources/updated" for m in seen), seen
    server.notify("notifications/initialized")
    deadline = 50
    for _ in range(deadline):
        message = server.recv()
        if message.get("method") == "notifications/resources/updated":
            assert message["params"] == {"uri": "test://watched-resource"}
            break
    else:
        raise AssertionError("no resource update after notifications/initialized")


@pytest.mark.usefixtures("require_everything")
def test_stdin_eof_fails_pending_server_requests_at_once(raw_server):
    """After EOF the client can no longer answer the host's own requests: they fail at once, the
    tool finishes with that error, its response is written, and the host exits 0 promptly."""
    server = raw_server(CONFORMANCE)
    server.initialize(capabilities={"sampling": {}})
    server.send({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                 "params": {"name": "test_sampling", "arguments": {"prompt": "never answered"}}})
    assert server.recv()["method"] == "sampling/createMessage"
    server.close_stdin()
    try:
        status = server.wait(timeout=10)
    except Exception:
        raise AssertionError("the host was still running 10 s after stdin closed") from None
    assert status == 0
    response = server.response(1, timeout=1)
    assert response["result"]["content"][0]["text"].startswith("Sampling not supported or error:")
