/* checkpoint: the world model's versioned binary file.
 *
 *   "NUDGEWM\0"  u32 version  u32 schema hash (observation columns)
 *   i32 slots dim latent edge hidden  f32 radius dt  i32 node_feats edge_feats outputs
 *   i64 steps  u64 seed  i32 nparams  u32 flags (1 = optimizer state follows the parameters)
 *   3 x normalizer: i32 dim, f64 count, f64 mean[dim], f64 m2[dim]   (nodes, edges, targets)
 *   f32 params[nparams]
 *   [i64 t, f32 m[nparams], f32 v[nparams]]        when flags & 1
 *   u32 CRC-32 (zlib) of every byte before it
 * Little-endian, as the machines that run nudge are. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/crc.h"
#include "base/input_file.h"
#include "base/report.h"
#include "model/wm_impl.h"

#define HEAD_BYTES 80
#define MAX_FILE (1ull << 31)

typedef struct Buf {
    unsigned char* p;
    size_t n, cap;
} Buf;

static void put(Buf* b, const void* v, size_t n) {
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n) cap *= 2;
        b->p = alloc_resize(b->p, cap, 1);
        b->cap = cap;
    }
    memcpy(b->p + b->n, v, n);
    b->n += n;
}

static void put_i32(Buf* b, int32_t v) { put(b, &v, 4); }
static void put_u32(Buf* b, uint32_t v) { put(b, &v, 4); }
static void put_f32(Buf* b, float v) { put(b, &v, 4); }
static void put_i64(Buf* b, int64_t v) { put(b, &v, 8); }
static void put_u64(Buf* b, uint64_t v) { put(b, &v, 8); }

static void put_norm(Buf* b, const WmNorm* n) {
    put_i32(b, n->dim);
    put(b, &n->count, 8);
    put(b, n->mean, sizeof(double) * (size_t)n->dim);
    put(b, n->m2, sizeof(double) * (size_t)n->dim);
}

bool wm_checkpoint_save(const WmModel* m, const NnAdamW* opt, const char* path, char* err,
                        size_t err_size) {
    Buf b = {0};
    put(&b, WM_CKPT_MAGIC, 8);
    put_u32(&b, WM_CKPT_VERSION);
    put_u32(&b, wm_schema_hash());
    const WmArch* a = &m->arch;
    put_i32(&b, a->slots);
    put_i32(&b, a->dim);
    put_i32(&b, a->latent);
    put_i32(&b, a->edge);
    put_i32(&b, a->hidden);
    put_f32(&b, a->radius);
    put_f32(&b, a->dt);
    put_i32(&b, WM_NODE_FEATS);
    put_i32(&b, WM_EDGE_FEATS);
    put_i32(&b, WM_OUTPUTS);
    put_i64(&b, m->steps);
    put_u64(&b, m->seed);
    put_i32(&b, m->nparams);
    bool with_opt = opt && opt->m && opt->n == m->nparams;
    put_u32(&b, with_opt ? 1u : 0u);
    put_norm(&b, &m->nin);
    put_norm(&b, &m->ein);
    put_norm(&b, &m->tgt);
    put(&b, m->params, sizeof(float) * (size_t)m->nparams);
    if (with_opt) {
        put_i64(&b, opt->t);
        put(&b, opt->m, sizeof(float) * (size_t)m->nparams);
        put(&b, opt->v, sizeof(float) * (size_t)m->nparams);
    }
    put_u32(&b, crc32_update(0, b.p, b.n));
    bool ok = atomic_file_put(path, b.p, b.n, err, err_size);
    free(b.p);
    return ok;
}

bool wm_save(const WmModel* m, const char* path, char* err, size_t err_size) {
    return wm_checkpoint_save(m, NULL, path, err, err_size);
}

/* a bounds-checked reader over the file's bytes */
typedef struct Rd {
    const unsigned char* p;
    size_t n, at;
    bool short_read;
} Rd;

static void get(Rd* r, void* v, size_t n) {
    if (r->short_read || r->at + n > r->n) {
        r->short_read = true;
        memset(v, 0, n);
        return;
    }
    memcpy(v, r->p + r->at, n);
    r->at += n;
}

