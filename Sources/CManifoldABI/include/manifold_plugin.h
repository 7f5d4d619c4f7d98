/*
 * manifold_plugin.h — the Manifold plugin ABI, version 1.
 *
 * A Manifold plugin is a shared library that exports ONE function,
 *
 *     const manifold_plugin_v1 *manifold_plugin_entry_v1(const manifold_host_api_v1 *host);
 *
 * (a plugin linked into the host binary exports `<id>_manifold_plugin_entry_v1` instead).
 * The host calls it once, right after dlopen, on its control thread. The plugin keeps the
 * `host` pointer (it stays valid until the process exits) and returns a pointer to a static
 * descriptor, or NULL to refuse to load (after saying why through host->log).
 *
 * Everything that crosses this boundary is JSON shaped like the Model Context Protocol:
 * `list` produces arrays of MCP Tool / Resource / ResourceTemplate / Prompt objects, and
 * `call` produces a CallToolResult / ReadResourceResult / GetPromptResult / CompleteResult.
 * The host adds prefixes, filters by tags, routes, and speaks the protocol; a plugin never
 * sees a JSON-RPC envelope, a session or a transport.
 *
 * Rules that hold for every function below:
 *
 *  - Memory. A `manifold_bytes` is a BORROWED view: valid only until the function that
 *    received it returns. The receiver copies what it wants to keep. Nothing allocated on
 *    one side is ever freed by the other. Strings are UTF-8 and NOT NUL-terminated unless a
 *    field says otherwise.
 *  - Ownership in names (as in Envoy's dynamic modules): a `*_host_ptr` is owned by the host
 *    and opaque to the plugin; a `*_module_ptr` is owned by the plugin and opaque to the host.
 *  - Growth. Every struct begins with `struct_size`, and fields are only ever appended. Read a
 *    field only if it lies inside the size the other side reported. ABI_MAJOR changes break
 *    compatibility; the host refuses a plugin whose major differs or whose minor is newer
 *    than its own.
 *  - Threads. init, list and shutdown run on the host's single control thread, never
 *    concurrently with each other. `call` runs on the host's plugin thread pool (never on
 *    the host's I/O threads or Swift's cooperative pool, so it may block); calls into one
 *    plugin instance run one at a time unless the descriptor sets
 *    MANIFOLD_PLUGIN_FLAG_CONCURRENT_CALLS. A plugin that also sets
 *    MANIFOLD_PLUGIN_FLAG_NONBLOCKING_CALLS promises its calls never block, and the host may
 *    then run them on the I/O thread that received the request (see the flag). Every host
 *    service may be called from any thread.
 *  - Results. A call finishes by calling host->complete exactly once, either inside `call`
 *    (then `call` returns MANIFOLD_OK) or later from any thread (then `call` returns
 *    MANIFOLD_PENDING). A tool that fails for a reason the model can act on (bad input,
 *    business error) completes with MANIFOLD_OK and a CallToolResult whose `isError` is true.
 *    Negative statuses are for protocol-level failures (unknown name, malformed arguments,
 *    internal faults).
 */
#ifndef MANIFOLD_PLUGIN_H
#define MANIFOLD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MANIFOLD_ABI_MAJOR 1
#define MANIFOLD_ABI_MINOR 0

/* The name of the entry symbol a loadable plugin exports. */
#define MANIFOLD_PLUGIN_ENTRY_V1_SYMBOL "manifold_plugin_entry_v1"

/* ------------------------------------------------------------------------------------------ */
/* Basic types                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* A borrowed view of UTF-8 bytes (usually JSON). Valid until the receiving function returns. */
typedef struct manifold_bytes {
    const char *ptr;
    size_t len;
} manifold_bytes;

