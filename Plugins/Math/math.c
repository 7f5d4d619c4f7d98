/*
 * Math — a first-party plugin in plain C, written against manifold_plugin.h alone: proof that
 * the ABI is language-neutral. Tools: add, multiply, divide, sqrt, stats (public), and
 * reset_memory (admin: host filters usually hide it). A resource with constants, a template
 * that evaluates a constant by name, and a prompt.
 */
#include "manifold_plugin.h"
#include "manifold_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const manifold_host_api_v1 *host;

/* ---- results --------------------------------------------------------------------------- */

static manifold_bytes bytes_of(const char *s) { manifold_bytes b = { s, strlen(s) }; return b; }

static void complete_text(manifold_call_host *call, const char *text, int is_error) {
    char buf[512];
    snprintf(buf, sizeof buf, "{\"content\":[{\"type\":\"text\",\"text\":\"%s\"}]%s}", text,
             is_error ? ",\"isError\":true" : "");
    host->complete(call, MANIFOLD_OK, bytes_of(buf));
}

static void complete_number(manifold_call_host *call, double value) {
    char number[64], buf[256];
    if (value == (double)(long long)value && fabs(value) < 1e15)
        snprintf(number, sizeof number, "%lld", (long long)value);
    else
        snprintf(number, sizeof number, "%.17g", value);
    snprintf(buf, sizeof buf,
             "{\"content\":[{\"type\":\"text\",\"text\":\"%s\"}],\"structuredContent\":{\"result\":%s}}",
             number, number);
    host->complete(call, MANIFOLD_OK, bytes_of(buf));
}

/* Reads the two operands a and b, or completes with an isError result naming the problem. */
static int operands(manifold_call_host *call, manifold_bytes args, double *a, double *b) {
    const char *names[2] = { "a", "b" };
    double *outs[2] = { a, b };
    for (int i = 0; i < 2; i++) {
        manifold_json_result r = manifold_json_number(args, names[i], outs[i]);
        if (r != MANIFOLD_JSON_OK) {
            char msg[128];
            snprintf(msg, sizeof msg, "argument '%s' %s", names[i], r == MANIFOLD_JSON_MISSING ? "is required" : "must be a number");
            complete_text(call, msg, 1);
            return 0;
        }
    }
    return 1;
}

/* ---- catalog --------------------------------------------------------------------------- */

#define BINARY_SCHEMA                                                                          \
    "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\",\"description\":\"first operand\"}," \
    "\"b\":{\"type\":\"number\",\"description\":\"second operand\"}},\"required\":[\"a\",\"b\"],"        \
    "\"additionalProperties\":false}"
#define RESULT_SCHEMA "{\"type\":\"object\",\"properties\":{\"result\":{\"type\":\"number\"}},\"required\":[\"result\"]}"

static const char *TOOLS =
    "["
    "{\"name\":\"add\",\"title\":\"Add\",\"description\":\"Add two numbers.\",\"inputSchema\":" BINARY_SCHEMA
    ",\"outputSchema\":" RESULT_SCHEMA ",\"annotations\":{\"readOnlyHint\":true,\"idempotentHint\":true},\"tags\":[\"public\"]},"
    "{\"name\":\"multiply\",\"description\":\"Multiply two numbers.\",\"inputSchema\":" BINARY_SCHEMA
    ",\"outputSchema\":" RESULT_SCHEMA ",\"annotations\":{\"readOnlyHint\":true},\"tags\":[\"public\"]},"
    "{\"name\":\"divide\",\"description\":\"Divide a by b; dividing by zero is an error the model can correct.\","
    "\"inputSchema\":" BINARY_SCHEMA ",\"outputSchema\":" RESULT_SCHEMA ",\"tags\":[\"public\"]},"
    "{\"name\":\"sqrt\",\"description\":\"Square root of x.\",\"inputSchema\":{\"type\":\"object\",\"properties\":"
    "{\"x\":{\"type\":\"number\",\"minimum\":0}},\"required\":[\"x\"],\"additionalProperties\":false},"
    "\"outputSchema\":" RESULT_SCHEMA ",\"tags\":[\"public\"]},"
    "{\"name\":\"hello\",\"description\":\"Prints a greeting to stdout (to show the host keeps stdout for the protocol) and returns it.\","
    "\"inputSchema\":{\"type\":\"object\",\"additionalProperties\":false},\"tags\":[\"public\"]},"
    "{\"name\":\"reset_memory\",\"description\":\"Clear the calculator memory (administrators only).\","
    "\"inputSchema\":{\"type\":\"object\",\"additionalProperties\":false},\"annotations\":{\"destructiveHint\":true},"
    "\"tags\":[\"admin\"]}"
    "]";

