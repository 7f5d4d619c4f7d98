"""The manifest JSON Schema (schema/manifold.schema.json): it is a valid draft 2020-12 schema,
it accepts every manifest in the repository and the complete examples in docs/MANIFESTS.md,
and it rejects the mistakes the Swift loader rejects.

Run: python3 -m pytest Tests/python/test_manifest_schema.py
"""

import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "schema" / "manifold.schema.json"
DOCS_PATH = ROOT / "docs" / "MANIFESTS.md"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text())
    return Draft202012Validator(schema)


def errors(validator, document):
    return list(validator.iter_errors(document))


# -- The schema itself ------------------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text()))


def test_every_property_has_a_description():
    schema = json.loads(SCHEMA_PATH.read_text())
    missing = []

    def walk(node, path):
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if path.endswith("/then") or path.endswith("/if"):
                    continue  # conditional refinements of properties declared elsewhere
                if "description" not in sub:
                    missing.append(f"{path}/properties/{name}")
            for key, sub in node.items():
                walk(sub, f"{path}/{key}")
        elif isinstance(node, list):
            for index, sub in enumerate(node):
                walk(sub, f"{path}/{index}")

    walk(schema, "#")
    assert missing == []


# -- Manifests in the repository ----------------------------------------------------------------


def repository_manifests():
    files = sorted(ROOT.glob("manifests/**/*.yaml")) + sorted(ROOT.glob("manifests/**/*.yml"))
    for suffix in ("yaml", "yml", "json"):
        files += sorted(ROOT.glob(f"Plugins/**/*.plugin.{suffix}"))
    # Placeholder files (empty) are not manifests yet.
    return [path for path in files if path.read_text().strip()]


@pytest.mark.parametrize(
    "path", repository_manifests() or [None], ids=lambda p: str(p.relative_to(ROOT)) if p else "none"
)
def test_repository_manifest_validates(validator, path):
    if path is None:
        pytest.skip("no manifests in the repository yet")
    document = yaml.safe_load(path.read_text())
    assert errors(validator, document) == []


# -- The examples in docs/MANIFESTS.md ----------------------------------------------------------


def documented_examples():
    """Every ```yaml block of the reference that is a whole manifest (it starts with `kind:`),
    and every ```json block."""
    if not DOCS_PATH.exists():
        return []
    blocks = re.findall(r"```(yaml|json)\n(.*?)```", DOCS_PATH.read_text(), flags=re.S)
    return [text for _, text in blocks if text.startswith("kind:") or text.startswith("{")]


def test_reference_has_complete_examples():
    if not DOCS_PATH.exists():
        pytest.skip("docs/MANIFESTS.md not written yet")
    assert len(documented_examples()) >= 3


@pytest.mark.parametrize("example", documented_examples() or [None])
def test_documented_example_validates(validator, example):
    if example is None:
        pytest.skip("no examples")
    assert errors(validator, yaml.safe_load(example)) == []


# -- Fixtures: valid documents ------------------------------------------------------------------

VALID = {
    "minimal plugin": """
        kind: plugin
        id: math
        library: libMath.so
    """,
    "full plugin": """
        kind: plugin
        id: math
        version: 1.0.0
        description: Arithmetic tools.
        library: libMath.so
        sha256: 3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b
        abi: "1.0"
        execution: in-process
        tags: [math]
        config: { precision: 6, modes: [fast, exact] }
        limits: { addressSpaceMB: 512, cpuSeconds: 10, callTimeoutMs: 5000 }
    """,
    "ffi plugin": """
        kind: ffi
        id: libm
        library: libm.so.6
        execution: isolated
        functions:
          - { name: cos, symbol: cos, params: [{ name: x, type: double }], returns: double }
    """,
    "empty host": """
        kind: host
    """,
    "host without kind": """
        mounts:
          - plugin: math
    """,
    "full host": """
        kind: host
        server: { name: workbench, version: 1.0, title: Workbench, instructions: Be brief. }
        separator: "__"
        pageSize: 100
        pluginFolders: [../Plugins]
        onCollision: first
        mounts:
          - plugin: math
            prefix: math
            mode: import
            includeTags: [public]
            excludeTags: [admin]
            filter: "public and not admin"
            rename: { add: plus }
            addTags: [demo]
          - manifest: ./team.yaml
            prefix: team
          - remote: { command: npx, args: ["-y", "server"], env: { DEBUG: "1" }, cwd: .. }
            prefix: everything
            timeoutMs: 30000
          - remote: { url: "https://mcp.example.com/mcp", headers: { X-Team: a }, bearerTokenEnv: TOKEN, transport: streamable-http }
            prefix: hosted
          - remote: { url: "https://tools.internal:8443/mcp", tls: { caFile: ca.pem, certificate: client.pem, key: client.key } }
            prefix: internal
          - mcpServers: ~/.cursor/mcp.json
            options: { github: { prefix: gh } }
        endpoints:
          - stdio: {}
          - stdio:
            filter: public
          - http: { listen: "127.0.0.1:8080", path: /mcp, stateless: true, allowedOrigins: ["http://localhost"], auth: { bearer: { tokensEnv: T } } }
            excludeTags: [admin]
    """,
    "json host": """
        {"kind": "host", "mounts": [{"plugin": "math"}], "endpoints": [{"http": {"listen": "[::1]:0"}}]}
    """,
}


