/* The expected results of the ffi example tools, computed by calling the C functions directly.
 *
 * Tests/python/test_ffi.py compiles this file (cc -fno-builtin, linking libm, libz and
 * libFFITest), runs it, and calls every tool listed here through a real MCP client; the tool's
 * structuredContent must equal "expected" (numbers compared exactly, after JSON parsing) or,
 * for "error" cases, the result must be isError. One JSON object per line:
 *
 *   {"tool": "m_pow", "args": {...}, "expected": {"result": 1024, "errno": 0}}
 *   {"tool": "m_log", "args": {...}, "error": true}
 *
 * Tool names carry the prefixes of manifests/ffi/host.yaml: m_ libm, z_ zlib, c_ libc, t_ FFITest.
 * -fno-builtin keeps the compiler from folding math calls (and from skipping errno). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ffitest.h"

static int first;

static void begin(const char *tool, const char *args) {
    printf("{\"tool\":\"%s\",\"args\":%s,\"expected\":{", tool, args);
    first = 1;
}
static void end(void) { printf("}}\n"); }
static void error_case(const char *tool, const char *args) {
    printf("{\"tool\":\"%s\",\"args\":%s,\"error\":true}\n", tool, args);
}
static void key(const char *k) {
    printf(first ? "\"%s\":" : ",\"%s\":", k);
    first = 0;
}
static void v_int(const char *k, long long v) { key(k); printf("%lld", v); }
static void v_uint(const char *k, unsigned long long v) { key(k); printf("%llu", v); }
static void v_bool(const char *k, int v) { key(k); printf(v ? "true" : "false"); }
static void v_double(const char *k, double v) {
    key(k);
    if (isnan(v)) printf("\"NaN\"");
    else if (isinf(v)) printf(v < 0 ? "\"-Infinity\"" : "\"Infinity\"");
    else printf("%.17g", v);
}
static void v_str(const char *k, const char *s) {
    key(k);
    if (!s) { printf("null"); return; }
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if (*p < 0x20) printf("\\u%04x", *p);
        else putchar(*p);
    }
    putchar('"');
}
static void v_b64(const char *k, const unsigned char *b, size_t n) {
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    key(k);
    putchar('"');
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)b[i] << 16 | (unsigned)b[i + 1] << 8 | b[i + 2];
        printf("%c%c%c%c", a[v >> 18 & 63], a[v >> 12 & 63], a[v >> 6 & 63], a[v & 63]);
    }
    if (n - i == 1) { unsigned v = (unsigned)b[i] << 16; printf("%c%c==", a[v >> 18 & 63], a[v >> 12 & 63]); }
    if (n - i == 2) {
        unsigned v = (unsigned)b[i] << 16 | (unsigned)b[i + 1] << 8;
        printf("%c%c%c=", a[v >> 18 & 63], a[v >> 12 & 63], a[v >> 6 & 63]);
    }
    putchar('"');
}

/* errno around one call, as the bridge does it. */
#define CALL_ERRNO(result, expr) do { errno = 0; result = (expr); saved = errno; } while (0)

