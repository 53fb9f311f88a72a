/* fuzz_npy: the .npy reader (npy_load, through a file as every caller reads one) on any bytes.
 * An accepted array's size must be what its shape and dtype say. */
#include <stdio.h>

#include "base/npy.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    char path[512], err[1024];
    snprintf(path, sizeof path, "%s/a.npy", fuzz_dir());
    fuzz_write(path, data, size);
    err[0] = 0;
    NpyArray* a = npy_load(path, err, sizeof err);
    if (!a) {
        FUZZ_ASSERT(fuzz_one_line(err));
        return 0;
    }
    fuzz_accepted("an array");
    int64_t n = npy_count(a);
    size_t item = npy_descr_itemsize(a->descr);
    FUZZ_ASSERT(n >= 0 && item > 0 && (size_t)n * item == a->nbytes);
    FUZZ_ASSERT(a->nbytes == size - (10 + (size_t)(data[8] | data[9] << 8)));
    npy_free(a);
    return 0;
}
