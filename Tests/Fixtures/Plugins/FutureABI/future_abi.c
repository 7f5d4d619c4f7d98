/* Test fixture: a plugin built for a future ABI 2 exports only manifold_plugin_entry_v2. */
#include "manifold_plugin.h"

__attribute__((visibility("default")))
const void *manifold_plugin_entry_v2(const void *host) {
    (void)host;
    return 0;
}
