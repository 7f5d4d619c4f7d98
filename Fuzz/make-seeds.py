#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (Fuzz/corpus/<target>/seed-*) from real messages,
real HTTP requests and the repository's own manifests. Re-run after changing the seeds; the
files libFuzzer adds to the corpus (named by their SHA-1) are kept as they are.

    Fuzz/make-seeds.py
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "Fuzz" / "corpus"


def write(target: str, name: str, data: bytes) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"seed-{name}").write_bytes(data)


def rpc(id_, method, params=None):
    message = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        message["params"] = params
    return json.dumps(message, separators=(",", ":")).encode()


MESSAGES = {
    "initialize": rpc(1, "initialize", {"protocolVersion": "2025-11-25", "capabilities": {"sampling": {}, "roots": {"listChanged": True}},
                                       "clientInfo": {"name": "seed", "version": "1"}}),
    "initialized": b'{"jsonrpc":"2.0","method":"notifications/initialized"}',
    "ping": rpc("p-1", "ping"),
    "tools-list": rpc(2, "tools/list"),
    "tools-list-cursor": rpc(3, "tools/list", {"cursor": "Mg"}),
    "tools-call": rpc(4, "tools/call", {"name": "a_echo", "arguments": {"text": "hi"}, "_meta": {"progressToken": 7}}),
    "tools-call-bad-args": rpc(5, "tools/call", {"name": "echo", "arguments": [1, 2]}),
    "tools-call-unknown": rpc(6, "tools/call", {"name": "nope", "arguments": {}}),
    "tools-call-task": rpc(7, "tools/call", {"name": "a_fail", "arguments": {}, "task": {"ttl": 1000}}),
    "resources-list": rpc(8, "resources/list"),
    "resources-read": rpc(9, "resources/read", {"uri": "fuzz://doc"}),
    "resources-read-template": rpc(10, "resources/read", {"uri": "fuzz://items/42"}),
    "templates-list": rpc(11, "resources/templates/list"),
    "subscribe": rpc(12, "resources/subscribe", {"uri": "fuzz://doc"}),
    "prompts-list": rpc(13, "prompts/list"),
    "prompts-get": rpc(14, "prompts/get", {"name": "greet", "arguments": {"who": "you"}}),
    "complete": rpc(15, "completion/complete", {"ref": {"type": "ref/prompt", "name": "greet"},
                                                "argument": {"name": "who", "value": "y"}}),
    "set-level": rpc(16, "logging/setLevel", {"level": "debug"}),
    "cancel": b'{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":4,"reason":"x"}}',
    "response": b'{"jsonrpc":"2.0","id":"s-1","result":{"roots":[]}}',
    "error-response": b'{"jsonrpc":"2.0","id":"s-2","error":{"code":-1,"message":"no"}}',
    "batch": b"[" + rpc(1, "ping") + b"," + rpc(2, "tools/list") + b"," + b'{"jsonrpc":"2.0","method":"x"}' + b"]",
    "unicode": '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a_echo","arguments":{"text":"\\ud83d\\ude00 \u00e9\\u0000"}}}'.encode(),
    "numbers": b'{"jsonrpc":"2.0","id":-1.5e300,"method":"ping","params":{}}',
    "nested": b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a_echo","arguments":{"text":"x","deep":[[[[[{}]]]]]}}}',
    "discover": rpc(17, "server/discover", {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}),
}

for name, message in MESSAGES.items():
    write("envelope", f"{name}-ready", b"\x00" + message)
    write("envelope", f"{name}-new", b"\x01" + message)
write("envelope", "malformed", b"\x00" + b'{"jsonrpc":"2.0","id":1,"method":')
write("envelope", "not-rpc", b"\x00" + b'{"hello":"world"}')

# -- HTTP -------------------------------------------------------------------------------------------

PUBLIC = "fuzz-public-token-0123456789"
ADMIN = "fuzz-admin-token-0123456789"


def es256_token() -> str | None:
    """A JWT signed with a fixed P-256 key (FuzzHTTP.swift trusts its public half, kid k1)."""
    try:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    except ImportError:
        return None
    d = int.from_bytes(base64.urlsafe_b64decode("jpsQnnGQmL-YBIffH1136cLNBtqeIyqfzBcnnEGwE2I="), "big")
    key = ec.derive_private_key(d, ec.SECP256R1())

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "ES256", "kid": "k1", "typ": "at+jwt"}).encode())
    claims = b64(json.dumps({"iss": "https://as.fuzz", "aud": "http://127.0.0.1:8080/mcp", "sub": "fuzzer",
                             "exp": 1_900_000_000, "nbf": 1_700_000_000, "scope": "admin"}).encode())
    r, s = decode_dss_signature(key.sign(f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256())))
    return f"{header}.{claims}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def http(method: str, path: str, body: bytes = b"", headers: dict | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1:8080"]
    for key, value in (headers or {}).items():
        lines.append(f"{key}: {value}")
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


