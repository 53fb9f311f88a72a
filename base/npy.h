/* npy: NumPy .npy files, format 1.0 (little-endian, C order), written through an AtomicFile.
 * numpy.load reads them, with mmap_mode='r' too. The reader accepts what the writer writes and
 * reports anything else as one line. */
#ifndef NUDGE_BASE_NPY_H
#define NUDGE_BASE_NPY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/atomic_file.h"

#define NPY_MAX_DIMS 8

/// the header text for descr (e.g. "'<f4'" or "[('a', '<i4'), ('b', '<f4')]") and shape, padded so
/// the data starts at a multiple of 64 bytes; returns its length (0 if it does not fit in cap)
size_t npy_header(char* out, size_t cap, const char* descr, const int64_t* shape, int ndim);
/// writes header then n bytes of data
bool   npy_write(AtomicFile* af, const char* descr, const int64_t* shape, int ndim,
                 const void* data, size_t n);
/// writes a whole .npy file atomically
bool   npy_save(const char* path, const char* descr, const int64_t* shape, int ndim,
                const void* data, size_t n, char* err, size_t err_size);

typedef struct NpyArray {
    char     descr[512];           /* as written in the header, e.g. "'<f4'" */
    int      ndim;
    int64_t  shape[NPY_MAX_DIMS];
    size_t   nbytes;               /* of data */
    void*    data;                 /* malloc'd, nbytes long */
} NpyArray;

/// reads a whole .npy file; NULL + "path: ..." on a missing, truncated or malformed file
NpyArray* npy_load(const char* path, char* err, size_t err_size);
void      npy_free(NpyArray* a);
/// element count (product of the shape)
int64_t   npy_count(const NpyArray* a);

#endif