static int32_t get_i32(Rd* r) { int32_t v; get(r, &v, 4); return v; }
static uint32_t get_u32(Rd* r) { uint32_t v; get(r, &v, 4); return v; }
static float get_f32(Rd* r) { float v; get(r, &v, 4); return v; }
static int64_t get_i64(Rd* r) { int64_t v; get(r, &v, 8); return v; }
static uint64_t get_u64(Rd* r) { uint64_t v; get(r, &v, 8); return v; }

/* one set of statistics; false + why (into why) when its size does not match or a number is not
 * finite (a NaN mean or a negative sum of squares would make every prediction NaN) */
static bool get_norm(Rd* r, WmNorm* n, const char* what, char* why, size_t why_size) {
    int32_t dim = get_i32(r);
    if (r->short_read || dim != n->dim) {
        report_set(why, why_size, "%s statistics: %d columns, expected %d", what, dim, n->dim);
        return false;
    }
    get(r, &n->count, 8);
    get(r, n->mean, sizeof(double) * (size_t)dim);
    get(r, n->m2, sizeof(double) * (size_t)dim);
    if (r->short_read) {
        report_set(why, why_size, "%s statistics: cut short", what);
        return false;
    }
    if (!(n->count >= 0 && isfinite(n->count))) {
        report_set(why, why_size, "%s statistics: sample count %g is not a finite number >= 0", what, n->count);
        return false;
    }
    for (int j = 0; j < dim; j++)
        if (!isfinite(n->mean[j]) || !(n->m2[j] >= 0 && isfinite(n->m2[j]))) {
            report_set(why, why_size, "%s statistics: column %d has mean %g and sum of squares %g (not finite, or "
                                      "negative)", what, j, n->mean[j], n->m2[j]);
            return false;
        }
    wm_norm_refresh(n);
    return true;
}

/* the index of the first non-finite value of x[n], or -1 */
static int64_t first_non_finite(const float* x, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return i;
    return -1;
}

/* the whole file: a regular file (never blocking on a FIFO or device) of at most MAX_FILE bytes */
static unsigned char* read_all(const char* path, size_t* len, char* err, size_t err_size) {
    char why[512];
    unsigned char* p = (unsigned char*)input_file_read(path, MAX_FILE, len, why, sizeof why);
    if (!p) report_set(err, err_size, "cannot read model: %s", why);
    return p;
}

