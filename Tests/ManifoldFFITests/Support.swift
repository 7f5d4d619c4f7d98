import Foundation
import Logging
import ManifoldCore
import ManifoldManifest
import ManifoldProtocol
import Testing
@testable import ManifoldPlugins

#if canImport(Glibc)
import Glibc
#endif

/// Where `swift build` puts libFFITest.so: next to the test executable.
let buildFolder = LibraryLocator.executableFolder
let ffiTestLibrary = buildFolder + "/libFFITest.so"
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

let sharedRuntime = NativeRuntime(threads: 2)
let testLogger = Logger(label: "manifold.ffi.tests")

/// Parses one function entry written as JSON.
func spec(_ json: String) throws -> FFIFunctionSpec {
    try FFIManifestParser.parse(function: try JSONValue.parse(json), file: "test.plugin.yaml")
}

/// The manifest error of a function entry, or nil (with a recorded issue) when it parses.
func specError(_ json: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> String? {
    do {
        _ = try spec(json)
        Issue.record("expected an error for \(json)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return "\(error)"
    }
}

/// Opens a library once per name (never closed).
func library(_ name: String) -> UnsafeMutableRawPointer {
    guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
        fatalError("cannot open \(name): \(String(cString: dlerror()))")
    }
    return handle
}

/// A function entry prepared against `library` (libm.so.6, libc.so.6, libFFITest.so …).
func prepare(_ json: String, in libraryName: String) throws -> FFIFunction {
    let spec = try spec(json)
    let handle = library(libraryName)
    guard let symbol = dlsym(handle, spec.symbol) else { fatalError("no symbol \(spec.symbol) in \(libraryName)") }
    var frees: [String: UnsafeRawPointer] = [:]
    for name in FFIPluginLoader.freeFunctionNames(spec) {
        guard let free = dlsym(handle, name) else { fatalError("no symbol \(name) in \(libraryName)") }
        frees[name] = UnsafeRawPointer(free)
    }
    return try FFIFunction(spec: spec, symbol: UnsafeRawPointer(symbol), freeFunctions: frees)
}

/// One call: the CallToolResult, parsed.
func call(_ function: FFIFunction, _ arguments: String) throws -> JSONValue {
    let bytes = function.call(arguments: Array(arguments.utf8))
    return try JSONValue.parse(bytes)
}

/// The structuredContent of a successful call.
func structured(_ function: FFIFunction, _ arguments: String, sourceLocation: Testing.SourceLocation = #_sourceLocation)
    throws -> JSONValue
{
    let result = try call(function, arguments)
    if result["isError"] == .bool(true) {
        Issue.record("unexpected error: \(result.jsonText)", sourceLocation: sourceLocation)
    }
    return result["structuredContent"] ?? .null
}

/// The error text of a failed call, or nil (with a recorded issue).
func errorText(_ function: FFIFunction, _ arguments: String, sourceLocation: Testing.SourceLocation = #_sourceLocation)
    throws -> String?
{
    let result = try call(function, arguments)
    guard result["isError"] == .bool(true) else {
        Issue.record("expected an error for \(arguments), got \(result.jsonText)", sourceLocation: sourceLocation)
        return nil
    }
    return result["content"]?.arrayValue?.first?["text"]?.stringValue
}

/// An ffi plugin manifest value, as the manifest loader would make it.
func ffiManifest(id: String, library: String, functions: [String], file: String = "/tmp/ffi-tests/test.plugin.yaml",
                 execution: ExecutionMode? = .inProcess) throws -> PluginManifest {
    PluginManifest(kind: .ffi, id: id, library: library, execution: execution,
                   functions: try functions.map { try JSONValue.parse($0) }, file: file,
                   location: ManifoldManifest.SourceLocation(file: file, line: 1, column: 1))
}
