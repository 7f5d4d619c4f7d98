import Testing
@testable import ManifoldCore

/// RFC 6570 matching for resource templates, and where a prefix goes in a URI.
@Suite struct URITemplateTests {
    @Test func simpleVariableMatchesOnePathSegment() {
        let t = URITemplate("data://items/{id}")
        #expect(t.match("data://items/42") == ["id": "42"])
        #expect(t.match("data://items/42/extra") == nil)
        #expect(t.match("data://items/") == nil)
        #expect(t.match("data://other/42") == nil)
        #expect(t.match("data://items/4?x=1") == nil)
    }

    @Test func reservedVariablesMatchAcrossSlashes() {
        #expect(URITemplate("file:///{+path}").match("file:///etc/hosts") == ["path": "etc/hosts"])
        #expect(URITemplate("doc://{#frag}").match("doc://a/b#c") == ["frag": "a/b#c"])
    }

    @Test func severalVariablesBacktrackOverLiterals() {
        #expect(URITemplate("data://{a}-{b}").match("data://x-y-z") == ["a": "x-y", "b": "z"])
        #expect(URITemplate("repo://{owner}/{name}/issues").match("repo://apple/swift/issues") == ["owner": "apple", "name": "swift"])
        #expect(URITemplate("repo://{owner}/{name}/issues").match("repo://apple/swift/pulls") == nil)
    }

    @Test func trailingQueryIsOptionalAndReadsOnlyDeclaredNames() {
        let t = URITemplate("data://search{?q,limit}")
        #expect(t.match("data://search") == [:])
        #expect(t.match("data://search?q=swift&limit=5&other=1") == ["q": "swift", "limit": "5"])
        #expect(t.match("data://search?q") == ["q": ""])
        #expect(t.match("data://searching") == nil)
    }

    @Test func templateWithoutVariablesMatchesOnlyItself() {
        let t = URITemplate("data://fixed")
        #expect(t.match("data://fixed") == [:])
        #expect(t.match("data://fixed2") == nil)
        #expect(t.text == "data://fixed")
    }
}

@Suite struct ResourceURITests {
    @Test func prefixBecomesTheFirstSegmentAfterTheScheme() {
        #expect(ResourceURI.adding(prefix: "p0", to: "data://config") == "data://p0/config")
        #expect(ResourceURI.adding(prefix: "outer", to: "data://inner/config") == "data://outer/inner/config")
        #expect(ResourceURI.adding(prefix: "p", to: "data://items/{id}") == "data://p/items/{id}")
    }

    @Test func uriWithoutASchemeGetsThePrefixInFront() {
        #expect(ResourceURI.adding(prefix: "p", to: "config") == "p/config")
        #expect(ResourceURI.adding(prefix: "p", to: "a/b://c") == "p/a/b://c")
    }

    @Test func removingIsTheInverseOfAdding() {
        for uri in ["data://config", "file:///etc/hosts", "config", "x://a/b?c=d#e"] {
            let exposed = ResourceURI.adding(prefix: "outer", to: ResourceURI.adding(prefix: "inner", to: uri))
            #expect(ResourceURI.removing(path: "outer/inner/", from: exposed) == uri, "\(uri) via \(exposed)")
        }
    }

    @Test func removingAPathTheURIDoesNotCarryIsNil() {
        #expect(ResourceURI.removing(path: "p/", from: "data://q/config") == nil)
        #expect(ResourceURI.removing(path: "p/", from: "config") == nil)
        #expect(ResourceURI.removing(path: "", from: "data://q/config") == "data://q/config")
    }
}
