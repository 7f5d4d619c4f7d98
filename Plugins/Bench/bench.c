/*
 * Bench — the benchmark workload (W1/W2), Manifold's twin of the sub-servers in
 * ../shared/anchors/fastmcp_host.py: add(a, b) on integers (text "5" for 2 and 3, with
 * structuredContent {"result": 5}), echo(text), wipe (tagged admin, for host filters) and
 * filler tools t0, t1, … so that each instance exposes `tools` tools in all (config, default 3).
 * One resource data://bench/config and one prompt greet(name). Plain C, concurrent calls that
 * never block (so the host may run them on its I/O threads).
 */
#include "manifold_plugin.h"
#include "manifold_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const manifold_host_api_v1 *host;

typedef struct bench {
    int fillers;
    char *tools_json;
    size_t tools_len;
} bench;

static manifold_bytes bytes_of(const char *s) { manifold_bytes b = { s, strlen(s) }; return b; }
static int named(manifold_bytes name, const char *s) { return name.len == strlen(s) && memcmp(name.ptr, s, name.len) == 0; }

static void complete_int(manifold_call_host *call, long long value) {
    char buf[160];
    int n = snprintf(buf, sizeof buf,
                     "{\"content\":[{\"type\":\"text\",\"text\":\"%lld\"}],\"structuredContent\":{\"result\":%lld}}",
                     value, value);
    manifold_bytes b = { buf, (size_t)n };
    host->complete(call, MANIFOLD_OK, b);
}

static void complete_error(manifold_call_host *call, const char *message) {
    char buf[256];
    int n = snprintf(buf, sizeof buf, "{\"content\":[{\"type\":\"text\",\"text\":\"%s\"}],\"isError\":true}", message);
    manifold_bytes b = { buf, (size_t)n };
    host->complete(call, MANIFOLD_OK, b);
}

static int int_arg(manifold_call_host *call, manifold_bytes args, const char *key, long long *out) {
    manifold_json_result r = manifold_json_int64(args, key, out);
    if (r == MANIFOLD_JSON_OK) return 1;
    char msg[96];
    snprintf(msg, sizeof msg, "argument '%s' %s", key, r == MANIFOLD_JSON_MISSING ? "is required" : "must be an integer");
    complete_error(call, msg);
    return 0;
}

#define INT_PROP(n) "\"" n "\":{\"type\":\"integer\"}"
#define RESULT_INT "{\"type\":\"object\",\"properties\":{\"result\":{\"type\":\"integer\"}},\"required\":[\"result\"]}"

static manifold_status bench_init(manifold_plugin_host *plugin, manifold_bytes config, void **instance) {
    bench *b = calloc(1, sizeof *b);
    if (!b) return MANIFOLD_ERR_INTERNAL;
    long long tools = 3;
    if (manifold_json_int64(config, "tools", &tools) == MANIFOLD_JSON_WRONG_TYPE || tools < 3 || tools > 100000) {
        host->log(plugin, MANIFOLD_LOG_ERROR, bytes_of("bench: config 'tools' must be an integer >= 3"));
        free(b);
        return MANIFOLD_ERR_REFUSED;
    }
    b->fillers = (int)tools - 3;
    const char *fixed =
        "[{\"name\":\"add\",\"description\":\"Add two integers.\",\"inputSchema\":{\"type\":\"object\",\"properties\":{"
        INT_PROP("a") "," INT_PROP("b") "},\"required\":[\"a\",\"b\"],\"additionalProperties\":false},"
        "\"outputSchema\":" RESULT_INT ",\"tags\":[\"public\"]},"
        "{\"name\":\"echo\",\"description\":\"Echo text back.\",\"inputSchema\":{\"type\":\"object\",\"properties\":{"
        "\"text\":{\"type\":\"string\"}},\"required\":[\"text\"],\"additionalProperties\":false},"
        "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"result\":{\"type\":\"string\"}},\"required\":[\"result\"]},"
        "\"tags\":[\"public\"]},"
        "{\"name\":\"wipe\",\"description\":\"Admin-only tool, filtered out by the host.\",\"inputSchema\":"
        "{\"type\":\"object\",\"additionalProperties\":false},\"tags\":[\"admin\"]}";
    size_t cap = strlen(fixed) + (size_t)b->fillers * 300 + 8;
    b->tools_json = malloc(cap);
    if (!b->tools_json) { free(b); return MANIFOLD_ERR_INTERNAL; }
    size_t len = (size_t)snprintf(b->tools_json, cap, "%s", fixed);
    for (int k = 0; k < b->fillers; k++) {
        len += (size_t)snprintf(b->tools_json + len, cap - len,
                                ",{\"name\":\"t%d\",\"description\":\"filler tool %d\",\"inputSchema\":{\"type\":\"object\","
                                "\"properties\":{" INT_PROP("x") "},\"required\":[\"x\"],\"additionalProperties\":false},"
                                "\"outputSchema\":" RESULT_INT ",\"tags\":[\"public\"]}", k, k);
    }
    len += (size_t)snprintf(b->tools_json + len, cap - len, "]");
    b->tools_len = len;
    *instance = b;
    return MANIFOLD_OK;
}

