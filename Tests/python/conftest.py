"""Shared helpers for Manifold's end-to-end tests.

The tests drive the real `manifold` binary (``$MANIFOLD_BIN``) with real MCP clients from PyPI:
the Python SDK ``mcp`` 1.30.x and ``mcp`` 2.3.x. The two majors differ in their Python API
(not in the wire protocol), so this file holds a thin compatibility layer and every test talks
to it instead of to the SDK directly:

* ``connect(manifest, ...)`` spawns ``manifold serve <manifest>`` through the SDK's own
  ``stdio_client`` + ``ClientSession``, runs the SDK's handshake (that is the readiness: no
  sleeps) and yields a :class:`Client`.
* Every result comes back as a plain ``dict`` in wire form (camelCase keys, as the server sent
  them, after the SDK parsed and validated them), so assertions read like the spec.
* Client-side callbacks (sampling, elicitation) are plain functions ``dict -> dict``.
* ``McpError`` is the SDK's JSON-RPC error exception (``McpError`` in 1.x, ``MCPError`` in 2.x).

:class:`RawServer` speaks newline-delimited JSON-RPC to the binary with no client library, for
what a client library will never send (malformed JSON, batches, wrong id types...).

Nothing here waits by sleeping: every wait is for a message, bounded by a timeout so that a hang
fails fast.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "manifests"
FIXTURES = ROOT / "Tests" / "Fixtures"
FIXTURE_MANIFESTS = FIXTURES / "manifests"

#: Default bound for one request (seconds). A hang fails the test instead of blocking CI.
REQUEST_TIMEOUT = float(os.environ.get("MANIFOLD_TEST_REQUEST_TIMEOUT", "20"))

# -- The SDK under test ---------------------------------------------------------------------------
# Imported defensively: test files that need no MCP client (test_manifest_schema.py) must still
# run where the SDK is not installed; tests that need it fail with a clear message.

try:
    MCP_VERSION = importlib.metadata.version("mcp")
    MCP_MAJOR = int(MCP_VERSION.split(".")[0])
    import anyio
    import mcp.types as types
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    from pydantic import BaseModel, ConfigDict

    try:  # mcp >= 2
        from mcp.shared.exceptions import MCPError as McpError  # type: ignore[attr-defined]
    except ImportError:  # mcp 1.x
        from mcp.shared.exceptions import McpError  # type: ignore[no-redef]
    SDK_MISSING: str | None = None
except (ImportError, importlib.metadata.PackageNotFoundError) as error:  # pragma: no cover
    SDK_MISSING = f"the Python MCP SDK is not installed ({error}); run scripts/test, which makes .venv-mcp1/2"
    MCP_VERSION, MCP_MAJOR = "none", 0
    anyio = types = ClientSession = StdioServerParameters = stdio_client = None  # type: ignore[assignment]
    from types import SimpleNamespace as _Namespace

    BaseModel = object  # type: ignore[assignment,misc]

    def ConfigDict(**kwargs):  # type: ignore[no-redef]  # noqa: N802
        return kwargs

    class McpError(Exception):  # type: ignore[no-redef]
        """Stand-in so that test modules import; never raised."""

        error = _Namespace(code=None, message=None, data=None)


def require_sdk() -> None:
    if SDK_MISSING:
        pytest.fail(SDK_MISSING, pytrace=False)


#: Protocol versions negotiated by the client sessions of this run (reported at the end).
NEGOTIATED: dict[str, int] = {}


# -- pytest plumbing ------------------------------------------------------------------------------


def pytest_report_header(config):
    if SDK_MISSING:
        return [SDK_MISSING]
    latest = getattr(types, "LATEST_PROTOCOL_VERSION", "?")
    try:
        from mcp.types.version import LATEST_HANDSHAKE_VERSION  # type: ignore

        latest = f"{latest} (handshake {LATEST_HANDSHAKE_VERSION})"
    except ImportError:
        pass
    return [
        f"mcp SDK {MCP_VERSION} (latest protocol {latest})",
        f"manifold binary: {os.environ.get('MANIFOLD_BIN', '(MANIFOLD_BIN not set; searching build folders)')}",
    ]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if NEGOTIATED:
        versions = ", ".join(f"{v} ×{n}" for v, n in sorted(NEGOTIATED.items()))
        terminalreporter.write_line(f"mcp {MCP_VERSION}: negotiated protocol versions: {versions}")


def pytest_configure(config):
    config.addinivalue_line("markers", "everything: needs the Everything plugin (conformance surface)")
    config.addinivalue_line("markers", "mcp2only: exercises an API only mcp 2.x has")


@pytest.fixture
def anyio_backend():
    return "asyncio"


def find_manifold_bin() -> Path | None:
    """`$MANIFOLD_BIN`, else the debug build in `$MANIFOLD_SCRATCH`, `.build` or `.build-py`."""
    explicit = os.environ.get("MANIFOLD_BIN")
    if explicit:
        return Path(explicit)
    for scratch in (os.environ.get("MANIFOLD_SCRATCH"), ".build", ".build-py"):
        if not scratch:
            continue
        base = Path(scratch) if Path(scratch).is_absolute() else ROOT / scratch
        for config in ("debug", "release"):
            candidate = base / config / "manifold"
            if candidate.is_file():
                return candidate
    return None


@pytest.fixture(scope="session")
def manifold_bin() -> Path:
    path = find_manifold_bin()
    if path is None or not path.is_file():
        pytest.fail(
            "the manifold binary was not found: run scripts/test, or build it "
            "(swift build --product manifold) and set MANIFOLD_BIN to its path",
            pytrace=False,
        )
    return path


def library_exists(name: str) -> bool:
    """Whether a plugin library was built next to the manifold binary."""
    path = find_manifold_bin()
    return path is not None and (path.parent / name).is_file()


@pytest.fixture
def require_everything():
    """Fails (not skips) when the Everything plugin is missing: the conformance suite is the
    point of these tests. Set MANIFOLD_ALLOW_MISSING_EVERYTHING=1 to skip instead while the
    plugin is being written."""
    if not library_exists("libEverything.so") or not _plugin_manifest_ready("Everything/everything.plugin.yaml"):
        message = "the Everything plugin is not built (libEverything.so / Plugins/Everything/everything.plugin.yaml)"
        if os.environ.get("MANIFOLD_ALLOW_MISSING_EVERYTHING") == "1":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)


def _plugin_manifest_ready(relative: str) -> bool:
    path = ROOT / "Plugins" / relative
    return path.is_file() and path.read_text().strip() != ""


def texttools_ready() -> bool:
    return library_exists("libTextTools.so") and _plugin_manifest_ready("TextTools/texttools.plugin.yaml")


# -- Wire form ------------------------------------------------------------------------------------


def wire(value: Any) -> Any:
    """A parsed SDK object back in wire form: camelCase keys, only the fields the server sent
    (2.x models carry defaults such as `resultType` or `ttlMs` that were never on the wire)."""
    if value is None or isinstance(value, (dict, list, str, int, float, bool)):
        return value
    root = getattr(value, "root", None)
    if root is not None and "root" in getattr(type(value), "model_fields", {}):
        value = root  # 1.x RootModel wrappers (ServerNotification, ServerRequest...)
    return value.model_dump(by_alias=True, mode="json", exclude_unset=True, exclude_none=True)


def text_of(result: dict) -> str:
    """The text blocks of a CallToolResult, joined."""
    return "\n".join(block["text"] for block in result.get("content", []) if block.get("type") == "text")


def _timeout_arg(seconds: float):
    # 1.x: read_timeout_seconds is a timedelta; 2.x: a float of seconds.
    return timedelta(seconds=seconds) if MCP_MAJOR < 2 else seconds


# -- The client -----------------------------------------------------------------------------------


@dataclass
class Received:
    """What the server sent outside responses: log messages and other notifications."""

    logs: list[dict] = field(default_factory=list)
    notifications: list[dict] = field(default_factory=list)
    server_requests: list[dict] = field(default_factory=list)
    _changed: anyio.Event = field(default_factory=lambda: anyio.Event())

    def _bump(self):
        self._changed.set()
        self._changed = anyio.Event()

    def methods(self) -> list[str]:
        return [n["method"] for n in self.notifications]

    async def wait_for(self, predicate: Callable[[dict], bool], timeout: float = REQUEST_TIMEOUT) -> dict:
        """Waits for a notification matching `predicate` (already received or arriving)."""
        with anyio.fail_after(timeout):
            seen = 0
            while True:
                for notification in self.notifications[seen:]:
                    if predicate(notification):
                        return notification
                seen = len(self.notifications)
                await self._changed.wait()

    async def wait_logs(self, count: int, timeout: float = REQUEST_TIMEOUT) -> list[dict]:
        """Waits until at least `count` log messages have arrived; returns them all."""
        with anyio.fail_after(timeout):
            while len(self.logs) < count:
                await self._changed.wait()
        return self.logs


class ProgressLog:
    """A progress callback for `call_tool` that records (progress, total, message)."""

    def __init__(self):
        self.updates: list[dict] = []
        self._changed = anyio.Event()

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.updates.append({"progress": progress, "total": total, "message": message})
        self._changed.set()
        self._changed = anyio.Event()

    async def wait_count(self, count: int, timeout: float = REQUEST_TIMEOUT) -> list[dict]:
        with anyio.fail_after(timeout):
            while len(self.updates) < count:
                await self._changed.wait()
        return self.updates


class Client:
    """One MCP client session with a running manifold, through the SDK, results in wire form."""

    def __init__(self, session: ClientSession, initialize: dict, received: Received, stderr_file, process_args):
        self.session = session
        self.initialize_result = initialize
        self.received = received
        self._stderr_file = stderr_file
        self.args = process_args
        self._final_stderr: str | None = None

    @property
    def protocol_version(self) -> str:
        return self.initialize_result["protocolVersion"]

    def stderr(self) -> str:
        """What the server wrote to stderr so far (all of it, once the session has ended)."""
        if self._final_stderr is not None:
            return self._final_stderr
        self._stderr_file.flush()
        self._stderr_file.seek(0)
        return self._stderr_file.read()

    # Requests. Each returns the result in wire form or raises McpError.

    async def ping(self) -> dict:
        return wire(await self.session.send_ping())

    async def list_tools(self, cursor: str | None = None) -> dict:
        return wire(await self.session.list_tools(params=_page(cursor)))

    async def list_resources(self, cursor: str | None = None) -> dict:
        return wire(await self.session.list_resources(params=_page(cursor)))

    async def list_resource_templates(self, cursor: str | None = None) -> dict:
        return wire(await self.session.list_resource_templates(params=_page(cursor)))

    async def list_prompts(self, cursor: str | None = None) -> dict:
        return wire(await self.session.list_prompts(params=_page(cursor)))

    async def all_pages(self, kind: str) -> list[dict]:
        """Every item of a list method (`tools`, `resources`, `resourceTemplates`, `prompts`),
        following nextCursor."""
        method = {
            "tools": self.list_tools,
            "resources": self.list_resources,
            "resourceTemplates": self.list_resource_templates,
            "prompts": self.list_prompts,
        }[kind]
        items: list[dict] = []
        cursor = None
        for _ in range(1000):
            page = await method(cursor)
            items += page[kind]
            cursor = page.get("nextCursor")
            if not cursor:
                return items
        raise AssertionError(f"{kind}: more than 1000 pages")

    async def call_tool(self, name: str, arguments: dict | None = None, *, progress=None,
                        timeout: float = REQUEST_TIMEOUT) -> dict:
        result = await self.session.call_tool(
            name, arguments, read_timeout_seconds=_timeout_arg(timeout), progress_callback=progress
        )
        return wire(result)

    async def read_resource(self, uri: str) -> dict:
        return wire(await self.session.read_resource(uri))

    async def subscribe(self, uri: str) -> dict:
        with _quiet_deprecations():
            return wire(await self.session.subscribe_resource(uri))

    async def unsubscribe(self, uri: str) -> dict:
        with _quiet_deprecations():
            return wire(await self.session.unsubscribe_resource(uri))

    async def get_prompt(self, name: str, arguments: dict[str, str] | None = None) -> dict:
        return wire(await self.session.get_prompt(name, arguments))

    async def set_level(self, level: str) -> dict:
        with _quiet_deprecations():
            return wire(await self.session.set_logging_level(level))

    async def complete_prompt(self, prompt: str, argument: str, value: str,
                              context: dict[str, str] | None = None) -> dict:
        ref = types.PromptReference(type="ref/prompt", name=prompt)
        return wire(await self.session.complete(ref, {"name": argument, "value": value}, context))

    async def raw_request(self, method: str, params: dict | None = None, *, timeout: float = REQUEST_TIMEOUT) -> dict:
        """A request the typed API cannot express (e.g. an invalid log level, which the SDKs
        refuse to send), through the same session."""
        request = types.Request[dict, str](method=method, params=params if params is not None else {})
        result = await self.session.send_request(request, AnyResult, request_read_timeout_seconds=_timeout_arg(timeout))
        return result.model_dump(mode="json")

    async def complete_template(self, uri_template: str, argument: str, value: str) -> dict:
        ref = types.ResourceTemplateReference(type="ref/resource", uri=uri_template)
        return wire(await self.session.complete(ref, {"name": argument, "value": value}))


class AnyResult(BaseModel):
    """A result kept as sent (2.x's `types.Result` drops unknown fields)."""

    model_config = ConfigDict(extra="allow")


def _page(cursor: str | None):
    return types.PaginatedRequestParams(cursor=cursor) if cursor is not None else None


@contextlib.contextmanager
def _quiet_deprecations():
    # mcp 2.x marks the 2025-era methods (setLevel, subscribe) deprecated for 2026-07-28.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def _offering(protocol_version: str | None):
    """Makes the SDK's `initialize` offer `protocol_version`: both majors read the version to
    offer from a module global at call time (1.x `mcp.types.LATEST_PROTOCOL_VERSION`, 2.x
    `mcp.client.session.LATEST_HANDSHAKE_VERSION`)."""
    if protocol_version is None:
        yield
        return
    if MCP_MAJOR < 2:
        module, name = types, "LATEST_PROTOCOL_VERSION"
    else:
        import mcp.client.session as module  # type: ignore[no-redef]

        name = "LATEST_HANDSHAKE_VERSION"
    saved = getattr(module, name)
    setattr(module, name, protocol_version)
    try:
        yield
    finally:
        setattr(module, name, saved)


#: The revisions both SDKs can negotiate through `initialize`.
HANDSHAKE_VERSIONS = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]


