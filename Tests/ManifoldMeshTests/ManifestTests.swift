import ManifoldManifest
import ManifoldProtocol
import Testing

/// The manifest keys of the server mesh: per-mount transforms, `options.servers` of an
/// `mcpServers` mount, remote URLs; and the `mcpServers` file format.
@Suite struct MeshManifestTests {
    func host(_ yaml: String) throws -> HostManifest {
        try ManifestLoader.parseHost(yaml: yaml, file: "/tmp/mesh-tests/host.yaml")
    }

    func refusal(_ yaml: String) -> String? {
        do {
            _ = try host(yaml)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func transformsAreRead() throws {
        let manifest = try host("""
        mounts:
          - remote: { command: python3, args: [server.py] }
            prefix: ev
            descriptions: { greet: "Says hello." }
            fixedArguments: { greet: { greeting: Howdy, times: 2 } }
            tools: { allow: ["get_*", greet], deny: [wipe] }
            timeoutMs: 5000
        """)
        let mount = manifest.mounts[0]
        #expect(mount.descriptions == ["greet": "Says hello."])
        #expect(mount.fixedArguments == ["greet": ["greeting": "Howdy", "times": 2]])
        #expect(mount.tools == ToolSelectionSpec(allow: ["get_*", "greet"], deny: ["wipe"]))
        #expect(mount.timeoutMs == 5000)
    }

    @Test func transformMistakesPointAtTheKey() {
        #expect(refusal("""
        mounts:
          - plugin: math
            tools: { alow: [add] }
        """) == "/tmp/mesh-tests/host.yaml:3:14: unknown key 'alow' in mounts[0].tools (did you mean 'allow'?)")
        #expect(refusal("""
        mounts:
          - plugin: math
            fixedArguments: { add: 3 }
        """)?.contains("'add' must be a mapping, found an integer") == true)
        #expect(refusal("""
        mounts:
          - plugin: math
            descriptions: { add: [x] }
        """)?.contains("'add' must be a string, found a list") == true)
    }

    @Test func serverOptionsOfAnMCPServersMountAreChecked() throws {
        let manifest = try host("""
        mounts:
          - mcpServers: ./mcp.json
            prefix: ext
            options:
              servers:
                github: { excludeTags: [admin], tools: { deny: ["delete_*"] }, timeoutMs: 20000 }
                slow: { disabled: true }
        """)
        let mount = manifest.mounts[0]
        #expect(mount.source == .mcpServers("/tmp/mesh-tests/mcp.json"))
        #expect(mount.servers["github"]?.filter.excludeTags == ["admin"])
        #expect(mount.servers["github"]?.tools.deny == ["delete_*"])
        #expect(mount.servers["github"]?.timeoutMs == 20000)
        #expect(mount.servers["slow"]?.disabled == true)
        #expect(refusal("""
        mounts:
          - mcpServers: ./mcp.json
            options: { servers: { github: { disable: true } } }
        """)?.contains("unknown key 'disable' in mounts[0].options.servers.github (did you mean 'disabled'?)") == true)
    }

    @Test func remoteURLsAreRead() throws {
        let manifest = try host("""
        mounts:
          - remote: { url: "http://127.0.0.1:8000/sse", transport: sse, headers: { X-Team: tools }, bearerTokenEnv: TOKEN }
        """)
        #expect(manifest.mounts[0].source == .remoteURL(url: "http://127.0.0.1:8000/sse", headers: ["X-Team": "tools"],
                                                        bearerTokenEnv: "TOKEN", sse: true))
    }

    // MARK: mcpServers files

    @Test func claudeDesktopAndCursorEntriesAreRead() throws {
        let servers = try MCPServersFile.parse(text: """
        {
          "mcpServers": {
            "files": { "command": "npx", "args": ["-y", "server-filesystem", "/tmp"], "env": { "DEBUG": "1", "PORT": 8080 }, "cwd": "sub" },
            "hosted": { "url": "https://mcp.example.com/mcp", "headers": { "X-Team": "tools" } },
            "legacy": { "url": "http://127.0.0.1:8000/sse", "type": "sse" },
            "http": { "type": "http", "url": "http://127.0.0.1:9000/mcp", "autoApprove": ["x"] },
            "off": { "command": "x", "disabled": true }
          }
        }
        """, file: "/tmp/mesh-tests/mcp.json")
        #expect(servers.map(\.name) == ["files", "hosted", "legacy", "http", "off"])
        #expect(servers[0].source == .remoteCommand(command: "npx", args: ["-y", "server-filesystem", "/tmp"],
                                                    env: ["DEBUG": "1", "PORT": "8080"], cwd: "/tmp/mesh-tests/sub"))
        #expect(servers[1].source == .remoteURL(url: "https://mcp.example.com/mcp", headers: ["X-Team": "tools"],
                                                bearerTokenEnv: nil, sse: false))
        #expect(servers[2].source == .remoteURL(url: "http://127.0.0.1:8000/sse", headers: [:], bearerTokenEnv: nil, sse: true))
        #expect(servers[3].problem == nil)
        #expect(servers[4].disabled)
        #expect(servers.allSatisfy { $0.problem == nil })
    }

    @Test func aBadEntryIsIsolatedWithItsPosition() throws {
        let servers = try MCPServersFile.parse(text: """
        {"mcpServers": {
          "good": {"command": "python3"},
          "nothing": {"args": ["x"]},
          "wrongType": {"url": "http://x/mcp", "type": "websocket"},
          "badURL": {"url": "ftp://x"}
        }}
        """, file: "mcp.json")
        #expect(servers[0].problem == nil)
        #expect(servers[1].problem?.description == "mcp.json:3:14: server 'nothing' needs a 'command' (a server to spawn) or a 'url'")
        #expect(servers[2].problem?.message.contains("type 'websocket' is not one of http, streamable-http, sse") == true)
        #expect(servers[3].problem?.message.contains("must start with http:// or https://") == true)
    }

    @Test func aFileWithoutServersIsRefusedWhole() {
        #expect(throws: ManifestError.self) { try MCPServersFile.parse(text: #"{"servers_typo": {}}"#, file: "m.json") }
        #expect(throws: ManifestError.self) { try MCPServersFile.parse(text: #"{"mcpServers": [1]}"#, file: "m.json") }
        // VS Code names the object `servers`.
        #expect((try? MCPServersFile.parse(text: #"{"servers": {"a": {"command": "x"}}}"#, file: "m.json"))?.count == 1)
    }
}
