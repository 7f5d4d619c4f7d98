/*
 * manifold_json.h — a convenience for plugins written in C: reading members of the flat JSON
 * objects that arrive as tool arguments, without a JSON library. NOT part of the ABI; header
 * only; no allocation. Every function takes a borrowed manifold_bytes view of a JSON object.
 *
 *     double a;
 *     switch (manifold_json_number(args, "a", &a)) {
 *     case MANIFOLD_JSON_MISSING:  ... "argument 'a' is required"
 *     case MANIFOLD_JSON_WRONG_TYPE: ... "argument 'a' must be a number"
 *     case MANIFOLD_JSON_OK: ...
 *     }
 */
#ifndef MANIFOLD_JSON_H
#define MANIFOLD_JSON_H

#include "manifold_plugin.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef enum manifold_json_result {
    MANIFOLD_JSON_OK = 1,
    MANIFOLD_JSON_MISSING = 0,
    MANIFOLD_JSON_WRONG_TYPE = -1
} manifold_json_result;

static inline const char *manifold_json_skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) p++;
    return p;
}

/* Skips one JSON value at p; returns the position after it, or NULL when malformed. */
static inline const char *manifold_json_skip_value(const char *p, const char *end) {
    p = manifold_json_skip_ws(p, end);
    if (p >= end) return NULL;
    if (*p == '"') {
        for (p++; p < end; p++) {
            if (*p == '\\') { p++; continue; }
            if (*p == '"') return p + 1;
        }
        return NULL;
    }
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < end) {
            if (*p == '"') { p = manifold_json_skip_value(p, end); if (!p) return NULL; continue; }
            if (*p == '{' || *p == '[') depth++;
            else if (*p == '}' || *p == ']') { if (--depth == 0) return p + 1; }
            p++;
        }
        return NULL;
    }
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') p++;
    return p;
}

/* Finds top-level member `key` of the object; on success sets [*value, *value_end). */
static inline int manifold_json_member(manifold_bytes json, const char *key, const char **value, const char **value_end) {
    const char *p = json.ptr, *end = json.ptr + json.len;
    size_t key_len = strlen(key);
    p = manifold_json_skip_ws(p, end);
    if (p >= end || *p != '{') return 0;
    p++;
    for (;;) {
        p = manifold_json_skip_ws(p, end);
        if (p < end && *p == ',') p = manifold_json_skip_ws(p + 1, end);
        if (p >= end || *p != '"') return 0;
        const char *k = p + 1;
        const char *after_key = manifold_json_skip_value(p, end);
        if (!after_key) return 0;
        size_t len = (size_t)(after_key - 1 - k);
        p = manifold_json_skip_ws(after_key, end);
        if (p >= end || *p != ':') return 0;
        const char *v = manifold_json_skip_ws(p + 1, end);
        const char *v_end = manifold_json_skip_value(v, end);
        if (!v_end) return 0;
        if (len == key_len && memcmp(k, key, len) == 0) {
            *value = v;
            *value_end = v_end;
            return 1;
        }
        p = v_end;
    }
}

/* A number member as a double. */
static inline manifold_json_result manifold_json_number(manifold_bytes json, const char *key, double *out) {
    const char *v, *v_end;
    if (!manifold_json_member(json, key, &v, &v_end) || (v_end - v == 4 && memcmp(v, "null", 4) == 0))
        return MANIFOLD_JSON_MISSING;
    if (!(*v == '-' || (*v >= '0' && *v <= '9'))) return MANIFOLD_JSON_WRONG_TYPE;
    char buf[64];
    size_t n = (size_t)(v_end - v) < sizeof buf - 1 ? (size_t)(v_end - v) : sizeof buf - 1;
    memcpy(buf, v, n);
    buf[n] = 0;
    char *stop;
    *out = strtod(buf, &stop);
    return stop == buf + n ? MANIFOLD_JSON_OK : MANIFOLD_JSON_WRONG_TYPE;
}

/* An integer member (no fraction, no exponent, within int64). */
static inline manifold_json_result manifold_json_int64(manifold_bytes json, const char *key, long long *out) {
    const char *v, *v_end;
    if (!manifold_json_member(json, key, &v, &v_end) || (v_end - v == 4 && memcmp(v, "null", 4) == 0))
        return MANIFOLD_JSON_MISSING;
    char buf[32];
    size_t n = (size_t)(v_end - v);
    if (n == 0 || n >= sizeof buf) return MANIFOLD_JSON_WRONG_TYPE;
    memcpy(buf, v, n);
    buf[n] = 0;
    char *stop;
    errno = 0;
    *out = strtoll(buf, &stop, 10);
    return (stop == buf + n && errno == 0) ? MANIFOLD_JSON_OK : MANIFOLD_JSON_WRONG_TYPE;
}

/* A string member, as its raw JSON literal including the quotes (escapes left as they are),
 * ready to be copied into JSON output unchanged. */
static inline manifold_json_result manifold_json_string_literal(manifold_bytes json, const char *key, manifold_bytes *out) {
    const char *v, *v_end;
    if (!manifold_json_member(json, key, &v, &v_end) || (v_end - v == 4 && memcmp(v, "null", 4) == 0))
        return MANIFOLD_JSON_MISSING;
    if (*v != '"') return MANIFOLD_JSON_WRONG_TYPE;
    out->ptr = v;
    out->len = (size_t)(v_end - v);
    return MANIFOLD_JSON_OK;
}

#endif /* MANIFOLD_JSON_H */
