"""TLS on the Streamable HTTP endpoint (docs/HTTP.md, *TLS*): `tls: {certificate, key}` with a
certificate chain made here (a test CA and a server certificate for 127.0.0.1 and localhost, by
the `cryptography` package), over real sockets on 127.0.0.1:

* the SDK's client over https, trusting the test CA (`verify=<CA file>`), works end to end;
* plain HTTP to the TLS port gets no HTTP answer; a client that does not trust the CA fails;
* with `auth` as well, the metadata and the challenge name https URLs;
* an unusable certificate or key stops the server at start with an error naming the setting.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import subprocess
import secrets
from pathlib import Path

import anyio
import pytest

from conftest import ROOT, Certificates, connect_http_client, find_manifold_bin, require_sdk

pytestmark = pytest.mark.usefixtures("manifold_bin")

TOKEN = "tls-" + secrets.token_urlsafe(24)


@pytest.fixture
def certificates(tmp_path) -> Certificates:
    pytest.importorskip("cryptography")
    return Certificates(tmp_path)


def tls_manifest(folder: Path, certificate: str, key: str, auth: dict | None = None) -> Path:
    lines = [
        "kind: host",
        "server: {name: http-tls, version: 0.1.0}",
        f"pluginFolders: [{json.dumps(str(ROOT / 'Plugins'))}]",
        "mounts:",
        "  - plugin: math",
        "    prefix: math",
        "endpoints:",
        "  - http:",
        '      listen: "127.0.0.1:0"',
        # Relative names are read against the manifest's folder.
        f"      tls: {json.dumps({'certificate': certificate, 'key': key})}",
    ]
    if auth:
        lines.append(f"      auth: {json.dumps(auth)}")
    path = folder / "tls-host.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def server(http_server, tmp_path, certificates):
    return http_server(tls_manifest(tmp_path, "server.pem", "server.key"), http=False)


def https_get(port: int, path: str, ca: Path, headers: dict | None = None):
    context = ssl.create_default_context(cafile=str(ca))
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=20)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_the_sdk_client_works_over_https_with_the_test_ca(server, certificates):
    require_sdk()
    assert server.stderr().count("listening on https://127.0.0.1:") == 1
    url = f"https://127.0.0.1:{server.port}/mcp"

    async def scenario():
        context = ssl.create_default_context(cafile=str(certificates.ca))
        async with connect_http_client(url, verify=context, server=server) as client:
            names = {tool["name"] for tool in (await client.list_tools())["tools"]}
            assert "math_add" in names
            result = await client.call_tool("math_add", {"a": 20, "b": 22})
            assert result["structuredContent"] == {"result": 42}

    anyio.run(scenario)


def test_health_over_https(server, certificates):
    status, _, body = https_get(server.port, "/healthz", certificates.ca)
    assert status == 200 and body.startswith(b"ok")


def test_plain_http_to_the_tls_port_gets_no_http_answer(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        with pytest.raises((http.client.HTTPException, ConnectionError, OSError)):
            connection.request("GET", "/healthz")
            connection.getresponse()
    finally:
        connection.close()
    # Raw bytes too: the server answers a non-TLS first flight with at most a TLS alert, then closes.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        received = b""
        while True:
            chunk = raw.recv(4096)
            if not chunk:
                break
            received += chunk
        assert b"HTTP/1.1" not in received


def test_a_client_that_does_not_trust_the_ca_fails(server):
    context = ssl.create_default_context()  # the system's roots only
    connection = http.client.HTTPSConnection("127.0.0.1", server.port, context=context, timeout=10)
    try:
        with pytest.raises(ssl.SSLError):
            connection.request("GET", "/healthz")
            connection.getresponse()
    finally:
        connection.close()


def test_auth_over_tls_names_https_urls(http_server, tmp_path, certificates):
    env = dict(os.environ)
    env["MANIFOLD_TLS_TEST_TOKENS"] = TOKEN
    manifest = tls_manifest(tmp_path, str(certificates.certificate), str(certificates.key),
                            auth={"bearer": {"tokensEnv": "MANIFOLD_TLS_TEST_TOKENS"}})
    server = http_server(manifest, http=False, env=env)
    base = f"https://127.0.0.1:{server.port}"
    status, headers, _ = https_get(server.port, "/mcp", certificates.ca, {"Accept": "text/event-stream"})
    assert status == 401
    assert headers["www-authenticate"] == f'Bearer resource_metadata="{base}/.well-known/oauth-protected-resource/mcp"'
    status, _, body = https_get(server.port, "/.well-known/oauth-protected-resource/mcp", certificates.ca)
    assert status == 200
    assert json.loads(body) == {"resource": f"{base}/mcp", "bearer_methods_supported": ["header"]}
    status, _, _ = https_get(server.port, "/mcp", certificates.ca,
                             {"Accept": "text/event-stream", "Authorization": f"Bearer {TOKEN}"})
    assert status == 400  # past authentication: a GET without a session


@pytest.mark.parametrize("which", ["certificate", "key"])
def test_an_unusable_certificate_or_key_stops_the_server(tmp_path, certificates, which):
    (tmp_path / "garbage.pem").write_text("not a PEM file\n")
    files = {"certificate": "server.pem", "key": "server.key", which: "garbage.pem"}
    manifest = tls_manifest(tmp_path, files["certificate"], files["key"])
    completed = subprocess.run([str(find_manifold_bin()), "serve", str(manifest)], stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=60, cwd=str(ROOT))
    assert completed.returncode != 0
    assert f"tls.{which}" in completed.stderr, completed.stderr
    missing = tls_manifest(tmp_path, "server.pem", "nowhere.key")
    completed = subprocess.run([str(find_manifold_bin()), "serve", str(missing)], stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=60, cwd=str(ROOT))
    assert completed.returncode != 0 and "tls.key" in completed.stderr and "nowhere.key" in completed.stderr
