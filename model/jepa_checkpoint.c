/* jepa_checkpoint: the pixel model's file (model/model_file.h for the shared header).
 *
 *   "NUDGEWM\0"  u32 version (3)  u32 kind (MODEL_KIND_JEPA)  u32 layers (JEPA_LAYERS)
 *   i32 frame_w frame_h channels context levels width latent hidden pred_layers groups  f32 dt
 *   i64 steps  u64 seed  i32 nparams  i32 enc_count  u32 flags (1 = optimizer state follows;
 *   2 = a probe follows; 4 = trained on frames of render_frame_rect, JEPA_FRAMING_EVENTS, else
 *   of render_scene_rect; 8 = a frame step follows; 16 = a keypoint count follows; 32 = the
 *   keypoints' heat kind follows; 64 = the keypoints' constant velocity follows; 128 = their heat's
 *   source and window follow; 256 = trained on antialiased frames, gen --frames-aa, else on
 *   render_world's hard edges; 512 = the appearance keypoints' count follows; 1024 = the event
 *   heads follow, train --event-weight; 2048 = the objectness keypoint's flag follows; 4096 = the
 *   gated predictor's flag follows; 8192 = the appearance heats' blur follows; 16384 = trained on
 *   frames with outlined dynamic bodies, gen --frames-outline)
 *   [i32 frame_step]                               when flags & 8 (else 1: files before it)
 *   [i32 keypoints, i32 keypoint_frames]           when flags & 16 (else 0, 0: files before it)
 *   [i32 keypoint_sharp]                           when flags & 32 (else 0: files before it)
 *   [i32 keypoint_cv]                              when flags & 64 (else 0: files before it)
 *   [i32 keypoint_motion, i32 keypoint_overlap]    when flags & 128 (else 0, 0: files before it)
 *   [i32 keypoint_appear]                          when flags & 512 (else 0: files before it)
 *   [i32 keypoint_objness]                         when flags & 2048 (else 0: files before it)
 *   [i32 pred_gate]                                when flags & 4096 (else 0: files before it)
 *   [f32 keypoint_blur]                            when flags & 8192 (else 0: files before it)
 *   f32 params[nparams]  f32 target[enc_count]
 *   [i64 t, f32 m[nparams], f32 v[nparams]]        when flags & 1
 *   [the probe (model/probe.h)]                    when flags & 2
 *   [i32 F (3 C), f32 w[2 (F + 1)]]                when flags & 1024 (jepa_event_heads)
 *   u32 CRC-32 (zlib) of every byte before it
 * Little-endian. */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "model/jepa_impl.h"
#include "model/model_file.h"

#define JEPA_FILE_VERSION MODEL_FILE_KIND_VERSION
/// bumped whenever the layers a JepaArch builds change (older files are refused)
#define JEPA_LAYERS 2u   /* 2: the push map carries the velocity change (impulse over mass) */
#define HEAD_BYTES (8 + 4 * 4 + 11 * 4 + 8 + 8 + 4 * 3)