def _sampling_callback(fn: Callable[[dict], dict], received: Received):
    async def callback(context, params):
        request = wire(params)
        received.server_requests.append({"method": "sampling/createMessage", "params": request})
        received._bump()
        answer = fn(request)
        if isinstance(answer, Exception):
            return types.ErrorData(code=getattr(answer, "code", -32603), message=str(answer))
        return types.CreateMessageResult.model_validate(answer)

    return callback


def _elicitation_callback(fn: Callable[[dict], dict], received: Received):
    async def callback(context, params):
        request = wire(params)
        received.server_requests.append({"method": "elicitation/create", "params": request})
        received._bump()
        return types.ElicitResult.model_validate(fn(request))

    return callback


def _roots_callback(roots: list[dict]):
    async def callback(context):
        return types.ListRootsResult.model_validate({"roots": roots})

    return callback


def _logging_callback(received: Received):
    async def callback(params):
        received.logs.append(wire(params))
        received._bump()

    return callback


def _message_handler(received: Received):
    async def handler(message):
        if isinstance(message, Exception):
            received.notifications.append({"method": "<exception>", "params": {"error": repr(message)}})
            received._bump()
            return
        # 1.x also hands server *requests* (RequestResponder) to the message handler.
        if type(message).__name__ == "RequestResponder":
            return
        try:
            received.notifications.append(wire(message))
        except Exception:  # pragma: no cover - an SDK type we do not know how to dump
            received.notifications.append({"method": type(message).__name__, "params": {}})
        received._bump()

    return handler


