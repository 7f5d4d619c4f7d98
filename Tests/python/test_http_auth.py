"""Authentication on the Streamable HTTP endpoint (docs/HTTP.md, *Authentication*), over real
sockets on 127.0.0.1 with the SDK's own HTTP client (a bearer token in its headers) and raw HTTP:

* no token → 401 with `WWW-Authenticate: Bearer resource_metadata="<PRM URL>"`; the Protected
  Resource Metadata (RFC 9728) is served without credentials;
* static tokens from an environment variable, each with scopes; a wrong one → 401
  `error="invalid_token"`; a token in the query string is never read;
* scopes map to tag expressions: a `public` token lists only public components and gets -32602
  "Unknown tool" for the others; an `admin` token sees more; a token with no mapped scope → 403
  `error="insufficient_scope"`; a session belongs to its token (another token → 404); the same
  in stateless mode;
* JWT access tokens (RS256 and ES256, keys made here with `cryptography`, signed with PyJWT) from
  a JWKS file: accepted when valid; wrong audience, wrong issuer, expired, bad signature → 401;
* the client's token never reaches an upstream server (a remote mount records what it receives).

The demo plugins' tags: every math_* and text_* tool is `public` except math_reset_memory and
text_purge_cache (`admin`).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import sys
import time
from pathlib import Path

import anyio
import pytest

from conftest import ROOT, McpError, connect_http_client, require_sdk

pytestmark = pytest.mark.usefixtures("manifold_bin")

ISSUER = "https://auth.example.test"
PUBLIC = "pub-" + secrets.token_urlsafe(24)
ADMIN = "adm-" + secrets.token_urlsafe(24)
NOSCOPE = "nos-" + secrets.token_urlsafe(24)
TOKENS_ENV = "MANIFOLD_TEST_TOKENS"
ADMIN_TOOLS = {"math_reset_memory", "text_purge_cache"}
INITIALIZE = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}},
}
ACCEPT_BOTH = "application/json, text/event-stream"


# -- Keys and tokens ---------------------------------------------------------------------------------


def b64url_uint(value: int, size: int | None = None) -> str:
    """base64url of an unsigned big-endian integer: its minimal bytes (RSA `n`, `e`), or exactly
    `size` bytes, zero-padded in front (EC coordinates: RFC 7518 §6.2.1.2)."""
    raw = value.to_bytes(size or (value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Keys:
    """An RSA and an EC P-256 key pair (made once per test session), their JWKS, and a second RSA
    key with the same kid as the first (for bad signatures)."""

    def __init__(self):
        from cryptography.hazmat.primitives.asymmetric import ec, rsa

        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        rsa_numbers = self.rsa.public_key().public_numbers()
        ec_numbers = self.ec.public_key().public_numbers()
        self.jwks = {"keys": [
            {"kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256",
             "n": b64url_uint(rsa_numbers.n), "e": b64url_uint(rsa_numbers.e)},
            {"kty": "EC", "kid": "ec-1", "use": "sig", "crv": "P-256",
             "x": b64url_uint(ec_numbers.x, 32), "y": b64url_uint(ec_numbers.y, 32)},
        ]}

    def token(self, resource: str, *, alg: str = "RS256", scope: str = "public", key=None, kid: str | None = None,
              **overrides) -> str:
        import jwt

        now = int(time.time())
        claims = {"iss": ISSUER, "aud": resource, "sub": "alice", "iat": now, "nbf": now - 5, "exp": now + 300,
                  "scope": scope}
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        signing_key = key or (self.rsa if alg == "RS256" else self.ec)
        return jwt.encode(claims, signing_key, algorithm=alg,
                          headers={"kid": kid or ("rsa-1" if alg == "RS256" else "ec-1"), "typ": "at+jwt"})


@pytest.fixture(scope="session")
def keys() -> Keys:
    pytest.importorskip("cryptography")
    pytest.importorskip("jwt")
    return Keys()


def ec_coordinate_ok(keys: Keys) -> None:
    # P-256 coordinates are 32 bytes: 43 base64url characters (padded with leading zero bytes).
    for coordinate in ("x", "y"):
        assert len(base64.urlsafe_b64decode(keys.jwks["keys"][1][coordinate] + "=")) == 32


# -- Servers -----------------------------------------------------------------------------------------


def demo_host(tmp_path: Path, name: str, *, extra_mounts: list[str] = (), endpoints: list[str]) -> Path:
    """A host manifest `<name>.yaml`: math and texttools under their prefixes, then
    `extra_mounts` and the `endpoints:` lines given."""
    lines = [
        "kind: host",
        f"server: {{name: {name}, version: 0.1.0}}",
        f"pluginFolders: [{json.dumps(str(ROOT / 'Plugins'))}]",
        "mounts:",
        "  - plugin: math",
        "    prefix: math",
        "  - plugin: texttools",
        "    prefix: text",
        *extra_mounts,
        "endpoints:",
        *endpoints,
    ]
    path = tmp_path / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def auth_manifest(tmp_path: Path, *, stateless: bool = False, extra_mounts: list[str] = (), auth: dict | None = None) -> Path:
    """The demo composition (math + texttools under prefixes) on one HTTP endpoint on port 0 with
    static tokens from $MANIFOLD_TEST_TOKENS, JWTs from jwks.json, and the public/admin scopes."""
    auth = auth or {
        "bearer": {"tokensEnv": TOKENS_ENV},
        "jwt": {"issuer": ISSUER, "jwksFile": "jwks.json", "leewaySeconds": 5},
        "scopes": {"public": "public", "admin": "public or admin"},
    }
    return demo_host(tmp_path, "auth-host", extra_mounts=extra_mounts, endpoints=[
        "  - http:",
        '      listen: "127.0.0.1:0"',
        f"      stateless: {json.dumps(stateless)}",
        f"      auth: {json.dumps(auth)}",
    ])


def token_env() -> dict[str, str]:
    env = dict(os.environ)
    env[TOKENS_ENV] = f"{PUBLIC} public\n{ADMIN} admin,{NOSCOPE}"
    return env


@pytest.fixture
def auth_server(http_server, tmp_path, keys):
    """Starts an authenticated server (the manifest above) and returns it."""

    def start(**kwargs):
        (tmp_path / "jwks.json").write_text(json.dumps(keys.jwks))
        return http_server(auth_manifest(tmp_path, **kwargs), http=False, env=token_env())

    return start


@pytest.fixture
def server(auth_server):
    return auth_server()


# -- Raw HTTP ----------------------------------------------------------------------------------------


class Exchange:
    def __init__(self, response: http.client.HTTPResponse):
        self.status = response.status
        self.headers = {k.lower(): v for k, v in response.getheaders()}
        self.body = response.read()

    @property
    def json(self):
        return json.loads(self.body)

    def rpc(self):
        """The JSON-RPC message of a JSON or single-event SSE body."""
        if self.headers.get("content-type", "").startswith("text/event-stream"):
            data = [line[5:].strip() for line in self.body.decode().splitlines() if line.startswith("data:")]
            return json.loads([d for d in data if d][-1])
        return self.json


def request(server, method: str, path: str = "/mcp", body=None, headers: dict | None = None) -> Exchange:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        all_headers = {"Accept": ACCEPT_BOTH}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        connection.request(method, path, body=None if body is None else json.dumps(body).encode(), headers=all_headers)
        return Exchange(connection.getresponse())
    finally:
        connection.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def prm_url(server) -> str:
    return f"http://127.0.0.1:{server.port}/.well-known/oauth-protected-resource/mcp"


def resource(server) -> str:
    return f"http://127.0.0.1:{server.port}/mcp"


def initialize(server, token: str) -> str:
    answer = request(server, "POST", body=INITIALIZE, headers=bearer(token))
    assert answer.status == 200, answer.body
    session = answer.headers["mcp-session-id"]
    done = request(server, "POST", body={"jsonrpc": "2.0", "method": "notifications/initialized"},
                   headers={**bearer(token), "Mcp-Session-Id": session})
    assert done.status == 202
    return session


def list_tools_raw(server, token: str, session: str | None = None) -> Exchange:
    headers = bearer(token)
    if session:
        headers["Mcp-Session-Id"] = session
    else:
        headers["MCP-Protocol-Version"] = "2025-11-25"
    return request(server, "POST", body={"jsonrpc": "2.0", "id": 7, "method": "tools/list"}, headers=headers)


# -- Challenges and metadata -------------------------------------------------------------------------


def test_no_token_is_401_naming_the_metadata_url(server):
    answer = request(server, "POST", body=INITIALIZE)
    assert answer.status == 401
    assert answer.headers["www-authenticate"] == f'Bearer resource_metadata="{prm_url(server)}"'
    assert answer.json["error"]["code"] == -32600
    assert "mcp-session-id" not in answer.headers


def test_the_protected_resource_metadata_is_public(server):
    expected = {
        "resource": resource(server),
        "authorization_servers": [ISSUER],
        "scopes_supported": ["admin", "public"],
        "bearer_methods_supported": ["header"],
    }
    for path in ("/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"):
        answer = request(server, "GET", path)
        assert answer.status == 200, path
        assert answer.headers["content-type"] == "application/json"
        assert answer.json == expected


def test_a_wrong_token_is_invalid_token(server):
    for token in ("nope-" + secrets.token_urlsafe(24), PUBLIC[:-1], PUBLIC + "x", "a.b.c"):
        answer = request(server, "POST", body=INITIALIZE, headers=bearer(token))
        assert answer.status == 401, token
        challenge = answer.headers["www-authenticate"]
        assert challenge.startswith('Bearer error="invalid_token"'), challenge
        assert f'resource_metadata="{prm_url(server)}"' in challenge


def test_a_token_is_never_read_from_the_query_string(server):
    answer = request(server, "POST", f"/mcp?access_token={PUBLIC}", body=INITIALIZE)
    assert answer.status == 401
    assert "error=" not in answer.headers["www-authenticate"]


def test_other_schemes_and_health_probes(server):
    basic = "Basic " + base64.b64encode(f"user:{PUBLIC}".encode()).decode()
    assert request(server, "POST", body=INITIALIZE, headers={"Authorization": basic}).status == 401
    # Orchestrators probe without credentials.
    assert request(server, "GET", "/healthz").status == 200
    assert request(server, "GET", "/readyz").status == 200
    # The legacy SSE transport is behind the same door.
    assert request(server, "GET", "/sse", headers={"Accept": "text/event-stream"}).status == 401


def test_a_token_without_a_mapped_scope_is_forbidden(server):
    answer = request(server, "POST", body=INITIALIZE, headers=bearer(NOSCOPE))
    assert answer.status == 403
    challenge = answer.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="insufficient_scope", scope="admin public"'), challenge
    assert f'resource_metadata="{prm_url(server)}"' in challenge


# -- Scopes: each caller's slice ---------------------------------------------------------------------


def tool_names(listing: dict) -> set[str]:
    return {tool["name"] for tool in listing["tools"]}


def test_a_public_token_lists_and_calls_only_public_tools(server):
    require_sdk()

    async def scenario():
        async with connect_http_client(server.url, headers=bearer(PUBLIC), server=server) as client:
            names = tool_names(await client.list_tools())
            assert "math_add" in names and "text_upper" in names
            assert not names & ADMIN_TOOLS
            result = await client.call_tool("math_add", {"a": 2, "b": 3})
            assert result["structuredContent"] == {"result": 5}
            with pytest.raises(McpError) as caught:
                await client.call_tool("math_reset_memory", {})
            assert caught.value.error.code == -32602
            assert "Unknown tool" in caught.value.error.message
            # Every list comes from the slice (here all resources and prompts are public).
            assert (await client.list_resources())["resources"]
            assert (await client.list_prompts())["prompts"]

    anyio.run(scenario)


def test_an_admin_token_sees_the_admin_tools(server):
    require_sdk()

    async def scenario():
        async with connect_http_client(server.url, headers=bearer(ADMIN), server=server) as client:
            names = tool_names(await client.list_tools())
            assert ADMIN_TOOLS <= names
            assert "math_add" in names
            result = await client.call_tool("math_reset_memory", {})
            assert not result.get("isError")

    anyio.run(scenario)


def test_a_session_belongs_to_its_token(server):
    session = initialize(server, PUBLIC)
    assert list_tools_raw(server, PUBLIC, session).status == 200
    # Another token on the same session: as if the session did not exist.
    stolen = list_tools_raw(server, ADMIN, session)
    assert stolen.status == 404
    assert request(server, "DELETE", headers={**bearer(ADMIN), "Mcp-Session-Id": session}).status == 404
    assert request(server, "GET", headers={**bearer(ADMIN), "Mcp-Session-Id": session,
                                           "Accept": "text/event-stream"}).status == 404
    # No token at all: 401 before any session lookup.
    assert request(server, "POST", body={"jsonrpc": "2.0", "id": 2, "method": "ping"},
                   headers={"Mcp-Session-Id": session}).status == 401
    # The owner still has it, with its own slice.
    own = list_tools_raw(server, PUBLIC, session)
    assert own.status == 200
    assert not tool_names(own.rpc()["result"]) & ADMIN_TOOLS
    assert request(server, "DELETE", headers={**bearer(PUBLIC), "Mcp-Session-Id": session}).status == 200


def test_stateless_requests_are_sliced_too(auth_server):
    server = auth_server(stateless=True)
    public = list_tools_raw(server, PUBLIC)
    assert public.status == 200
    assert not tool_names(public.rpc()["result"]) & ADMIN_TOOLS
    admin = list_tools_raw(server, ADMIN)
    assert ADMIN_TOOLS <= tool_names(admin.rpc()["result"])
    call = request(server, "POST", body={"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                                         "params": {"name": "math_reset_memory", "arguments": {}}},
                   headers={**bearer(PUBLIC), "MCP-Protocol-Version": "2025-11-25"})
    assert call.status == 200
    assert call.rpc()["error"]["code"] == -32602
    assert request(server, "POST", body={"jsonrpc": "2.0", "id": 4, "method": "tools/list"},
                   headers={"MCP-Protocol-Version": "2025-11-25"}).status == 401


# -- JWT access tokens -------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_a_valid_jwt_is_accepted(server, keys, alg):
    require_sdk()
    ec_coordinate_ok(keys)
    token = keys.token(resource(server), alg=alg, scope="openid admin")

    async def scenario():
        async with connect_http_client(server.url, headers=bearer(token), server=server) as client:
            assert ADMIN_TOOLS <= tool_names(await client.list_tools())

    anyio.run(scenario)
    public = keys.token(resource(server), alg=alg, scope="public")
    assert not tool_names(_stateful_tools(server, public)) & ADMIN_TOOLS


def _stateful_tools(server, token: str) -> dict:
    session = initialize(server, token)
    answer = list_tools_raw(server, token, session)
    assert answer.status == 200
    return answer.rpc()["result"]


@pytest.mark.parametrize("case", ["wrong audience", "wrong issuer", "expired", "bad signature", "not yet valid",
                                  "unknown kid", "no expiry"])
def test_an_invalid_jwt_is_refused(server, keys, case):
    target = resource(server)
    token = {
        "wrong audience": lambda: keys.token("http://127.0.0.1:1/mcp"),
        "wrong issuer": lambda: keys.token(target, iss="https://evil.example.test"),
        "expired": lambda: keys.token(target, exp=int(time.time()) - 120),
        "bad signature": lambda: keys.token(target, key=keys.impostor),
        "not yet valid": lambda: keys.token(target, nbf=int(time.time()) + 120),
        "unknown kid": lambda: keys.token(target, kid="rsa-9"),
        "no expiry": lambda: keys.token(target, exp=None),
    }[case]()
    answer = request(server, "POST", body=INITIALIZE, headers=bearer(token))
    assert answer.status == 401, case
    challenge = answer.headers["www-authenticate"]
    assert challenge.startswith('Bearer error="invalid_token"'), challenge
    assert f'resource_metadata="{prm_url(server)}"' in challenge


def test_the_sdk_client_surfaces_a_refusal(server):
    require_sdk()

    async def scenario():
        with pytest.raises(BaseException):  # the SDK raises an HTTP status error (in a task group)
            async with connect_http_client(server.url, headers=bearer("nope-" + secrets.token_urlsafe(24)),
                                           server=server, timeout=10):
                pass

    anyio.run(scenario)


# -- The client's token stays here -------------------------------------------------------------------

RECORDER = '''
import os, sys
import uvicorn
sys.path.insert(0, {events_dir!r})
from fastmcp_events import server

def recording(app, path):
    async def gate(scope, receive, send):
        if scope["type"] == "http":
            headers = {{k.decode().lower(): v.decode() for k, v in scope["headers"]}}
            with open(path, "a") as log:
                log.write(headers.get("authorization", "<none>") + "\\n")
        await app(scope, receive, send)
    return gate

port, path = int(sys.argv[1]), sys.argv[2]
uvicorn.run(recording(server.http_app(path="/mcp"), path), host="127.0.0.1", port=port, log_level="error")
'''


def test_the_clients_token_never_reaches_an_upstream_server(http_server, tmp_path, keys):
    require_sdk()
    from test_mesh_support import EVENTS, PEER_PYTHON, Backend, free_port

    if not PEER_PYTHON.is_file():
        pytest.skip("needs .venv-peer (scripts/test creates it)")
    script = tmp_path / "recorder.py"
    script.write_text(RECORDER.format(events_dir=str(EVENTS.parent)))
    log = tmp_path / "authorization.log"
    port = free_port()
    backend = Backend([str(PEER_PYTHON), str(script), str(port), str(log)], port)
    try:
        (tmp_path / "jwks.json").write_text(json.dumps(keys.jwks))
        manifest = auth_manifest(tmp_path, extra_mounts=[
            f'  - remote: {{ url: "http://127.0.0.1:{port}/mcp" }}',
            "    prefix: up",
            "    addTags: [public]",
        ])
        server = http_server(manifest, http=False, env=token_env())

        async def scenario():
            async with connect_http_client(server.url, headers=bearer(ADMIN), server=server) as client:
                names = tool_names(await client.list_tools())
                upstream = sorted(n for n in names if n.startswith("up_"))
                assert upstream, names
                assert "up_greet" in upstream, upstream
                result = await client.call_tool("up_greet", {"name": "auth"})
                assert "auth" in json.dumps(result)

        anyio.run(scenario)
        seen = log.read_text().splitlines()
        assert seen, "the upstream server received no request"
        assert all(value == "<none>" for value in seen), seen
        assert not any(ADMIN in value or PUBLIC in value for value in seen)
    finally:
        backend.stop()


def test_the_tokens_variable_is_not_inherited_by_child_processes(http_server, tmp_path, keys):
    """A stdio remote spawned by the host gets the host's environment, minus the tokens."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import os, sys, json\n"
        f"open({str(tmp_path / 'child-env.json')!r}, 'w').write(json.dumps(sorted(os.environ)))\n"
        "for line in sys.stdin:\n"
        "    message = json.loads(line)\n"
        "    if message.get('method') == 'initialize':\n"
        "        print(json.dumps({'jsonrpc': '2.0', 'id': message['id'], 'result': {'protocolVersion': "
        "message['params']['protocolVersion'], 'capabilities': {'tools': {}}, 'serverInfo': {'name': 'probe', 'version': '1'}}}), flush=True)\n"
        "    elif message.get('method') == 'tools/list':\n"
        "        print(json.dumps({'jsonrpc': '2.0', 'id': message['id'], 'result': {'tools': []}}), flush=True)\n"
        "    elif 'id' in message:\n"
        "        print(json.dumps({'jsonrpc': '2.0', 'id': message['id'], 'result': {}}), flush=True)\n"
    )
    (tmp_path / "jwks.json").write_text(json.dumps(keys.jwks))
    remote = json.dumps({"command": sys.executable, "args": [str(probe)]})
    manifest = auth_manifest(tmp_path, extra_mounts=[f"  - remote: {remote}", "    prefix: probe"])
    server = http_server(manifest, http=False, env=token_env())
    deadline = time.monotonic() + 20
    child_env = tmp_path / "child-env.json"
    names = None
    while names is None:
        assert time.monotonic() < deadline, server.stderr()
        try:
            names = json.loads(child_env.read_text())
        except (OSError, ValueError):
            time.sleep(0.02)
    assert TOKENS_ENV not in names
    assert "PATH" in names
    # …and the endpoint still knows the tokens.
    assert request(server, "POST", body=INITIALIZE, headers=bearer(PUBLIC)).status == 200


