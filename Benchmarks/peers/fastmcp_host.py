# Copied from shared/anchors/fastmcp_host.py (the FastMCP peer workload of the benchmarks),
# unchanged below this note; the server-mesh tests mount it as a remote (Tests/python/test_mesh*.py).
"""Peer workload for side-by-side benchmarks: a FastMCP host that composes N sub-servers, each
mounted under the namespace pI, with a tag filter that hides every tool tagged "admin".

Exposed per sub-server: pI_add(a:int, b:int), pI_echo(text:str), fillers pI_t0..; pI_wipe is
tagged admin and filtered out. One resource data://pI/config and one prompt pI_greet(name).

Needs:  python3 -m venv .venv-peer && .venv-peer/bin/pip install fastmcp==4.1.2
Usage:  fastmcp_host.py stdio [N] [TOOLS_PER_SERVER]
        fastmcp_host.py http PORT [N] [TOOLS_PER_SERVER]   (stateless Streamable HTTP, JSON
                                                            responses, endpoint /mcp)
"""
import sys

from fastmcp import FastMCP


def make_server(i: int, tools_per: int) -> FastMCP:
    s = FastMCP(f"plugin{i}")

    @s.tool(tags={"public"})
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @s.tool(tags={"public"})
    def echo(text: str) -> str:
        """Echo text back."""
        return text

    @s.tool(tags={"admin"})
    def wipe() -> str:
        """Admin-only tool, filtered out by the host."""
        return "wiped"

    for k in range(max(0, tools_per - 3)):
        def filler(x: int, k: int = k) -> int:
            return x + k
        s.tool(filler, name=f"t{k}", description=f"filler tool {k}", tags={"public"})

    @s.resource(f"data://plugin{i}/config")
    def config() -> str:
        return '{"v": 1}'

    @s.prompt()
    def greet(name: str) -> str:
        """Greeting prompt."""
        return f"Hello {name}"

    return s


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "stdio"
    port = int(sys.argv[2]) if mode == "http" else 0
    rest = sys.argv[3:] if mode == "http" else sys.argv[2:]
    n = int(rest[0]) if len(rest) > 0 else 3
    per = int(rest[1]) if len(rest) > 1 else 3
    host = FastMCP("host")
    for i in range(n):
        host.mount(make_server(i, per), namespace=f"p{i}")
    host.disable(tags={"admin"})
    if mode == "stdio":
        host.run(show_banner=False)
    else:
        host.run(transport="http", host="127.0.0.1", port=port, stateless_http=True,
                 json_response=True, show_banner=False, log_level="error")


if __name__ == "__main__":
    main()
