"""The libffi bridge (docs/FFI.md) through real MCP clients.

* Every example tool of manifests/ffi (libm, zlib, libc, the FFITest library) returns what the C
  function returns when called directly: Tests/Fixtures/ffi/harness.c, compiled here with `cc`
  against the same libraries, prints the expected structuredContent of each case. Compared over
  stdio with the plugins isolated (the default) and in-process, and over Streamable HTTP.
* Argument errors (out of range, wrong JSON type, missing, embedded NUL, bad base64, length
  mismatch, unknown or fixed parameters) are `isError` results naming the parameter.
* Isolation: a function that crashes (a NULL dereference; a wrong signature) fails its call
  promptly; the runner restarts; the other tools of the same and other mounts keep answering.
* Load errors (missing symbol, missing library, a type outside the vocabulary) name the symbol,
  the library or the key, and the rest of the host keeps serving.

Needs `cc`, zlib's header (zlib1g-dev) and the FFITest library built beside the manifold
binary (`swift build` builds it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import anyio
import pytest
import yaml

from conftest import (
    FIXTURES,
    MANIFESTS,
    ROOT,
    McpError,
    connect,
    run_manifold,
    text_of,
)

pytestmark = pytest.mark.anyio

FFI = MANIFESTS / "ffi"
FFI_FIXTURES = FIXTURES / "ffi"
HOST = FFI / "host.yaml"
LIST_CHANGED = "notifications/tools/list_changed"


# -- Expected results, from C ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def harness_cases(manifold_bin, tmp_path_factory) -> list[dict]:
    """Compiles and runs the C harness: one case per line."""
    bin_dir = Path(manifold_bin).parent
    if not (bin_dir / "libFFITest.so").is_file():
        pytest.fail(f"libFFITest.so is not built next to {manifold_bin} (swift build builds it)", pytrace=False)
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.fail("no C compiler (cc) to build the harness", pytrace=False)
    out = tmp_path_factory.mktemp("ffi-harness") / "harness"
    subprocess.run(
        [cc, "-std=c11", "-D_GNU_SOURCE", "-fno-builtin", "-o", str(out), str(FFI_FIXTURES / "harness.c"),
         f"-I{ROOT / 'Plugins' / 'FFITest'}", f"-L{bin_dir}", "-lFFITest", f"-Wl,-rpath,{bin_dir}", "-lz", "-lm"],
        check=True, capture_output=True, text=True,
    )
    lines = subprocess.run([str(out)], check=True, capture_output=True, text=True).stdout.splitlines()
    cases = [json.loads(line) for line in lines]
    assert len(cases) > 100
    return cases


def same(actual, expected) -> bool:
    """JSON equality with numbers compared by value (1024 == 1024.0), bools kept apart."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return float(actual) == float(expected) and (isinstance(expected, float) or actual == expected)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(same(actual[k], expected[k]) for k in expected)
    return type(actual) is type(expected) and actual == expected


def ffi_host(tmp_path: Path, execution: str) -> Path:
    """manifests/ffi/host.yaml, with every ffi plugin's execution set to `execution`."""
    if execution == "isolated":
        return HOST
    folder = tmp_path / f"ffi-{execution}"
    folder.mkdir()
    for manifest in FFI.glob("*.plugin.yaml"):
        document = yaml.safe_load(manifest.read_text())
        document["execution"] = execution
        (folder / manifest.name).write_text(yaml.safe_dump(document, sort_keys=False))
    host = yaml.safe_load(HOST.read_text())
    (folder / "host.yaml").write_text(yaml.safe_dump(host, sort_keys=False))
    return folder / "host.yaml"