/* What a `list` or `call` is about. */
typedef enum manifold_kind {
    /* list: JSON array of MCP Tool objects.
     * call: name = tool name, input = the `arguments` object; completes with a CallToolResult. */
    MANIFOLD_KIND_TOOL = 1,
    /* list: JSON array of MCP Resource objects (static resources).
     * call: name = the resource URI (also for URIs matching one of the plugin's templates),
     *       input = "{}"; completes with a ReadResourceResult. */
    MANIFOLD_KIND_RESOURCE = 2,
    /* list: JSON array of MCP ResourceTemplate objects (RFC 6570 `uriTemplate`).
     * call: not used; reads of matching URIs arrive as MANIFOLD_KIND_RESOURCE. */
    MANIFOLD_KIND_RESOURCE_TEMPLATE = 3,
    /* list: JSON array of MCP Prompt objects.
     * call: name = prompt name, input = the `arguments` object (string values);
     *       completes with a GetPromptResult. */
    MANIFOLD_KIND_PROMPT = 4,
    /* list: not used.
     * call: name = the prompt name (for ref/prompt) or the template URI (for ref/resource),
     *       input = the complete request's params object {ref, argument, context?} with the
     *       plugin's own names; completes with a CompleteResult {"completion":{"values":[...]}}. */
    MANIFOLD_KIND_COMPLETION = 5
} manifold_kind;

/* Status codes returned by plugin functions and passed to host->complete. */
typedef int32_t manifold_status;
#define MANIFOLD_OK 0                     /* done; for a call: host->complete was already called */
#define MANIFOLD_PENDING 1                /* call only: host->complete will be called later      */
#define MANIFOLD_ERR_NOT_FOUND (-1)       /* unknown tool / prompt / resource URI                */
#define MANIFOLD_ERR_INVALID_ARGUMENTS (-2) /* input is not what the component accepts          */
#define MANIFOLD_ERR_INTERNAL (-3)        /* the plugin failed; the message says why             */
#define MANIFOLD_ERR_UNSUPPORTED (-4)     /* this plugin does not handle this kind               */
#define MANIFOLD_ERR_CANCELLED (-5)       /* the call stopped because the client cancelled it   */
#define MANIFOLD_ERR_REFUSED (-6)         /* init: the plugin will not run with this config      */

/* Log levels, the syslog severities MCP uses (notifications/message). */
typedef enum manifold_log_level {
    MANIFOLD_LOG_DEBUG = 0,
    MANIFOLD_LOG_INFO = 1,
    MANIFOLD_LOG_NOTICE = 2,
    MANIFOLD_LOG_WARNING = 3,
    MANIFOLD_LOG_ERROR = 4,
    MANIFOLD_LOG_CRITICAL = 5,
    MANIFOLD_LOG_ALERT = 6,
    MANIFOLD_LOG_EMERGENCY = 7
} manifold_log_level;

/* The host's handle for one loaded plugin instance. Opaque; owned by the host; valid from
 * init until shutdown returns. */
typedef struct manifold_plugin_host manifold_plugin_host;

/* The host's handle for one in-flight call. Opaque; owned by the host; valid from the moment
 * `call` is entered until host->complete returns for it. Never use it after completing. */
typedef struct manifold_call_host manifold_call_host;

/* Receives the answer to host->client_request. Called exactly once, from any thread.
 * status is MANIFOLD_OK with the client's result object, or negative with a JSON-RPC error
 * object {"code":…, "message":…} (or a plain message) in `response_json`.
 * `response_json` is borrowed for the duration of the callback. */
typedef void (*manifold_client_response_fn)(void *context_module_ptr,
                                            manifold_status status,
                                            manifold_bytes response_json);

/* ------------------------------------------------------------------------------------------ */
/* Host services: a table the host hands to the plugin. Callable from any thread.             */
/* ------------------------------------------------------------------------------------------ */