static manifold_status bench_list(void *instance, manifold_kind kind, manifold_call_host *call) {
    bench *b = instance;
    switch (kind) {
    case MANIFOLD_KIND_TOOL: {
        manifold_bytes tools = { b->tools_json, b->tools_len };
        host->complete(call, MANIFOLD_OK, tools);
        break;
    }
    case MANIFOLD_KIND_RESOURCE:
        host->complete(call, MANIFOLD_OK,
                       bytes_of("[{\"uri\":\"data://bench/config\",\"name\":\"config\",\"mimeType\":\"application/json\"}]"));
        break;
    case MANIFOLD_KIND_PROMPT:
        host->complete(call, MANIFOLD_OK,
                       bytes_of("[{\"name\":\"greet\",\"description\":\"Greeting prompt.\",\"arguments\":"
                                "[{\"name\":\"name\",\"required\":true}]}]"));
        break;
    default:
        host->complete(call, MANIFOLD_OK, bytes_of("[]"));
    }
    return MANIFOLD_OK;
}

static manifold_status bench_call(void *instance, manifold_call_host *call, manifold_kind kind,
                                  manifold_bytes name, manifold_bytes input) {
    bench *b = instance;
    if (kind == MANIFOLD_KIND_TOOL) {
        long long x, y;
        if (named(name, "add")) {
            if (int_arg(call, input, "a", &x) && int_arg(call, input, "b", &y)) complete_int(call, x + y);
            return MANIFOLD_OK;
        }
        if (named(name, "echo")) {
            manifold_bytes text;
            if (manifold_json_string_literal(input, "text", &text) != MANIFOLD_JSON_OK) {
                complete_error(call, "argument 'text' must be a string");
                return MANIFOLD_OK;
            }
            size_t cap = text.len * 2 + 96;
            char stack[512];
            char *buf = cap <= sizeof stack ? stack : malloc(cap);
            if (!buf) return MANIFOLD_ERR_INTERNAL;
            int n = snprintf(buf, cap, "{\"content\":[{\"type\":\"text\",\"text\":%.*s}],\"structuredContent\":{\"result\":%.*s}}",
                             (int)text.len, text.ptr, (int)text.len, text.ptr);
            manifold_bytes out = { buf, (size_t)n };
            host->complete(call, MANIFOLD_OK, out);
            if (buf != stack) free(buf);
            return MANIFOLD_OK;
        }
        if (named(name, "wipe")) {
            host->complete(call, MANIFOLD_OK, bytes_of("{\"content\":[{\"type\":\"text\",\"text\":\"wiped\"}]}"));
            return MANIFOLD_OK;
        }
        if (name.len > 1 && name.ptr[0] == 't') {
            char digits[16];
            size_t n = name.len - 1 < sizeof digits - 1 ? name.len - 1 : sizeof digits - 1;
            memcpy(digits, name.ptr + 1, n);
            digits[n] = 0;
            char *stop;
            long k = strtol(digits, &stop, 10);
            if (stop == digits + n && n > 0 && k >= 0 && k < b->fillers) {
                if (int_arg(call, input, "x", &x)) complete_int(call, x + k);
                return MANIFOLD_OK;
            }
        }
        return MANIFOLD_ERR_NOT_FOUND;
    }
    if (kind == MANIFOLD_KIND_RESOURCE && named(name, "data://bench/config")) {
        host->complete(call, MANIFOLD_OK,
                       bytes_of("{\"contents\":[{\"uri\":\"data://bench/config\",\"mimeType\":\"application/json\","
                                "\"text\":\"{\\\"v\\\": 1}\"}]}"));
        return MANIFOLD_OK;
    }
    if (kind == MANIFOLD_KIND_PROMPT && named(name, "greet")) {
        manifold_bytes who;
        if (manifold_json_string_literal(input, "name", &who) != MANIFOLD_JSON_OK) return MANIFOLD_ERR_INVALID_ARGUMENTS;
        char buf[512];
        int n = snprintf(buf, sizeof buf,
                         "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\",\"text\":\"Hello %.*s\"}}]}",
                         (int)who.len - 2, who.ptr + 1);
        manifold_bytes out = { buf, (size_t)n };
        host->complete(call, MANIFOLD_OK, out);
        return MANIFOLD_OK;
    }
    return MANIFOLD_ERR_NOT_FOUND;
}

static void bench_shutdown(void *instance) {
    bench *b = instance;
    free(b->tools_json);
    free(b);
}

static const manifold_plugin_v1 descriptor = {
    .struct_size = sizeof(manifold_plugin_v1),
    .abi_major = MANIFOLD_ABI_MAJOR,
    .abi_minor = MANIFOLD_ABI_MINOR,
    .id = "bench",
    .version = "1.0.0",
    .runtime_tag = NULL,
    .flags = MANIFOLD_PLUGIN_FLAG_CONCURRENT_CALLS | MANIFOLD_PLUGIN_FLAG_NONBLOCKING_CALLS | MANIFOLD_PLUGIN_FLAG_UNLOADABLE,
    .init = bench_init,
    .list = bench_list,
    .call = bench_call,
    .cancel = NULL,
    .shutdown = bench_shutdown,
};

__attribute__((visibility("default")))
const manifold_plugin_v1 *manifold_plugin_entry_v1(const manifold_host_api_v1 *host_api) {
    if (host_api->abi_major != MANIFOLD_ABI_MAJOR) return NULL;
    host = host_api;
    return &descriptor;
}