async def check_cases(client, cases: list[dict]) -> None:
    failures = []
    for case in cases:
        result = await client.call_tool(case["tool"], case["args"])
        if case.get("error"):
            if not result.get("isError"):
                failures.append(f"{case['tool']}({case['args']}): expected isError, got {result}")
            continue
        if result.get("isError"):
            failures.append(f"{case['tool']}({case['args']}): unexpected error {text_of(result)}")
        elif not same(result.get("structuredContent"), case["expected"]):
            failures.append(f"{case['tool']}({case['args']}): got {result.get('structuredContent')}, C says {case['expected']}")
        else:
            # The text block says the same: the bare value for a lone result, else the object.
            structured = result["structuredContent"]
            text = text_of(result).split(" — errno")[0]
            if list(structured) == ["result"] and isinstance(structured["result"], str):
                # Strings as they are; non-finite floats as "Infinity", "-Infinity", "NaN".
                assert text == structured["result"], (case, text)
            else:
                parsed = json.loads(text)
                assert same(parsed, structured if list(structured) != ["result"] else structured["result"]), (case, text)
    assert failures == [], "\n".join(failures)


# -- Every example tool equals the C function --------------------------------------------------


@pytest.mark.parametrize("execution", ["isolated", "in-process"])
async def test_every_example_tool_returns_what_the_c_function_returns(harness_cases, tmp_path, execution):
    async with connect(ffi_host(tmp_path, execution)) as client:
        tools = {tool["name"] for tool in await client.all_pages("tools")}
        missing = {case["tool"] for case in harness_cases} - tools
        assert missing == set(), f"tools not served: {missing}"
        await check_cases(client, harness_cases)


async def test_every_example_tool_over_http(harness_cases, http_server):
    from conftest import connect_http

    server = http_server(HOST)
    async with connect_http(server.url, server=server) as client:
        await check_cases(client, harness_cases)


async def test_every_tool_of_the_examples_has_a_harness_case(harness_cases):
    async with connect(HOST) as client:
        tools = {tool["name"] for tool in await client.all_pages("tools")}
    covered = {case["tool"] for case in harness_cases}
    # getpid differs per process (tested below); crash is the isolation test's.
    assert tools - covered == {"c_getpid", "t_crash"}


# -- Schemas ----------------------------------------------------------------------------------