typedef struct manifold_host_api_v1 {
    /* sizeof(manifold_host_api_v1) as the host compiled it. Check before using a field that
     * was appended after 1.0. */
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;
    /* The host's language-runtime tag (see manifold_swift_runtime_tag below), NUL-terminated,
     * static. Plugins that carry a runtime must match it. */
    const char *runtime_tag;

    /* Writes to the host's own log (stderr), attributed to the plugin. Not sent to clients.
     * `plugin` may be NULL before init (e.g. to explain why the entry refuses to load). */
    void (*log)(manifold_plugin_host *plugin, manifold_log_level level, manifold_bytes message);

    /* Finishes a call. Exactly once per call. With MANIFOLD_OK, `result_json` is the result
     * object (for `list`: the JSON array). With a negative status, `result_json` is a
     * human-readable message (not JSON) that the host puts into the JSON-RPC error. */
    void (*complete)(manifold_call_host *call, manifold_status status, manifold_bytes result_json);

    /* Reports progress of a call: `progress` must increase from one report to the next;
     * `total` < 0 means unknown; `message` may be empty. Dropped unless the client asked for
     * progress, and after the call completed. */
    void (*progress)(manifold_call_host *call, double progress, double total, manifold_bytes message);

    /* Non-zero once the client cancelled the call. A cancelled call should stop and complete
     * with MANIFOLD_ERR_CANCELLED (the host then sends nothing to the client). */
    int32_t (*is_cancelled)(manifold_call_host *call);

    /* A log message produced while serving a call, sent to that call's client as
     * notifications/message if it passes the client's logging/setLevel threshold.
     * `logger` may be empty. `data_json` is any JSON value (a JSON string for plain text). */
    void (*call_log)(manifold_call_host *call, manifold_log_level level, manifold_bytes logger,
                     manifold_bytes data_json);

    /* The plugin's list of `kind` changed: the host calls `list` again (on its control
     * thread, later — never from inside this function) and tells clients. */
    void (*notify_list_changed)(manifold_plugin_host *plugin, manifold_kind kind);

    /* The resource at `uri` (the plugin's own URI) changed; subscribed clients are told. */
    void (*notify_resource_updated)(manifold_plugin_host *plugin, manifold_bytes uri);

    /* Sends a request to the client that made `call` — "sampling/createMessage",
     * "elicitation/create" or "roots/list" — with `params_json` as its params. The answer
     * arrives through `on_response(context_module_ptr, …)`, exactly once, from any thread,
     * possibly before this function returns. Returns MANIFOLD_OK if sent; otherwise
     * MANIFOLD_ERR_UNSUPPORTED (the client did not declare the capability) or
     * MANIFOLD_ERR_INVALID_ARGUMENTS, and `on_response` is not called. Only valid while the
     * call is in flight. */
    manifold_status (*client_request)(manifold_call_host *call, manifold_bytes method,
                                      manifold_bytes params_json,
                                      manifold_client_response_fn on_response,
                                      void *context_module_ptr);

    /* The `_meta` object the client sent with the request being served (JSON; "{}" when it
     * sent none), e.g. to read its `progressToken`. Borrowed: valid until the call completes. */
    manifold_bytes (*call_meta)(manifold_call_host *call);
} manifold_host_api_v1;

/* ------------------------------------------------------------------------------------------ */
/* The plugin descriptor: what the entry function returns.                                    */
/* ------------------------------------------------------------------------------------------ */

/* `call` may run on several threads at once for one instance. */
#define MANIFOLD_PLUGIN_FLAG_CONCURRENT_CALLS (1u << 0)
/* The library holds no language runtime that forbids unloading (pure C): after shutdown the
 * host may dlclose it. Never set this in a Swift plugin. The host honours it only when the
 * descriptor has no runtime_tag and no Swift runtime symbol is reachable from the library
 * (SwiftPM links even C products with the Swift runtime: build an unloadable plugin with cc);
 * it then closes the library right after `shutdown` returns, so no thread of the plugin may
 * still be running by then. (Closing is currently switched off in the host: docs/RELOAD.md.) */
#define MANIFOLD_PLUGIN_FLAG_UNLOADABLE (1u << 1)
/* `call` never blocks: it finishes (or returns MANIFOLD_PENDING) within microseconds of CPU
 * time, without waiting for I/O, a sleep, a lock another thread holds for long, or an answer
 * from the client (a call that needs one returns MANIFOLD_PENDING and completes from
 * on_response). With MANIFOLD_PLUGIN_FLAG_CONCURRENT_CALLS also set, the host may run `call`
 * inline on the endpoint thread that received the request — its stdio reader or an HTTP
 * event loop — instead of handing it to the plugin thread pool and back: two thread
 * hand-offs less per call, which on a small machine is most of a call's cost (BENCHMARKS.md).
 * Everything else stays as documented: `call` may still run on the pool (and does when the
 * request arrived on another thread), and host->complete may come from any thread. A plugin
 * that breaks the promise — three calls in a row over 10 ms, or one over 100 ms, of wall time
 * on an I/O thread — is logged, and the instance's later calls go back to the pool. Advisory:
 * a host that does not know the flag ignores it. */