static const char *RESOURCES =
    "[{\"uri\":\"math://constants\",\"name\":\"constants\",\"title\":\"Mathematical constants\","
    "\"description\":\"pi, e and the golden ratio.\",\"mimeType\":\"application/json\",\"tags\":[\"public\"]}]";

static const char *TEMPLATES =
    "[{\"uriTemplate\":\"math://constants/{name}\",\"name\":\"constant\",\"description\":\"One constant by name (pi, e, phi).\","
    "\"mimeType\":\"text/plain\",\"tags\":[\"public\"]}]";

static const char *PROMPTS =
    "[{\"name\":\"explain\",\"description\":\"Ask for a step-by-step explanation of a calculation.\","
    "\"arguments\":[{\"name\":\"expression\",\"description\":\"The expression to explain\",\"required\":true}],"
    "\"tags\":[\"public\"]}]";

/* ---- plugin functions ------------------------------------------------------------------ */

static manifold_status math_init(manifold_plugin_host *plugin, manifold_bytes config, void **instance) {
    (void)plugin; (void)config;
    *instance = NULL;
    return MANIFOLD_OK;
}

static manifold_status math_list(void *instance, manifold_kind kind, manifold_call_host *call) {
    (void)instance;
    const char *json = kind == MANIFOLD_KIND_TOOL ? TOOLS
                     : kind == MANIFOLD_KIND_RESOURCE ? RESOURCES
                     : kind == MANIFOLD_KIND_RESOURCE_TEMPLATE ? TEMPLATES
                     : kind == MANIFOLD_KIND_PROMPT ? PROMPTS : "[]";
    host->complete(call, MANIFOLD_OK, bytes_of(json));
    return MANIFOLD_OK;
}

static int named(manifold_bytes name, const char *s) { return name.len == strlen(s) && memcmp(name.ptr, s, name.len) == 0; }

static const char *constant_value(const char *name, size_t len) {
    if (len == 2 && memcmp(name, "pi", 2) == 0) return "3.141592653589793";
    if (len == 1 && name[0] == 'e') return "2.718281828459045";
    if (len == 3 && memcmp(name, "phi", 3) == 0) return "1.618033988749895";
    return NULL;
}