# -- Many callers at once ----------------------------------------------------------------------------


def test_concurrent_callers_each_get_their_own_answers_and_slice(server):
    """A short soak (Benchmarks/soak/http-soak.sh is the long one): 16 keep-alive connections for
    about 4 s, half with the public token and half with the admin one, each on its own session,
    calling tools of both plugins with distinct ids. Correctness only, no timing assertions: every
    answer is 200, carries its request's id and its own result, and each caller's forbidden tool
    stays unknown to it."""
    import threading

    deadline = time.monotonic() + 4
    problems: list[str] = []
    counts: list[int] = []

    def caller(index: int):
        token = ADMIN if index % 2 else PUBLIC
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
        try:
            def post(body, session=None):
                headers = {"Content-Type": "application/json", "Accept": ACCEPT_BOTH, **bearer(token)}
                if session:
                    headers["Mcp-Session-Id"] = session
                connection.request("POST", "/mcp", body=json.dumps(body).encode(), headers=headers)
                return Exchange(connection.getresponse())

            answer = post(INITIALIZE)
            session = answer.headers["mcp-session-id"]
            post({"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
            n = 0
            while time.monotonic() < deadline and n < 5000:
                n += 1
                request_id = index * 1_000_000 + n
                if n % 3 == 0:
                    body = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                            "params": {"name": "math_add", "arguments": {"a": request_id, "b": 1}}}
                    expected = {"result": request_id + 1}
                elif n % 3 == 1:
                    body = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                            "params": {"name": "text_upper", "arguments": {"text": f"c{request_id}"}}}
                    expected = f"C{request_id}"
                else:
                    body = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
                            "params": {"name": "math_reset_memory", "arguments": {}}}
                    expected = None
                answer = post(body, session)
                if answer.status != 200:
                    problems.append(f"{index}/{n}: HTTP {answer.status}")
                    return
                message = answer.rpc()
                if message.get("id") != request_id:
                    problems.append(f"{index}/{n}: id {message.get('id')} for {request_id}")
                    return
                if expected is None:
                    # reset_memory: admin only.
                    allowed = token == ADMIN
                    if allowed != ("result" in message):
                        problems.append(f"{index}/{n}: reset_memory for {'admin' if allowed else 'public'}: {message}")
                        return
                elif isinstance(expected, dict):
                    if message.get("result", {}).get("structuredContent") != expected:
                        problems.append(f"{index}/{n}: {message}")
                        return
                elif expected not in json.dumps(message):
                    problems.append(f"{index}/{n}: {message}")
                    return
            counts.append(n)
        except Exception as error:  # noqa: BLE001 - reported below
            problems.append(f"{index}: {error!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not problems, problems[:5]
    assert len(counts) == 16 and min(counts) > 0


# -- Several endpoints, each with its own filter and auth --------------------------------------------


def test_two_http_endpoints_with_different_filters_and_auth(http_server, tmp_path):
    """One host, two HTTP endpoints: an open one that hides admin tools, and one behind bearer
    tokens that shows everything. Each applies only its own rules."""
    manifest = demo_host(tmp_path, "two-endpoints", endpoints=[
        "  - http: {listen: \"127.0.0.1:0\", path: /open}",
        "    excludeTags: [admin]",
        f"  - http: {{listen: \"127.0.0.1:0\", path: /ops, auth: {{bearer: {{tokensEnv: {TOKENS_ENV}}}}}}}",
    ])
    both = http_server(manifest, http=False, env=token_env())
    assert len(both.ports) == 2
    open_endpoint, ops_endpoint = (type("Endpoint", (), {"port": port}) for port in both.ports)
    listing = {"jsonrpc": "2.0", "id": 7, "method": "tools/list"}
    version = {"MCP-Protocol-Version": "2025-11-25"}

    # The open endpoint needs no token and never shows an admin tool.
    initialized = request(open_endpoint, "POST", "/open", body=INITIALIZE)
    assert initialized.status == 200, initialized.body
    session = {"Mcp-Session-Id": initialized.headers["mcp-session-id"], **version}
    names = tool_names(request(open_endpoint, "POST", "/open", body=listing, headers=session).rpc()["result"])
    assert "math_add" in names and "text_upper" in names
    assert not names & ADMIN_TOOLS
    # Its path is its own: the other endpoint's path is not served there.
    assert request(open_endpoint, "POST", "/ops", body=INITIALIZE).status == 404

    # The ops endpoint refuses a caller without a token, and shows a token holder everything.
    refused = request(ops_endpoint, "POST", "/ops", body=INITIALIZE)
    assert refused.status == 401 and "www-authenticate" in refused.headers
    session = initialize_at(ops_endpoint, "/ops", ADMIN)
    names = tool_names(request(ops_endpoint, "POST", "/ops", body=listing,
                               headers={**bearer(ADMIN), "Mcp-Session-Id": session, **version}).rpc()["result"])
    assert ADMIN_TOOLS <= names and "math_add" in names


def initialize_at(server, path: str, token: str) -> str:
    answer = request(server, "POST", path, body=INITIALIZE, headers=bearer(token))
    assert answer.status == 200, answer.body
    return answer.headers["mcp-session-id"]