@contextlib.asynccontextmanager
async def connect(
    manifest: Path | str,
    *,
    sampling: Callable[[dict], dict] | None = None,
    elicitation: Callable[[dict], dict] | None = None,
    roots: list[dict] | None = None,
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    timeout: float = REQUEST_TIMEOUT,
    protocol_version: str | None = None,
) -> AsyncIterator[Client]:
    """Spawns `manifold serve <manifest>` with the SDK's stdio client and initializes a session.

    Declares the sampling / elicitation / roots capabilities only when a callback is given (the
    SDKs derive the capabilities from the callbacks). `protocol_version` makes the SDK offer an
    older revision than its latest in `initialize` (default: the SDK's own choice)."""
    require_sdk()
    binary = find_manifold_bin()
    if binary is None:
        pytest.fail("the manifold binary was not found (set MANIFOLD_BIN)", pytrace=False)
    received = Received()
    args = ["serve", str(manifest), *extra_args]
    params = StdioServerParameters(
        command=str(binary), args=args, env=dict(os.environ if env is None else env), cwd=str(ROOT)
    )
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as stderr_file:
        client: Client | None = None
        try:
            async with _serve(params, stderr_file, received, sampling, elicitation, roots, timeout, args,
                              protocol_version) as client:
                yield client
        finally:
            # The server has exited (the SDK closed its stdin and waited): keep what it logged.
            if client is not None:
                client._final_stderr = client.stderr()


