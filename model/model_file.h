/* model_file: what every nudge model file shares -- the header that says which kind of model it
 * holds, and the little-endian writing and bounds-checked reading of its fields.
 *
 *   "NUDGEWM\0"  u32 version  [u32 kind, from version MODEL_FILE_KIND_VERSION on]  ...  u32 CRC-32
 *
 * Files of the state model before MODEL_FILE_KIND_VERSION carry no kind field: they are state
 * models. The rest of the layout belongs to each kind (model/checkpoint.c for the state model,
 * model/jepa_checkpoint.c for the pixel model); every file ends with the CRC-32 (zlib) of all the
 * bytes before it and is written atomically (temporary name, fsync, rename). */
#ifndef NUDGE_MODEL_MODEL_FILE_H
#define NUDGE_MODEL_MODEL_FILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ModelKind {
    MODEL_KIND_NONE = 0,     /* not a model file */
    MODEL_KIND_STATE = 1,    /* the state model (model/wm.h) */
    MODEL_KIND_JEPA = 2,     /* the pixel model (model/jepa.h) */
} ModelKind;

#define MODEL_FILE_MAGIC "NUDGEWM\0"
/// the first file version with a kind field after the version
#define MODEL_FILE_KIND_VERSION 3u
/// model files are read whole and may not be larger
#define MODEL_FILE_MAX (1ull << 31)

/// "state" or "jepa" (the words of `nudge train --kind`)
const char* model_kind_name(ModelKind k);
/// the kind of model in a file, from its header (the CRC is checked by the kind's loader);
/// MODEL_KIND_NONE + one line for a missing, unreadable, truncated or foreign file, or an unknown
/// kind
ModelKind   model_file_kind(const char* path, char* err, size_t err_size);

/// a file being built in memory
typedef struct ModelBuf {
    unsigned char* p;
    size_t         n, cap;
} ModelBuf;

void model_buf_put(ModelBuf* b, const void* v, size_t n);
void model_buf_i32(ModelBuf* b, int32_t v);
void model_buf_u32(ModelBuf* b, uint32_t v);
void model_buf_f32(ModelBuf* b, float v);
void model_buf_i64(ModelBuf* b, int64_t v);
void model_buf_u64(ModelBuf* b, uint64_t v);
/// appends the CRC-32 of everything so far, writes the file atomically and frees the buffer
bool model_buf_commit(ModelBuf* b, const char* path, char* err, size_t err_size);

/// a bounds-checked reader over a file's bytes: reading past the end gives zeros and sets short_read
typedef struct ModelRd {
    const unsigned char* p;
    size_t               n, at;
    bool                 short_read;
} ModelRd;

void     model_rd_get(ModelRd* r, void* v, size_t n);
int32_t  model_rd_i32(ModelRd* r);
uint32_t model_rd_u32(ModelRd* r);
float    model_rd_f32(ModelRd* r);
int64_t  model_rd_i64(ModelRd* r);
uint64_t model_rd_u64(ModelRd* r);

/// the whole file (a regular file of at most MODEL_FILE_MAX bytes); NULL + one line
unsigned char* model_file_read(const char* path, size_t* len, char* err, size_t err_size);
/// the index of the first non-finite value of x[n], or -1 (a loaded model refuses NaN weights)
int64_t        model_first_non_finite(const float* x, int64_t n);
/// checks a loaded optimizer state (step count t, first moments m[n], second moments v[n]): true, or
/// false and one line "PATH: the optimizer state is invalid (...)" (a checkpoint refuses it)
bool           model_opt_state_ok(int64_t t, const float* m, const float* v, int64_t n, const char* path,
                                  char* err, size_t err_size);
/// true when the file's last four bytes are the CRC-32 of the others
bool           model_file_crc_ok(const unsigned char* data, size_t len);

#endif