#define MANIFOLD_PLUGIN_FLAG_NONBLOCKING_CALLS (1u << 2)

typedef struct manifold_plugin_v1 {
    /* sizeof(manifold_plugin_v1) as the plugin compiled it. */
    uint32_t struct_size;
    /* Set to MANIFOLD_ABI_MAJOR / MANIFOLD_ABI_MINOR of the header the plugin was built with. */
    uint16_t abi_major;
    uint16_t abi_minor;
    /* Static, NUL-terminated. `id` names the plugin in logs and errors ("math"). */
    const char *id;
    const char *version;
    /* NULL for plugins without a runtime that must match the host's (plain C). Swift plugins
     * set it to the tag of the toolchain they were built with; the host refuses a mismatch. */
    const char *runtime_tag;
    /* MANIFOLD_PLUGIN_FLAG_* */
    uint32_t flags;

    /* Control thread, once. `plugin_host_ptr` is this instance's handle for host services.
     * `config_json` is the manifest's `config` object ("{}" when absent). On success, store
     * the instance state in *instance_module_ptr (may be NULL) and return MANIFOLD_OK;
     * otherwise log why and return a negative status. */
    manifold_status (*init)(manifold_plugin_host *plugin_host_ptr, manifold_bytes config_json,
                            void **instance_module_ptr);

    /* Control thread. Produces the JSON array of components of `kind` by calling
     * host->complete(call, MANIFOLD_OK, array) before returning. A plugin with nothing of a
     * kind completes with "[]" (or returns MANIFOLD_ERR_UNSUPPORTED without completing). */
    manifold_status (*list)(void *instance_module_ptr, manifold_kind kind, manifold_call_host *call);

    /* Plugin thread pool. Serves one request (see manifold_kind for name and input); the
     * input view is valid only until `call` returns — copy it before going asynchronous.
     * Returns MANIFOLD_OK (completed inside), MANIFOLD_PENDING (will complete later), or a
     * negative status WITHOUT having called complete (the host completes with that status). */
    manifold_status (*call)(void *instance_module_ptr, manifold_call_host *call, manifold_kind kind,
                            manifold_bytes name, manifold_bytes input_json);

    /* Optional (may be NULL). Any thread. The client cancelled `call`, which is still in
     * flight; the plugin should stop soon and complete it. The host still expects exactly one
     * host->complete for the call. */
    void (*cancel)(void *instance_module_ptr, manifold_call_host *call);

    /* Optional (may be NULL). Control thread, once, after every call has completed. Release
     * everything; no host service may be used afterwards. */
    void (*shutdown)(void *instance_module_ptr);
} manifold_plugin_v1;

/* The entry point every loadable plugin exports (with C linkage, default visibility). */
typedef const manifold_plugin_v1 *(*manifold_plugin_entry_v1_fn)(const manifold_host_api_v1 *host);

/* ------------------------------------------------------------------------------------------ */
/* Runtime tags                                                                               */
/* ------------------------------------------------------------------------------------------ */

/* The runtime tag a Swift plugin must carry, and the host compares: the Swift compiler
 * version and the target, e.g. "swift-60301-x86_64-linux". Both sides compute it from this
 * one function, so it cannot drift. Returns NULL when compiled without Swift (plain C). */
static inline const char *manifold_swift_runtime_tag(void) {
#if defined(__swift__)
#define MANIFOLD_STR2_(x) #x
#define MANIFOLD_STR_(x) MANIFOLD_STR2_(x)
#if defined(__x86_64__)
#define MANIFOLD_ARCH_ "x86_64"
#elif defined(__aarch64__)
#define MANIFOLD_ARCH_ "aarch64"
#else
#define MANIFOLD_ARCH_ "unknown"
#endif
#if defined(__linux__)
#define MANIFOLD_OS_ "linux"
#elif defined(__APPLE__)
#define MANIFOLD_OS_ "darwin"
#else
#define MANIFOLD_OS_ "unknown"
#endif
    return "swift-" MANIFOLD_STR_(__swift__) "-" MANIFOLD_ARCH_ "-" MANIFOLD_OS_;
#else
    return (const char *)0;
#endif
}

#ifdef __cplusplus
}
#endif

#endif /* MANIFOLD_PLUGIN_H */