@contextlib.asynccontextmanager
async def _serve(params, stderr_file, received, sampling, elicitation, roots, timeout, args, protocol_version):
    """The SDK's stdio transport and session, initialized."""
    async with stdio_client(params, errlog=stderr_file) as (read, write):
        kwargs: dict[str, Any] = {
            "read_timeout_seconds": _timeout_arg(timeout),
            "logging_callback": _logging_callback(received),
            "message_handler": _message_handler(received),
        }
        if sampling is not None:
            kwargs["sampling_callback"] = _sampling_callback(sampling, received)
        if elicitation is not None:
            kwargs["elicitation_callback"] = _elicitation_callback(elicitation, received)
        if roots is not None:
            kwargs["list_roots_callback"] = _roots_callback(roots)
        async with ClientSession(read, write, **kwargs) as session:
            with anyio.fail_after(timeout), _offering(protocol_version):
                result = wire(await session.initialize())
            NEGOTIATED[result["protocolVersion"]] = NEGOTIATED.get(result["protocolVersion"], 0) + 1
            sys.stdout.write(f"[mcp {MCP_VERSION}] negotiated protocolVersion {result['protocolVersion']}\n")
            yield Client(session, result, received, stderr_file, args)


# -- Raw stdio ------------------------------------------------------------------------------------


