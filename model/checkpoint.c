/* checkpoint: the world model's versioned binary file (model/model_file.h: the header every model
 * file shares; version 1 predates the kind field, so a file of this version is a state model).
 *
 *   "NUDGEWM\0"  u32 version  u32 schema hash (observation columns)
 *   i32 slots dim latent edge hidden rounds  f32 radius dt  i32 node_feats edge_feats outputs
 *   i64 steps  u64 seed  i32 nparams  u32 flags (1 = optimizer state follows the parameters)
 *   3 x normalizer: i32 dim, f64 count, f64 mean[dim], f64 m2[dim]   (nodes, edges, targets)
 *   f32 params[nparams]
 *   [i64 t, f32 m[nparams], f32 v[nparams]]        when flags & 1
 *   u32 CRC-32 (zlib) of every byte before it
 * Little-endian, as the machines that run nudge are. Version 1 (before the invariant inputs and
 * message-passing rounds) is refused with a line that says to retrain.
 *
 * Version 3 (model_file.h's kind field, 1 = state, after the version) is written for a model
 * with options of arch the earlier ones lacked; after the flags it has i32 inputs and f32
 * rest_gate, and each normalizer ends with f32 lo[dim], f32 hi[dim] (the range training saw,
 * which WM_INPUT_CLIP clips to). A model with every option at its default is written as version 2,
 * byte for byte as before; version 2 files read with those defaults. With WM_INPUT_IMPACT in the
 * inputs, f32 release_impact follows rest_gate (a model without that bit has the bytes it had before
 * the option existed).
 *
 * Flag 2 (with flag 1; a run with averaged weights, nudge train --ema) adds a resume state after
 * the optimizer state: f32 raw[nparams] (the weights the optimizer trains; the parameters above are
 * their average, the model the file holds), u64 batch rng[4], i32 parts, u64 noise rng[parts][4]. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "model/model_file.h"
#include "model/wm_impl.h"

#define HEAD_BYTES 84

#define VERSION_OPTIONS 3u

static void put_norm(ModelBuf* b, const WmNorm* n, uint32_t version) {
    model_buf_i32(b, n->dim);
    model_buf_put(b, &n->count, 8);
    model_buf_put(b, n->mean, sizeof(double) * (size_t)n->dim);
    model_buf_put(b, n->m2, sizeof(double) * (size_t)n->dim);
    if (version >= VERSION_OPTIONS) {
        model_buf_put(b, n->lo, sizeof(float) * (size_t)n->dim);
        model_buf_put(b, n->hi, sizeof(float) * (size_t)n->dim);
    }
}

/* the version a model is written in: the oldest that holds its options */
static uint32_t file_version(const WmArch* a) {
    WmArch d = wm_arch_default(a->slots);
    return a->inputs != d.inputs || a->rest_gate != d.rest_gate || a->release_impact != d.release_impact
               ? VERSION_OPTIONS
               : WM_CKPT_VERSION;
}

bool wm_checkpoint_save(const WmModel* m, const NnAdamW* opt, const char* path, char* err,
                        size_t err_size) {
    return wm_checkpoint_save_resume(m, opt, NULL, path, err, err_size);
}

