/* model_file: the shared header of model files, their writing and bounds-checked reading */
#include "model/model_file.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/crc.h"
#include "base/input_file.h"
#include "base/report.h"

const char* model_kind_name(ModelKind k) {
    switch (k) {
    case MODEL_KIND_STATE: return "state";
    case MODEL_KIND_JEPA: return "jepa";
    default: return "unknown";
    }
}

void model_buf_put(ModelBuf* b, const void* v, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n) cap *= 2;
        b->p = alloc_resize(b->p, cap, 1);
        b->cap = cap;
    }
    memcpy(b->p + b->n, v, n);
    b->n += n;
}

void model_buf_i32(ModelBuf* b, int32_t v) { model_buf_put(b, &v, 4); }
void model_buf_u32(ModelBuf* b, uint32_t v) { model_buf_put(b, &v, 4); }
void model_buf_f32(ModelBuf* b, float v) { model_buf_put(b, &v, 4); }
void model_buf_i64(ModelBuf* b, int64_t v) { model_buf_put(b, &v, 8); }
void model_buf_u64(ModelBuf* b, uint64_t v) { model_buf_put(b, &v, 8); }

bool model_buf_commit(ModelBuf* b, const char* path, char* err, size_t err_size) {
    model_buf_u32(b, crc32_update(0, b->p, b->n));
    bool ok = atomic_file_put(path, b->p, b->n, err, err_size);
    free(b->p);
    memset(b, 0, sizeof *b);
    return ok;
}

void model_rd_get(ModelRd* r, void* v, size_t n) {
    if (r->short_read || r->at + n > r->n) {
        r->short_read = true;
        memset(v, 0, n);
        return;
    }
    memcpy(v, r->p + r->at, n);
    r->at += n;
}

int32_t model_rd_i32(ModelRd* r) { int32_t v; model_rd_get(r, &v, 4); return v; }
uint32_t model_rd_u32(ModelRd* r) { uint32_t v; model_rd_get(r, &v, 4); return v; }
float model_rd_f32(ModelRd* r) { float v; model_rd_get(r, &v, 4); return v; }
int64_t model_rd_i64(ModelRd* r) { int64_t v; model_rd_get(r, &v, 8); return v; }
uint64_t model_rd_u64(ModelRd* r) { uint64_t v; model_rd_get(r, &v, 8); return v; }

unsigned char* model_file_read(const char* path, size_t* len, char* err, size_t err_size) {
    char why[512];
    unsigned char* p = (unsigned char*)input_file_read(path, MODEL_FILE_MAX, len, why, sizeof why);
    if (!p) report_set(err, err_size, "cannot read model: %s", why);
    return p;
}

int64_t model_first_non_finite(const float* x, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return i;
    return -1;
}

bool model_file_crc_ok(const unsigned char* data, size_t len) {
    if (len < 4) return false;
    uint32_t stored;
    memcpy(&stored, data + len - 4, 4);
    return crc32_update(0, data, len - 4) == stored;
}

ModelKind model_file_kind(const char* path, char* err, size_t err_size) {
    size_t len = 0;
    unsigned char* data = model_file_read(path, &len, err, err_size);
    if (!data) return MODEL_KIND_NONE;
    ModelKind kind = MODEL_KIND_NONE;
    if (len < 8 || memcmp(data, MODEL_FILE_MAGIC, 8) != 0) {
        if (len < 8 && memcmp(data, MODEL_FILE_MAGIC, len) == 0)
            report_set(err, err_size, "%s: truncated model file (%zu bytes)", path, len);
        else
            report_set(err, err_size, "%s: not a nudge model file (bad magic)", path);
    } else if (len < 16) {
        report_set(err, err_size, "%s: truncated model file (%zu bytes)", path, len);
    } else {
        uint32_t version, k;
        memcpy(&version, data + 8, 4);
        memcpy(&k, data + 12, 4);
        if (version < MODEL_FILE_KIND_VERSION) kind = MODEL_KIND_STATE;
        else if (k == MODEL_KIND_STATE || k == MODEL_KIND_JEPA) kind = (ModelKind)k;
        else report_set(err, err_size, "%s: a model of unknown kind %u (written by a newer nudge?)", path, k);
    }
    free(data);
    return kind;
}

bool model_opt_state_ok(int64_t t, const float* m, const float* v, int64_t n, const char* path, char* err,
                        size_t err_size) {
    int64_t bm = model_first_non_finite(m, n), bv = model_first_non_finite(v, n);
    for (int64_t i = 0; bv < 0 && i < n; i++)
        if (v[i] < 0) bv = i;
    if (t >= 0 && bm < 0 && bv < 0) return true;
    report_set(err, err_size, "%s: the optimizer state is invalid (%s): the file is refused", path,
               t < 0 ? "a negative step count" : bm >= 0 ? "a non-finite first moment"
                                                         : "a non-finite or negative second moment");
    return false;
}
