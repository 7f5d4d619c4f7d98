/* FFITest: a plain C shared library — NOT a Manifold plugin — that the ffi bridge's tests call
 * through manifests/ffi/ffitest.plugin.yaml. One function per type of the ffi vocabulary, plus
 * one that crashes on purpose. It knows nothing about MCP or JSON. */
#ifndef FFITEST_H
#define FFITEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sized integers: each returns its argument (round trip of the extreme values). */
int8_t ffitest_i8(int8_t x);
int16_t ffitest_i16(int16_t x);
int32_t ffitest_i32(int32_t x);
int64_t ffitest_i64(int64_t x);
uint8_t ffitest_u8(uint8_t x);
uint16_t ffitest_u16(uint16_t x);
uint32_t ffitest_u32(uint32_t x);
uint64_t ffitest_u64(uint64_t x);
size_t ffitest_size(size_t x);
/* Wrapping arithmetic, so a wrong width shows: a + b in 8 bits; a * b in 64 bits. */
int8_t ffitest_add_i8(int8_t a, int8_t b);
uint64_t ffitest_mul_u64(uint64_t a, uint64_t b);

/* Floating point. */
float ffitest_f32_scale(float x, float factor);
double ffitest_f64_div(double a, double b);
bool ffitest_not(bool b);
bool ffitest_is_positive(double x);

/* Every scalar type at once (more arguments than registers), summarised into `out`. */
int32_t ffitest_describe(int8_t a, uint8_t b, int16_t c, uint16_t d, int32_t e, uint32_t f, int64_t g,
                         uint64_t h, float i, double j, bool k, size_t l, char *out, size_t cap);

/* C strings in. */
size_t ffitest_count_byte(const char *s, uint8_t byte);
/* A byte buffer in, with its length: FNV-1a 32-bit. */
uint32_t ffitest_fnv1a(const uint8_t *data, size_t len);

/* Out-parameters. */
bool ffitest_divmod(int32_t a, int32_t b, int32_t *quotient, int32_t *remainder);
void ffitest_minmax_f64(double a, double b, double *min, double *max);
int32_t ffitest_greet(const char *name, char *out, size_t cap);            /* out string, caller's buffer */
size_t ffitest_fill(uint8_t *out, size_t cap, uint8_t seed, size_t count); /* out buffer, length returned */
void ffitest_version_out(const char **out);                                /* out string, static */
void ffitest_upper_dup(const char *s, char **out);                         /* out string, ffitest_free */

/* Returned strings. */
const char *ffitest_version(void);                 /* static */
const char *ffitest_find(const char *s, uint8_t c); /* borrowed: points into s, or NULL */
char *ffitest_repeat(const char *s, int32_t times); /* malloc'd: free with ffitest_free; NULL if times < 0 */
void ffitest_free(char *p);
int32_t ffitest_live_allocations(void);             /* strings handed out and not yet freed */

/* errno. */
int32_t ffitest_parse_i32(const char *s);           /* errno EINVAL / ERANGE on failure, returns 0 */
int32_t ffitest_fail_with(int32_t code);            /* sets errno = code, returns -1 */

/* Variadic, with the count first. */
int64_t ffitest_sum_i64(int32_t n, ...);            /* n int64_t values */
double ffitest_avg_f64(int32_t n, ...);             /* n double values */
int32_t ffitest_sum_small(int32_t n, ...);          /* n ints (callers pass promoted i8/i16/u8/bool) */

/* A parameter the manifest fixes. */
int32_t ffitest_scale(int32_t x, int32_t factor);

/* Dereferences NULL: for the isolation test. */
int32_t ffitest_crash(int32_t x);

#endif