bool wm_checkpoint_save_resume(const WmModel* m, const NnAdamW* opt, const WmResume* rs, const char* path,
                               char* err, size_t err_size) {
    ModelBuf b = {0};
    const WmArch* a = &m->arch;
    uint32_t version = file_version(a);
    model_buf_put(&b, WM_CKPT_MAGIC, 8);
    model_buf_u32(&b, version);
    if (version >= VERSION_OPTIONS) model_buf_u32(&b, MODEL_KIND_STATE);
    model_buf_u32(&b, wm_schema_hash());
    model_buf_i32(&b, a->slots);
    model_buf_i32(&b, a->dim);
    model_buf_i32(&b, a->latent);
    model_buf_i32(&b, a->edge);
    model_buf_i32(&b, a->hidden);
    model_buf_i32(&b, a->rounds);
    model_buf_f32(&b, a->radius);
    model_buf_f32(&b, a->dt);
    model_buf_i32(&b, WM_NODE_FEATS);
    model_buf_i32(&b, wm_edge_feats(a));
    model_buf_i32(&b, WM_OUTPUTS);
    model_buf_i64(&b, m->steps);
    model_buf_u64(&b, m->seed);
    model_buf_i32(&b, m->nparams);
    bool with_opt = opt && opt->m && opt->n == m->nparams;
    bool with_rs = with_opt && rs && rs->raw && rs->parts >= 1 && rs->parts <= WM_RESUME_MAX_PARTS;
    model_buf_u32(&b, (with_opt ? 1u : 0u) | (with_rs ? 2u : 0u));
    if (version >= VERSION_OPTIONS) {
        model_buf_i32(&b, a->inputs);
        model_buf_f32(&b, a->rest_gate);
        if (a->inputs & WM_INPUT_IMPACT) model_buf_f32(&b, a->release_impact);
    }
    put_norm(&b, &m->nin, version);
    put_norm(&b, &m->ein, version);
    put_norm(&b, &m->tgt, version);
    model_buf_put(&b, m->params, sizeof(float) * (size_t)m->nparams);
    if (with_opt) {
        model_buf_i64(&b, opt->t);
        model_buf_put(&b, opt->m, sizeof(float) * (size_t)m->nparams);
        model_buf_put(&b, opt->v, sizeof(float) * (size_t)m->nparams);
    }
    if (with_rs) {
        model_buf_put(&b, rs->raw, sizeof(float) * (size_t)m->nparams);
        for (int i = 0; i < 4; i++) model_buf_u64(&b, rs->batch_rng[i]);
        model_buf_i32(&b, rs->parts);
        for (int p = 0; p < rs->parts; p++)
            for (int i = 0; i < 4; i++) model_buf_u64(&b, rs->noise_rng[p][i]);
    }
    return model_buf_commit(&b, path, err, err_size);
}

bool wm_save(const WmModel* m, const char* path, char* err, size_t err_size) {
    return wm_checkpoint_save(m, NULL, path, err, err_size);
}

/* one set of statistics; false + why (into why) when its size does not match or a number is not
 * finite (a NaN mean or a negative sum of squares would make every prediction NaN) */
static bool get_norm(ModelRd* r, WmNorm* n, uint32_t version, const char* what, char* why, size_t why_size) {
    int32_t dim = model_rd_i32(r);
    if (r->short_read || dim != n->dim) {
        report_set(why, why_size, "%s statistics: %d columns, expected %d", what, dim, n->dim);
        return false;
    }
    model_rd_get(r, &n->count, 8);
    model_rd_get(r, n->mean, sizeof(double) * (size_t)dim);
    model_rd_get(r, n->m2, sizeof(double) * (size_t)dim);
    if (version >= VERSION_OPTIONS) {
        model_rd_get(r, n->lo, sizeof(float) * (size_t)dim);
        model_rd_get(r, n->hi, sizeof(float) * (size_t)dim);
    }
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
    /* a range is empty (nothing seen: +inf, -inf) or finite */
    for (int j = 0; j < dim; j++)
        if (isnan(n->lo[j]) || isnan(n->hi[j]) ||
            !((n->lo[j] == INFINITY && n->hi[j] == -INFINITY) || (isfinite(n->lo[j]) && isfinite(n->hi[j]) && n->lo[j] <= n->hi[j]))) {
            report_set(why, why_size, "%s statistics: column %d has the range [%g, %g]", what, j, (double)n->lo[j],
                       (double)n->hi[j]);
            return false;
        }
    wm_norm_refresh(n);
    return true;
}

WmModel* wm_checkpoint_load(const char* path, NnAdamW* opt, bool* has_opt, char* err,
                            size_t err_size) {
    return wm_checkpoint_load_resume(path, opt, has_opt, NULL, err, err_size);
}