WmModel* wm_checkpoint_load(const char* path, NnAdamW* opt, bool* has_opt, char* err,
                            size_t err_size) {
    if (has_opt) *has_opt = false;
    size_t len = 0;
    unsigned char* data = read_all(path, &len, err, err_size);
    if (!data) return NULL;
    WmModel* m = NULL;
    bool opt_made = false;
    Rd r = {data, len, 0, false};
    char magic[8];
    get(&r, magic, 8);
    if (len < HEAD_BYTES + 4 && memcmp(data, WM_CKPT_MAGIC, len < 8 ? len : 8) == 0) {
        report_set(err, err_size, "%s: truncated model file (%zu bytes)", path, len);
        goto fail;
    }
    if (r.short_read || memcmp(magic, WM_CKPT_MAGIC, 8) != 0) {
        report_set(err, err_size, "%s: not a nudge model file (bad magic)", path);
        goto fail;
    }
    if (len < HEAD_BYTES + 4) {
        report_set(err, err_size, "%s: truncated model file (%zu bytes)", path, len);
        goto fail;
    }
    uint32_t version = get_u32(&r);
    if (version != WM_CKPT_VERSION) {
        report_set(err, err_size, "%s: model format version %u, this nudge reads version %u", path,
                   version, WM_CKPT_VERSION);
        goto fail;
    }
    uint32_t schema = get_u32(&r);
    WmArch a;
    a.slots = get_i32(&r);
    a.dim = get_i32(&r);
    a.latent = get_i32(&r);
    a.edge = get_i32(&r);
    a.hidden = get_i32(&r);
    a.radius = get_f32(&r);
    a.dt = get_f32(&r);
    int32_t nf = get_i32(&r), ef = get_i32(&r), of = get_i32(&r);
    int64_t steps = get_i64(&r);
    uint64_t seed = get_u64(&r);
    int32_t nparams = get_i32(&r);
    uint32_t flags = get_u32(&r);
    /* the checksum first: anything after this point can trust the bytes */
    uint32_t stored;
    memcpy(&stored, data + len - 4, 4);
    if (crc32_update(0, data, len - 4) != stored) {
        report_set(err, err_size, "%s: model file is truncated or corrupted (CRC-32 mismatch)", path);
        goto fail;
    }
    if (schema != wm_schema_hash()) {
        report_set(err, err_size,
                   "%s: model was trained on a different observation schema (columns differ)", path);
        goto fail;
    }
    char why[256];
    if (!wm_arch_check(&a, why, sizeof why)) {
        report_set(err, err_size, "%s: %s", path, why);
        goto fail;
    }
    if (nf != WM_NODE_FEATS || ef != WM_EDGE_FEATS || of != WM_OUTPUTS) {
        report_set(err, err_size,
                   "%s: the model's inputs and outputs (%d node, %d edge features, %d outputs) are not this nudge's "
                   "(%d, %d, %d)",
                   path, nf, ef, of, WM_NODE_FEATS, WM_EDGE_FEATS, WM_OUTPUTS);
        goto fail;
    }
    if (steps < 0) {
        report_set(err, err_size, "%s: negative step count %lld", path, (long long)steps);
        goto fail;
    }
    m = wm_alloc(&a);
    if (nparams != m->nparams || (flags & ~1u)) {
        report_set(err, err_size, "%s: model parameter count %d does not match its architecture (%d)",
                   path, nparams, m->nparams);
        goto fail;
    }
    m->steps = steps;
    m->seed = seed;
    if (!get_norm(&r, &m->nin, "node input", why, sizeof why) || !get_norm(&r, &m->ein, "edge input", why, sizeof why) ||
        !get_norm(&r, &m->tgt, "target", why, sizeof why)) {
        report_set(err, err_size, "%s: bad normalization statistics: %s", path, why);
        goto fail;
    }
    get(&r, m->params, sizeof(float) * (size_t)nparams);
    if (flags & 1u) {
        int64_t t = get_i64(&r);
        if (opt) {
            nn_adamw_init(opt, nparams, opt->lr, opt->weight_decay);
            opt_made = true;
            opt->t = t;
            get(&r, opt->m, sizeof(float) * (size_t)nparams);
            get(&r, opt->v, sizeof(float) * (size_t)nparams);
            if (has_opt) *has_opt = true;
        } else {
            r.at += 8 * (size_t)nparams;
        }
    }
    if (r.short_read || r.at != len - 4) {
        report_set(err, err_size, "%s: model file size does not match its header", path);
        goto fail;
    }
    /* a NaN weight (a diverged run saved, or an altered file with a fixed CRC) would evaluate to
       NaN everywhere: refuse it rather than predict nothing */
    int64_t bad = first_non_finite(m->params, nparams);
    if (bad >= 0) {
        report_set(err, err_size, "%s: parameter %lld of %d is %g: the model holds non-finite weights (a diverged "
                                  "training?) and is refused", path, (long long)bad, nparams, (double)m->params[bad]);
        goto fail;
    }
    if (opt && (flags & 1u)) {
        int64_t bm = first_non_finite(opt->m, nparams), bv = first_non_finite(opt->v, nparams);
        for (int64_t i = 0; bv < 0 && i < nparams; i++)
            if (opt->v[i] < 0) bv = i;
        if (opt->t < 0 || bm >= 0 || bv >= 0) {
            report_set(err, err_size, "%s: the optimizer state is invalid (%s): the file is refused", path,
                       opt->t < 0 ? "a negative step count" : bm >= 0 ? "a non-finite first moment"
                                                                   : "a non-finite or negative second moment");
            goto fail;
        }
    }
    free(data);
    return m;
fail:
    if (opt_made) nn_adamw_free(opt); /* the caller gets no optimizer state from a refused file */
    if (has_opt) *has_opt = false;
    wm_free(m);
    free(data);
    return NULL;
}

WmModel* wm_load(const char* path, char* err, size_t err_size) {
    return wm_checkpoint_load(path, NULL, NULL, err, err_size);
}