@pytest.mark.parametrize("name", VALID)
def test_valid_fixture_validates(validator, name):
    document = yaml.safe_load(VALID[name].replace("\n        ", "\n"))
    assert errors(validator, document) == []


# -- Fixtures: documents the loader refuses -----------------------------------------------------

INVALID = {
    "typo in a mount key": {"mounts": [{"plugin": "math", "prefx": "m"}]},
    "typo at the top level": {"kind": "host", "pageSise": 10},
    "typo in a plugin key": {"kind": "plugin", "id": "m", "library": "l.so", "exectuion": "isolated"},
    "unknown kind": {"kind": "plugn", "id": "m", "library": "l.so"},
    "plugin without library": {"kind": "plugin", "id": "m"},
    "plugin id with a space": {"kind": "plugin", "id": "my math", "library": "l.so"},
    "sha256 too short": {"kind": "plugin", "id": "m", "library": "l.so", "sha256": "abc"},
    "abi not N.M": {"kind": "plugin", "id": "m", "library": "l.so", "abi": "1"},
    "invalid execution": {"kind": "plugin", "id": "m", "library": "l.so", "execution": "isolatd"},
    "zero limit": {"kind": "plugin", "id": "m", "library": "l.so", "limits": {"cpuSeconds": 0}},
    "native plugin with functions": {"kind": "plugin", "id": "m", "library": "l.so", "functions": [{"name": "f"}]},
    "ffi without functions": {"kind": "ffi", "id": "m", "library": "l.so"},
    "ffi with no functions": {"kind": "ffi", "id": "m", "library": "l.so", "functions": []},
    "prefix is a list": {"mounts": [{"plugin": "math", "prefix": ["a"]}]},
    "prefix with a space": {"mounts": [{"plugin": "math", "prefix": "my tools"}]},
    "mount without source": {"mounts": [{"prefix": "m"}]},
    "mount with two sources": {"mounts": [{"plugin": "math", "manifest": "x.yaml"}]},
    "remote with command and url": {"mounts": [{"remote": {"command": "x", "url": "https://x"}}]},
    "remote command with headers": {"mounts": [{"remote": {"command": "x", "headers": {"a": "b"}}}]},
    "invalid transport": {"mounts": [{"remote": {"url": "https://x", "transport": "http"}}]},
    "env value not a string": {"mounts": [{"remote": {"command": "x", "env": {"PORT": 8080}}}]},
    "tls certificate without key": {"mounts": [{"remote": {"url": "https://x", "tls": {"certificate": "c.pem"}}}]},
    "typo in tls": {"mounts": [{"remote": {"url": "https://x", "tls": {"caFlie": "ca.pem"}}}]},
    "empty tls": {"mounts": [{"remote": {"url": "https://x", "tls": {}}}]},
    "invalid mode": {"mounts": [{"plugin": "math", "mode": "snapshot"}]},
    "separator too long": {"separator": "_____"},
    "page size too big": {"pageSize": 20000},
    "invalid collision policy": {"onCollision": "firts"},
    "endpoint without transport": {"endpoints": [{"filter": "public"}]},
    "endpoint with two transports": {"endpoints": [{"stdio": {}, "http": {"listen": "127.0.0.1:1"}}]},
    "stdio with settings": {"endpoints": [{"stdio": {"framing": "lines"}}]},
    "http without listen": {"endpoints": [{"http": {"path": "/mcp"}}]},
    "listen without port": {"endpoints": [{"http": {"listen": "localhost"}}]},
    "typo in server": {"server": {"nmae": "x"}},
}


@pytest.mark.parametrize("name", INVALID)
def test_invalid_fixture_is_rejected(validator, name):
    assert errors(validator, INVALID[name]) != []