bool jepa_checkpoint_save(const JepaModel* m, const NnAdamW* opt, const Probe* probe,
                          const char* path, char* err, size_t err_size) {
    ModelBuf b = {0};
    model_buf_put(&b, MODEL_FILE_MAGIC, 8);
    model_buf_u32(&b, JEPA_FILE_VERSION);
    model_buf_u32(&b, MODEL_KIND_JEPA);
    model_buf_u32(&b, JEPA_LAYERS);
    const JepaArch* a = &m->arch;
    model_buf_i32(&b, a->frame_w);
    model_buf_i32(&b, a->frame_h);
    model_buf_i32(&b, a->channels);
    model_buf_i32(&b, a->context);
    model_buf_i32(&b, a->levels);
    model_buf_i32(&b, a->width);
    model_buf_i32(&b, a->latent);
    model_buf_i32(&b, a->hidden);
    model_buf_i32(&b, a->pred_layers);
    model_buf_i32(&b, a->groups);
    model_buf_f32(&b, a->dt);
    model_buf_i64(&b, m->steps);
    model_buf_u64(&b, m->seed);
    model_buf_i32(&b, m->nparams);
    model_buf_i32(&b, m->enc_count);
    bool with_opt = opt && opt->m && opt->n == m->nparams;
    bool with_probe = probe && probe->F == jepa_probe_width(m);
    /* a model of consecutive frames writes no step: the same bytes as before the field */
    bool with_step = a->frame_step != 1;
    /* nor does a model without keypoints write their count */
    bool with_kp = a->keypoints != 0;
    /* nor one of plain keypoints their heat kind */
    bool with_sharp = a->keypoint_sharp != 0;
    /* nor one without constant-velocity keypoints that flag */
    bool with_cv = a->keypoint_cv != 0;
    /* nor one of keypoints from the frames' pixels in their own cells the change's and window's */
    bool with_kwin = a->keypoint_motion != 0 || a->keypoint_overlap != 0;
    /* nor one without appearance keypoints their count */
    bool with_appear = a->keypoint_appear != 0;
    /* nor one without an objectness keypoint its flag */
    bool with_obj = a->keypoint_objness != 0;
    /* nor one with every cell predicted the gate's */
    bool with_gate = a->pred_gate != 0;
    /* nor one with unblurred heats the blur's */
    bool with_blur = a->keypoint_blur != 0;
    /* nor one trained without the event heads theirs */
    bool with_events = m->ev_f > 0;
    model_buf_u32(&b, (with_blur ? 8192u : 0u) | (with_gate ? 4096u : 0u) | (with_obj ? 2048u : 0u) | (with_events ? 1024u : 0u) |
                          (with_appear ? 512u : 0u) | (with_opt ? 1u : 0u) | (with_probe ? 2u : 0u) |
                          (m->framing == JEPA_FRAMING_EVENTS ? 4u : 0u) | (with_step ? 8u : 0u) |
                          (with_kp ? 16u : 0u) | (with_sharp ? 32u : 0u) | (with_cv ? 64u : 0u) |
                          (with_kwin ? 128u : 0u) | (m->frames_aa ? 256u : 0u) | (m->frames_outline ? 16384u : 0u));
    if (with_step) model_buf_i32(&b, a->frame_step);
    if (with_kp) {
        model_buf_i32(&b, a->keypoints);
        model_buf_i32(&b, a->keypoint_frames);
    }
    if (with_sharp) model_buf_i32(&b, a->keypoint_sharp);
    if (with_cv) model_buf_i32(&b, a->keypoint_cv);
    if (with_kwin) {
        model_buf_i32(&b, a->keypoint_motion);
        model_buf_i32(&b, a->keypoint_overlap);
    }
    if (with_appear) model_buf_i32(&b, a->keypoint_appear);
    if (with_obj) model_buf_i32(&b, a->keypoint_objness);
    if (with_gate) model_buf_i32(&b, a->pred_gate);
    if (with_blur) model_buf_f32(&b, a->keypoint_blur);
    model_buf_put(&b, m->params, sizeof(float) * (size_t)m->nparams);
    model_buf_put(&b, m->target, sizeof(float) * (size_t)m->enc_count);
    if (with_opt) {
        model_buf_i64(&b, opt->t);
        model_buf_put(&b, opt->m, sizeof(float) * (size_t)m->nparams);
        model_buf_put(&b, opt->v, sizeof(float) * (size_t)m->nparams);
    }
    if (with_probe) probe_write(probe, &b);
    if (with_events) {
        model_buf_i32(&b, m->ev_f);
        model_buf_put(&b, m->ev_w, sizeof(float) * (size_t)JEPA_EVENT_HEADS * ((size_t)m->ev_f + 1));
    }
    return model_buf_commit(&b, path, err, err_size);
}

