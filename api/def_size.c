/* definition structs that carry their own size: how a caller's struct of another header version
 * is read */
#include <stdint.h>
#include <string.h>

#include "api/api_internal.h"

bool api_def_read(void* out, size_t out_size, size_t least, const void* def, const char* what,
                  char* err, size_t err_size) {
    uint32_t size;
    memcpy(&size, def, sizeof size);
    if (size < least) {
        report_set(err, err_size,
                   "%s: size %u is smaller than any version of it (start from its _def_default())",
                   what, (unsigned)size);
        return false;
    }
    if (size > out_size) {
        const unsigned char* extra = (const unsigned char*)def + out_size;
        for (size_t i = 0; i < size - out_size; i++)
            if (extra[i]) {
                report_set(err, err_size,
                           "%s: set fields this nudge does not know (size %u, this library's is %zu)",
                           what, (unsigned)size, out_size);
                return false;
            }
    }
    memcpy(out, def, size < out_size ? size : out_size);
    memcpy(out, &(uint32_t){(uint32_t)out_size}, sizeof(uint32_t));
    return true;
}
