import CManifoldABI
import Foundation
import Testing

// Drives the built Swift plugins (libTextTools.so, libEverything.so) through the C ABI with a
// recording host, as the Manifold host will. Serialized: the recorder is shared.

@Suite(.serialized)
struct PluginKitTests {
    init() { recorder.reset() }

    // MARK: Loading

    @Test func descriptorIsWellFormed() throws {
        for (library, id) in [("TextTools", "texttools"), ("Everything", "everything")] {
            let descriptor = try #require(try entry(library)(makeHost()))
            let d = descriptor.pointee
            #expect(d.struct_size == UInt32(MemoryLayout<manifold_plugin_v1>.size))
            #expect(d.abi_major == UInt16(MANIFOLD_ABI_MAJOR))
            #expect(d.abi_minor == UInt16(MANIFOLD_ABI_MINOR))
            #expect(String(cString: d.id) == id)
            #expect(String(cString: d.version) == "1.0.0")
            #expect(String(cString: d.runtime_tag) == String(cString: manifold_swift_runtime_tag()))
            #expect(d.flags & UInt32(MANIFOLD_PLUGIN_FLAG_CONCURRENT_CALLS) != 0)
            #expect(d.flags & UInt32(MANIFOLD_PLUGIN_FLAG_UNLOADABLE) == 0)
            #expect(d.`init` != nil && d.list != nil && d.call != nil && d.cancel != nil && d.shutdown != nil)
            // The same static descriptor every time.
            #expect(try entry(library)(makeHost()) == descriptor)
        }
    }

    @Test func refusesARuntimeTagMismatch() throws {
        let host = makeHost(runtimeTag: UnsafePointer(strdup("swift-00000-x86_64-bogus")))
        #expect(try entry("TextTools")(host) == nil)
        let log = try #require(recorder.hostLogs.last)
        #expect(log.contains("runtime_tag mismatch"))
        #expect(log.contains("swift-00000-x86_64-bogus"))
        // A NULL tag (a host without a Swift runtime) is refused as well.
        #expect(try entry("Everything")(makeHost(runtimeTag: nil)) == nil)
    }

    @Test func refusesAnABIMajorMismatch() throws {
        #expect(try entry("TextTools")(makeHost(abiMajor: UInt16(MANIFOLD_ABI_MAJOR) + 1)) == nil)
        let log = try #require(recorder.hostLogs.last)
        #expect(log.contains("abi_major mismatch"))
        #expect(try entry("Everything")(makeHost(abiMajor: 0)) == nil)
        // A matching host still loads afterwards.
        #expect(try entry("TextTools")(makeHost()) != nil)
    }

    // MARK: TextTools: generated schemas

    @Test func listsGeneratedInputSchemasAndTags() throws {
        let session = try PluginSession("TextTools")
        defer { session.shutdown() }
        let tools = try session.list(MANIFOLD_KIND_TOOL)
        #expect(tools.map { $0["name"] as? String } == ["word_count", "upper", "reverse", "slugify", "change_case", "text_stats", "purge_cache"])
        for tool in tools {
            #expect((tool["description"] as? String)?.isEmpty == false)
            #expect(tool["tags"] is [String])
        }

        let wordCount = try named(tools, "word_count")
        let schema = try #require(wordCount["inputSchema"] as? [String: Any])
        #expect(schema["type"] as? String == "object")
        #expect(schema["required"] as? [String] == ["text"])
        #expect(schema["additionalProperties"] as? Bool == false)
        let text = try #require((schema["properties"] as? [String: Any])?["text"] as? [String: Any])
        #expect(text["type"] as? String == "string")
        #expect(text["description"] as? String == "The text to work on")
        #expect(wordCount["tags"] as? [String] == ["public"])
        #expect((wordCount["annotations"] as? [String: Any])?["readOnlyHint"] as? Bool == true)

        let slugify = try #require(try named(tools, "slugify")["inputSchema"] as? [String: Any])
        #expect(slugify["required"] as? [String] == ["text"])
        let maxLength = try #require((slugify["properties"] as? [String: Any])?["maxLength"] as? [String: Any])
        #expect(maxLength["type"] as? String == "integer")
        #expect(maxLength["minimum"] as? Int == 0)
        #expect(maxLength["maximum"] as? Int == 255)

        let changeCase = try #require(try named(tools, "change_case")["inputSchema"] as? [String: Any])
        let to = try #require((changeCase["properties"] as? [String: Any])?["to"] as? [String: Any])
        #expect(to["type"] as? String == "string")
        #expect(to["enum"] as? [String] == ["upper", "lower", "title", "snake", "camel"])
        #expect(changeCase["required"] as? [String] == ["text", "to"])

        let stats = try named(tools, "text_stats")
        let output = try #require(stats["outputSchema"] as? [String: Any])
        #expect(output["type"] as? String == "object")
        #expect(output["required"] as? [String] == ["characters", "words", "lines"])
        #expect(((output["properties"] as? [String: Any])?["characters"] as? [String: Any])?["type"] as? String == "integer")

        let purge = try named(tools, "purge_cache")
        #expect(purge["tags"] as? [String] == ["admin"])
        #expect((purge["inputSchema"] as? [String: Any])?.count == 2)  // {"type":"object","additionalProperties":false}
        #expect((purge["inputSchema"] as? [String: Any])?["additionalProperties"] as? Bool == false)
        #expect((purge["annotations"] as? [String: Any])?["destructiveHint"] as? Bool == true)
    }