async def test_input_and_output_schemas_come_from_the_parameters():
    async with connect(HOST) as client:
        tools = {tool["name"]: tool for tool in await client.all_pages("tools")}
    pow_ = tools["m_pow"]
    assert pow_["description"].startswith("x raised to the power y")
    assert pow_["inputSchema"] == {
        "type": "object",
        "properties": {
            "x": {"type": "number", "description": "The base."},
            "y": {"type": "number", "description": "The exponent."},
        },
        "required": ["x", "y"],
        "additionalProperties": False,
    }
    assert pow_["outputSchema"]["required"] == ["result", "errno"]
    assert pow_["annotations"] == {"readOnlyHint": True, "idempotentHint": True, "openWorldHint": False}

    ranges = {name: tools[f"t_{name}"]["inputSchema"]["properties"]["x"] for name in
              ("i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "size")}
    assert (ranges["i8"]["minimum"], ranges["i8"]["maximum"]) == (-128, 127)
    assert (ranges["i16"]["minimum"], ranges["i16"]["maximum"]) == (-32768, 32767)
    assert (ranges["i32"]["minimum"], ranges["i32"]["maximum"]) == (-2**31, 2**31 - 1)
    assert (ranges["i64"]["minimum"], ranges["i64"]["maximum"]) == (-2**63, 2**63 - 1)
    assert (ranges["u8"]["minimum"], ranges["u8"]["maximum"]) == (0, 255)
    assert (ranges["u16"]["minimum"], ranges["u16"]["maximum"]) == (0, 65535)
    assert (ranges["u32"]["minimum"], ranges["u32"]["maximum"]) == (0, 2**32 - 1)
    assert (ranges["u64"]["minimum"], ranges["u64"]["maximum"]) == (0, 2**64 - 1)
    assert (ranges["size"]["minimum"], ranges["size"]["maximum"]) == (0, 2**64 - 1)
    assert all(r["type"] == "integer" for r in ranges.values())

    crc = tools["z_crc32"]["inputSchema"]
    assert crc["properties"]["data"] == {"type": "string", "contentEncoding": "base64", "description": "The bytes, base64."}
    assert crc["properties"]["crc"]["default"] == 0 and crc["properties"]["crc"]["maximum"] == 4294967295
    assert crc["properties"]["length"]["type"] == "integer"
    assert crc["required"] == ["data"], "the length is derived; crc has a default"

    pair = tools["c_format_pair"]
    assert set(pair["inputSchema"]["properties"]) == {"key", "value"}, "fixed format, out-string and capacity are not inputs"
    assert pair["outputSchema"]["properties"]["out"] == {"type": "string", "description": "The formatted text."}

    assert tools["t_version"]["inputSchema"] == {"type": "object", "additionalProperties": False}
    assert tools["t_find"]["outputSchema"]["properties"]["result"]["type"] == ["string", "null"]
    assert tools["t_fill"]["outputSchema"]["properties"]["bytes"]["contentEncoding"] == "base64"
    assert "factor" not in tools["t_triple"]["inputSchema"]["properties"]
    assert tools["t_not"]["inputSchema"]["properties"]["b"] == {"type": "boolean"}
    assert tools["t_f64_div"]["outputSchema"]["properties"]["result"]["anyOf"][1]["enum"] == ["Infinity", "-Infinity", "NaN"]
    for tool in tools.values():
        assert tool["description"]
        assert tool["inputSchema"]["type"] == "object"


# -- Argument errors ---------------------------------------------------------------------------

ERRORS = [
    ("t_i8", {"x": 128}, "x", "between -128 and 127"),
    ("t_i8", {"x": -129}, "x", "between -128 and 127"),
    ("t_u8", {"x": -1}, "x", "between 0 and 255"),
    ("t_u64", {"x": 2**64}, "x", "between 0 and 18446744073709551615"),
    ("t_i64", {"x": -2**63 - 1}, "x", "between"),
    ("t_i32", {"x": 1.5}, "x", "integer"),
    ("t_i32", {"x": "5"}, "x", "found a string"),
    ("t_i32", {"x": None}, "x", "found null"),
    ("t_not", {"b": 1}, "b", "true or false"),
    ("t_f64_div", {"a": "1", "b": 2}, "a", "number"),
    ("t_f64_div", {"a": [1], "b": 2}, "a", "found an array"),
    ("t_f64_div", {"a": 1}, "b", "missing"),
    ("t_f32_scale", {"x": 1e39}, "x", "f32"),
    ("t_greet", {"name": "a\u0000b"}, "name", "NUL"),
    ("t_count_byte", {"s": None, "byte": 1}, "s", "must be a string"),
    ("t_count_byte", {"s": "x", "byte": 256}, "byte", "between 0 and 255"),
    ("t_fnv1a", {"data": "@@@@"}, "data", "base64"),
    ("t_fnv1a", {"data": "aGVsbG8=x"}, "data", "base64"),
    ("t_fnv1a", {"data": "aGVsbG8=", "len": 4}, "len", "decodes to 5 bytes"),
    ("z_crc32", {"data": "aGVsbG8=", "length": 6}, "length", "decodes to 5 bytes"),
    ("t_triple", {"x": 1, "factor": 2}, "factor", "unknown"),
    ("t_i8", {"x": 1, "y": 2}, "y", "unknown"),
    ("t_repeat", {"s": "x", "times": 1001}, "times", "between -2147483648 and 1000"),
    ("c_strtol", {"s": "1", "base": 37}, "base", "between 0 and 36"),
    ("t_describe", {"a": 1}, "b", "missing"),
]


@pytest.mark.parametrize("execution", ["isolated", "in-process"])
async def test_bad_arguments_are_tool_errors_naming_the_parameter(tmp_path, execution):
    async with connect(ffi_host(tmp_path, execution)) as client:
        for tool, args, parameter, words in ERRORS:
            result = await client.call_tool(tool, args)
            message = text_of(result)
            assert result.get("isError") is True, (tool, args, result)
            assert f"argument '{parameter}'" in message, (tool, args, message)
            assert words in message, (tool, args, message)
        # Still alive and correct after all that.
        assert (await client.call_tool("t_i8", {"x": -128}))["structuredContent"] == {"result": -128}
        assert (await client.call_tool("t_live_allocations", {}))["structuredContent"] == {"result": 0}


def test_raw_json_numbers_beyond_double_and_integral_floats(raw_server):
    """What a client library would not send: 1e400, 1.0 for an integer, a huge literal."""
    server = raw_server(HOST)
    server.initialize()

    def call(tool, raw_args):
        id_ = server.new_id()
        server.send_line('{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"%s","arguments":%s}}'
                         % (id_, tool, raw_args))
        return server.response(id_)["result"]

    assert call("t_i32", '{"x":1.0}')["structuredContent"] == {"result": 1}
    assert call("t_i32", '{"x":-2.5e2}')["structuredContent"] == {"result": -250}
    assert call("t_u64", '{"x":1e19}')["structuredContent"] == {"result": 10**19}
    big = call("t_u64", '{"x":123456789012345678901234567890123456789012345}')
    assert big["isError"] and "argument 'x'" in big["content"][0]["text"]
    inf = call("m_cbrt", '{"x":1e400}')
    assert inf["isError"] and "argument 'x' must be a finite number" in inf["content"][0]["text"]
    dup = call("t_i8", '{"x":1,"x":2}')
    assert dup["isError"] and "argument 'x' is given twice" in dup["content"][0]["text"]
    escaped = call("t_greet", '{"name":"\\u00e9\\n\\"q\\""}')
    assert escaped["structuredContent"]["greeting"] == 'Hello, é\n"q"!'


# -- Isolation -------------------------------------------------------------------------------


def list_changes(client) -> int:
    return sum(1 for n in client.received.notifications if n.get("method") == LIST_CHANGED)


async def next_list_change(client, after: int, timeout: float) -> None:
    """Waits for a tools/list_changed notification beyond the first `after` ones."""
    counter = {"n": 0}

    def later(notification):
        if notification.get("method") != LIST_CHANGED:
            return False
        counter["n"] += 1
        return counter["n"] > after

    await client.received.wait_for(later, timeout=timeout)


async def call_after_restart(client, tool: str, args: dict, timeout: float = 20) -> dict:
    """Calls `tool` once its runner is back: while the call fails because the plugin is away
    (the old runner is still being reaped, its tools left the lists, or it is reconnecting),
    waits for the next list_changed — for messages, not for time — and tries again."""
    with anyio.fail_after(timeout):
        while True:
            seen = list_changes(client)
            try:
                return await client.call_tool(tool, args)
            except McpError as error:
                away = ("Unknown tool", "not available", "disconnected")
                if not any(reason in str(error) for reason in away):
                    raise
            await next_list_change(client, seen, timeout)


async def test_a_crashing_function_fails_its_call_and_the_runner_restarts():
    async with connect(FFI_FIXTURES / "crash_host.yaml") as client:
        assert (await client.call_tool("t_i32", {"x": 7}))["structuredContent"] == {"result": 7}
        started = time.monotonic()
        with pytest.raises(McpError) as failure:
            await client.call_tool("t_crash", {"x": 1}, timeout=10)
        elapsed = time.monotonic() - started
        assert elapsed < 5, f"the crash took {elapsed:.2f}s to be reported"
        assert "SIGSEGV" in str(failure.value) or "signal 11" in str(failure.value), str(failure.value)
        # Another mount answers at once.
        assert not (await client.call_tool("m_cbrt", {"x": 27})).get("isError")
        # The same mount answers once its runner is back.
        result = await call_after_restart(client, "t_i64", {"x": -5})
        assert result["structuredContent"] == {"result": -5}
        assert (await client.call_tool("t_sum3", {"a": 1, "b": 2, "c": 3}))["structuredContent"] == {"result": 6}

        # A wrong signature in a manifest: strlen declared as taking an integer.
        with pytest.raises(McpError):
            await client.call_tool("bad_strlen_wrong", {"s": 0}, timeout=10)
        assert (await client.call_tool("m_hypot", {"x": 3, "y": 4}))["structuredContent"] == {"result": 5}
        assert (await call_after_restart(client, "bad_abs", {"n": -3}))["structuredContent"] == {"result": 3}
        assert (await client.call_tool("t_i8", {"x": 127}))["structuredContent"] == {"result": 127}
        # Every mount is listed again; the notifications of the restarts have all arrived
        # before this round trip's answer (so none lands on a closing session).
        names = {tool["name"] for tool in await client.all_pages("tools")}
        assert {"t_crash", "m_pow", "bad_abs", "bad_strlen_wrong"} <= names
        await client.ping()
    stderr = client.stderr()
    assert "manifold runner: signal 11 in ffi function crash (ffitest_crash)" in stderr
    assert "manifold runner: signal 11 in ffi function strlen_wrong (strlen)" in stderr


def test_getpid_runs_in_the_runner_when_isolated_and_in_the_host_in_process(raw_server, tmp_path):
    isolated = raw_server(HOST)
    isolated.initialize()
    pid = isolated.request("tools/call", {"name": "c_getpid", "arguments": {}})["result"]["structuredContent"]["result"]
    assert pid != isolated.process.pid
    status = Path(f"/proc/{pid}/status").read_text()
    parent = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
    assert parent == isolated.process.pid, "the isolated call ran in a child (runner) of the host"

    in_process = raw_server(ffi_host(tmp_path, "in-process"))
    in_process.initialize()
    pid = in_process.request("tools/call", {"name": "c_getpid", "arguments": {}})["result"]["structuredContent"]["result"]
    assert pid == in_process.process.pid


# -- Load errors -----------------------------------------------------------------------------


async def test_load_errors_name_the_symbol_library_or_key_and_the_rest_serves():
    async with connect(FFI_FIXTURES / "load_errors_host.yaml") as client:
        names = {tool["name"] for tool in await client.all_pages("tools")}
        assert "m_pow" in names
        assert not any(name.startswith(("sym_", "lib_", "type_")) for name in names), names
        assert (await client.call_tool("m_hypot", {"x": 5, "y": 12}))["structuredContent"] == {"result": 13}
    stderr = client.stderr()
    assert "symbol 'no_such_function' not found in libm.so.6" in stderr
    assert "missing_symbol.plugin.yaml:10:5: functions[1] (nope)" in stderr
    assert "libdoesnotexist.so.7: cannot open shared object file" in stderr
    assert "bad_type.plugin.yaml:9:5: functions[1] (pow).params[1].type: 'f63' is not a type (did you mean 'f64'?)" in stderr


def test_validate_reports_ffi_load_errors():
    completed = run_manifold("validate", str(FFI_FIXTURES / "load_errors_host.yaml"))
    assert completed.returncode != 0
    output = completed.stdout + completed.stderr
    assert "symbol 'no_such_function' not found" in output
    assert "libdoesnotexist.so.7" in output
    assert "'f63' is not a type" in output


def test_isolated_missing_symbol_is_reported_by_the_runner(tmp_path):
    manifest = tmp_path / "iso.plugin.yaml"
    document = yaml.safe_load((FFI_FIXTURES / "missing_symbol.plugin.yaml").read_text())
    document["execution"] = "isolated"
    manifest.write_text(yaml.safe_dump(document, sort_keys=False))
    completed = run_manifold("runner", str(manifest), timeout=30)
    assert completed.returncode != 0
    assert "symbol 'no_such_function' not found in libm.so.6" in completed.stderr


def test_example_manifests_validate():
    completed = run_manifold("validate", str(HOST))
    assert completed.returncode == 0, completed.stdout + completed.stderr
