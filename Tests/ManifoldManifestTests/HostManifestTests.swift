import Foundation
import ManifoldProtocol
import ManifoldTestSupport
import Testing
@testable import ManifoldManifest

@Suite struct HostManifestTests {
    @Test func fullHostManifestReadsEveryField() throws {
        let fixture = Fixture()
        let path = fixture.write("manifests/workbench.yaml", """
            kind: host
            server:
              name: workbench
              version: 1.2.0
              title: Workbench
              description: Tools for the team.
              websiteUrl: https://example.com
              instructions: Use math_* for arithmetic.
            separator: "__"
            pageSize: 100
            pluginFolders: [../Plugins, ./plugins, /opt/manifold/plugins]
            onCollision: last
            mounts:
              - plugin: math
                prefix: math
                mode: import
                includeTags: [public]
                excludeTags: [admin]
                filter: "public and not admin"
                rename: { add: plus }
                addTags: [demo]
                timeoutMs: 30000
              - manifest: ../team/team.yaml
                prefix: team
            endpoints:
              - stdio: {}
                excludeTags: [admin]
              - http: { listen: "127.0.0.1:8080", path: /mcp, stateless: true, allowedOrigins: ["http://localhost"] }
                filter: public
            """)
        let host = try ManifestLoader.loadHost(path: path)
        #expect(host.file == path)
        #expect(host.server == ServerInfoSpec(name: "workbench", version: "1.2.0", title: "Workbench",
                                              description: "Tools for the team.", websiteUrl: "https://example.com",
                                              instructions: "Use math_* for arithmetic."))
        #expect(host.separator == "__")
        #expect(host.pageSize == 100)
        #expect(host.pluginFolders == [fixture.root + "/Plugins", fixture.root + "/manifests/plugins", "/opt/manifold/plugins"])
        #expect(host.onCollision == .last)
        #expect(host.mounts.count == 2)
        let math = host.mounts[0]
        #expect(math.source == .plugin("math"))
        #expect(math.prefix == "math")
        #expect(math.mode == .import)
        #expect(math.filter == TagFilterSpec(includeTags: ["public"], excludeTags: ["admin"], expression: "public and not admin"))
        #expect(math.rename == ["add": "plus"])
        #expect(math.addTags == ["demo"])
        #expect(math.timeoutMs == 30000)
        #expect(math.options == .object([:]))
        #expect(math.location == SourceLocation(file: path, line: 14, column: 5))
        #expect(host.mounts[1].source == .manifest(fixture.root + "/team/team.yaml"))
        #expect(host.mounts[1].mode == .mount)
        #expect(host.endpoints.count == 2)
        #expect(host.endpoints[0].transport == .stdio)
        #expect(host.endpoints[0].filter == TagFilterSpec(excludeTags: ["admin"]))
        #expect(host.endpoints[1].transport == .http(HTTPEndpointSpec(
            listen: "127.0.0.1:8080", path: "/mcp", stateless: true,
            settings: ["allowedOrigins": ["http://localhost"]])))
        #expect(host.endpoints[1].filter == TagFilterSpec(expression: "public"))
        #expect(host.endpoints[1].location == SourceLocation(file: path, line: 28, column: 5))
    }

    @Test func emptyHostManifestGetsDefaultsAndOneStdioEndpoint() throws {
        let host = try ManifestLoader.parseHost(yaml: "kind: host\n", file: "/m/host.yaml")
        #expect(host.server == ServerInfoSpec())
        #expect(host.separator == "_")
        #expect(host.pageSize == 500)
        #expect(host.pluginFolders == [])
        #expect(host.mounts == [])
        #expect(host.onCollision == .error)
        #expect(host.endpoints.map(\.transport) == [.stdio])
        #expect(host.endpoints[0].filter.isEmpty)
        #expect(host.file == "/m/host.yaml")
    }

    @Test func kindIsOptionalForHostManifests() throws {
        let host = try ManifestLoader.parseHost(yaml: "mounts:\n  - plugin: math\n", file: "/m/host.yaml")
        #expect(host.mounts.map(\.source) == [.plugin("math")])
    }

    @Test func relativePathsResolveAgainstTheManifestFolder() throws {
        let host = try ManifestLoader.parseHost(yaml: """
            pluginFolders: [plugins, ../shared/./plugins/]
            mounts:
              - plugin: math
              - plugin: ../Plugins/Math/math.plugin.yaml
              - plugin: extra.plugin.json
              - manifest: nested/team.yaml
              - mcpServers: ~/.cursor/mcp.json
              - remote: { command: ./server, args: [--stdio], cwd: ../work }
            """, file: "/srv/manifold/manifests/host.yaml")
        #expect(host.pluginFolders == ["/srv/manifold/manifests/plugins", "/srv/manifold/shared/plugins"])
        #expect(host.mounts.map(\.source) == [
            .plugin("math"),
            .plugin("/srv/manifold/Plugins/Math/math.plugin.yaml"),
            .plugin("/srv/manifold/manifests/extra.plugin.json"),
            .manifest("/srv/manifold/manifests/nested/team.yaml"),
            .mcpServers(ManifestPaths.normalize(NSHomeDirectory() + "/.cursor/mcp.json")),
            .remoteCommand(command: "./server", args: ["--stdio"], env: [:], cwd: "/srv/manifold/work"),
        ])
    }

    @Test func typoInMountKeyNamesFileLineAndSuggestion() {
        let error = hostError("""
            kind: host
            mounts:
              - plugin: math
                prefix: math
              - plugin: text
                prefx: text
            """)
        #expect(error == ManifestError(file: "manifests/demo.yaml", line: 6, column: 5, keyPath: "mounts[1].prefx",
                                       message: "unknown key 'prefx' in mounts[1] (did you mean 'prefix'?)"))
        #expect(error?.description == "manifests/demo.yaml:6:5: unknown key 'prefx' in mounts[1] (did you mean 'prefix'?)")
    }

    @Test func snakeCaseTopLevelKeySuggestsTheCamelCaseKey() {
        let error = hostError("kind: host\npage_size: 50\n")
        #expect(error?.description == "manifests/demo.yaml:2:1: unknown key 'page_size' in the host manifest (did you mean 'pageSize'?)")
        #expect(error?.keyPath == "page_size")
    }

    @Test func unknownKeyWithNothingCloseHasNoSuggestion() {
        let error = hostError("kind: host\nfrobnicate: true\n")
        #expect(error?.message == "unknown key 'frobnicate' in the host manifest")
    }

    @Test func typoInServerKeyIsFoundInsideNestedMappings() {
        let error = hostError("server:\n  nmae: demo\n")
        #expect(error?.description == "manifests/demo.yaml:2:3: unknown key 'nmae' in server (did you mean 'name'?)")
    }

    @Test func wrongTypeNamesTheExpectedAndFoundTypes() {
        let error = hostError("""
            mounts:
              - plugin: math
                prefix: [a, b]
            """)
        #expect(error == ManifestError(file: "manifests/demo.yaml", line: 3, column: 13, keyPath: "mounts[0].prefix",
                                       message: "'prefix' must be a string, found a list"))
    }

    @Test func numberWhereAStringIsExpectedSuggestsQuotingIt() {
        let error = hostError("mounts:\n  - plugin: math\n    prefix: 42\n")
        #expect(error?.message == "'prefix' must be a string, found an integer (quote it: \"42\")")
        let empty = hostError("mounts:\n  - plugin: math\n    prefix:\n")
        #expect(empty?.message == "'prefix' must be a string, found no value")
    }

    @Test func mountsMustBeAList() {
        let error = hostError("mounts:\n  plugin: math\n")
        #expect(error?.description == "manifests/demo.yaml:2:3: 'mounts' must be a list, found a mapping")
    }

    @Test func mountWithoutSourceIsRefused() {
        let error = hostError("mounts:\n  - prefix: math\n")
        #expect(error?.description
            == "manifests/demo.yaml:2:5: mounts[0] needs a source: one of 'plugin', 'manifest', 'remote' or 'mcpServers'")
        #expect(error?.keyPath == "mounts[0]")
    }

    @Test func mountWithTwoSourcesPointsAtTheSecond() {
        let error = hostError("mounts:\n  - plugin: math\n    prefix: m\n    remote: { url: \"https://x.example/mcp\" }\n")
        #expect(error == ManifestError(file: "manifests/demo.yaml", line: 4, column: 5, keyPath: "mounts[0].remote",
                                       message: "mounts[0] has both 'plugin' and 'remote'; a mount takes exactly one source"))
    }

    @Test func invalidMountModeListsChoices() {
        let error = hostError("mounts:\n  - plugin: math\n    mode: snapshot\n")
        #expect(error?.description == "manifests/demo.yaml:3:11: mode: 'snapshot' is not one of mount, import")
    }

    @Test func prefixMustBeAValidName() {
        let error = hostError("mounts:\n  - plugin: math\n    prefix: \"my tools\"\n")
        #expect(error?.description
            == "manifests/demo.yaml:3:13: prefix: 'my tools' is not a valid prefix (1 to 64 letters, digits, '_', '.' or '-')")
        let long = hostError("mounts:\n  - plugin: math\n    prefix: \(String(repeating: "a", count: 65))\n")
        #expect(long?.keyPath == "mounts[0].prefix")
    }

    @Test func pluginIdThatIsNotANameOrPathIsRefused() {
        let error = hostError("mounts:\n  - plugin: \"my math\"\n")
        #expect(error?.line == 2)
        #expect(error?.column == 13)
    }

    @Test func renameTargetsMustBeValidNames() throws {
        let error = hostError("mounts:\n  - plugin: math\n    rename: { add: \"a b\" }\n")
        #expect(error?.description
            == "manifests/demo.yaml:3:20: rename: 'a b' is not a valid name (1 to 64 letters, digits, '_', '.' or '-')")
        #expect(error?.keyPath == "mounts[0].rename.add")
    }

    @Test func remoteCommandReadsArgsEnvAndCwd() throws {
        let host = try ManifestLoader.parseHost(yaml: """
            mounts:
              - remote:
                  command: npx
                  args: ["-y", "@modelcontextprotocol/server-everything", ""]
                  env: { DEBUG: "1", TOKEN: secret }
                prefix: everything
                timeoutMs: 15000
            """, file: "/m/host.yaml")
        #expect(host.mounts[0].source == .remoteCommand(
            command: "npx", args: ["-y", "@modelcontextprotocol/server-everything", ""],
            env: ["DEBUG": "1", "TOKEN": "secret"], cwd: nil))
        #expect(host.mounts[0].timeoutMs == 15000)
    }

    @Test func remoteURLReadsHeadersTokenAndTransport() throws {
        let host = try ManifestLoader.parseHost(yaml: """
            mounts:
              - remote: { url: "https://mcp.example.com/mcp", headers: { X-Team: tools }, bearerTokenEnv: MCP_TOKEN }
              - remote: { url: "http://localhost:9000/sse", transport: sse }
            """, file: "/m/host.yaml")
        #expect(host.mounts[0].source == .remoteURL(url: "https://mcp.example.com/mcp", headers: ["X-Team": "tools"],
                                                    bearerTokenEnv: "MCP_TOKEN", sse: false))
        #expect(host.mounts[1].source == .remoteURL(url: "http://localhost:9000/sse", headers: [:],
                                                    bearerTokenEnv: nil, sse: true))
    }

    @Test func remoteTLSNamesFilesBesideTheManifest() throws {
        let folder = TemporaryFolder()
        let ca = folder.write("certs/ca.pem", "-")
        let certificate = folder.write("client.pem", "-")
        let key = folder.write("client.key", "-")
        let host = try ManifestLoader.parseHost(yaml: """
            mounts:
              - remote: { url: "https://tools.internal:8443/mcp", tls: { caFile: certs/ca.pem } }
              - remote:
                  url: "https://mtls.internal/mcp"
                  tls: { certificate: client.pem, key: \(key) }
            """, file: folder.path + "/host.yaml")
        #expect(host.mounts[0].source == .remoteURL(url: "https://tools.internal:8443/mcp", headers: [:], bearerTokenEnv: nil,
                                                    sse: false, tls: RemoteTLS(caFile: ca)))
        #expect(host.mounts[1].source == .remoteURL(url: "https://mtls.internal/mcp", headers: [:], bearerTokenEnv: nil,
                                                    sse: false, tls: RemoteTLS(certificate: certificate, key: key)))
    }

    @Test func remoteTLSMistakesNameTheKey() {
        let plain = hostError("mounts:\n  - remote: { url: \"http://x.example/mcp\", tls: { caFile: ca.pem } }\n")
        #expect(plain?.keyPath == "mounts[0].remote.tls")
        #expect(plain?.message == "'tls' applies to an https:// url; 'http://x.example/mcp' is plain http")
        let missing = hostError("mounts:\n  - remote:\n      url: \"https://x.example/mcp\"\n      tls: { caFile: nowhere/ca.pem }\n")
        #expect(missing?.line == 4)
        #expect(missing?.keyPath == "mounts[0].remote.tls.caFile")
        #expect(missing?.message.hasSuffix("nowhere/ca.pem does not exist or cannot be read") == true)
        let folder = TemporaryFolder()
        let certificate = folder.write("client.pem", "-")
        let lonely = hostError("mounts:\n  - remote: { url: \"https://x.example/mcp\", tls: { certificate: \(certificate) } }\n")
        #expect(lonely?.keyPath == "mounts[0].remote.tls.certificate")
        #expect(lonely?.message == "'certificate' needs 'key' (its private key)")
        let empty = hostError("mounts:\n  - remote: { url: \"https://x.example/mcp\", tls: {} }\n")
        #expect(empty?.message == "mounts[0].remote.tls needs 'caFile' or 'certificate' and 'key' (an empty tls changes nothing)")
        let typo = hostError("mounts:\n  - remote: { url: \"https://x.example/mcp\", tls: { caFlie: ca.pem } }\n")
        #expect(typo?.message == "unknown key 'caFlie' in mounts[0].remote.tls (did you mean 'caFile'?)")
    }

    @Test func remoteMixingCommandAndURLKeysIsRefused() {
        let both = hostError("mounts:\n  - remote:\n      url: \"https://x.example/mcp\"\n      command: srv\n")
        #expect(both?.description == "manifests/demo.yaml:4:7: mounts[0].remote has both 'command' and 'url'; use one")
        let stray = hostError("mounts:\n  - remote:\n      command: srv\n      headers: { A: b }\n")
        #expect(stray == ManifestError(file: "manifests/demo.yaml", line: 4, column: 7, keyPath: "mounts[0].remote.headers",
                                       message: "'headers' applies to a remote 'url', not a 'command'"))
        let neither = hostError("mounts:\n  - remote: { args: [x] }\n")
        #expect(neither?.message
            == "mounts[0].remote needs 'command' (a server to spawn) or 'url' (a server to connect to)")
        let transport = hostError("mounts:\n  - remote: { url: \"https://x.example/mcp\", transport: http }\n")
        #expect(transport?.message == "transport: 'http' is not one of streamable-http, sse")
        let typo = hostError("mounts:\n  - remote: { comand: srv }\n")
        #expect(typo?.message == "unknown key 'comand' in mounts[0].remote (did you mean 'command'?)")
    }

    @Test func remoteEnvValuesMustBeStrings() {
        let error = hostError("mounts:\n  - remote:\n      command: srv\n      env: { PORT: 8080 }\n")
        #expect(error?.description
            == "manifests/demo.yaml:4:20: 'PORT' must be a string, found an integer (quote it: \"8080\")")
        #expect(error?.keyPath == "mounts[0].remote.env.PORT")
    }

    @Test func mcpServersMountKeepsFreeFormOptions() throws {
        let host = try ManifestLoader.parseHost(yaml: """
            mounts:
              - mcpServers: ./claude_desktop_config.json
                options:
                  github: { prefix: gh, excludeTags: [admin], anyKey: 1 }
            """, file: "/m/host.yaml")
        #expect(host.mounts[0].source == .mcpServers("/m/claude_desktop_config.json"))
        #expect(host.mounts[0].options == ["github": ["prefix": "gh", "excludeTags": ["admin"], "anyKey": 1]])
        let error = hostError("mounts:\n  - mcpServers: x.json\n    options: [a]\n")
        #expect(error?.message == "'options' must be a mapping, found a list")
    }

    @Test func separatorAndPageSizeAreValidated() {
        let separator = hostError("separator: \"::\"\n")
        #expect(separator?.description == "manifests/demo.yaml:1:12: separator: '::' must be 1 to 4 characters among '_', '.' and '-'")
        let tooLong = hostError("separator: _____\n")
        #expect(tooLong?.line == 1)
        let pageSize = hostError("pageSize: 20000\n")
        #expect(pageSize?.description == "manifests/demo.yaml:1:11: 'pageSize' must be between 1 and 10000, found 20000")
        let fraction = hostError("pageSize: 1.5\n")
        #expect(fraction?.message == "'pageSize' must be an integer, found a number")
    }

    @Test func invalidCollisionPolicyListsChoices() {
        let error = hostError("onCollision: firts\n")
        #expect(error?.message == "onCollision: 'firts' is not one of error, first, last (did you mean 'first'?)")
    }

    @Test func pluginManifestReadAsHostIsRefused() {
        let error = hostError("kind: plugin\nid: math\nlibrary: libMath.so\n")
        #expect(error?.description
            == "manifests/demo.yaml:1:7: kind: 'plugin' is a plugin manifest; expected a host manifest (kind: host, or no kind)")
    }

    @Test func manifestThatIsNotAMappingIsRefused() {
        let error = hostError("- plugin: math\n")
        #expect(error?.description == "manifests/demo.yaml:1:1: a host manifest must be a mapping of keys, found a list")
    }

    @Test func yamlMergeKeysShareSettingsBetweenMounts() throws {
        let host = try ManifestLoader.parseHost(yaml: """
            mounts:
              - &common
                plugin: math
                excludeTags: [admin]
                timeoutMs: 1000
              - <<: *common
                plugin: text
                timeoutMs: 2000
            """, file: "/m/host.yaml")
        #expect(host.mounts[1].source == .plugin("text"))
        #expect(host.mounts[1].filter.excludeTags == ["admin"])
        #expect(host.mounts[1].timeoutMs == 2000)
    }
}