class RawServer:
    """`manifold serve` driven byte by byte: lines in, lines out, no client library.

    A reader thread splits stdout into lines; every line must parse as JSON (the stdout
    contract), which `recv` checks."""

    def __init__(self, manifest: Path | str, *, extra_args: tuple[str, ...] = (), env=None):
        binary = find_manifold_bin()
        if binary is None:
            pytest.fail("the manifold binary was not found (set MANIFOLD_BIN)", pytrace=False)
        self.stderr_file = tempfile.TemporaryFile("w+b")
        self.process = subprocess.Popen(
            [str(binary), "serve", str(manifest), *extra_args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr_file,
            cwd=str(ROOT),
            env=dict(os.environ if env is None else env),
        )
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        self.all_lines: list[bytes] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._next_id = 0

    def _read(self):
        stream = self.process.stdout
        assert stream is not None
        for line in iter(stream.readline, b""):
            self.all_lines.append(line)
            self.lines.put(line)
        self.lines.put(None)

    # Sending

    def send_line(self, data: bytes | str):
        if isinstance(data, str):
            data = data.encode()
        assert b"\n" not in data, "one message per line"
        assert self.process.stdin is not None
        self.process.stdin.write(data + b"\n")
        self.process.stdin.flush()

    def send_raw(self, data: bytes):
        """Bytes as they are (several lines at once, partial lines...)."""
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: Any):
        self.send_line(json.dumps(message, separators=(",", ":")))

    def notify(self, method: str, params: dict | None = None):
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # Receiving

    def recv(self, timeout: float = REQUEST_TIMEOUT) -> Any:
        """The next message; fails on timeout, on EOF and on a line that is not JSON."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no message from manifold within {timeout}s; stderr:\n{self.stderr()}") from None
        if line is None:
            self.lines.put(None)  # keep EOF visible to later calls
            raise AssertionError(f"manifold closed stdout; stderr:\n{self.stderr()}")
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise AssertionError(f"stdout carried a line that is not UTF-8: {line[:200]!r}") from error
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise AssertionError(f"stdout carried a line that is not JSON: {line[:200]!r}") from error

    def response(self, id_: Any, timeout: float = REQUEST_TIMEOUT, into: list | None = None) -> dict:
        """Reads messages until the response with exactly this id (`"1"` is not `1`); other
        messages go to `into`."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no response with id {id_!r} within {timeout}s; stderr:\n{self.stderr()}")
            message = self.recv(remaining)
            if isinstance(message, dict) and "method" not in message and _same_id(message.get("id"), id_):
                return message
            if into is not None:
                into.append(message)
            elif isinstance(message, dict) and "method" in message:
                continue  # a notification or server request: ignored unless collected
            else:
                raise AssertionError(f"expected the response to id {id_!r}, got {message!r}")

    def request(self, method: str, params: dict | None = None, *, id_: Any = None,
                timeout: float = REQUEST_TIMEOUT, into: list | None = None) -> dict:
        if id_ is None:
            id_ = self.new_id()
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": id_, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return self.response(id_, timeout, into)

    def initialize(self, version: str = "2025-06-18", capabilities: dict | None = None) -> dict:
        response = self.request("initialize", {
            "protocolVersion": version,
            "capabilities": capabilities or {},
            "clientInfo": {"name": "manifold-raw-tests", "version": "1.0"},
        })
        assert "result" in response, response
        self.notify("notifications/initialized")
        return response["result"]

    # Ending

    def close_stdin(self):
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.close()

    def wait(self, timeout: float = REQUEST_TIMEOUT) -> int:
        return self.process.wait(timeout=timeout)

    def stderr(self) -> str:
        self.stderr_file.flush()
        self.stderr_file.seek(0)
        return self.stderr_file.read().decode("utf-8", "replace")

    def stop(self):
        if self.process.poll() is None:
            self.close_stdin()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._reader.join(timeout=5)
        if self.process.stdout:
            self.process.stdout.close()
        self.stderr_file.close()


def _same_id(a: Any, b: Any) -> bool:
    """JSON-RPC id equality: `"1"` and `1` differ; so do `1` and `true`."""
    return type(a) is type(b) and a == b