POST = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
SESSION = "0123456789abcdef0123456789abcdef"
jwt = es256_token()
REQUESTS = {
    "initialize": http("POST", "/mcp", MESSAGES["initialize"], POST),
    "initialize-then-list": http("POST", "/mcp", MESSAGES["initialize"], POST) + http("POST", "/mcp", MESSAGES["tools-list"],
                                                                                  {**POST, "Mcp-Session-Id": SESSION}),
    "call": http("POST", "/mcp", MESSAGES["tools-call"], {**POST, "Mcp-Session-Id": SESSION, "MCP-Protocol-Version": "2025-11-25"}),
    "call-sse-only": http("POST", "/mcp", rpc(4, "tools/call", {"name": "echo", "arguments": {}}),
                          {"Content-Type": "application/json", "Accept": "text/event-stream", "MCP-Protocol-Version": "2025-06-18"}),
    "get-stream": http("GET", "/mcp", headers={"Accept": "text/event-stream", "Mcp-Session-Id": SESSION, "Last-Event-ID": "1-3"}),
    "delete": http("DELETE", "/mcp", headers={"Mcp-Session-Id": SESSION}),
    "options": http("OPTIONS", "/mcp", headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}),
    "evil-origin": http("POST", "/mcp", MESSAGES["ping"], {**POST, "Origin": "https://evil.example.com"}),
    "health": http("GET", "/healthz") + http("GET", "/readyz"),
    "legacy": http("GET", "/sse", headers={"Accept": "text/event-stream"}),
    "legacy-post": http("POST", "/messages?sessionId=" + SESSION, MESSAGES["ping"], {"Content-Type": "application/json"}),
    "chunked": (b"POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                b"Accept: application/json\r\n\r\n5\r\n{\"jso\r\n0\r\n\r\n"),
    "expect-continue": http("POST", "/mcp", MESSAGES["initialize"], {**POST, "Expect": "100-continue"}),
    "prm": http("GET", "/.well-known/oauth-protected-resource/mcp") + http("GET", "/.well-known/oauth-protected-resource"),
    "bearer-public": http("POST", "/mcp", MESSAGES["tools-list"], {**POST, "Authorization": f"Bearer {PUBLIC}",
                                                                    "MCP-Protocol-Version": "2025-11-25"}),
    "bearer-admin-init": http("POST", "/mcp", MESSAGES["initialize"], {**POST, "Authorization": f"bearer {ADMIN}"}),
    "bearer-twice": http("POST", "/mcp", MESSAGES["ping"], {**POST, "Authorization": f"Bearer {PUBLIC}"}).replace(
        b"\r\n\r\n", f"\r\nAuthorization: Bearer {ADMIN}\r\n\r\n".encode(), 1),
    "bearer-query": http("POST", f"/mcp?access_token={PUBLIC}", MESSAGES["ping"], POST),
    "http10": b"GET /healthz HTTP/1.0\r\n\r\n",
    "garbage": b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
}
if jwt:
    REQUESTS["jwt"] = http("POST", "/mcp", MESSAGES["initialize"], {**POST, "Authorization": f"Bearer {jwt}"})
    REQUESTS["jwt-list"] = http("POST", "/mcp", MESSAGES["tools-list"], {**POST, "Authorization": f"Bearer {jwt}",
                                                                         "MCP-Protocol-Version": "2025-11-25"})
for name, raw in REQUESTS.items():
    # Byte 0: bit 0 stateless, bit 1 authentication; byte 1: where the input is split in two reads.
    write("http", f"{name}-stateful-auth", b"\x02\xff" + raw)
    write("http", f"{name}-stateless-auth", b"\x03\x11" + raw)
    write("http", f"{name}-open", b"\x00\x00" + raw)

# -- Manifests --------------------------------------------------------------------------------------

for path in sorted((ROOT / "manifests").rglob("*.yaml")) + sorted((ROOT / "Plugins").rglob("*.plugin.yaml")):
    text = path.read_bytes()
    plugin = b"kind: plugin" in text or b"kind: ffi" in text or path.name.endswith(".plugin.yaml")
    write("manifest", path.relative_to(ROOT).as_posix().replace("/", "_"), (b"\x01" if plugin else b"\x00") + text)
write("manifest", "json-host", b"\x00" + json.dumps({
    "kind": "host", "mounts": [{"plugin": "math", "prefix": "math"}],
    "endpoints": [{"stdio": {}}, {"http": {"listen": "127.0.0.1:8080", "auth": {"bearer": {"tokensEnv": "T"}},
                                           "tls": {"certificate": "c.pem", "key": "k.pem"}}, "filter": "public and not admin"}],
}).encode())
write("manifest", "anchors", b"\x00" + b"kind: host\nx: &a {plugin: math}\nmounts: [*a, *a]\n")