static manifold_status math_call(void *instance, manifold_call_host *call, manifold_kind kind,
                                 manifold_bytes name, manifold_bytes input) {
    (void)instance;
    double a, b;
    if (kind == MANIFOLD_KIND_TOOL) {
        if (named(name, "add")) { if (operands(call, input, &a, &b)) complete_number(call, a + b); return MANIFOLD_OK; }
        if (named(name, "multiply")) { if (operands(call, input, &a, &b)) complete_number(call, a * b); return MANIFOLD_OK; }
        if (named(name, "divide")) {
            if (!operands(call, input, &a, &b)) return MANIFOLD_OK;
            if (b == 0) complete_text(call, "cannot divide by zero: choose a non-zero 'b'", 1);
            else complete_number(call, a / b);
            return MANIFOLD_OK;
        }
        if (named(name, "sqrt")) {
            manifold_json_result r = manifold_json_number(input, "x", &a);
            if (r != MANIFOLD_JSON_OK)
                complete_text(call, r == MANIFOLD_JSON_MISSING ? "argument 'x' is required" : "argument 'x' must be a number", 1);
            else if (a < 0) complete_text(call, "argument 'x' must be >= 0", 1);
            else complete_number(call, sqrt(a));
            return MANIFOLD_OK;
        }
        if (named(name, "hello")) {
            printf("hello from the math plugin's printf\n");
            fflush(stdout);
            complete_text(call, "hello from math", 0);
            return MANIFOLD_OK;
        }
        if (named(name, "reset_memory")) { complete_text(call, "memory cleared", 0); return MANIFOLD_OK; }
        return MANIFOLD_ERR_NOT_FOUND;
    }
    if (kind == MANIFOLD_KIND_RESOURCE) {
        char buf[512];
        if (named(name, "math://constants")) {
            snprintf(buf, sizeof buf,
                     "{\"contents\":[{\"uri\":\"math://constants\",\"mimeType\":\"application/json\","
                     "\"text\":\"{\\\"pi\\\":3.141592653589793,\\\"e\\\":2.718281828459045,\\\"phi\\\":1.618033988749895}\"}]}");
            host->complete(call, MANIFOLD_OK, bytes_of(buf));
            return MANIFOLD_OK;
        }
        const char *prefix = "math://constants/";
        size_t plen = strlen(prefix);
        if (name.len > plen && memcmp(name.ptr, prefix, plen) == 0) {
            const char *value = constant_value(name.ptr + plen, name.len - plen);
            if (!value) return MANIFOLD_ERR_NOT_FOUND;
            snprintf(buf, sizeof buf, "{\"contents\":[{\"uri\":\"%.*s\",\"mimeType\":\"text/plain\",\"text\":\"%s\"}]}",
                     (int)name.len, name.ptr, value);
            host->complete(call, MANIFOLD_OK, bytes_of(buf));
            return MANIFOLD_OK;
        }
        return MANIFOLD_ERR_NOT_FOUND;
    }
    if (kind == MANIFOLD_KIND_PROMPT && named(name, "explain")) {
        manifold_bytes expression;
        if (manifold_json_string_literal(input, "expression", &expression) != MANIFOLD_JSON_OK)
            return MANIFOLD_ERR_INVALID_ARGUMENTS;
        char buf[1024];
        snprintf(buf, sizeof buf,
                 "{\"description\":\"Explain a calculation\",\"messages\":[{\"role\":\"user\",\"content\":"
                 "{\"type\":\"text\",\"text\":\"Explain step by step how to compute %.*s.\"}}]}",
                 (int)expression.len - 2, expression.ptr + 1);
        host->complete(call, MANIFOLD_OK, bytes_of(buf));
        return MANIFOLD_OK;
    }
    if (kind == MANIFOLD_KIND_COMPLETION) {
        /* Complete the `name` of math://constants/{name}. */
        host->complete(call, MANIFOLD_OK,
                       bytes_of("{\"completion\":{\"values\":[\"pi\",\"e\",\"phi\"],\"total\":3,\"hasMore\":false}}"));
        return MANIFOLD_OK;
    }
    return MANIFOLD_ERR_NOT_FOUND;
}

static const manifold_plugin_v1 descriptor = {
    .struct_size = sizeof(manifold_plugin_v1),
    .abi_major = MANIFOLD_ABI_MAJOR,
    .abi_minor = MANIFOLD_ABI_MINOR,
    .id = "math",
    .version = "1.0.0",
    .runtime_tag = NULL,
    .flags = MANIFOLD_PLUGIN_FLAG_CONCURRENT_CALLS | MANIFOLD_PLUGIN_FLAG_UNLOADABLE,
    .init = math_init,
    .list = math_list,
    .call = math_call,
    .cancel = NULL,
    .shutdown = NULL,
};

__attribute__((visibility("default")))
const manifold_plugin_v1 *manifold_plugin_entry_v1(const manifold_host_api_v1 *host_api) {
    if (host_api->abi_major != MANIFOLD_ABI_MAJOR) return NULL;
    host = host_api;
    return &descriptor;
}