def _servers_of(kind):
    """Yields a factory of `kind` server processes (started on `manifest`, demo.yaml by default)
    and stops every one it started once the test is over."""
    started = []

    def start(manifest: Path | str = MANIFESTS / "demo.yaml", **kwargs):
        server = kind(manifest, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def raw_server(manifold_bin):
    """A factory of RawServer processes, all stopped at the end of the test."""
    yield from _servers_of(RawServer)


# -- The manifold command line --------------------------------------------------------------------


@dataclass
class Completed:
    returncode: int
    stdout: str
    stderr: str


def run_manifold(*args: str, timeout: float = 60, env=None, cwd: Path = ROOT) -> Completed:
    binary = find_manifold_bin()
    if binary is None:
        pytest.fail("the manifold binary was not found (set MANIFOLD_BIN)", pytrace=False)
    completed = subprocess.run(
        [str(binary), *args], capture_output=True, text=True, timeout=timeout, cwd=str(cwd),
        env=dict(os.environ if env is None else env), stdin=subprocess.DEVNULL,
    )
    return Completed(completed.returncode, completed.stdout, completed.stderr)


# ==================================================================================================
# -- Streamable HTTP endpoint (added with the HTTP endpoint; used by test_http_*.py) ---------------
# ==================================================================================================
#
# `manifold serve <manifest> --http 127.0.0.1:0 --port-file F` as a background process: readiness
# is the port file appearing (the server writes it atomically once every listener is bound), so
# nothing sleeps for a fixed time. `connect_http` drives it with the SDK's own HTTP transports
# (Streamable HTTP, or the legacy HTTP+SSE `sse_client`) and yields the same `Client` as `connect`.

import signal  # noqa: E402


class HTTPServerProcess:
    """A running `manifold serve … --http …`: its base URL, MCP URL and stderr."""

    def __init__(self, manifest: Path | str, *, stateless: bool = False, http: bool = True,
                 extra_args: tuple[str, ...] = (), env: dict[str, str] | None = None, timeout: float = 30):
        binary = find_manifold_bin()
        if binary is None:
            pytest.fail("the manifold binary was not found (set MANIFOLD_BIN)", pytrace=False)
        self._dir = tempfile.TemporaryDirectory(prefix="manifold-http-")
        self.port_file = Path(self._dir.name) / "ports"
        self.stderr_file = tempfile.TemporaryFile("w+b")
        args = [str(binary), "serve", str(manifest)]
        if http:
            args += ["--http", "127.0.0.1:0"]
        if stateless:
            args += ["--stateless"]
        args += ["--port-file", str(self.port_file), *extra_args]
        self.args = args
        self.process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr_file, cwd=str(ROOT),
            env=dict(os.environ if env is None else env),
        )
        deadline = time.monotonic() + timeout
        while not self.port_file.exists():
            if self.process.poll() is not None:
                raise AssertionError(f"manifold exited with {self.process.returncode} before listening:\n{self.stderr()}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"manifold did not listen within {timeout}s:\n{self.stderr()}")
            time.sleep(0.01)
        self.ports = [int(line) for line in self.port_file.read_text().split()]
        self.port = self.ports[0]
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/mcp"

    def stderr(self) -> str:
        self.stderr_file.flush()
        self.stderr_file.seek(0)
        return self.stderr_file.read().decode("utf-8", "replace")

    def terminate(self, timeout: float = 20) -> int:
        """SIGTERM and wait: the exit status (0 after a graceful shutdown)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self):
        try:
            self.terminate()
        except subprocess.TimeoutExpired:
            self.kill()
        self.stderr_file.close()
        self._dir.cleanup()


@pytest.fixture
def http_server(manifold_bin):
    """A factory of HTTP server processes, all stopped at the end of the test."""
    yield from _servers_of(HTTPServerProcess)


class _HTTPStderr:
    """What `Client.stderr()` reads for a server that outlives the session."""

    def __init__(self, server: HTTPServerProcess | None):
        self._server = server

    def flush(self):
        pass

    def seek(self, _offset):
        pass

    def read(self) -> str:
        return self._server.stderr() if self._server else ""


@contextlib.asynccontextmanager
async def connect_http(
    url: str,
    *,
    transport: str = "streamable",
    server: HTTPServerProcess | None = None,
    sampling: Callable[[dict], dict] | None = None,
    elicitation: Callable[[dict], dict] | None = None,
    roots: list[dict] | None = None,
    timeout: float = REQUEST_TIMEOUT,
    protocol_version: str | None = None,
) -> AsyncIterator[Client]:
    """An initialized SDK session over HTTP: `transport` is "streamable" (the SDK's
    `streamable_http_client`, the same name in 1.x and 2.x) or "sse" (the legacy
    `sse_client`; `url` is then the `/sse` URL)."""
    received = Received()
    if transport == "sse":
        from mcp.client.sse import sse_client

        opened = sse_client(url)
    else:
        from mcp.client.streamable_http import streamable_http_client

        opened = streamable_http_client(url)
    async with opened as streams:
        read, write = streams[0], streams[1]
        kwargs: dict[str, Any] = {
            "read_timeout_seconds": _timeout_arg(timeout),
            "logging_callback": _logging_callback(received),
            "message_handler": _message_handler(received),
        }
        if sampling is not None:
            kwargs["sampling_callback"] = _sampling_callback(sampling, received)
        if elicitation is not None:
            kwargs["elicitation_callback"] = _elicitation_callback(elicitation, received)
        if roots is not None:
            kwargs["list_roots_callback"] = _roots_callback(roots)
        async with ClientSession(read, write, **kwargs) as session:
            offering = globals().get("_offering")
            with anyio.fail_after(timeout), (offering(protocol_version) if offering else contextlib.nullcontext()):
                result = wire(await session.initialize())
            NEGOTIATED[result["protocolVersion"]] = NEGOTIATED.get(result["protocolVersion"], 0) + 1
            yield Client(session, result, received, _HTTPStderr(server), [url, transport])


# ==================================================================================================
# -- Hot reload, drop-in folders and crash containment (added with docs/RELOAD.md; used by
# -- test_reload.py and test_isolation.py) ---------------------------------------------------------
# ==================================================================================================
#
# Real parts only: plugin libraries compiled here with the system C compiler from the Crashy
# fixture's source (Tests/Fixtures/Plugins/Crashy/crashy.c, the same file the FixtureCrashy product
# is built from), real `manifold serve` processes, real runner children. Every test gets its own
# cache folder (MANIFOLD_CACHE_DIR), so discoveries and refusals of one test never leak into
# another. Waits are for notifications or polls with deadlines, never fixed sleeps.

import shutil  # noqa: E402

CRASHY_SOURCE = FIXTURES / "Plugins" / "Crashy" / "crashy.c"
ABI_INCLUDE = ROOT / "Sources" / "CManifoldABI" / "include"
TOOLS_LIST_CHANGED = "notifications/tools/list_changed"


def compile_crashy(output: Path, *, variant: str | None = None, plugin_id: str | None = None,
                   init_segfault: bool = False, unloadable: bool = False) -> Path:
    """Builds a variant of the Crashy fixture plugin with `cc -shared -fPIC` (see crashy.c for
    the switches): `variant` is what its `version` tool answers and what its tool descriptions
    carry, so two variants differ in behaviour and in their catalog; `unloadable` declares
    MANIFOLD_PLUGIN_FLAG_UNLOADABLE (the host may dlclose it after shutdown)."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        pytest.fail("no C compiler (cc) to build plugin variants", pytrace=False)
    output.parent.mkdir(parents=True, exist_ok=True)
    args = [compiler, "-shared", "-fPIC", "-O1", "-fvisibility=hidden", "-I", str(ABI_INCLUDE)]
    if variant is not None:
        args.append(f'-DCRASHY_VARIANT="{variant}"')
    if plugin_id is not None:
        args.append(f'-DCRASHY_ID="{plugin_id}"')
    if init_segfault:
        args.append("-DCRASHY_INIT_SEGFAULT")
    if unloadable:
        args.append("-DCRASHY_UNLOADABLE")
    args += ["-o", str(output), str(CRASHY_SOURCE), "-lpthread"]
    completed = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, f"cc failed:\n{completed.stderr}"
    return output


@pytest.fixture(scope="session")
def crashy_library(tmp_path_factory) -> Path:
    """libFixtureCrashy.so as built by SwiftPM next to the binary, else compiled here."""
    binary = find_manifold_bin()
    if binary is not None and (binary.parent / "libFixtureCrashy.so").is_file():
        return binary.parent / "libFixtureCrashy.so"
    return compile_crashy(tmp_path_factory.mktemp("crashy") / "libFixtureCrashy.so")


@pytest.fixture
def reload_env(tmp_path) -> dict[str, str]:
    """The environment for a served host with its own cache folder."""
    env = dict(os.environ)
    env["MANIFOLD_CACHE_DIR"] = str(tmp_path / "cache")
    return env


def write_atomically(path: Path, data: bytes | str) -> None:
    """Writes a file the way deployment tools do: a hidden temporary file renamed into place."""
    if isinstance(data, str):
        data = data.encode()
    temporary = path.parent / f".{path.name}.tmp-{os.getpid()}"
    temporary.write_bytes(data)
    os.chmod(temporary, 0o755)
    os.rename(temporary, path)


def server_pid(manifest: Path) -> int:
    """The pid of the `manifold serve <manifest>` process (found in /proc by its command line)."""
    wanted = str(manifest).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and wanted in argv:
            return int(entry.name)
    raise AssertionError(f"no `manifold serve {manifest}` process found")


def mapped_files(pid: int, folder: Path) -> set[str]:
    """The distinct files under `folder` mapped in a process (also when deleted since)."""
    prefix = str(folder) + "/"
    files = set()
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        start = line.find(prefix)
        if start >= 0:
            files.add(line[start:].removesuffix(" (deleted)"))
    return files


def rss_kib(pid: int) -> int:
    """Resident set size of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def count_notifications(client: Client, method: str = TOOLS_LIST_CHANGED) -> int:
    return sum(1 for n in client.received.notifications if n.get("method") == method)


async def wait_notifications(client: Client, count: int, method: str = TOOLS_LIST_CHANGED,
                             timeout: float = REQUEST_TIMEOUT) -> None:
    """Waits until at least `count` notifications of `method` arrived in total."""
    with anyio.fail_after(timeout):
        while count_notifications(client, method) < count:
            await client.received._changed.wait()


async def eventually(check, *, timeout: float = REQUEST_TIMEOUT, interval: float = 0.02):
    """Polls the async `check()` until it returns a truthy value (returned) or the deadline."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = await check()
            if value:
                return value
        except Exception as error:  # noqa: BLE001 - polled again until the deadline
            last_error = error
        await anyio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last error: {last_error!r})")