WmModel* wm_checkpoint_load_resume(const char* path, NnAdamW* opt, bool* has_opt, WmResume* rs, char* err,
                                   size_t err_size) {
    if (has_opt) *has_opt = false;
    if (rs) rs->raw = NULL;
    size_t len = 0;
    unsigned char* data = model_file_read(path, &len, err, err_size);
    if (!data) return NULL;
    WmModel* m = wm_checkpoint_parse_resume(data, len, path, opt, has_opt, rs, err, err_size);
    free(data);
    return m;
}

WmModel* wm_checkpoint_parse(const unsigned char* data, size_t len, const char* path, NnAdamW* opt,
                             bool* has_opt, char* err, size_t err_size) {
    return wm_checkpoint_parse_resume(data, len, path, opt, has_opt, NULL, err, err_size);
}

WmModel* wm_checkpoint_parse_resume(const unsigned char* data, size_t len, const char* path, NnAdamW* opt,
                                    bool* has_opt, WmResume* rs, char* err, size_t err_size) {
    if (has_opt) *has_opt = false;
    if (rs) rs->raw = NULL;
    WmModel* m = NULL;
    bool opt_made = false;
    ModelRd r = {data, len, 0, false};
    char magic[8];
    model_rd_get(&r, magic, 8);
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
    uint32_t version = model_rd_u32(&r);
    if (version != WM_CKPT_VERSION && version != VERSION_OPTIONS) {
        report_set(err, err_size, "%s: model format version %u, this nudge reads versions %u and %u%s", path, version,
                   WM_CKPT_VERSION, VERSION_OPTIONS,
                   version < WM_CKPT_VERSION ? " (the model's inputs changed since: retrain it)" : "");
        goto fail;
    }
    if (version >= VERSION_OPTIONS) {
        uint32_t kind = model_rd_u32(&r);
        if (kind != MODEL_KIND_STATE) {
            report_set(err, err_size, "%s: not a state model (the file holds a model of kind %u)", path, kind);
            goto fail;
        }
    }
    uint32_t schema = model_rd_u32(&r);
    WmArch a;
    memset(&a, 0, sizeof a);
    a.slots = model_rd_i32(&r);
    a.dim = model_rd_i32(&r);
    a.latent = model_rd_i32(&r);
    a.edge = model_rd_i32(&r);
    a.hidden = model_rd_i32(&r);
    a.rounds = model_rd_i32(&r);
    a.radius = model_rd_f32(&r);
    a.dt = model_rd_f32(&r);
    int32_t nf = model_rd_i32(&r), ef = model_rd_i32(&r), of = model_rd_i32(&r);
    int64_t steps = model_rd_i64(&r);
    uint64_t seed = model_rd_u64(&r);
    int32_t nparams = model_rd_i32(&r);
    uint32_t flags = model_rd_u32(&r);
    a.inputs = 0;
    a.rest_gate = 0.5f;
    if (version >= VERSION_OPTIONS) {
        a.inputs = model_rd_i32(&r);
        a.rest_gate = model_rd_f32(&r);
        if (a.inputs & WM_INPUT_IMPACT) a.release_impact = model_rd_f32(&r);
    }
    /* the checksum first: anything after this point can trust the bytes */
    if (!model_file_crc_ok(data, len)) {
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
    if (nf != WM_NODE_FEATS || ef != wm_edge_feats(&a) || of != WM_OUTPUTS) {
        report_set(err, err_size,
                   "%s: the model's inputs and outputs (%d node, %d edge features, %d outputs) are not this nudge's "
                   "(%d, %d, %d): retrain it",
                   path, nf, ef, of, WM_NODE_FEATS, wm_edge_feats(&a), WM_OUTPUTS);
        goto fail;
    }
    if (steps < 0) {
        report_set(err, err_size, "%s: negative step count %lld", path, (long long)steps);
        goto fail;
    }
    m = wm_alloc(&a);
    if (nparams != m->nparams || (flags & ~3u) || (flags & 3u) == 2u) {
        report_set(err, err_size, "%s: model parameter count %d does not match its architecture (%d)",
                   path, nparams, m->nparams);
        goto fail;
    }
    m->steps = steps;
    m->seed = seed;
    if (!get_norm(&r, &m->nin, version, "node input", why, sizeof why) ||
        !get_norm(&r, &m->ein, version, "edge input", why, sizeof why) ||
        !get_norm(&r, &m->tgt, version, "target", why, sizeof why)) {
        report_set(err, err_size, "%s: bad normalization statistics: %s", path, why);
        goto fail;
    }
    model_rd_get(&r, m->params, sizeof(float) * (size_t)nparams);
    if (flags & 1u) {
        int64_t t = model_rd_i64(&r);
        if (opt) {
            nn_adamw_init(opt, nparams, opt->lr, opt->weight_decay);
            opt_made = true;
            opt->t = t;
            model_rd_get(&r, opt->m, sizeof(float) * (size_t)nparams);
            model_rd_get(&r, opt->v, sizeof(float) * (size_t)nparams);
            if (has_opt) *has_opt = true;
        } else {
            r.at += 8 * (size_t)nparams;
        }
    }
    if (flags & 2u) {
        /* the resume state: the raw weights, the batch sampler's and the parts' random streams */
        bool want = rs && opt;
        if (want) {
            rs->raw = alloc_bytes(sizeof(float) * (size_t)nparams);
            model_rd_get(&r, rs->raw, sizeof(float) * (size_t)nparams);
            for (int i = 0; i < 4; i++) rs->batch_rng[i] = model_rd_u64(&r);
        } else {
            r.at += 4 * (size_t)nparams + 32;
        }
        int32_t parts = model_rd_i32(&r);
        if (r.short_read) {
            report_set(err, err_size, "%s: model file size does not match its header", path);
            goto fail;
        }
        if (parts < 1 || parts > WM_RESUME_MAX_PARTS) {
            report_set(err, err_size, "%s: the resume state holds %d training threads' noise, expected 1 to %d", path,
                       parts, WM_RESUME_MAX_PARTS);
            goto fail;
        }
        if (want) {
            rs->parts = parts;
            for (int p = 0; p < parts; p++)
                for (int i = 0; i < 4; i++) rs->noise_rng[p][i] = model_rd_u64(&r);
        } else {
            r.at += 32 * (size_t)parts;
        }
    }
    if (r.short_read || r.at != len - 4) {
        report_set(err, err_size, "%s: model file size does not match its header", path);
        goto fail;
    }
    /* a NaN weight (a diverged run saved, or an altered file with a fixed CRC) would evaluate to
       NaN everywhere: refuse it rather than predict nothing */
    int64_t bad = model_first_non_finite(m->params, nparams);
    if (bad >= 0) {
        report_set(err, err_size, "%s: parameter %lld of %d is %g: the model holds non-finite weights (a diverged "
                                  "training?) and is refused", path, (long long)bad, nparams, (double)m->params[bad]);
        goto fail;
    }
    if (opt && (flags & 1u) && !model_opt_state_ok(opt->t, opt->m, opt->v, nparams, path, err, err_size)) goto fail;
    if (rs && rs->raw) {
        bad = model_first_non_finite(rs->raw, nparams);
        if (bad >= 0) {
            report_set(err, err_size, "%s: trained weight %lld of %d in the resume state is %g: refused", path,
                       (long long)bad, nparams, (double)rs->raw[bad]);
            goto fail;
        }
    }
    return m;
fail:
    if (rs) {
        free(rs->raw);
        rs->raw = NULL;
    }
    if (opt_made) nn_adamw_free(opt); /* the caller gets no optimizer state from a refused file */
    if (has_opt) *has_opt = false;
    wm_free(m);
    return NULL;
}

WmModel* wm_load(const char* path, char* err, size_t err_size) {
    return wm_checkpoint_load(path, NULL, NULL, err, err_size);
}
