"""The fastmcp_events.py server over Streamable HTTP behind a gate: every request must carry
`Authorization: Bearer <token>` and `X-Team: tools`, else 401 / 403 (for the tests of a remote
mount's `headers` and `bearerTokenEnv`).

Usage: fastmcp_auth.py PORT TOKEN      (endpoint http://127.0.0.1:PORT/mcp)
"""
import os
import sys

import uvicorn
from starlette.responses import PlainTextResponse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fastmcp_events import server  # noqa: E402


def gated(app, token: str):
    async def gate(scope, receive, send):
        if scope["type"] == "http":
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            if headers.get("authorization") != f"Bearer {token}":
                await PlainTextResponse("missing or wrong bearer token", status_code=401)(scope, receive, send)
                return
            if headers.get("x-team") != "tools":
                await PlainTextResponse("X-Team header missing", status_code=403)(scope, receive, send)
                return
        await app(scope, receive, send)
    return gate


if __name__ == "__main__":
    port, token = int(sys.argv[1]), sys.argv[2]
    app = server.http_app(path="/mcp")
    uvicorn.run(gated(app, token), host="127.0.0.1", port=port, log_level="error", lifespan="on")
