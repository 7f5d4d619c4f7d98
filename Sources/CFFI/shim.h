// libffi for Swift (DESIGN.md §8): <ffi.h> plus accessors for what Swift cannot reach directly.
// The ffi_type_* descriptors are mutable C globals (hence `@preconcurrency import CFFI`), and
// `ffi_type_sint` / `ffi_type_slong` are macros Swift never sees: the ffi bridge uses only the
// sized types, through these functions, so their addresses are taken in C.
#ifndef MANIFOLD_CFFI_SHIM_H
#define MANIFOLD_CFFI_SHIM_H

#include <ffi.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static inline ffi_type *manifold_ffi_void(void) { return &ffi_type_void; }
static inline ffi_type *manifold_ffi_uint8(void) { return &ffi_type_uint8; }
static inline ffi_type *manifold_ffi_sint8(void) { return &ffi_type_sint8; }
static inline ffi_type *manifold_ffi_uint16(void) { return &ffi_type_uint16; }
static inline ffi_type *manifold_ffi_sint16(void) { return &ffi_type_sint16; }
static inline ffi_type *manifold_ffi_uint32(void) { return &ffi_type_uint32; }
static inline ffi_type *manifold_ffi_sint32(void) { return &ffi_type_sint32; }
static inline ffi_type *manifold_ffi_uint64(void) { return &ffi_type_uint64; }
static inline ffi_type *manifold_ffi_sint64(void) { return &ffi_type_sint64; }
static inline ffi_type *manifold_ffi_float(void) { return &ffi_type_float; }
static inline ffi_type *manifold_ffi_double(void) { return &ffi_type_double; }
static inline ffi_type *manifold_ffi_pointer(void) { return &ffi_type_pointer; }

/// `ffi_prep_cif` with the platform's default ABI.
static inline ffi_status manifold_ffi_prep_cif(ffi_cif *cif, unsigned int nargs, ffi_type *rtype, ffi_type **atypes) {
    return ffi_prep_cif(cif, FFI_DEFAULT_ABI, nargs, rtype, atypes);
}

/// `ffi_prep_cif_var` with the platform's default ABI.
static inline ffi_status manifold_ffi_prep_cif_var(ffi_cif *cif, unsigned int nfixed, unsigned int ntotal,
                                                   ffi_type *rtype, ffi_type **atypes) {
    return ffi_prep_cif_var(cif, FFI_DEFAULT_ABI, nfixed, ntotal, rtype, atypes);
}

/// The function being called on this thread, for the crash message of an isolated runner.
/// (A function-local static: a header-level one would never be emitted for Swift.)
static inline const char **manifold_ffi_current_label_slot(void) {
    static _Thread_local const char *label;
    return &label;
}

/// Calls through `cif`, clearing errno just before and reading it just after, in C, so that no
/// Swift runtime work (allocation, retain/release) can touch errno in between. `saved_errno`
/// may be NULL when the function does not capture errno; `label` names the call in the crash
/// message (see `manifold_ffi_install_crash_handlers`).
static inline void manifold_ffi_call(ffi_cif *cif, void (*fn)(void), void *rvalue, void **avalues,
                                     int *saved_errno, const char *label) {
    const char **slot = manifold_ffi_current_label_slot();
    *slot = label;
    if (saved_errno) {
        errno = 0;
        ffi_call(cif, fn, rvalue, avalues);
        *saved_errno = errno;
    } else {
        ffi_call(cif, fn, rvalue, avalues);
    }
    *slot = 0;
}

/// Calls `void fn(void *)` (a library's free function) on `pointer`.
static inline void manifold_ffi_call_free(void (*fn)(void), void *pointer) {
    ((void (*)(void *))fn)(pointer);
}

static void manifold_ffi_crash_write(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    ssize_t ignored = write(2, s, n);
    (void)ignored;
}

/// Signal handler of an isolated runner: says which ffi function crashed (async-signal-safe
/// calls only), then lets the signal kill the process as it would have, so the host sees the
/// signal, fails the calls in flight and restarts the runner at once — without waiting for a
/// symbolicating backtrace.
static void manifold_ffi_crash_handler(int sig) {
    const char *label = *manifold_ffi_current_label_slot();
    char number[8];
    int k = 0, v = sig;
    do { number[k++] = (char)('0' + v % 10); v /= 10; } while (v && k < 7);
    char digits[8];
    for (int i = 0; i < k; i++) digits[i] = number[k - 1 - i];
    digits[k] = 0;
    manifold_ffi_crash_write("manifold runner: signal ");
    manifold_ffi_crash_write(digits);
    if (label) {
        manifold_ffi_crash_write(" in ffi function ");
        manifold_ffi_crash_write(label);
        manifold_ffi_crash_write(" (check its signature in the manifest)");
    }
    manifold_ffi_crash_write("\n");
    signal(sig, SIG_DFL);
    raise(sig);
}

/// Installs `manifold_ffi_crash_handler` for the fatal signals (runner processes only).
static inline void manifold_ffi_install_crash_handlers(void) {
    int signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS };
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = manifold_ffi_crash_handler;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESETHAND;
        sigaction(signals[i], &action, 0);
    }
}

#endif