    // MARK: TextTools: calls

    @Test func validArgumentsGiveTheResult() throws {
        let session = try PluginSession("TextTools")
        defer { session.shutdown() }
        _ = try session.tool("purge_cache")  // the cache lives as long as the library
        var result = try session.tool("word_count", #"{"text":"three little words"}"#)
        #expect(texts(result) == ["3"])
        #expect(result["isError"] == nil)
        #expect(texts(try session.tool("upper", #"{"text":"héllo"}"#)) == ["HÉLLO"])
        #expect(texts(try session.tool("reverse", #"{"text":"abc"}"#)) == ["cba"])
        #expect(texts(try session.tool("slugify", #"{"text":"Hello, World! Ça va?"}"#)) == ["hello-world-ca-va"])
        #expect(texts(try session.tool("slugify", #"{"text":"Hello, World!","separator":"_","maxLength":6}"#)) == ["hello"])
        #expect(texts(try session.tool("change_case", #"{"text":"make it snake","to":"snake"}"#)) == ["make_it_snake"])
        result = try session.tool("text_stats", #"{"text":"one two\nthree"}"#)
        let structured = try #require(result["structuredContent"] as? [String: Any])
        #expect(structured["words"] as? Int == 3)
        #expect(structured["lines"] as? Int == 2)
        #expect(structured["longestWord"] as? String == "three")
        #expect(texts(result) == [#"{"characters":13,"words":3,"lines":2,"longestWord":"three"}"#])
        #expect(texts(try session.tool("purge_cache")) == ["Purged 2 cached slugs."])
    }

    @Test func invalidArgumentsNameTheField() throws {
        let session = try PluginSession("TextTools")
        defer { session.shutdown() }
        func error(_ tool: String, _ arguments: String) throws -> String {
            let result = try session.tool(tool, arguments)
            #expect(result["isError"] as? Bool == true, "\(tool) \(arguments) should fail")
            return texts(result).joined()
        }
        var message = try error("word_count", #"{"text":42}"#)
        #expect(message.contains("'text': expected a string, got a number (42)"), "\(message)")
        #expect(message.hasPrefix("Input validation error: Invalid arguments for tool word_count"))
        message = try error("word_count", "{}")
        #expect(message.contains("'text': required field is missing"), "\(message)")
        message = try error("word_count", #"{"text":null}"#)
        #expect(message.contains("'text': must not be null"), "\(message)")
        message = try error("slugify", #"{"text":"a","maxLength":300}"#)
        #expect(message.contains("'maxLength': 300 is out of range for UInt8 (0...255)"), "\(message)")
        message = try error("slugify", #"{"text":"a","maxLength":2.5}"#)
        #expect(message.contains("'maxLength': expected an integer"), "\(message)")
        message = try error("word_count", #"{"text":"a","bogus":1}"#)
        #expect(message.contains("'bogus': unknown field (expected one of: text)"), "\(message)")
        message = try error("change_case", #"{"text":"a","to":"kebab"}"#)
        #expect(message.contains("'to': 'kebab' is not one of 'upper', 'lower', 'title', 'snake', 'camel'"), "\(message)")
        message = try error("purge_cache", #"{"force":true}"#)
        #expect(message.contains("'force': unknown field (this object takes no fields)"), "\(message)")

        // Protocol-level failures are negative statuses, not results.
        var done = try session.call(MANIFOLD_KIND_TOOL, "no_such_tool")
        #expect(done.status == MANIFOLD_ERR_NOT_FOUND)
        done = try session.call(MANIFOLD_KIND_TOOL, "word_count", "[1,2]")
        #expect(done.status == MANIFOLD_ERR_INVALID_ARGUMENTS)
        done = try session.call(MANIFOLD_KIND_TOOL, "word_count", "{not json")
        #expect(done.status == MANIFOLD_ERR_INVALID_ARGUMENTS)
    }

    @Test func resourcesTemplatesPromptsAndCompletions() throws {
        let session = try PluginSession("TextTools")
        defer { session.shutdown() }
        let resources = try session.list(MANIFOLD_KIND_RESOURCE)
        #expect(resources.map { $0["uri"] as? String } == ["text://texttools/about"])
        #expect(resources[0]["mimeType"] as? String == "text/plain")
        let templates = try session.list(MANIFOLD_KIND_RESOURCE_TEMPLATE)
        #expect(templates.map { $0["uriTemplate"] as? String } == ["text://texttools/upper/{word}"])
        let prompts = try session.list(MANIFOLD_KIND_PROMPT)
        let summarize = try named(prompts, "summarize")
        let arguments = try #require(summarize["arguments"] as? [[String: Any]])
        #expect(arguments.map { $0["name"] as? String } == ["text", "style"])
        #expect(arguments.map { $0["required"] as? Bool } == [true, false])

        var read = try object(try session.call(MANIFOLD_KIND_RESOURCE, "text://texttools/about").body)
        var contents = try #require(read["contents"] as? [[String: Any]])
        #expect(contents[0]["uri"] as? String == "text://texttools/about")
        #expect((contents[0]["text"] as? String)?.hasPrefix("TextTools") == true)

        read = try object(try session.call(MANIFOLD_KIND_RESOURCE, "text://texttools/upper/hello%20world").body)
        contents = try #require(read["contents"] as? [[String: Any]])
        #expect(contents[0]["text"] as? String == "HELLO WORLD")
        #expect(contents[0]["uri"] as? String == "text://texttools/upper/hello%20world")
        #expect(try session.call(MANIFOLD_KIND_RESOURCE, "text://texttools/upper/a/b").status == MANIFOLD_ERR_NOT_FOUND)
        #expect(try session.call(MANIFOLD_KIND_RESOURCE, "text://elsewhere").status == MANIFOLD_ERR_NOT_FOUND)

        let prompt = try object(try session.call(MANIFOLD_KIND_PROMPT, "summarize", #"{"text":"Swift","style":"detailed"}"#).body)
        let messages = try #require(prompt["messages"] as? [[String: Any]])
        #expect(messages[0]["role"] as? String == "user")
        #expect((messages[0]["content"] as? [String: Any])?["text"] as? String == "Summarize the following text in a detailed style:\n\nSwift")
        let missing = try session.call(MANIFOLD_KIND_PROMPT, "summarize", #"{"style":"brief"}"#)
        #expect(missing.status == MANIFOLD_ERR_INVALID_ARGUMENTS)
        #expect(missing.body.contains("'text'"))

        let completion = try session.call(MANIFOLD_KIND_COMPLETION, "summarize",
                                          #"{"ref":{"type":"ref/prompt","name":"summarize"},"argument":{"name":"style","value":"b"}}"#)
        #expect(completion.status == MANIFOLD_OK)
        #expect(completion.body == #"{"completion":{"values":["brief","bullet-points"]}}"#)
        #expect(try session.list(MANIFOLD_KIND_TOOL).count == 7)
        #expect(session.descriptor.pointee.list!(session.instance, MANIFOLD_KIND_COMPLETION, OpaquePointer(bitPattern: newCallID())) == MANIFOLD_ERR_UNSUPPORTED)
    }

    @Test func concurrentCallsEachCompleteOnce() throws {
        let session = try PluginSession("TextTools")
        defer { session.shutdown() }
        let ids = (0..<64).map { _ in newCallID() }
        DispatchQueue.concurrentPerform(iterations: ids.count) { i in
            let words = Array(repeating: "w", count: i + 1).joined(separator: " ")
            _ = try? session.call(MANIFOLD_KIND_TOOL, i % 2 == 0 ? "word_count" : "slugify", #"{"text":"\#(words)"}"#, id: ids[i])
        }
        for (i, id) in ids.enumerated() {
            let done = recorder.completions(id)
            #expect(done.count == 1)
            let expected = i % 2 == 0 ? "\(i + 1)" : Array(repeating: "w", count: i + 1).joined(separator: "-")
            #expect(texts(try object(done[0].body)) == [expected])
        }
    }

    // MARK: Everything: the conformance surface

    @Test func everythingListsTheReferenceSurface() throws {
        let session = try PluginSession("Everything")
        defer { session.shutdown() }
        let tools = try session.list(MANIFOLD_KIND_TOOL)
        #expect(tools.map { $0["name"] as? String } == [
            "test_simple_text", "test_image_content", "test_audio_content", "test_embedded_resource",
            "test_multiple_content_types", "test_tool_with_logging", "test_tool_with_progress", "test_error_handling",
            "test_sampling", "test_elicitation", "test_elicitation_sep1034_defaults", "test_elicitation_sep1330_enums",
            "test_elicitation_sep1036_url", "json_schema_2020_12_tool",
        ])
        let sampling = try #require(try named(tools, "test_sampling")["inputSchema"] as? [String: Any])
        #expect(sampling["required"] as? [String] == ["prompt"])
        #expect(((sampling["properties"] as? [String: Any])?["prompt"] as? [String: Any])?["description"] as? String == "The prompt to send to the LLM")
        let raw = try #require(try named(tools, "json_schema_2020_12_tool")["inputSchema"] as? [String: Any])
        #expect(raw["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        #expect(raw["$defs"] != nil)

        let resources = try session.list(MANIFOLD_KIND_RESOURCE)
        #expect(resources.map { $0["uri"] as? String } == ["test://static-text", "test://static-binary", "test://watched-resource"])
        #expect(try named(resources, "test://static-text", key: "uri")["title"] as? String == "Static Text Resource")
        let templates = try session.list(MANIFOLD_KIND_RESOURCE_TEMPLATE)
        #expect(templates.map { $0["uriTemplate"] as? String } == ["test://template/{id}/data"])
        let prompts = try session.list(MANIFOLD_KIND_PROMPT)
        #expect(prompts.map { $0["name"] as? String } == [
            "test_simple_prompt", "test_prompt_with_arguments", "test_prompt_with_embedded_resource", "test_prompt_with_image",
        ])
    }

    @Test func everythingContentTools() throws {
        let session = try PluginSession("Everything")
        defer { session.shutdown() }
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
        #expect(try session.call(MANIFOLD_KIND_TOOL, "test_simple_text").body
                == #"{"content":[{"type":"text","text":"This is a simple text response for testing."}]}"#)
        #expect(try session.call(MANIFOLD_KIND_TOOL, "test_image_content", "").body
                == #"{"content":[{"type":"image","data":"\#(png)","mimeType":"image/png"}]}"#)
        #expect(try session.call(MANIFOLD_KIND_TOOL, "test_audio_content").body
                == #"{"content":[{"type":"audio","data":"UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=","mimeType":"audio/wav"}]}"#)
        #expect(try session.call(MANIFOLD_KIND_TOOL, "test_embedded_resource").body
                == #"{"content":[{"type":"resource","resource":{"uri":"test://embedded-resource","mimeType":"text/plain","text":"This is an embedded resource content."}}]}"#)
        #expect(try session.call(MANIFOLD_KIND_TOOL, "test_multiple_content_types").body
                == #"{"content":[{"type":"text","text":"Multiple content types test:"},{"type":"image","data":"\#(png)","mimeType":"image/png"},{"type":"resource","resource":{"uri":"test://mixed-content-resource","mimeType":"application/json","text":"{\"test\":\"data\",\"value\":123}"}}]}"#)
        #expect(try session.call(MANIFOLD_KIND_TOOL, "test_error_handling").body
                == #"{"content":[{"type":"text","text":"This tool intentionally returns an error for testing"}],"isError":true}"#)
        #expect(texts(try session.tool("json_schema_2020_12_tool", #"{"name":"x","address":{"city":"Paris"}}"#))
                == [#"JSON Schema 2020-12 tool called with: {"name":"x","address":{"city":"Paris"}}"#])
    }

    @Test func progressAndLoggingArriveInOrder() throws {
        let session = try PluginSession("Everything")
        defer { session.shutdown() }
        let progressCall = newCallID()
        let start = Date()
        let result = try session.tool("test_tool_with_progress", id: progressCall)
        #expect(Date().timeIntervalSince(start) >= 0.1)  // two 50 ms steps, as the reference
        #expect(texts(result) == ["0"])
        #expect(recorder.progress(progressCall) == [
            ProgressReport(call: progressCall, progress: 0, total: 100, message: "Completed step 0 of 100"),
            ProgressReport(call: progressCall, progress: 50, total: 100, message: "Completed step 50 of 100"),
            ProgressReport(call: progressCall, progress: 100, total: 100, message: "Completed step 100 of 100"),
        ])

        let logCall = newCallID()
        #expect(texts(try session.tool("test_tool_with_logging", id: logCall)) == ["Tool with logging executed successfully"])
        #expect(recorder.logs(logCall) == [
            LogRecord(call: logCall, level: Int(MANIFOLD_LOG_INFO.rawValue), logger: "", data: #""Tool execution started""#),
            LogRecord(call: logCall, level: Int(MANIFOLD_LOG_INFO.rawValue), logger: "", data: #""Tool processing data""#),
            LogRecord(call: logCall, level: Int(MANIFOLD_LOG_INFO.rawValue), logger: "", data: #""Tool execution completed""#),
        ])
    }

    @Test func samplingUsesTheClientAndFormatsAsTheReference() throws {
        let session = try PluginSession("Everything")
        defer { session.shutdown() }
        recorder.answer("sampling/createMessage",
                        #"{"role":"assistant","content":{"type":"text","text":"This is a test response from the client"},"model":"test-model","stopReason":"endTurn"}"#)
        let id = newCallID()
        #expect(texts(try session.tool("test_sampling", #"{"prompt":"Test prompt for sampling"}"#, id: id))
                == ["LLM response: This is a test response from the client"])
        #expect(recorder.requests(id) == [ClientRequest(call: id, method: "sampling/createMessage",
            params: #"{"messages":[{"role":"user","content":{"type":"text","text":"Test prompt for sampling"}}],"maxTokens":100}"#)])

        // A client without the capability: the reference's error text.
        recorder.setUnsupported("sampling/createMessage")
        #expect(texts(try session.tool("test_sampling", #"{"prompt":"p"}"#))
                == ["Sampling not supported or error: Client does not support sampling (required for sampling/createMessage)"])
    }

    @Test func elicitationUsesTheClientAndFormatsAsTheReference() throws {
        let session = try PluginSession("Everything")
        defer { session.shutdown() }
        recorder.answer("elicitation/create", #"{"action":"accept","content":{"username":"testuser","email":"test@example.com"}}"#)
        let id = newCallID()
        #expect(texts(try session.tool("test_elicitation", #"{"message":"Please provide your information"}"#, id: id))
                == [#"User response: action=accept, content={"username":"testuser","email":"test@example.com"}"#])
        #expect(recorder.requests(id).first?.params
                == #"{"mode":"form","message":"Please provide your information","requestedSchema":{"type":"object","properties":{"response":{"type":"string","description":"User's response"}},"required":["response"]}}"#)

        recorder.answer("elicitation/create", #"{"action":"accept","content":{"name":"John Doe","age":30,"score":95.5,"status":"active","verified":true}}"#)
        let defaults = newCallID()
        #expect(texts(try session.tool("test_elicitation_sep1034_defaults", id: defaults))
                == [#"Elicitation completed: action=accept, content={"name":"John Doe","age":30,"score":95.5,"status":"active","verified":true}"#])
        let params = try object(try #require(recorder.requests(defaults).first).params)
        #expect(params["message"] as? String == "Please review and update the form fields with defaults")

        recorder.answer("elicitation/create", #"{"action":"decline"}"#)
        #expect(texts(try session.tool("test_elicitation_sep1330_enums")) == ["Elicitation completed: action=decline, content={}"])
        #expect(texts(try session.tool("test_elicitation_sep1036_url")) == ["URL elicitation completed: action=decline"])

        recorder.answer("elicitation/create", status: MANIFOLD_ERR_INTERNAL, #"{"code":-32601,"message":"Method not found"}"#)
        #expect(texts(try session.tool("test_elicitation", #"{"message":"m"}"#))
                == ["Elicitation not supported or error: MCP error -32601: Method not found"])
    }

    @Test func everythingResourcesPromptsAndCompletion() throws {
        let session = try PluginSession("Everything")
        defer { session.shutdown() }
        #expect(try session.call(MANIFOLD_KIND_RESOURCE, "test://static-text").body
                == #"{"contents":[{"uri":"test://static-text","mimeType":"text/plain","text":"This is the content of the static text resource."}]}"#)
        let binary = try object(try session.call(MANIFOLD_KIND_RESOURCE, "test://static-binary").body)
        #expect(((binary["contents"] as? [[String: Any]])?.first?["blob"] as? String)?.hasPrefix("iVBORw0KGgo") == true)
        #expect(try session.call(MANIFOLD_KIND_RESOURCE, "test://template/123/data").body
                == #"{"contents":[{"uri":"test://template/123/data","mimeType":"application/json","text":"{\"id\":\"123\",\"templateTest\":true,\"data\":\"Data for ID: 123\"}"}]}"#)
        #expect(try session.call(MANIFOLD_KIND_RESOURCE, "test://watched-resource").body
                == #"{"contents":[{"uri":"test://watched-resource","mimeType":"text/plain","text":"Watched resource content"}]}"#)
        #expect(try session.call(MANIFOLD_KIND_RESOURCE, "test://nonexistent-resource-for-conformance-testing").status == MANIFOLD_ERR_NOT_FOUND)

        #expect(try session.call(MANIFOLD_KIND_PROMPT, "test_simple_prompt").body
                == #"{"messages":[{"role":"user","content":{"type":"text","text":"This is a simple prompt for testing."}}]}"#)
        #expect(try session.call(MANIFOLD_KIND_PROMPT, "test_prompt_with_arguments", #"{"arg1":"a","arg2":"b"}"#).body
                == #"{"messages":[{"role":"user","content":{"type":"text","text":"Prompt with arguments: arg1='a', arg2='b'"}}]}"#)
        #expect(try session.call(MANIFOLD_KIND_PROMPT, "test_prompt_with_arguments", #"{"arg1":"a"}"#).status == MANIFOLD_ERR_INVALID_ARGUMENTS)
        #expect(try session.call(MANIFOLD_KIND_PROMPT, "test_prompt_with_embedded_resource", #"{"resourceUri":"test://x"}"#).body
                == #"{"messages":[{"role":"user","content":{"type":"resource","resource":{"uri":"test://x","mimeType":"text/plain","text":"Embedded resource content for testing."}}},{"role":"user","content":{"type":"text","text":"Please process the embedded resource above."}}]}"#)
        let image = try object(try session.call(MANIFOLD_KIND_PROMPT, "test_prompt_with_image").body)
        #expect((image["messages"] as? [Any])?.count == 2)

        let completion = try session.call(MANIFOLD_KIND_COMPLETION, "test_prompt_with_arguments",
                                          #"{"ref":{"type":"ref/prompt","name":"test_prompt_with_arguments"},"argument":{"name":"arg1","value":"par"}}"#)
        #expect(completion.body == #"{"completion":{"values":[],"total":0,"hasMore":false}}"#)
        #expect(try session.call(MANIFOLD_KIND_COMPLETION, "nope", #"{"ref":{"type":"ref/prompt","name":"nope"},"argument":{"name":"a","value":""}}"#).status
                == MANIFOLD_ERR_NOT_FOUND)
    }

    // MARK: Cancellation, background work, lifecycle

    @Test func cancellationStopsAHandler() throws {
        let session = try PluginSession("Everything")
        defer { session.shutdown() }
        // Through host->is_cancelled.
        let polled = newCallID()
        recorder.cancel(polled)
        #expect(try session.call(MANIFOLD_KIND_TOOL, "test_tool_with_progress", id: polled).status == MANIFOLD_ERR_CANCELLED)

        // Through the descriptor's cancel hook, once the handler has started (it then sleeps).
        let hooked = newCallID()
        DispatchQueue.global().async {
            let deadline = Date().addingTimeInterval(5)
            while recorder.logs(hooked).isEmpty && Date() < deadline { usleep(500) }
            session.descriptor.pointee.cancel!(session.instance, OpaquePointer(bitPattern: hooked))
        }
        let done = try session.call(MANIFOLD_KIND_TOOL, "test_tool_with_logging", id: hooked)
        #expect(done.status == MANIFOLD_ERR_CANCELLED)
        #expect(recorder.logs(hooked).count < 3)
    }

    @Test func backgroundUpdatesStopAtShutdown() throws {
        let session = try PluginSession("Everything", config: #"{"watchedResourceIntervalMs":10}"#)
        Thread.sleep(forTimeInterval: 0.1)
        session.shutdown()
        let updates = recorder.updated
        #expect(updates.count >= 1)
        #expect(Set(updates) == ["test://watched-resource"])
        Thread.sleep(forTimeInterval: 0.05)
        #expect(recorder.updated.count == updates.count)

        // Without the config, no updates (as the reference).
        let quiet = try PluginSession("Everything")
        Thread.sleep(forTimeInterval: 0.03)
        quiet.shutdown()
        #expect(recorder.updated.count == updates.count)
    }
}