static void libm_cases(void) {
    double r; int saved;
    CALL_ERRNO(r, pow(2, 10)); begin("m_pow", "{\"x\":2,\"y\":10}"); v_double("result", r); v_int("errno", saved); end();
    CALL_ERRNO(r, pow(2, 0.5)); begin("m_pow", "{\"x\":2,\"y\":0.5}"); v_double("result", r); v_int("errno", saved); end();
    CALL_ERRNO(r, pow(10, 400)); begin("m_pow", "{\"x\":10,\"y\":400}"); v_double("result", r); v_int("errno", saved); end();
    CALL_ERRNO(r, pow(-8, 1.0 / 3)); begin("m_pow", "{\"x\":-8,\"y\":0.3333333333333333}"); v_double("result", r); v_int("errno", saved); end();
    begin("m_cbrt", "{\"x\":27}"); v_double("result", cbrt(27)); end();
    begin("m_cbrt", "{\"x\":-2}"); v_double("result", cbrt(-2)); end();
    begin("m_hypot", "{\"x\":3,\"y\":4}"); v_double("result", hypot(3, 4)); end();
    begin("m_hypot", "{\"x\":1e308,\"y\":1e308}"); v_double("result", hypot(1e308, 1e308)); end();
    CALL_ERRNO(r, sqrt(2)); begin("m_sqrt", "{\"x\":2}"); v_double("result", r); v_int("errno", saved); end();
    CALL_ERRNO(r, sqrt(-1)); begin("m_sqrt", "{\"x\":-1}"); v_double("result", r); v_int("errno", saved); end();
    CALL_ERRNO(r, log(10)); begin("m_log", "{\"x\":10}"); v_double("result", r); v_int("errno", saved); end();
    CALL_ERRNO(r, log(-1));
    if (saved) error_case("m_log", "{\"x\":-1}");
    CALL_ERRNO(r, log(0));
    if (saved) error_case("m_log", "{\"x\":0}");
    begin("m_atan2", "{\"y\":1,\"x\":-1}"); v_double("result", atan2(1, -1)); end();
    begin("m_cosf", "{\"x\":1}"); v_double("result", (double)cosf(1.0f)); end();
    begin("m_cosf", "{\"x\":0.1}"); v_double("result", (double)cosf(0.1f)); end();
    begin("m_ldexp", "{\"x\":0.75,\"exp\":4}"); v_double("result", ldexp(0.75, 4)); end();
    begin("m_ldexp", "{\"x\":1,\"exp\":-1074}"); v_double("result", ldexp(1, -1074)); end();
    int e;
    double f = frexp(8, &e); begin("m_frexp", "{\"x\":8}"); v_double("result", f); v_int("exponent", e); end();
    f = frexp(-0.3, &e); begin("m_frexp", "{\"x\":-0.3}"); v_double("result", f); v_int("exponent", e); end();
    double ip;
    f = modf(3.75, &ip); begin("m_modf", "{\"x\":3.75}"); v_double("result", f); v_double("integral", ip); end();
    f = modf(-2.5, &ip); begin("m_modf", "{\"x\":-2.5}"); v_double("result", f); v_double("integral", ip); end();
    begin("m_lround", "{\"x\":2.5}"); v_int("result", lround(2.5)); end();
    begin("m_lround", "{\"x\":-2.5}"); v_int("result", lround(-2.5)); end();
    begin("m_lround", "{\"x\":1e18}"); v_int("result", lround(1e18)); end();
}

static void zlib_cases(void) {
    const unsigned char hello[] = "hello";
    begin("z_crc32", "{\"data\":\"aGVsbG8=\"}"); v_uint("result", crc32(0, hello, 5)); end();
    begin("z_crc32", "{\"data\":\"aGVsbG8=\",\"length\":5}"); v_uint("result", crc32(0, hello, 5)); end();
    begin("z_crc32", "{\"crc\":0,\"data\":\"\"}"); v_uint("result", crc32(0, hello, 0)); end();
    uLong part = crc32(0, hello, 3);
    char args[128];
    snprintf(args, sizeof args, "{\"crc\":%lu,\"data\":\"bG8=\"}", part);
    begin("z_crc32", args); v_uint("result", crc32(part, hello + 3, 2)); end();
    begin("z_adler32", "{\"data\":\"aGVsbG8=\"}"); v_uint("result", adler32(1, hello, 5)); end();
    begin("z_adler32", "{\"adler\":1,\"data\":\"aGVsbG8=\",\"length\":5}"); v_uint("result", adler32(1, hello, 5)); end();
    begin("z_compressBound", "{\"sourceLen\":1000}"); v_uint("result", compressBound(1000)); end();
    begin("z_compressBound", "{\"sourceLen\":0}"); v_uint("result", compressBound(0)); end();
    begin("z_zlibVersion", "{}"); v_str("result", zlibVersion()); end();
}

