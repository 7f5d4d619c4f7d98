/* See ffitest.h. Plain C, no Manifold headers. */
#include "ffitest.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT int8_t ffitest_i8(int8_t x) { return x; }
EXPORT int16_t ffitest_i16(int16_t x) { return x; }
EXPORT int32_t ffitest_i32(int32_t x) { return x; }
EXPORT int64_t ffitest_i64(int64_t x) { return x; }
EXPORT uint8_t ffitest_u8(uint8_t x) { return x; }
EXPORT uint16_t ffitest_u16(uint16_t x) { return x; }
EXPORT uint32_t ffitest_u32(uint32_t x) { return x; }
EXPORT uint64_t ffitest_u64(uint64_t x) { return x; }
EXPORT size_t ffitest_size(size_t x) { return x; }
EXPORT int8_t ffitest_add_i8(int8_t a, int8_t b) { return (int8_t)(uint8_t)((uint8_t)a + (uint8_t)b); }
EXPORT uint64_t ffitest_mul_u64(uint64_t a, uint64_t b) { return a * b; }

EXPORT float ffitest_f32_scale(float x, float factor) { return x * factor; }
EXPORT double ffitest_f64_div(double a, double b) { return a / b; }
EXPORT bool ffitest_not(bool b) { return !b; }
EXPORT bool ffitest_is_positive(double x) { return x > 0; }

EXPORT int32_t ffitest_describe(int8_t a, uint8_t b, int16_t c, uint16_t d, int32_t e, uint32_t f, int64_t g,
                                uint64_t h, float i, double j, bool k, size_t l, char *out, size_t cap) {
    return snprintf(out, cap, "%d %u %d %u %" PRId32 " %" PRIu32 " %" PRId64 " %" PRIu64 " %.9g %.17g %s %zu",
                    a, b, c, d, e, f, g, h, (double)i, j, k ? "true" : "false", l);
}

EXPORT size_t ffitest_count_byte(const char *s, uint8_t byte) {
    size_t n = 0;
    for (; *s; s++) n += (uint8_t)*s == byte;
    return n;
}

EXPORT uint32_t ffitest_fnv1a(const uint8_t *data, size_t len) {
    uint32_t h = 2166136261u;
    for (size_t k = 0; k < len; k++) { h ^= data[k]; h *= 16777619u; }
    return h;
}

EXPORT bool ffitest_divmod(int32_t a, int32_t b, int32_t *quotient, int32_t *remainder) {
    if (b == 0 || (a == INT32_MIN && b == -1)) { *quotient = 0; *remainder = 0; return false; }
    *quotient = a / b;
    *remainder = a % b;
    return true;
}

EXPORT void ffitest_minmax_f64(double a, double b, double *min, double *max) {
    *min = a < b ? a : b;
    *max = a < b ? b : a;
}

EXPORT int32_t ffitest_greet(const char *name, char *out, size_t cap) {
    return snprintf(out, cap, "Hello, %s!", name);
}

EXPORT size_t ffitest_fill(uint8_t *out, size_t cap, uint8_t seed, size_t count) {
    size_t n = count < cap ? count : cap;
    for (size_t k = 0; k < n; k++) out[k] = (uint8_t)(seed + k * 7);
    return n;
}

static const char version[] = "ffitest 1.0";
EXPORT void ffitest_version_out(const char **out) { *out = version; }
EXPORT const char *ffitest_version(void) { return version; }

static int live = 0;

static char *track(char *p) { if (p) __atomic_add_fetch(&live, 1, __ATOMIC_SEQ_CST); return p; }

EXPORT void ffitest_upper_dup(const char *s, char **out) {
    size_t n = strlen(s);
    char *copy = track(malloc(n + 1));
    for (size_t k = 0; k <= n; k++) copy[k] = (char)toupper((unsigned char)s[k]);
    *out = copy;
}

EXPORT const char *ffitest_find(const char *s, uint8_t c) { return strchr(s, c); }

EXPORT char *ffitest_repeat(const char *s, int32_t times) {
    if (times < 0) return NULL;
    size_t n = strlen(s);
    char *r = track(malloc(n * (size_t)times + 1));
    for (int32_t k = 0; k < times; k++) memcpy(r + n * (size_t)k, s, n);
    r[n * (size_t)times] = 0;
    return r;
}

EXPORT void ffitest_free(char *p) {
    if (p) { __atomic_sub_fetch(&live, 1, __ATOMIC_SEQ_CST); free(p); }
}

EXPORT int32_t ffitest_live_allocations(void) { return __atomic_load_n(&live, __ATOMIC_SEQ_CST); }

EXPORT int32_t ffitest_parse_i32(const char *s) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != 0) { errno = EINVAL; return 0; }
    if (errno == ERANGE || v > INT32_MAX || v < INT32_MIN) { errno = ERANGE; return 0; }
    return (int32_t)v;
}

EXPORT int32_t ffitest_fail_with(int32_t code) { errno = code; return -1; }

EXPORT int64_t ffitest_sum_i64(int32_t n, ...) {
    va_list ap;
    va_start(ap, n);
    int64_t sum = 0;
    for (int32_t k = 0; k < n; k++) sum += va_arg(ap, int64_t);
    va_end(ap);
    return sum;
}

EXPORT double ffitest_avg_f64(int32_t n, ...) {
    va_list ap;
    va_start(ap, n);
    double sum = 0;
    for (int32_t k = 0; k < n; k++) sum += va_arg(ap, double);
    va_end(ap);
    return n > 0 ? sum / n : 0;
}

EXPORT int32_t ffitest_sum_small(int32_t n, ...) {
    va_list ap;
    va_start(ap, n);
    int32_t sum = 0;
    for (int32_t k = 0; k < n; k++) sum += va_arg(ap, int);
    va_end(ap);
    return sum;
}

EXPORT int32_t ffitest_scale(int32_t x, int32_t factor) { return x * factor; }

EXPORT int32_t ffitest_crash(int32_t x) {
    volatile int32_t *p = (volatile int32_t *)(intptr_t)(x - x);
    return *p + x;
}
