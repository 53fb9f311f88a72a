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
/// the same, padded to a multiple of align bytes (a multiple of 64, e.g. 4096 so that the data
/// starts on a page); 0 if it does not fit in cap or in the format's 65535-byte limit
size_t npy_header_padded(char* out, size_t cap, const char* descr, const int64_t* shape, int ndim, size_t align);
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

/// an open .npy file whose header has been read and checked against the file's size; the data
/// follows (read it into memory of your own with npy_file_read)
typedef struct NpyFile {
    int      fd;
    int64_t  data_at;              /* byte offset of the data in the file */
    NpyArray head;                 /* descr, ndim, shape, nbytes; data stays NULL */
    char     path[4096];
} NpyFile;

/// opens a regular file (never blocking on a FIFO or device), parses its header, and checks that
/// the shape's size (computed without overflow) is exactly what the file holds after the header;
/// false + "path: ..." otherwise
bool      npy_file_open(NpyFile* f, const char* path, char* err, size_t err_size);
/// reads the whole data (f->head.nbytes bytes) into dst
bool      npy_file_read(NpyFile* f, void* dst, char* err, size_t err_size);
/// reads n bytes of the data from byte offset (within the data, after the header) into dst, with
/// pread: the file position is not used or moved. offset + n must lie within f->head.nbytes
bool      npy_file_read_at(const NpyFile* f, size_t offset, void* dst, size_t n, char* err, size_t err_size);
void      npy_file_close(NpyFile* f);      /* safe on a failed open */

/// reads a whole .npy file; NULL + "path: ..." on a missing, truncated or malformed file
NpyArray* npy_load(const char* path, char* err, size_t err_size);
void      npy_free(NpyArray* a);
/// element count (product of the shape); -1 when it does not fit in int64 (never for a loaded array)
int64_t   npy_count(const NpyArray* a);
/// the item size in bytes of a descr ("'<f4'" -> 4, a packed field list -> the sum); 0 if unknown
size_t    npy_descr_itemsize(const char* descr);

#endif
