/* the library's version, as loaded at run time */
#include "api/api_internal.h"

#define NUDGE_STR2(x) #x
#define NUDGE_STR(x) NUDGE_STR2(x)

int nudge_version(void) {
    return NUDGE_VERSION_MAJOR * 10000 + NUDGE_VERSION_MINOR * 100 + NUDGE_VERSION_PATCH;
}

const char* nudge_version_string(void) {
    return NUDGE_STR(NUDGE_VERSION_MAJOR) "." NUDGE_STR(NUDGE_VERSION_MINOR) "." NUDGE_STR(NUDGE_VERSION_PATCH);
}

int nudge_abi_version(void) { return NUDGE_ABI_VERSION; }
