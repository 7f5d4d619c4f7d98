/*
 * Test fixture `crashy`: a plain C plugin for the reload and isolation tests.
 *
 * Tools (concurrent calls):
 *   ok          answers "ok <variant>"                       — the plugin is alive
 *   version     answers the variant (structuredContent {"variant": …})
 *   crash       dereferences NULL: SIGSEGV                   — isolation tests
 *   block       waits until `release` is called on the same instance (or the call is cancelled)
 *   release     opens this instance's gate: every `block` in flight returns "released"
 *   spin        burns CPU until cancelled                    — limits.cpuSeconds
 *   hog {mb}    mallocs and touches `mb` MiB; a tool error when malloc fails — limits.addressSpaceMB
 *
 * Config: {"variant": "…"} overrides the variant; {"crashOnInit": true} segfaults in init.
 *
 * Compile-time switches, for tests that build their own variants with `cc -shared -fPIC`:
 *   -DCRASHY_VARIANT='"b"'   the default variant (also put in every tool's description, so two
 *                            builds differ in their catalog and a swap is a list change)
 *   -DCRASHY_INIT_SEGFAULT   init always segfaults (a library that crashes during discovery)
 *   -DCRASHY_ID='"other"'    another plugin id
 *   -DCRASHY_UNLOADABLE      declares MANIFOLD_PLUGIN_FLAG_UNLOADABLE, so the host may dlclose
 *                            the image after shutdown (only honoured for a library built with
 *                            plain `cc`: SwiftPM links every product with the Swift runtime)
 */
#include "manifold_plugin.h"
#include "manifold_json.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CRASHY_VARIANT
#define CRASHY_VARIANT "built-in"
#endif
#ifndef CRASHY_ID
#define CRASHY_ID "crashy"
#endif
#ifdef CRASHY_UNLOADABLE
#define CRASHY_FLAGS (MANIFOLD_PLUGIN_FLAG_CONCURRENT_CALLS | MANIFOLD_PLUGIN_FLAG_UNLOADABLE)
#else
#define CRASHY_FLAGS MANIFOLD_PLUGIN_FLAG_CONCURRENT_CALLS
#endif

static const manifold_host_api_v1 *host;

typedef struct crashy {
    char variant[64];
    pthread_mutex_t lock;
    pthread_cond_t opened;
    int gate_open;
    int blocked;
} crashy;

static manifold_bytes bytes_of(const char *s) { manifold_bytes b = { s, strlen(s) }; return b; }
static int named(manifold_bytes name, const char *s) { return name.len == strlen(s) && memcmp(name.ptr, s, name.len) == 0; }

static void complete_text(manifold_call_host *call, const char *text, int is_error) {
    char buf[512];
    int n = snprintf(buf, sizeof buf, "{\"content\":[{\"type\":\"text\",\"text\":\"%s\"}]%s}", text,
                     is_error ? ",\"isError\":true" : "");
    manifold_bytes b = { buf, (size_t)n };
    host->complete(call, MANIFOLD_OK, b);
}

static void segfault(void) {
    /* A volatile pointer: the compiler cannot prove it null, so it cannot treat the store as
     * undefined behaviour and delete the path (gcc -O1 does, for a plain null pointer). */
    volatile int *volatile nowhere = (volatile int *)0;
    *nowhere = 42;
    raise(SIGSEGV); /* in case the store was somehow survivable */
}

static manifold_status crashy_init(manifold_plugin_host *plugin, manifold_bytes config, void **instance) {
    (void)plugin;
#ifdef CRASHY_INIT_SEGFAULT
    segfault();
#endif
    const char *v = NULL, *end = NULL;
    if (manifold_json_member(config, "crashOnInit", &v, &end) && end - v == 4 && memcmp(v, "true", 4) == 0) segfault();
    crashy *c = calloc(1, sizeof *c);
    if (!c) return MANIFOLD_ERR_INTERNAL;
    snprintf(c->variant, sizeof c->variant, "%s", CRASHY_VARIANT);
    manifold_bytes variant;
    if (manifold_json_string_literal(config, "variant", &variant) == MANIFOLD_JSON_OK && variant.len >= 2) {
        int n = (int)variant.len - 2; /* without the quotes */
        if (n > (int)sizeof c->variant - 1) n = (int)sizeof c->variant - 1;
        memcpy(c->variant, variant.ptr + 1, (size_t)n);
        c->variant[n] = 0;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->opened, NULL);
    *instance = c;
    return MANIFOLD_OK;
}

#define TOOL(name, description, properties) \
    "{\"name\":\"" name "\",\"description\":\"" description " (%s)\",\"inputSchema\":{\"type\":\"object\"," \
    "\"properties\":{" properties "}}}"

