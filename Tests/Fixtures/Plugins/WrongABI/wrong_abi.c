/* Test fixture: exports the v1 entry but describes itself as ABI 2.0. The host must refuse
 * it, naming both versions. */
#include "manifold_plugin.h"

static const manifold_plugin_v1 descriptor = {
    .struct_size = sizeof(manifold_plugin_v1), .abi_major = 2, .abi_minor = 0, .id = "wrongabi",
};

__attribute__((visibility("default")))
const manifold_plugin_v1 *manifold_plugin_entry_v1(const manifold_host_api_v1 *host) {
    (void)host;
    return &descriptor;
}