/* Cases whose args hold base64 computed here. */
static void begin_b64(const char *tool, const char *name, const unsigned char *b, size_t n) {
    printf("{\"tool\":\"%s\",\"args\":{", tool);
    first = 1;
    v_b64(name, b, n);
    printf("},\"expected\":{");
    first = 1;
}

static void binary_cases(void) {
    unsigned char all[256];
    for (int k = 0; k < 256; k++) all[k] = (unsigned char)k;
    begin_b64("z_crc32", "data", all, 256); v_uint("result", crc32(0, all, 256)); end();
    begin_b64("z_adler32", "data", all, 256); v_uint("result", adler32(1, all, 256)); end();
    begin_b64("t_fnv1a", "data", all, 256); v_uint("result", ffitest_fnv1a(all, 256)); end();
    begin_b64("t_fnv1a", "data", all, 1); v_uint("result", ffitest_fnv1a(all, 1)); end();
    begin_b64("t_fnv1a", "data", all + 250, 2); v_uint("result", ffitest_fnv1a(all + 250, 2)); end();
}

static void libc_cases(void) {
    begin("c_strlen", "{\"s\":\"h\\u00e9llo\"}"); v_uint("result", strlen("h\xc3\xa9llo")); end();
    begin("c_strlen", "{\"s\":\"\"}"); v_uint("result", strlen("")); end();
    begin("c_abs", "{\"n\":-5}"); v_int("result", abs(-5)); end();
    begin("c_abs", "{\"n\":2147483647}"); v_int("result", abs(2147483647)); end();
    char *rest; long r; int saved;
    CALL_ERRNO(r, strtol("123abc", &rest, 10));
    begin("c_strtol", "{\"s\":\"123abc\"}"); v_int("result", r); v_str("rest", rest); v_int("errno", saved); end();
    const char *big = "99999999999999999999 tail";
    CALL_ERRNO(r, strtol(big, &rest, 10));
    begin("c_strtol", "{\"s\":\"99999999999999999999 tail\"}"); v_int("result", r); v_str("rest", rest); v_int("errno", saved); end();
    CALL_ERRNO(r, strtol("ff", &rest, 16));
    begin("c_strtol", "{\"s\":\"ff\",\"base\":16}"); v_int("result", r); v_str("rest", rest); v_int("errno", saved); end();
    CALL_ERRNO(r, strtol("  -42", &rest, 0));
    begin("c_strtol", "{\"s\":\"  -42\",\"base\":0}"); v_int("result", r); v_str("rest", rest); v_int("errno", saved); end();
    begin("c_strerror", "{\"errnum\":2}"); v_str("result", strerror(2)); end();
    begin("c_strerror", "{\"errnum\":34}"); v_str("result", strerror(34)); end();
    char *copy = strdup("copy me");
    begin("c_strdup", "{\"s\":\"copy me\"}"); v_str("result", copy); end();
    free(copy);
    char out[256];
    int n = snprintf(out, sizeof out, "%s=%d", "answer", 42);
    begin("c_format_pair", "{\"key\":\"answer\",\"value\":42}"); v_int("result", n); v_str("out", out); end();
    n = snprintf(out, sizeof out, "%s=%d", "min", INT_MIN);
    begin("c_format_pair", "{\"key\":\"min\",\"value\":-2147483648}"); v_int("result", n); v_str("out", out); end();
}

