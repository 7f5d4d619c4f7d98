"""Remote mounts over https (docs/MESH.md, *https*): Manifold's SwiftNIO client transports with
TLS, against the FastMCP events server served by uvicorn with a certificate from a test CA
(`conftest.Certificates`), on 127.0.0.1:

* Streamable HTTP and legacy SSE work end to end when the mount trusts the CA (`tls.caFile`),
  by IP address (matched against the certificate's IP addresses) and by name (SNI);
* without `caFile` the system's trust store does not know the test CA: the mount fails with the
  verification error, and the rest of the host serves;
* a certificate from the trusted CA for another name is refused;
* a server that wants a client certificate (mutual TLS) gets one from `tls.certificate`/`key`,
  and refuses the mount without it;
* an unusable PEM file fails that mount, named.
"""

from __future__ import annotations

import pytest

from conftest import Certificates, connect, text_of
from test_mesh_support import (EVENTS, PEER_PYTHON, PLUGINS, backends, env_with, free_port, inspect_json,  # noqa: F401
                               peer_python, quoted, write_manifest)

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("manifold_bin", "peer_python")]


@pytest.fixture
def certificates(tmp_path) -> Certificates:
    pytest.importorskip("cryptography")
    return Certificates(tmp_path)


def https_events(backends, certificates: Certificates, mode: str = "http", client_ca: bool = False) -> int:
    """Starts the events server over https; returns its port."""
    port = free_port()
    env = env_with(MESH_TLS_CERT=str(certificates.certificate), MESH_TLS_KEY=str(certificates.key))
    if client_ca:
        env["MESH_TLS_CLIENT_CA"] = str(certificates.ca)
    backends(str(PEER_PYTHON), str(EVENTS), mode, str(port), port=port, env=env)
    return port


def remote_manifest(folder, url: str, tls: str | None, extra: str = "") -> object:
    return write_manifest(folder, "https-remote.yaml", f"""
pluginFolders: [{quoted(PLUGINS)}]
mounts:
  - plugin: math
    prefix: math
  - remote:
      url: "{url}"
{f"      tls: {tls}" if tls else ""}
{extra}
    prefix: sec
""")


def remote_state(manifest) -> dict:
    [remote] = inspect_json(manifest)["mounts"][1]["remotes"]
    return remote


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_streamable_http_over_https_with_a_private_ca(tmp_path, backends, certificates, host):
    port = https_events(backends, certificates)
    manifest = remote_manifest(tmp_path, f"https://{host}:{port}/mcp", "{ caFile: ca.pem }")
    async with connect(manifest) as client:
        tools = {tool["name"] for tool in await client.all_pages("tools")}
        assert {"math_add", "sec_greet", "sec_report"} <= tools
        assert text_of(await client.call_tool("sec_greet", {"name": "Ann"})) == "Hello, Ann!"
        assert text_of(await client.call_tool("math_add", {"a": 2, "b": 3})) == "5"
    remote = remote_state(manifest)
    assert remote["state"] == "connected" and remote["endpoint"] == f"https://{host}:{port}/mcp"


async def test_legacy_sse_over_https(tmp_path, backends, certificates):
    port = https_events(backends, certificates, mode="sse")
    manifest = remote_manifest(tmp_path, f"https://127.0.0.1:{port}/sse", "{ caFile: ca.pem }",
                               extra="      transport: sse")
    async with connect(manifest) as client:
        assert text_of(await client.call_tool("sec_greet", {"name": "Bo"})) == "Hello, Bo!"


async def test_an_unknown_ca_fails_the_mount_and_the_host_serves(tmp_path, backends, certificates):
    port = https_events(backends, certificates)
    manifest = remote_manifest(tmp_path, f"https://127.0.0.1:{port}/mcp", None)
    remote = remote_state(manifest)
    assert remote["state"] == "failing"
    assert "TLS handshake failed" in remote["reason"] and "CERTIFICATE_VERIFY_FAILED" in remote["reason"]
    async with connect(manifest) as client:
        tools = {tool["name"] for tool in await client.all_pages("tools")}
        assert "math_add" in tools and not any(name.startswith("sec_") for name in tools)
        assert text_of(await client.call_tool("math_add", {"a": 2, "b": 3})) == "5"


async def test_a_certificate_for_another_name_is_refused(tmp_path, backends):
    pytest.importorskip("cryptography")
    certificates = Certificates(tmp_path, server_names=("tools.example",))
    port = https_events(backends, certificates)
    manifest = remote_manifest(tmp_path, f"https://127.0.0.1:{port}/mcp", "{ caFile: ca.pem }")
    remote = remote_state(manifest)
    assert remote["state"] == "failing"
    assert "the server's certificate is not valid for this host name" in remote["reason"]


async def test_mutual_tls_presents_the_client_certificate(tmp_path, backends, certificates):
    port = https_events(backends, certificates, client_ca=True)
    url = f"https://127.0.0.1:{port}/mcp"
    with_certificate = remote_manifest(tmp_path, url, "{ caFile: ca.pem, certificate: client.pem, key: client.key }")
    async with connect(with_certificate) as client:
        assert text_of(await client.call_tool("sec_greet", {"name": "Cy"})) == "Hello, Cy!"
    # Without one, TLS 1.3 lets the client finish its handshake before the server checks, so the
    # refusal shows, depending on timing, as the server's alert, its reset of the connection or
    # its close without a TLS close_notify — never as an answer.
    without = remote_manifest(tmp_path, url, "{ caFile: ca.pem }")
    remote = remote_state(without)
    assert remote["state"] == "failing"
    refusals = ("CERTIFICATE_REQUIRED", "Connection reset by peer", "without ending TLS (uncleanShutdown)",
                "the server closed the connection")
    assert any(refusal in remote["reason"] for refusal in refusals), remote["reason"]


async def test_an_unusable_pem_file_fails_that_mount_named(tmp_path, backends, certificates):
    port = https_events(backends, certificates)
    (tmp_path / "junk.pem").write_text("not a certificate\n")
    manifest = remote_manifest(tmp_path, f"https://127.0.0.1:{port}/mcp", "{ caFile: junk.pem }")
    remote = remote_state(manifest)
    assert remote["state"] == "failing"
    assert f"tls.caFile: {tmp_path / 'junk.pem'} is not a usable PEM file" in remote["reason"]
    async with connect(manifest) as client:
        assert text_of(await client.call_tool("math_add", {"a": 1, "b": 1})) == "2"
