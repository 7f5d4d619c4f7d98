"""A FastMCP test backend for the server-mesh tests (Tests/python/test_mesh*.py): one tool per
kind of message that has to cross Manifold both ways.

  report(steps)        progress notifications + a log message, on the call's own request
  ask(prompt)          sampling/createMessage to the client, its answer in the result
  confirm(message)     elicitation/create to the client
  roots()              roots/list to the client
  greet(name, greeting="Hello", punctuation="!")   plain; used for fixed arguments
  grow(name)           adds a tool `name` at run time and announces tools/list_changed
  touch()              notifications/resources/updated for data://events/counter
  sleep(seconds)       waits; records a cancellation in $MESH_EVENTS_LOG
  pid()                the server's process id
  wipe()               tagged admin (filtered out by the test manifests)
  resource data://events/counter, prompt hello(name)

Usage: fastmcp_events.py [stdio | http PORT | sse PORT]   (http: Streamable HTTP at /mcp,
sessions and SSE responses; sse: the legacy HTTP+SSE transport at /sse). With $MESH_PID_FILE
set, the process appends its pid to that file when it starts. With $MESH_TLS_CERT and
$MESH_TLS_KEY (PEM files) it serves https; with $MESH_TLS_CLIENT_CA as well, it requires a client
certificate signed by that CA (mutual TLS).

Needs fastmcp (the .venv-peer scripts/test makes: fastmcp==4.1.2).
"""
import asyncio
import os
import sys

import mcp.types as mt
from fastmcp import Context, FastMCP

server = FastMCP("events")
counter = {"value": 0}


def _record(line: str) -> None:
    path = os.environ.get("MESH_EVENTS_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(line + "\n")


@server.tool(tags={"public"})
async def report(steps: int, ctx: Context) -> str:
    """Reports progress `steps` times, then logs a message."""
    for i in range(steps):
        await ctx.report_progress(i + 1, steps, f"step {i + 1}")
    await ctx.info(f"reported {steps} steps")
    return f"done {steps}"


@server.tool(tags={"public"})
async def ask(prompt: str, ctx: Context) -> str:
    """Asks the client's model (sampling) and returns its answer."""
    result = await ctx.session.create_message(
        messages=[mt.SamplingMessage(role="user", content=mt.TextContent(type="text", text=prompt))],
        max_tokens=50,
        related_request_id=ctx.request_id,
    )
    content = result.content
    text = content.text if isinstance(content, mt.TextContent) else str(content)
    return f"sampled: {text}"


@server.tool(tags={"public"})
async def confirm(message: str, ctx: Context) -> str:
    """Asks the user (elicitation) for a string."""
    result = await ctx.elicit(message, response_type=str)
    return f"{result.action}: {getattr(result, 'data', None)}"


@server.tool(tags={"public"})
async def roots(ctx: Context) -> str:
    """Lists the client's roots."""
    listed = await ctx.session.list_roots()
    return ",".join(str(root.uri) for root in listed.roots)


@server.tool(tags={"public"})
def greet(name: str, greeting: str = "Hello", punctuation: str = "!") -> str:
    """Greets someone."""
    return f"{greeting}, {name}{punctuation}"


@server.tool(tags={"public"})
async def grow(name: str, ctx: Context) -> str:
    """Adds a tool named `name` (answering "grown") and announces the change."""

    def grown() -> str:
        return "grown"

    server.tool(grown, name=name, description=f"added at run time as {name}", tags={"public"})
    await ctx.send_notification(mt.ToolListChangedNotification())
    return f"added {name}"


@server.tool(tags={"public"})
async def touch(ctx: Context) -> str:
    """Changes the counter resource and says so."""
    counter["value"] += 1
    await ctx.session.send_resource_updated("data://events/counter")
    return str(counter["value"])


@server.tool(tags={"public"})
async def sleep(seconds: float) -> str:
    """Waits `seconds`; its start and a cancellation are recorded in $MESH_EVENTS_LOG."""
    _record("started sleep")
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        _record("cancelled sleep")
        raise
    return "slept"


@server.tool(tags={"public"})
def pid() -> int:
    """The server's process id."""
    return os.getpid()


@server.tool(tags={"admin"})
def wipe() -> str:
    """Admin-only; hidden by the test manifests."""
    return "wiped"


@server.resource("data://events/counter")
def counter_resource() -> str:
    return str(counter["value"])


@server.prompt()
def hello(name: str) -> str:
    """A greeting prompt."""
    return f"Hello {name}"


def main() -> None:
    pid_file = os.environ.get("MESH_PID_FILE")
    if pid_file:
        with open(pid_file, "a", encoding="utf-8") as out:
            out.write(f"{os.getpid()}\n")
    mode = sys.argv[1] if len(sys.argv) > 1 else "stdio"
    if mode == "stdio":
        server.run(show_banner=False)
    else:
        port = int(sys.argv[2])
        server.run(transport="http" if mode == "http" else "sse", host="127.0.0.1", port=port,
                   show_banner=False, log_level="error", uvicorn_config=_tls_config())


def _tls_config() -> dict:
    """uvicorn's TLS settings from $MESH_TLS_CERT, $MESH_TLS_KEY and $MESH_TLS_CLIENT_CA."""
    certificate, key = os.environ.get("MESH_TLS_CERT"), os.environ.get("MESH_TLS_KEY")
    if not certificate or not key:
        return {}
    config = {"ssl_certfile": certificate, "ssl_keyfile": key}
    client_ca = os.environ.get("MESH_TLS_CLIENT_CA")
    if client_ca:
        import ssl
        config.update(ssl_ca_certs=client_ca, ssl_cert_reqs=ssl.CERT_REQUIRED)
    return config


if __name__ == "__main__":
    main()