# ==================================================================================================
# -- Authentication and TLS on the HTTP endpoint (added with docs/HTTP.md "Authentication" and
# -- "TLS"; used by test_http_auth.py and test_http_tls.py) ----------------------------------------
# ==================================================================================================
#
# The SDK's Streamable HTTP client takes a ready-made HTTP client (`http_client=`): httpx in mcp
# 1.x, httpx2 (the same API) in mcp 2.x. `connect_http_client` builds one with the caller's
# headers (a bearer token) and TLS trust (`verify`: a CA file or an ssl.SSLContext) and yields the
# same `Client` as `connect_http`.


def httpx_module():
    """The HTTP client library the installed SDK's transports take (httpx2 in 2.x, httpx in 1.x)."""
    try:
        import httpx2 as module  # type: ignore[import-not-found]
    except ImportError:
        import httpx as module  # type: ignore[no-redef]
    return module


@contextlib.asynccontextmanager
async def connect_http_client(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    verify: Any = True,
    server: HTTPServerProcess | None = None,
    timeout: float = REQUEST_TIMEOUT,
) -> AsyncIterator[Client]:
    """An initialized SDK session over Streamable HTTP through an HTTP client with these
    `headers` (e.g. `{"Authorization": "Bearer …"}`) and this TLS `verify` setting."""
    from mcp.client.streamable_http import streamable_http_client

    module = httpx_module()
    received = Received()
    async with module.AsyncClient(headers=headers or {}, verify=verify,
                                  timeout=module.Timeout(timeout, read=300)) as http_client:
        async with streamable_http_client(url, http_client=http_client) as streams:
            read, write = streams[0], streams[1]
            async with ClientSession(read, write, read_timeout_seconds=_timeout_arg(timeout),
                                     logging_callback=_logging_callback(received),
                                     message_handler=_message_handler(received)) as session:
                with anyio.fail_after(timeout):
                    result = wire(await session.initialize())
                NEGOTIATED[result["protocolVersion"]] = NEGOTIATED.get(result["protocolVersion"], 0) + 1
                yield Client(session, result, received, _HTTPStderr(server), [url, "streamable"])