static manifold_status crashy_list(void *instance, manifold_kind kind, manifold_call_host *call) {
    crashy *c = instance;
    if (kind != MANIFOLD_KIND_TOOL) {
        host->complete(call, MANIFOLD_OK, bytes_of("[]"));
        return MANIFOLD_OK;
    }
    char buf[2048];
    const char *v = c->variant;
    int n = snprintf(buf, sizeof buf,
                     "[" TOOL("ok", "Answers ok", "") "," TOOL("version", "The variant", "") ","
                     TOOL("crash", "Segfaults", "") "," TOOL("block", "Waits for release", "") ","
                     TOOL("release", "Releases the blocked calls", "") "," TOOL("spin", "Burns CPU until cancelled", "") ","
                     TOOL("hog", "Allocates mb MiB", "\"mb\":{\"type\":\"integer\"}") "]",
                     v, v, v, v, v, v, v);
    manifold_bytes b = { buf, (size_t)n };
    host->complete(call, MANIFOLD_OK, b);
    return MANIFOLD_OK;
}

static manifold_status crashy_call(void *instance, manifold_call_host *call, manifold_kind kind,
                                   manifold_bytes name, manifold_bytes input) {
    crashy *c = instance;
    if (kind != MANIFOLD_KIND_TOOL) return MANIFOLD_ERR_NOT_FOUND;
    char text[256];
    if (named(name, "ok")) {
        snprintf(text, sizeof text, "ok %s", c->variant);
        complete_text(call, text, 0);
        return MANIFOLD_OK;
    }
    if (named(name, "version")) {
        char buf[256];
        int n = snprintf(buf, sizeof buf,
                         "{\"content\":[{\"type\":\"text\",\"text\":\"%s\"}],\"structuredContent\":{\"variant\":\"%s\"}}",
                         c->variant, c->variant);
        manifold_bytes b = { buf, (size_t)n };
        host->complete(call, MANIFOLD_OK, b);
        return MANIFOLD_OK;
    }
    if (named(name, "crash")) {
        segfault();
        return MANIFOLD_ERR_INTERNAL;
    }
    if (named(name, "block")) {
        pthread_mutex_lock(&c->lock);
        c->blocked++;
        int cancelled = host->is_cancelled(call);
        while (!c->gate_open && !cancelled) {
            /* Woken by release, or re-checked for cancellation when crashy_cancel broadcasts. */
            pthread_cond_wait(&c->opened, &c->lock);
            cancelled = host->is_cancelled(call);
        }
        c->blocked--;
        pthread_mutex_unlock(&c->lock);
        if (cancelled && !c->gate_open) {
            host->complete(call, MANIFOLD_ERR_CANCELLED, bytes_of("cancelled"));
            return MANIFOLD_OK;
        }
        snprintf(text, sizeof text, "released %s", c->variant);
        complete_text(call, text, 0);
        return MANIFOLD_OK;
    }
    if (named(name, "release")) {
        pthread_mutex_lock(&c->lock);
        c->gate_open = 1;
        pthread_cond_broadcast(&c->opened);
        int waiting = c->blocked;
        pthread_mutex_unlock(&c->lock);
        snprintf(text, sizeof text, "released %d", waiting);
        complete_text(call, text, 0);
        return MANIFOLD_OK;
    }
    if (named(name, "spin")) {
        volatile unsigned long long x = 0;
        while (!host->is_cancelled(call)) {
            for (int i = 0; i < 1000000; i++) x += (unsigned long long)i;
        }
        host->complete(call, MANIFOLD_ERR_CANCELLED, bytes_of("cancelled"));
        return MANIFOLD_OK;
    }
    if (named(name, "hog")) {
        long long mb = 0;
        if (manifold_json_int64(input, "mb", &mb) != MANIFOLD_JSON_OK || mb <= 0) {
            complete_text(call, "argument 'mb' must be a positive integer", 1);
            return MANIFOLD_OK;
        }
        size_t size = (size_t)mb << 20;
        char *memory = malloc(size);
        if (!memory) {
            snprintf(text, sizeof text, "malloc of %lld MiB failed", mb);
            complete_text(call, text, 1);
            return MANIFOLD_OK;
        }
        for (size_t i = 0; i < size; i += 4096) memory[i] = 1;
        free(memory);
        snprintf(text, sizeof text, "allocated %lld MiB", mb);
        complete_text(call, text, 0);
        return MANIFOLD_OK;
    }
    return MANIFOLD_ERR_NOT_FOUND;
}

static void crashy_cancel(void *instance, manifold_call_host *call) {
    (void)call;
    crashy *c = instance;
    pthread_mutex_lock(&c->lock);
    pthread_cond_broadcast(&c->opened);
    pthread_mutex_unlock(&c->lock);
}

static void crashy_shutdown(void *instance) {
    crashy *c = instance;
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->opened);
    free(c);
}

static const manifold_plugin_v1 descriptor = {
    .struct_size = sizeof(manifold_plugin_v1),
    .abi_major = MANIFOLD_ABI_MAJOR,
    .abi_minor = MANIFOLD_ABI_MINOR,
    .id = CRASHY_ID,
    .version = "1.0.0",
    .runtime_tag = NULL,
    .flags = CRASHY_FLAGS,
    .init = crashy_init,
    .list = crashy_list,
    .call = crashy_call,
    .cancel = crashy_cancel,
    .shutdown = crashy_shutdown,
};

__attribute__((visibility("default")))
const manifold_plugin_v1 *manifold_plugin_entry_v1(const manifold_host_api_v1 *h) {
    host = h;
    return &descriptor;
}