JepaModel* jepa_checkpoint_load(const char* path, NnAdamW* opt, bool* has_opt, Probe* probe,
                                bool* has_probe, char* err, size_t err_size) {
    if (has_opt) *has_opt = false;
    if (has_probe) *has_probe = false;
    size_t len = 0;
    unsigned char* data = model_file_read(path, &len, err, err_size);
    if (!data) return NULL;
    JepaModel* m = NULL;
    bool opt_made = false, probe_made = false;
    ModelRd r = {data, len, 0, false};
    if (len < 8 || memcmp(data, MODEL_FILE_MAGIC, 8) != 0) {
        report_set(err, err_size, "%s: not a nudge model file (bad magic)", path);
        goto fail;
    }
    if (len < 16) {
        report_set(err, err_size, "%s: truncated model file (%zu bytes)", path, len);
        goto fail;
    }
    r.at = 8;
    uint32_t version = model_rd_u32(&r), kind = model_rd_u32(&r);
    if (version < MODEL_FILE_KIND_VERSION || kind != MODEL_KIND_JEPA) {
        report_set(err, err_size, "%s: a %s model, not a pixel (jepa) model", path,
                   version < MODEL_FILE_KIND_VERSION ? "state" : model_kind_name((ModelKind)kind));
        goto fail;
    }
    if (version != JEPA_FILE_VERSION) {
        report_set(err, err_size, "%s: model format version %u, this nudge reads version %u", path, version,
                   JEPA_FILE_VERSION);
        goto fail;
    }
    if (len < HEAD_BYTES + 4) {
        report_set(err, err_size, "%s: truncated model file (%zu bytes)", path, len);
        goto fail;
    }
    /* the checksum first: anything after this point can trust the bytes */
    if (!model_file_crc_ok(data, len)) {
        report_set(err, err_size, "%s: model file is truncated or corrupted (CRC-32 mismatch)", path);
        goto fail;
    }
    uint32_t layers = model_rd_u32(&r);
    JepaArch a;
    memset(&a, 0, sizeof a);
    a.frame_w = model_rd_i32(&r);
    a.frame_h = model_rd_i32(&r);
    a.channels = model_rd_i32(&r);
    a.context = model_rd_i32(&r);
    a.levels = model_rd_i32(&r);
    a.width = model_rd_i32(&r);
    a.latent = model_rd_i32(&r);
    a.hidden = model_rd_i32(&r);
    a.pred_layers = model_rd_i32(&r);
    a.groups = model_rd_i32(&r);
    a.dt = model_rd_f32(&r);
    int64_t steps = model_rd_i64(&r);
    uint64_t seed = model_rd_u64(&r);
    int32_t nparams = model_rd_i32(&r), enc_count = model_rd_i32(&r);
    uint32_t flags = model_rd_u32(&r);
    a.frame_step = (flags & 8u) ? model_rd_i32(&r) : 1;
    a.keypoints = (flags & 16u) ? model_rd_i32(&r) : 0;
    a.keypoint_frames = (flags & 16u) ? model_rd_i32(&r) : 0;
    a.keypoint_sharp = (flags & 32u) ? model_rd_i32(&r) : 0;
    a.keypoint_cv = (flags & 64u) ? model_rd_i32(&r) : 0;
    a.keypoint_motion = (flags & 128u) ? model_rd_i32(&r) : 0;
    a.keypoint_overlap = (flags & 128u) ? model_rd_i32(&r) : 0;
    a.keypoint_appear = (flags & 512u) ? model_rd_i32(&r) : 0;
    a.keypoint_objness = (flags & 2048u) ? model_rd_i32(&r) : 0;
    a.pred_gate = (flags & 4096u) ? model_rd_i32(&r) : 0;
    a.keypoint_blur = (flags & 8192u) ? model_rd_f32(&r) : 0.0f;
    char why[256];
    if (layers != JEPA_LAYERS) {
        report_set(err, err_size, "%s: a pixel model of another layer layout (%u; this nudge builds %u): retrain it",
                   path, layers, JEPA_LAYERS);
        goto fail;
    }
    if (!jepa_arch_check(&a, why, sizeof why)) {
        report_set(err, err_size, "%s: %s", path, why);
        goto fail;
    }
    m = jepa_alloc(&a);
    if (!m || nparams != m->nparams || enc_count != m->enc_count || (flags & ~32767u)) {
        report_set(err, err_size, "%s: model parameter count %d does not match its architecture (%d)", path,
                   nparams, m ? m->nparams : -1);
        goto fail;
    }
    m->steps = steps;
    m->seed = seed;
    m->framing = (flags & 4u) ? JEPA_FRAMING_EVENTS : JEPA_FRAMING_SCENE;
    m->frames_aa = (flags & 256u) != 0;
    m->frames_outline = (flags & 16384u) != 0;
    model_rd_get(&r, m->params, sizeof(float) * (size_t)nparams);
    model_rd_get(&r, m->target, sizeof(float) * (size_t)enc_count);
    if (flags & 1u) {
        int64_t t = model_rd_i64(&r);
        if (opt) {
            nn_adamw_init(opt, nparams, opt->lr, opt->weight_decay);
            opt->t = t;
            opt_made = true;
            model_rd_get(&r, opt->m, sizeof(float) * (size_t)nparams);
            model_rd_get(&r, opt->v, sizeof(float) * (size_t)nparams);
            if (has_opt) *has_opt = true;
        } else {
            r.at += 8 * (size_t)nparams;
        }
    }
    if (flags & 2u) {
        Probe tmp;
        Probe* p = probe ? probe : &tmp;
        if (!probe_read(p, &r, jepa_probe_width(m), why, sizeof why)) {
            report_set(err, err_size, "%s: %s", path, why);
            goto fail;
        }
        if (!probe) probe_free(&tmp);
        else {
            probe_made = true;
            if (has_probe) *has_probe = true;
        }
    }
    if (flags & 1024u) {
        int32_t F = model_rd_i32(&r);
        if (F != 3 * m->lc) {
            report_set(err, err_size, "%s: event heads of %d features, not this model's %d (3 per latent channel)", path,
                       F, 3 * m->lc);
            goto fail;
        }
        size_t n = (size_t)JEPA_EVENT_HEADS * ((size_t)F + 1);
        if (r.short_read || r.at + n * sizeof(float) > len - 4) {
            report_set(err, err_size, "%s: model file size does not match its header", path);
            goto fail;
        }
        float* w = alloc_array(n, sizeof(float));
        model_rd_get(&r, w, sizeof(float) * n);
        int64_t bad = model_first_non_finite(w, (int64_t)n);
        if (bad >= 0) {
            report_set(err, err_size, "%s: event head weight %lld is %g: refused", path, (long long)bad, (double)w[bad]);
            free(w);
            goto fail;
        }
        jepa_set_event_heads(m, F, w);
        free(w);
    }
    if (r.short_read || r.at != len - 4) {
        report_set(err, err_size, "%s: model file size does not match its header", path);
        goto fail;
    }
    /* non-finite numbers behind a valid CRC (a diverged run saved, or an altered file): refused */
    int64_t bad = model_first_non_finite(m->params, nparams), bad_t = model_first_non_finite(m->target, enc_count);
    if (bad >= 0 || bad_t >= 0) {
        report_set(err, err_size, "%s: %s %lld is %g: the model holds non-finite weights (a diverged training?) and "
                   "is refused", path, bad >= 0 ? "parameter" : "target encoder parameter",
                   (long long)(bad >= 0 ? bad : bad_t), (double)(bad >= 0 ? m->params[bad] : m->target[bad_t]));
        goto fail;
    }
    if (opt_made && !model_opt_state_ok(opt->t, opt->m, opt->v, nparams, path, err, err_size)) goto fail;
    if (steps < 0) {
        report_set(err, err_size, "%s: negative step count %lld", path, (long long)steps);
        goto fail;
    }
    free(data);
    return m;
fail:
    if (opt_made) nn_adamw_free(opt);
    if (probe_made) probe_free(probe);
    if (has_opt) *has_opt = false;
    if (has_probe) *has_probe = false;
    jepa_free(m);
    free(data);
    return NULL;
}

bool jepa_save(const JepaModel* m, const char* path, char* err, size_t err_size) {
    return jepa_checkpoint_save(m, NULL, NULL, path, err, err_size);
}

JepaModel* jepa_load(const char* path, char* err, size_t err_size) {
    return jepa_checkpoint_load(path, NULL, NULL, NULL, NULL, err, err_size);
}