class Certificates:
    """A test CA and what it signed, as PEM files in `folder` (made by the `cryptography`
    package): a server certificate for `server_names` (DNS names and IP addresses; by default
    localhost and 127.0.0.1) and a client certificate for mutual TLS."""

    def __init__(self, folder: Path, server_names: tuple[str, ...] = ("localhost", "127.0.0.1")):
        import datetime
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        now = datetime.datetime.now(datetime.timezone.utc)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Manifold test CA")])
        ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
              .not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                           content_commitment=False, key_encipherment=False, data_encipherment=False,
                                           key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))

        def alternative_name(name: str):
            try:
                return x509.IPAddress(ipaddress.ip_address(name))
            except ValueError:
                return x509.DNSName(name)

        def issue(common_name: str, names: tuple[str, ...], usage):
            key = ec.generate_private_key(ec.SECP256R1())
            builder = (x509.CertificateBuilder()
                       .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
                       .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                       .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
                       .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                       .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                       .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False))
            if names:
                builder = builder.add_extension(x509.SubjectAlternativeName([alternative_name(n) for n in names]), critical=False)
            return builder.sign(ca_key, hashes.SHA256()), key

        pem = serialization.Encoding.PEM

        def write(name: str, certificate, key=None) -> tuple[Path, Path | None]:
            certificate_path = folder / f"{name}.pem"
            certificate_path.write_bytes(certificate.public_bytes(pem))
            if key is None:
                return certificate_path, None
            key_path = folder / f"{name}.key"
            key_path.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            return certificate_path, key_path

        self.ca, _ = write("ca", ca)
        self.certificate, self.key = write("server", *issue(server_names[0], server_names, ExtendedKeyUsageOID.SERVER_AUTH))
        self.client_certificate, self.client_key = write("client", *issue("manifold test client", (),
                                                                          ExtendedKeyUsageOID.CLIENT_AUTH))