static void ffitest_cases(void) {
    begin("t_i8", "{\"x\":-128}"); v_int("result", ffitest_i8(-128)); end();
    begin("t_i8", "{\"x\":127}"); v_int("result", ffitest_i8(127)); end();
    begin("t_i8", "{\"x\":0}"); v_int("result", ffitest_i8(0)); end();
    begin("t_i16", "{\"x\":-32768}"); v_int("result", ffitest_i16(-32768)); end();
    begin("t_i16", "{\"x\":32767}"); v_int("result", ffitest_i16(32767)); end();
    begin("t_i32", "{\"x\":-2147483648}"); v_int("result", ffitest_i32(INT32_MIN)); end();
    begin("t_i32", "{\"x\":2147483647}"); v_int("result", ffitest_i32(INT32_MAX)); end();
    begin("t_i64", "{\"x\":-9223372036854775808}"); v_int("result", ffitest_i64(INT64_MIN)); end();
    begin("t_i64", "{\"x\":9223372036854775807}"); v_int("result", ffitest_i64(INT64_MAX)); end();
    begin("t_u8", "{\"x\":0}"); v_uint("result", ffitest_u8(0)); end();
    begin("t_u8", "{\"x\":255}"); v_uint("result", ffitest_u8(255)); end();
    begin("t_u16", "{\"x\":65535}"); v_uint("result", ffitest_u16(65535)); end();
    begin("t_u32", "{\"x\":4294967295}"); v_uint("result", ffitest_u32(UINT32_MAX)); end();
    begin("t_u64", "{\"x\":0}"); v_uint("result", ffitest_u64(0)); end();
    begin("t_u64", "{\"x\":18446744073709551615}"); v_uint("result", ffitest_u64(UINT64_MAX)); end();
    begin("t_size", "{\"x\":18446744073709551615}"); v_uint("result", ffitest_size(SIZE_MAX)); end();
    begin("t_size", "{\"x\":0}"); v_uint("result", ffitest_size(0)); end();
    begin("t_add_i8", "{\"a\":100,\"b\":100}"); v_int("result", ffitest_add_i8(100, 100)); end();
    begin("t_add_i8", "{\"a\":-128,\"b\":-1}"); v_int("result", ffitest_add_i8(-128, -1)); end();
    begin("t_mul_u64", "{\"a\":4294967297,\"b\":4294967295}"); v_uint("result", ffitest_mul_u64(4294967297ULL, 4294967295ULL)); end();
    begin("t_mul_u64", "{\"a\":18446744073709551615,\"b\":2}"); v_uint("result", ffitest_mul_u64(UINT64_MAX, 2)); end();
    begin("t_f32_scale", "{\"x\":0.1}"); v_double("result", (double)ffitest_f32_scale(0.1f, 2.0f)); end();
    begin("t_f32_scale", "{\"x\":1.5,\"factor\":-0.25}"); v_double("result", (double)ffitest_f32_scale(1.5f, -0.25f)); end();
    begin("t_f32_scale", "{\"x\":3e38,\"factor\":10}"); v_double("result", (double)ffitest_f32_scale(3e38f, 10.0f)); end();
    begin("t_f64_div", "{\"a\":1,\"b\":3}"); v_double("result", ffitest_f64_div(1, 3)); end();
    begin("t_f64_div", "{\"a\":1,\"b\":0}"); v_double("result", ffitest_f64_div(1, 0)); end();
    begin("t_f64_div", "{\"a\":-1,\"b\":0}"); v_double("result", ffitest_f64_div(-1, 0)); end();
    begin("t_f64_div", "{\"a\":0,\"b\":0}"); v_double("result", ffitest_f64_div(0, 0)); end();
    begin("t_f64_div", "{\"a\":1.7976931348623157e308,\"b\":0.5}"); v_double("result", ffitest_f64_div(1.7976931348623157e308, 0.5)); end();
    begin("t_f64_div", "{\"a\":5e-324,\"b\":1}"); v_double("result", ffitest_f64_div(5e-324, 1)); end();
    begin("t_not", "{\"b\":true}"); v_bool("result", ffitest_not(true)); end();
    begin("t_not", "{\"b\":false}"); v_bool("result", ffitest_not(false)); end();
    begin("t_is_positive", "{\"x\":-0.0}"); v_bool("result", ffitest_is_positive(-0.0)); end();
    begin("t_is_positive", "{\"x\":1e-300}"); v_bool("result", ffitest_is_positive(1e-300)); end();

    char text[200];
    int n = ffitest_describe(-128, 255, -32768, 65535, INT32_MIN, UINT32_MAX, INT64_MIN, UINT64_MAX, 1.5f, 0.1, true,
                             SIZE_MAX, text, sizeof text);
    begin("t_describe", "{\"a\":-128,\"b\":255,\"c\":-32768,\"d\":65535,\"e\":-2147483648,\"f\":4294967295,"
                        "\"g\":-9223372036854775808,\"h\":18446744073709551615,\"i\":1.5,\"j\":0.1,\"k\":true,"
                        "\"l\":18446744073709551615}");
    v_int("result", n); v_str("text", text); end();
    n = ffitest_describe(127, 0, 32767, 0, INT32_MAX, 0, INT64_MAX, 0, -3.25f, -1e-300, false, 0, text, sizeof text);
    begin("t_describe", "{\"a\":127,\"b\":0,\"c\":32767,\"d\":0,\"e\":2147483647,\"f\":0,\"g\":9223372036854775807,"
                        "\"h\":0,\"i\":-3.25,\"j\":-1e-300,\"k\":false,\"l\":0}");
    v_int("result", n); v_str("text", text); end();

    begin("t_count_byte", "{\"s\":\"banana\",\"byte\":97}"); v_uint("result", ffitest_count_byte("banana", 97)); end();
    begin("t_count_byte", "{\"s\":\"\",\"byte\":97}"); v_uint("result", ffitest_count_byte("", 97)); end();
    begin("t_fnv1a", "{\"data\":\"aGVsbG8=\"}"); v_uint("result", ffitest_fnv1a((const uint8_t *)"hello", 5)); end();
    begin("t_fnv1a", "{\"data\":\"\",\"len\":0}"); v_uint("result", ffitest_fnv1a((const uint8_t *)"", 0)); end();

    int32_t q, rem;
    bool ok = ffitest_divmod(7, 2, &q, &rem);
    begin("t_divmod", "{\"a\":7,\"b\":2}"); v_bool("result", ok); v_int("quotient", q); v_int("remainder", rem); end();
    ok = ffitest_divmod(-7, 2, &q, &rem);
    begin("t_divmod", "{\"a\":-7,\"b\":2}"); v_bool("result", ok); v_int("quotient", q); v_int("remainder", rem); end();
    ok = ffitest_divmod(1, 0, &q, &rem);
    begin("t_divmod", "{\"a\":1,\"b\":0}"); v_bool("result", ok); v_int("quotient", q); v_int("remainder", rem); end();
    double mn, mx;
    ffitest_minmax_f64(3, -1.5, &mn, &mx);
    begin("t_minmax", "{\"a\":3,\"b\":-1.5}"); v_double("min", mn); v_double("max", mx); end();
    char greeting[32];
    n = ffitest_greet("Ada", greeting, sizeof greeting);
    begin("t_greet", "{\"name\":\"Ada\"}"); v_int("result", n); v_str("greeting", greeting); end();
    n = ffitest_greet("Bartholomew-Alexander-Constantine", greeting, sizeof greeting);
    begin("t_greet", "{\"name\":\"Bartholomew-Alexander-Constantine\"}"); v_int("result", n); v_str("greeting", greeting); end();
    uint8_t bytes[16];
    size_t filled = ffitest_fill(bytes, sizeof bytes, 1, 5);
    begin("t_fill", "{\"seed\":1,\"count\":5}"); v_uint("result", filled); v_b64("bytes", bytes, filled); end();
    filled = ffitest_fill(bytes, sizeof bytes, 250, 100);
    begin("t_fill", "{\"seed\":250,\"count\":100}"); v_uint("result", filled); v_b64("bytes", bytes, filled); end();
    filled = ffitest_fill(bytes, sizeof bytes, 0, 0);
    begin("t_fill", "{\"seed\":0,\"count\":0}"); v_uint("result", filled); v_b64("bytes", bytes, filled); end();
    const char *version;
    ffitest_version_out(&version);
    begin("t_version_out", "{}"); v_str("version", version); end();
    char *upper;
    ffitest_upper_dup("MiXed case", &upper);
    begin("t_upper_dup", "{\"s\":\"MiXed case\"}"); v_str("upper", upper); end();
    ffitest_free(upper);
    begin("t_version", "{}"); v_str("result", ffitest_version()); end();
    begin("t_find", "{\"s\":\"hello\",\"c\":108}"); v_str("result", ffitest_find("hello", 'l')); end();
    begin("t_find", "{\"s\":\"hello\",\"c\":122}"); v_str("result", ffitest_find("hello", 'z')); end();
    char *rep = ffitest_repeat("ab", 3);
    begin("t_repeat", "{\"s\":\"ab\",\"times\":3}"); v_str("result", rep); end();
    ffitest_free(rep);
    rep = ffitest_repeat("x", 0);
    begin("t_repeat", "{\"s\":\"x\",\"times\":0}"); v_str("result", rep); end();
    ffitest_free(rep);
    rep = ffitest_repeat("x", -1);
    begin("t_repeat", "{\"s\":\"x\",\"times\":-1}"); v_str("result", rep); end();

    int32_t v; int saved;
    CALL_ERRNO(v, ffitest_parse_i32("42"));
    begin("t_parse_i32", "{\"s\":\"42\"}"); v_int("result", v); v_int("errno", saved); end();
    CALL_ERRNO(v, ffitest_parse_i32("x1"));
    begin("t_parse_i32", "{\"s\":\"x1\"}"); v_int("result", v); v_int("errno", saved); end();
    CALL_ERRNO(v, ffitest_parse_i32("99999999999"));
    begin("t_parse_i32", "{\"s\":\"99999999999\"}"); v_int("result", v); v_int("errno", saved); end();
    CALL_ERRNO(v, ffitest_fail_with(0));
    begin("t_fail_with", "{\"code\":0}"); v_int("result", v); v_int("errno", saved); end();
    error_case("t_fail_with", "{\"code\":22}");

    begin("t_sum3", "{\"a\":1,\"b\":2,\"c\":3}"); v_int("result", ffitest_sum_i64(3, (int64_t)1, (int64_t)2, (int64_t)3)); end();
    begin("t_sum3", "{\"a\":9223372036854775807,\"b\":-1,\"c\":-9223372036854775807}");
    v_int("result", ffitest_sum_i64(3, INT64_MAX, (int64_t)-1, -INT64_MAX)); end();
    begin("t_avg2", "{\"a\":1.5,\"b\":2}"); v_double("result", ffitest_avg_f64(2, (double)1.5f, 2.0)); end();
    begin("t_avg2", "{\"a\":0.1,\"b\":0.2}"); v_double("result", ffitest_avg_f64(2, (double)0.1f, 0.2)); end();
    begin("t_sum_small", "{\"a\":-128,\"b\":255,\"c\":-32768,\"d\":true}");
    v_int("result", ffitest_sum_small(4, (int8_t)-128, (uint8_t)255, (int16_t)-32768, (bool)true)); end();
    begin("t_triple", "{\"x\":14}"); v_int("result", ffitest_scale(14, 3)); end();
    /* Last: every string handed out above was freed by the caller. */
    begin("t_live_allocations", "{}"); v_int("result", ffitest_live_allocations()); end();
}

int main(void) {
    libm_cases();
    zlib_cases();
    binary_cases();
    libc_cases();
    ffitest_cases();
    return 0;
}
