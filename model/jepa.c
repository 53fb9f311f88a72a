/* jepa: the pixel model -- architecture, creation, encoding, prediction, surprise (jepa.h) */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "base/rng.h"
#include "model/jepa_impl.h"
#include "render/camera.h"
#include "render/frame_rect.h"
#include "render/render.h"

JepaArch jepa_arch_default(int frame_w, int frame_h, int channels) {
    JepaArch a;
    memset(&a, 0, sizeof a);
    a.frame_w = frame_w;
    a.frame_h = frame_h;
    a.channels = channels;
    a.context = 2;
    a.frame_step = 1;
    a.levels = 3;
    a.width = 16;
    a.latent = 16;
    a.keypoints = 0;
    a.hidden = 64;
    a.pred_layers = 3;
    a.groups = 4;
    a.dt = 1.0f / 60.0f;
    return a;
}

bool jepa_arch_check(const JepaArch* a, char* err, size_t err_size) {
    if (a->levels < 1 || a->levels > 4)
        return report_set(err, err_size, "%d halvings of the frame: 1 to 4", a->levels), false;
    int q = 1 << a->levels;
    if (a->frame_w < 2 * q || a->frame_h < 2 * q || a->frame_w % q || a->frame_h % q || a->frame_w > 1024 ||
        a->frame_h > 1024)
        return report_set(err, err_size, "frames of %dx%d: the pixel model needs sides that are multiples of %d, "
                          "from %d to 1024", a->frame_w, a->frame_h, q, 2 * q), false;
    if (a->channels != 1 && a->channels != 3)
        return report_set(err, err_size, "frames of %d channels: the pixel model reads gray (1) or RGB (3)",
                          a->channels), false;
    if (a->context < 2 || a->context > 8)
        return report_set(err, err_size, "context of %d frames: 2 to 8 (two at least, so that velocity is visible)",
                          a->context), false;
    if (a->frame_step < 1 || a->frame_step > JEPA_MAX_FRAME_STEP)
        return report_set(err, err_size, "frame step of %d ticks: 1 to %d", a->frame_step, JEPA_MAX_FRAME_STEP), false;
    if (a->width < 1 || a->width > 256 || a->latent < 1 || a->latent > 256 || a->hidden < 1 || a->hidden > 512 ||
        a->pred_layers < 1 || a->pred_layers > 6)
        return report_set(err, err_size, "pixel model widths out of range (width %d, latent %d, hidden %d, "
                          "predictor layers %d)", a->width, a->latent, a->hidden, a->pred_layers), false;
    if (a->keypoints < 0 || a->keypoints > 16 || (a->keypoints > 0 && a->levels < 2) || a->keypoint_frames < 0 ||
        a->keypoint_frames > 1 || (a->keypoints == 0 && a->keypoint_frames) || a->keypoint_sharp < 0 ||
        a->keypoint_sharp > 1 || (a->keypoints == 0 && a->keypoint_sharp))
        return report_set(err, err_size, "%d keypoint channels (from %d, sharp %d): 0 to 16, and with 2 halvings of "
                          "the frame at least", a->keypoints, a->keypoint_frames, a->keypoint_sharp), false;
    if (a->keypoint_cv < 0 || a->keypoint_cv > 1 || (a->keypoint_cv && !a->keypoint_frames))
        return report_set(err, err_size, "constant-velocity keypoints (%d) need keypoints from the frames (%d)",
                          a->keypoint_cv, a->keypoint_frames), false;
    if (a->keypoint_motion < 0 || a->keypoint_motion > 1 || (a->keypoint_motion && (!a->keypoint_cv || a->context < 3)))
        return report_set(err, err_size, "keypoints from the frames' change (%d) need constant-velocity keypoints (%d) "
                          "and a context of 3 frames at least (%d)", a->keypoint_motion, a->keypoint_cv, a->context),
               false;
    if (a->keypoint_overlap < 0 || a->keypoint_overlap > 1 || (a->keypoint_overlap && a->keypoints == 0))
        return report_set(err, err_size, "overlapping keypoint windows (%d) need keypoints (%d)", a->keypoint_overlap,
                          a->keypoints), false;
    if (a->keypoint_appear < 0 || (a->keypoint_appear > 0 && (a->keypoint_appear >= a->keypoints ||
                                                              !a->keypoint_motion || !a->keypoint_sharp)))
        return report_set(err, err_size, "%d appearance keypoints of %d: fewer than the keypoints, and with keypoints "
                          "from the frames' change (%d) and sharp (%d)", a->keypoint_appear, a->keypoints,
                          a->keypoint_motion, a->keypoint_sharp), false;
    if (a->keypoint_objness < 0 || a->keypoint_objness > 1 || (a->keypoint_objness && a->keypoint_appear < 1))
        return report_set(err, err_size, "an objectness keypoint (%d) needs appearance keypoints (%d)",
                          a->keypoint_objness, a->keypoint_appear), false;
    if (!(a->keypoint_blur >= 0 && a->keypoint_blur <= JEPA_MAX_BLUR) || (a->keypoint_blur > 0 && a->keypoint_appear < 1))
        return report_set(err, err_size, "a keypoint blur of %g px needs appearance keypoints (%d) and at most %g px",
                          (double)a->keypoint_blur, a->keypoint_appear, (double)JEPA_MAX_BLUR), false;
    if (a->pred_gate < 0 || a->pred_gate > 1 || (a->pred_gate && !a->keypoint_motion))
        return report_set(err, err_size, "a gated predictor (%d) needs keypoints from the frames' change (%d)",
                          a->pred_gate, a->keypoint_motion), false;
    if (a->groups < 1 || a->width % a->groups || a->hidden % a->groups)
        return report_set(err, err_size, "%d norm groups do not divide the widths %d and %d", a->groups, a->width,
                          a->hidden), false;
    if (!(a->dt > 0) || !isfinite(a->dt))
        return report_set(err, err_size, "the time between frames must be positive"), false;
    return true;
}

JepaModel* jepa_alloc(const JepaArch* a) {
    if (!jepa_arch_check(a, NULL, 0)) return NULL;
    JepaModel* m = alloc_zeroed(1, sizeof *m);
    m->arch = *a;
    m->ktemp = -1;
    int w = a->width, g = a->groups;
    bool ok = true;
    /* the encoder first: its parameters are the flat array's first enc_count floats */
    nn_convnet_begin(&m->enc, a->frame_h, a->frame_w, a->context * a->channels);
    int c = w;
    for (int i = 0; ok && i < a->levels; i++, c *= 2)
        ok = nn_convnet_add(&m->enc, &m->layout, c, 4, 2, 1, g, NN_ACT_SILU);
    c /= 2;
    ok = ok && nn_convnet_add(&m->enc, &m->layout, c, 3, 1, 1, g, NN_ACT_SILU);
    ok = ok && nn_convnet_add(&m->enc, &m->layout, a->latent, 1, 1, 0, 0, NN_ACT_NONE);
    nn_convnet_out(&m->enc, &m->lh, &m->lw, &m->lc);
    /* the keypoint branch: heat maps from the first layer's map, its parameters in the encoder's */
    if (ok && a->keypoints > 0) {
        const NnConvLayer* L0 = &m->enc.layer[0];
        m->kh = L0->ho, m->kw = L0->wo, m->kc = L0->conv.cout;
        if (a->keypoint_frames) m->kh = a->frame_h, m->kw = a->frame_w, m->kc = a->context * a->channels;
        /* constant velocity: the heats of one frame at a time, a 3x3 convolution */
        if (a->keypoint_cv) m->kc = a->channels;
        m->kcell = m->kh / m->lh;
        m->kunit = (float)a->frame_w / (float)m->kw;
        m->kmargin = a->keypoint_overlap ? m->kcell / 2 : 0;
        ok = m->kcell * m->lh == m->kh && m->kcell * m->lw == m->kw;
        int km = a->keypoints - a->keypoint_appear;
        if (a->keypoint_cv) nn_conv2d_layout(&m->kp, &m->layout, m->kc, km, 3, 1, 1);
        else nn_conv2d_layout(&m->kp, &m->layout, m->kc, km, 1, 1, 0);
        /* sharp: a temperature per channel, without weight decay */
        if (a->keypoint_sharp) m->ktemp = nn_layout_add(&m->layout, a->keypoints, false);
        /* appearance keypoints: their own heat convolution of a frame's pixels (and, with an
           objectness keypoint, of their intensity bands) */
        m->kca = a->keypoint_objness ? m->kc * (1 + JEPA_OBJ_BANDS) : m->kc;
        if (a->keypoint_appear > 0) nn_conv2d_layout(&m->kpa, &m->layout, m->kca, a->keypoint_appear, 3, 1, 1);
        m->lc += (a->keypoint_cv ? 5 : 3) * a->keypoints;
    }
    m->enc_count = m->layout.count;
    /* the predictor over [latent | push map] */
    nn_convnet_begin(&m->pred, m->lh, m->lw, m->lc + JEPA_PUSH_CHANNELS);
    for (int i = 0; ok && i < a->pred_layers; i++)
        ok = nn_convnet_add(&m->pred, &m->layout, a->hidden, 3, 1, 1, g, NN_ACT_SILU);
    ok = ok && nn_convnet_add(&m->pred, &m->layout, m->lc, 1, 1, 0, 0, NN_ACT_NONE);
    if (!ok) {
        nn_layout_free(&m->layout);
        free(m);
        return NULL;
    }
    m->nparams = m->layout.count;
    m->params = alloc_zeroed((size_t)m->nparams, sizeof(float));
    m->target = alloc_zeroed((size_t)m->enc_count, sizeof(float));
    return m;
}

JepaModel* jepa_create(const JepaArch* arch, uint64_t seed) {
    JepaModel* m = jepa_alloc(arch);
    if (!m) return NULL;
    m->seed = seed;
    m->framing = JEPA_FRAMING_EVENTS;
    Rng rng;
    rng_seed(&rng, rng_derive(seed, 0x6a657061ULL));
    nn_convnet_init(&m->enc, m->params, &rng, 1.0f);
    if (arch->keypoints > 0) nn_conv2d_init(&m->kp, m->params, &rng, 1.0f);
    int km = arch->keypoints - arch->keypoint_appear;
    for (int k = 0; m->ktemp >= 0 && k < arch->keypoints; k++)
        m->params[m->ktemp + k] = arch->keypoint_motion && k < km ? JEPA_KEYPOINT_TEMP_MOTION : JEPA_KEYPOINT_TEMP;
    if (arch->keypoint_appear > 0) nn_conv2d_init(&m->kpa, m->params, &rng, 1.0f);
    /* the predictor starts near the identity: a small last layer, and the residual */
    nn_convnet_init(&m->pred, m->params, &rng, 0.1f);
    /* constant velocity: the last layer's output on the keypoint channels starts at zero, so an
       untrained predictor carries each keypoint on at its velocity */
    if (arch->keypoint_cv) {
        const NnConv2d* last = &m->pred.layer[m->pred.nlayers - 1].conv;
        int rows = last->k * last->k * last->cin;
        for (int c = arch->latent; c < last->cout; c++) {
            for (int r = 0; r < rows; r++) m->params[last->w + r * last->cout + c] = 0.0f;
            m->params[last->b + c] = 0.0f;
        }
    }
    memcpy(m->target, m->params, sizeof(float) * (size_t)m->enc_count);
    return m;
}

void jepa_free(JepaModel* m) {
    if (!m) return;
    nn_layout_free(&m->layout);
    free(m->params);
    free(m->target);
    free(m->ev_w);
    free(m);
}

JepaModel* jepa_clone(const JepaModel* m) {
    JepaModel* c = jepa_alloc(&m->arch);
    if (c) jepa_copy(c, m);
    return c;
}

bool jepa_copy(JepaModel* dst, const JepaModel* src) {
    if (dst->nparams != src->nparams || dst->enc_count != src->enc_count ||
        memcmp(&dst->arch, &src->arch, sizeof dst->arch) != 0)
        return false;
    memcpy(dst->params, src->params, sizeof(float) * (size_t)src->nparams);
    memcpy(dst->target, src->target, sizeof(float) * (size_t)src->enc_count);
    dst->steps = src->steps;
    dst->seed = src->seed;
    dst->framing = src->framing;
    dst->frames_aa = src->frames_aa;
    dst->frames_outline = src->frames_outline;
    jepa_set_event_heads(dst, src->ev_f, src->ev_w);
    return true;
}

int jepa_event_heads(const JepaModel* m, const float** w) {
    if (w) *w = m->ev_f ? m->ev_w : NULL;
    return m->ev_f;
}

void jepa_set_event_heads(JepaModel* m, int F, const float* w) {
    if (F <= 0 || !w) {
        free(m->ev_w);
        m->ev_w = NULL;
        m->ev_f = 0;
        return;
    }
    assert(F == 3 * m->lc);
    size_t n = (size_t)JEPA_EVENT_HEADS * ((size_t)F + 1);
    if (m->ev_f != F) {
        free(m->ev_w);
        m->ev_w = alloc_array(n, sizeof(float));
        m->ev_f = F;
    }
    if (m->ev_w != w) memcpy(m->ev_w, w, sizeof(float) * n);
}

JepaFraming jepa_framing(const JepaModel* m) {
    return m->framing;
}

void jepa_set_framing(JepaModel* m, JepaFraming f) {
    m->framing = f;
}

bool jepa_frames_aa(const JepaModel* m) {
    return m && m->frames_aa;
}

void jepa_set_frames_aa(JepaModel* m, bool aa) {
    m->frames_aa = aa;
}

bool jepa_frames_outline(const JepaModel* m) {
    return m && m->frames_outline;
}

void jepa_set_frames_outline(JepaModel* m, bool outline) {
    m->frames_outline = outline;
}

void jepa_render(const JepaModel* m, const SimWorld* w, const double rect[4], uint8_t* frame) {
    render_world_frame(w, rect, frame, m->arch.frame_w, m->arch.frame_h, m->arch.channels, m->frames_aa,
                       m->frames_outline);
}

void jepa_frame_rect(const JepaModel* m, const ScnInstance* inst, double rect[4]) {
    if (m && m->framing == JEPA_FRAMING_SCENE) render_scene_rect(inst, rect);
    else render_frame_rect(inst, rect);
}

void jepa_frame_px(int frame_w, int frame_h, const double rect[4], double x, double y, float* u, float* v) {
    RenderCamera cam = render_camera_fit(rect, 0, 0, frame_w, frame_h);
    double sx, sy;
    render_camera_to_screen(&cam, x, y, &sx, &sy);
    *u = (float)sx;
    *v = (float)sy;
}

const JepaArch* jepa_arch(const JepaModel* m) {
    return &m->arch;
}

int jepa_param_count(const JepaModel* m) {
    return m->nparams;
}

int64_t jepa_train_steps(const JepaModel* m) {
    return m->steps;
}

void jepa_latent_shape(const JepaModel* m, int* h, int* w, int* c) {
    *h = m->lh, *w = m->lw, *c = m->lc;
}

int jepa_latent_size(const JepaModel* m) {
    return m->lh * m->lw * m->lc;
}

int jepa_probe_width(const JepaModel* m) {
    return m->lh * m->lw * m->arch.latent;
}

void jepa_probe_features(const JepaModel* m, int B, const float* z, float* x) {
    size_t rows = (size_t)B * m->lh * m->lw;
    int Lm = m->arch.latent, C = m->lc;
    if (Lm == C) {
        if (x != z) memcpy(x, z, sizeof(float) * rows * C);
        return;
    }
    for (size_t i = 0; i < rows; i++) memmove(x + i * Lm, z + i * C, sizeof(float) * (size_t)Lm);
}

/* ---- scratch ---- */

JepaScratch* jepa_scratch_create(const JepaModel* m) {
    (void)m;
    JepaScratch* s = alloc_zeroed(1, sizeof(JepaScratch));
    /* inference only: a frame that an earlier window or call put through the keypoint branch is read */
    jepa_enc_cache_memo(&s->enc);
    return s;
}

void jepa_scratch_free(JepaScratch* s) {
    if (!s) return;
    free(s->x);
    free(s->pin);
    free(s->act);
    jepa_enc_cache_free(&s->enc);
    nn_convnet_cache_free(&s->pred);
    free(s);
}

void jepa_scratch_reserve(const JepaModel* m, JepaScratch* s, int B) {
    if (B <= s->cap) return;
    int cap = s->cap ? s->cap : 1;
    while (cap < B) cap *= 2;
    const JepaArch* a = &m->arch;
    size_t px = (size_t)a->frame_w * a->frame_h * a->context * a->channels;
    size_t cells = (size_t)m->lh * m->lw;
    s->x = alloc_resize(s->x, (size_t)cap * px, sizeof(float));
    s->pin = alloc_resize(s->pin, (size_t)cap * cells * (m->lc + JEPA_PUSH_CHANNELS), sizeof(float));
    s->act = alloc_resize(s->act, (size_t)cap * cells, 1);
    jepa_enc_cache_reserve(m, &s->enc, cap);
    nn_convnet_cache_reserve(&s->pred, &m->pred, cap);
    s->cap = cap;
}

/* ---- the encoder ---- */

void jepa_enc_cache_keep_cols(JepaEncCache* c) {
    nn_convnet_cache_keep_cols(&c->net);
}

void jepa_enc_cache_share(JepaEncCache* c) {
    c->shared = true;
}

void jepa_enc_cache_memo(JepaEncCache* c) {
    c->shared = c->memo = true;
}

void jepa_enc_cache_free(JepaEncCache* c) {
    nn_convnet_cache_free(&c->net);
    free(c->umap);
    free(c->umapa);
    free(c->hash);
    free(c->hasha);
    free(c->at);
    free(c->hit);
    c->umap = c->umapa = c->at = c->hit = NULL;
    c->hash = c->hasha = NULL;
    for (int s = 0; s < 2; s++) {
        JepaKpMemo* mo = &c->slots[s];
        free(mo->key);
        for (int b = 0; b < 2; b++) free(mo->img[b]), free(mo->hash[b]), free(mo->kpo[b]);
        memset(mo, 0, sizeof *mo);
    }
    free(c->heat);
    free(c->prob);
    free(c->work);
    free(c->kpo);
    free(c->xa);
    free(c->heata);
    free(c->heatb);
    free(c->proba);
    free(c->kpoa);
    c->xa = c->heata = c->heatb = c->proba = c->kpoa = NULL;
    free(c->z);
    free(c->dmain);
    free(c->dtap);
    free(c->xf);
    free(c->col);
    c->heat = c->prob = c->work = c->kpo = c->z = c->dmain = c->dtap = c->xf = c->col = NULL;
    c->cap = 0;
}

/* the heat convolutions' im2col scratch for one frame: the larger of the two branches' */
static size_t jepa_kp_col_size(const JepaModel* m) {
    size_t col = nn_conv2d_col_size(&m->kp, 1, m->kh, m->kw);
    if (m->arch.keypoint_appear > 0) {
        size_t ca = nn_conv2d_col_size(&m->kpa, 1, m->kh, m->kw);
        if (ca > col) col = ca;
    }
    return col;
}

/* an appearance image's intensity bands (keypoint_objness): img[npx, kca] holds the pixels in its
   first channels (-1..1, jepa_frames_input's scale); band j of channel q is 1 where the pixel is
   below JEPA_OBJ_LEVELS[j] (0..1), else 0 */
static void jepa_obj_bands(const JepaModel* m, size_t npx, float* img) {
    static const float levels[JEPA_OBJ_BANDS] = JEPA_OBJ_LEVELS;
    int ch = m->kc, ca = m->kca;
    for (size_t p = 0; p < npx; p++) {
        float* px = img + p * ca;
        for (int q = 0; q < ch; q++)
            for (int j = 0; j < JEPA_OBJ_BANDS; j++)
                px[ch + q * JEPA_OBJ_BANDS + j] = px[q] < 2.0f * levels[j] - 1.0f ? 1.0f : 0.0f;
    }
}

size_t jepa_enc_cache_bytes(const JepaModel* m, int n, bool keep_cols) {
    size_t floats = 0;
    int K = m->arch.keypoints;
    if (K > 0) {
        /* as jepa_enc_cache_reserve grows them (keep in step) */
        size_t cap = 1;
        while (cap < (size_t)n) cap *= 2;
        int nk = m->arch.keypoint_cv ? 2 * (int)cap : (int)cap;
        size_t cells = (size_t)m->lh * m->lw, map = (size_t)nk * m->kh * m->kw;
        int A = m->arch.keypoint_appear;
        if (A > 0)
            floats += map * m->kca + map * A + (m->arch.keypoint_blur > 0 ? map * A + (size_t)m->kh * m->kw * A : 0) +
                      nn_keypoint_prob_size(nk, m->kh, m->kw, A, m->kcell, m->kmargin, true) +
                      (size_t)nk * cells * 3 * A;
        floats += map * K + nn_keypoint_prob_size(nk, m->kh, m->kw, K, m->kcell, m->kmargin, m->ktemp >= 0) +
                  nn_keypoint_work_size(nk, m->kh, m->kw, K, m->kcell, m->kmargin) + (size_t)nk * cells * 3 * K;
        if (m->arch.keypoint_cv)
            floats += (size_t)nk * 4 + map * m->kc + jepa_kp_col_size(m);
        floats += cap * cells * (size_t)m->lc + cap * cells * (size_t)m->arch.latent;
        if (!m->arch.keypoint_frames) floats += map * m->kc;
    }
    return nn_convnet_cache_bytes(&m->enc, n, keep_cols) + sizeof(float) * floats;
}

void jepa_enc_cache_reserve(const JepaModel* m, JepaEncCache* c, int n) {
    nn_convnet_cache_reserve(&c->net, &m->enc, n);
    int K = m->arch.keypoints;
    if (K == 0 || n <= c->cap) return;
    int cap = c->net.cap;
    /* constant velocity: two frames of each window through the heat branch */
    int nk = m->arch.keypoint_cv ? 2 * cap : cap;
    size_t cells = (size_t)m->lh * m->lw;
    size_t work = nn_keypoint_work_size(nk, m->kh, m->kw, K, m->kcell, m->kmargin);
    int A = m->arch.keypoint_appear;
    if (A > 0) {
        c->xa = alloc_resize(c->xa, (size_t)nk * m->kh * m->kw * m->kca, sizeof(float));
        c->heata = alloc_resize(c->heata, (size_t)nk * m->kh * m->kw * A, sizeof(float));
        if (m->arch.keypoint_blur > 0)
            c->heatb = alloc_resize(c->heatb, (size_t)(nk + 1) * m->kh * m->kw * A, sizeof(float));
        c->proba = alloc_resize(c->proba, nn_keypoint_prob_size(nk, m->kh, m->kw, A, m->kcell, m->kmargin, true),
                                sizeof(float));
        c->kpoa = alloc_resize(c->kpoa, (size_t)nk * cells * 3 * A, sizeof(float));
    }
    c->heat = alloc_resize(c->heat, (size_t)nk * m->kh * m->kw * K, sizeof(float));
    c->prob = alloc_resize(c->prob, nn_keypoint_prob_size(nk, m->kh, m->kw, K, m->kcell, m->kmargin, m->ktemp >= 0),
                           sizeof(float));
    c->work = alloc_resize(c->work, work, sizeof(float));
    c->kpo = alloc_resize(c->kpo, (size_t)nk * cells * 3 * K, sizeof(float));
    if (m->arch.keypoint_cv) {
        c->umap = alloc_resize(c->umap, (size_t)nk, sizeof(int));
        c->umapa = alloc_resize(c->umapa, (size_t)nk, sizeof(int));
        c->hash = alloc_resize(c->hash, (size_t)nk, sizeof(uint64_t));
        c->hasha = alloc_resize(c->hasha, (size_t)nk, sizeof(uint64_t));
        c->at = alloc_resize(c->at, 2 * (size_t)nk, sizeof(int));
        c->hit = alloc_resize(c->hit, (size_t)nk, sizeof(int));
        c->xf = alloc_resize(c->xf, (size_t)nk * m->kh * m->kw * m->kc, sizeof(float));
        c->col = alloc_resize(c->col, jepa_kp_col_size(m), sizeof(float));
        /* the memo's buffers are the same sizes as the ones they are swapped with; a larger cache
           starts them empty */
        size_t img = (size_t)nk * m->kh * m->kw * m->kc;
        for (int s = 0; c->memo && s < 2; s++) {
            JepaKpMemo* mo = &c->slots[s];
            mo->n[0] = mo->n[1] = 0;
            mo->key = alloc_resize(mo->key, (size_t)(m->enc_count - m->kp.w), sizeof(float));
            mo->img[0] = alloc_resize(mo->img[0], img, sizeof(float));
            mo->hash[0] = alloc_resize(mo->hash[0], (size_t)nk, sizeof(uint64_t));
            mo->kpo[0] = alloc_resize(mo->kpo[0], (size_t)nk * cells * 3 * K, sizeof(float));
            if (A > 0) {
                mo->img[1] = alloc_resize(mo->img[1], (size_t)nk * m->kh * m->kw * m->kca, sizeof(float));
                mo->hash[1] = alloc_resize(mo->hash[1], (size_t)nk, sizeof(uint64_t));
                mo->kpo[1] = alloc_resize(mo->kpo[1], (size_t)nk * cells * 3 * A, sizeof(float));
            }
        }
    }
    c->z = alloc_resize(c->z, (size_t)cap * cells * m->lc, sizeof(float));
    c->dmain = alloc_resize(c->dmain, (size_t)cap * cells * m->arch.latent, sizeof(float));
    if (!m->arch.keypoint_frames) c->dtap = alloc_resize(c->dtap, (size_t)cap * m->kh * m->kw * m->kc, sizeof(float));
    c->cap = cap;
}

/* the count images of len floats at img, each equal to an earlier one (bit for bit) dropped and the
   rest moved up in order: umap[j] = image j's place among the distinct ones, whose number is
   returned. shared false: every image its own (umap[j] = j). Hashes (FNV-1a of the bits) find the
   candidates, memcmp decides */
static int share_images(float* img, int count, size_t len, bool shared, int* umap, uint64_t* hash) {
    if (!shared) {
        for (int j = 0; j < count; j++) umap[j] = j;
        return count;
    }
    int U = 0;
    for (int j = 0; j < count; j++) {
        const float* xj = img + (size_t)j * len;
        uint64_t h = 1469598103934665603ull;
        for (size_t i = 0; i < len; i++) {
            uint32_t bits;
            memcpy(&bits, xj + i, 4);
            h = (h ^ bits) * 1099511628211ull;
        }
        int found = -1;
        for (int u = 0; u < U && found < 0; u++)
            if (hash[u] == h && memcmp(img + (size_t)u * len, xj, sizeof(float) * len) == 0) found = u;
        if (found < 0) {
            if (U != j) memcpy(img + (size_t)U * len, xj, sizeof(float) * len);
            hash[U] = h;
            found = U++;
        }
        umap[j] = found;
    }
    return U;
}

/* a shared cache's memo slot computed with params' keypoint branch (bit for bit), or NULL */
static JepaKpMemo* memo_find(const JepaModel* m, JepaEncCache* c, const float* params) {
    size_t n = (size_t)(m->enc_count - m->kp.w);
    for (int s = 0; s < 2; s++) {
        JepaKpMemo* mo = &c->slots[s];
        if (mo->n[0] > 0 && memcmp(mo->key, params + m->kp.w, sizeof(float) * n) == 0) return mo;
    }
    return NULL;
}

/* branch b of a shared cache: of the U distinct images img[0, U) (hashes hash), the ones memo slot
   mo holds are moved behind the ones it does not, whose number is returned (they are computed); the
   umap[0, count) of the images follow the moves, and c->hit[p] is the slot's image for the image now
   at p (p >= the number returned). A held image's bits are the slot's, so a move needs no scratch */
static int memo_split(JepaEncCache* c, const JepaKpMemo* mo, int b, float* img, uint64_t* hash, int U, size_t len,
                      int* umap, int count) {
    int *at = c->at, *inv = c->at + U, *hit = c->hit;
    for (int u = 0; u < U; u++) at[u] = u;
    int miss = 0;
    for (int p = 0; p < U; p++) {
        int h = -1;
        for (int q = 0; mo && q < mo->n[b] && h < 0; q++)
            if (mo->hash[b][q] == hash[p] && memcmp(mo->img[b] + (size_t)q * len, img + (size_t)p * len,
                                                    sizeof(float) * len) == 0)
                h = q;
        hit[p] = h;
        if (h >= 0) continue;
        if (p != miss) {
            /* the image at miss is held (hit[miss]): p's image to miss, the held one's bits to p */
            int q = hit[miss], t = at[p];
            uint64_t hp = hash[p];
            memcpy(img + (size_t)miss * len, img + (size_t)p * len, sizeof(float) * len);
            memcpy(img + (size_t)p * len, mo->img[b] + (size_t)q * len, sizeof(float) * len);
            hash[p] = hash[miss], hash[miss] = hp;
            at[p] = at[miss], at[miss] = t;
            hit[p] = q, hit[miss] = -1;
        }
        miss++;
    }
    for (int p = 0; p < U; p++) inv[at[p]] = p;
    for (int j = 0; j < count; j++) umap[j] = inv[umap[j]];
    return miss;
}

/* the images now at [from, U) read their keypoints (rows floats an image) from the memo slot */
static void memo_read(const JepaEncCache* c, const JepaKpMemo* mo, int b, int from, int U, size_t rows, float* kpo) {
    for (int p = from; p < U; p++)
        memcpy(kpo + (size_t)p * rows, mo->kpo[b] + (size_t)c->hit[p] * rows, sizeof(float) * rows);
}

/* the call's distinct images and keypoints become a memo slot (mo, or the older one): the buffers
   are swapped, not copied */
static void memo_store(const JepaModel* m, JepaEncCache* c, JepaKpMemo* mo, const float* params, int U, int Ua) {
    if (!mo) mo = c->slots[0].stamp <= c->slots[1].stamp ? &c->slots[0] : &c->slots[1];
    float* f;
    uint64_t* h;
    f = c->xf, c->xf = mo->img[0], mo->img[0] = f;
    h = c->hash, c->hash = mo->hash[0], mo->hash[0] = h;
    f = c->kpo, c->kpo = mo->kpo[0], mo->kpo[0] = f;
    mo->n[0] = U;
    if (m->arch.keypoint_appear > 0) {
        f = c->xa, c->xa = mo->img[1], mo->img[1] = f;
        h = c->hasha, c->hasha = mo->hash[1], mo->hash[1] = h;
        f = c->kpoa, c->kpoa = mo->kpo[1], mo->kpo[1] = f;
        mo->n[1] = Ua;
    }
    memcpy(mo->key, params + m->kp.w, sizeof(float) * (size_t)(m->enc_count - m->kp.w));
    mo->stamp = ++c->clock;
}

/* constant velocity (keypoint_cv): the heats of each window's last frame (images 0 .. n-1) and of
   the frame before it (n .. 2n-1), one 3x3 convolution of a frame's pixels each, their cell
   soft-argmax, and the latent [main | last frame's (dx, dy, lse) per keypoint | (vx, vy) per
   keypoint: the last frame's offsets minus the previous one's]. With appearance keypoints
   (keypoint_appear A) the last A keypoints come from their own convolution of the same frames'
   pixels (not their change) and the sharp softmax */
static const float* enc_forward_cv(const JepaModel* m, const float* params, JepaEncCache* c, int n, const float* x,
                                   const float* main) {
    const JepaArch* a = &m->arch;
    int K = a->keypoints, A = a->keypoint_appear, Km = K - A, ch = a->channels, xc = a->context * ch, F = a->context;
    size_t npx = (size_t)m->kh * m->kw;
    bool motion = a->keypoint_motion;
    for (int i = 0; i < n; i++) {
        const float* xi = x + (size_t)i * npx * xc;
        float* last = c->xf + (size_t)i * npx * ch;
        float* prev = c->xf + (size_t)(n + i) * npx * ch;
        for (size_t p = 0; p < npx; p++)
            for (int q = 0; q < ch; q++) {
                const float* px = xi + p * xc + q;
                /* motion: each frame's change from the frame before it */
                last[p * ch + q] = motion ? px[(F - 1) * ch] - px[(F - 2) * ch] : px[(F - 1) * ch];
                prev[p * ch + q] = motion ? px[(F - 2) * ch] - px[(F - 3) * ch] : px[(F - 2) * ch];
            }
        /* appearance keypoints: the same two frames' pixels (objectness: and their bands) */
        if (A > 0) {
            int ca = m->kca;
            float* la = c->xa + (size_t)i * npx * ca;
            float* pa = c->xa + (size_t)(n + i) * npx * ca;
            for (size_t p = 0; p < npx; p++)
                for (int q = 0; q < ch; q++) {
                    const float* px = xi + p * xc + q;
                    la[p * ca + q] = px[(F - 1) * ch];
                    pa[p * ca + q] = px[(F - 2) * ch];
                }
            if (a->keypoint_objness) {
                jepa_obj_bands(m, npx, la);
                jepa_obj_bands(m, npx, pa);
            }
        }
    }
    /* a shared cache: each distinct image once (the windows of a rollout share their frames), and
       none that an earlier call computed with the same parameters (its memo) */
    size_t cells = (size_t)m->lh * m->lw, rows = (size_t)n * cells;
    JepaKpMemo* mo = c->memo ? memo_find(m, c, params) : NULL;
    int U = share_images(c->xf, 2 * n, npx * ch, c->shared, c->umap, c->hash);
    int Mu = mo ? memo_split(c, mo, 0, c->xf, c->hash, U, npx * ch, c->umap, 2 * n) : U;
    for (int i = 0; i < Mu; i++)
        nn_conv2d_forward(&m->kp, params, 1, m->kh, m->kw, c->xf + (size_t)i * npx * ch, c->col,
                          c->heat + (size_t)i * npx * Km);
    const float* temp = m->ktemp >= 0 ? params + m->ktemp : NULL;
    if (Mu > 0)
        nn_keypoint_forward(Mu, m->kh, m->kw, Km, m->kcell, m->kmargin, a->keypoint_motion != 0, m->kunit, temp, Km,
                            c->heat, c->prob, c->work, c->kpo);
    if (Mu < U) memo_read(c, mo, 0, Mu, U, cells * 3 * Km, c->kpo);
    int Ua = 0, Ma = 0;
    if (A > 0) {
        Ua = share_images(c->xa, 2 * n, npx * m->kca, c->shared, c->umapa, c->hasha);
        Ma = mo ? memo_split(c, mo, 1, c->xa, c->hasha, Ua, npx * m->kca, c->umapa, 2 * n) : Ua;
        for (int i = 0; i < Ma; i++)
            nn_conv2d_forward(&m->kpa, params, 1, m->kh, m->kw, c->xa + (size_t)i * npx * m->kca, c->col,
                              c->heata + (size_t)i * npx * A);
        /* blurred first (keypoint_blur; the objectness loss reads heata unblurred); the objectness
           keypoint (the last) takes the plain softmax */
        const float* ha = c->heata;
        if (a->keypoint_blur > 0 && Ma > 0) {
            nn_blur(Ma, m->kh, m->kw, A, a->keypoint_blur, c->heata, c->heatb, c->heatb + (size_t)2 * c->cap * npx * A);
            ha = c->heatb;
        }
        if (Ma > 0)
            nn_keypoint_forward(Ma, m->kh, m->kw, A, m->kcell, m->kmargin, false, m->kunit, temp + Km,
                                A - a->keypoint_objness, ha, c->proba, c->work, c->kpoa);
        if (Ma < Ua) memo_read(c, mo, 1, Ma, Ua, cells * 3 * A, c->kpoa);
    }
    int Lm = a->latent, C = m->lc;
    float kl[3 * 16], kq[3 * 16];
    for (size_t i = 0; i < rows; i++) {
        /* window i / cells: its last frame is image w, the one before image n + w */
        size_t w = i / cells, q = i % cells;
        size_t il = (size_t)c->umap[w] * cells + q, iq = (size_t)c->umap[n + w] * cells + q;
        memcpy(kl, c->kpo + il * 3 * Km, sizeof(float) * 3 * (size_t)Km);
        memcpy(kq, c->kpo + iq * 3 * Km, sizeof(float) * 3 * (size_t)Km);
        if (A > 0) {
            size_t al = (size_t)c->umapa[w] * cells + q, aq = (size_t)c->umapa[n + w] * cells + q;
            memcpy(kl + 3 * Km, c->kpoa + al * 3 * A, sizeof(float) * 3 * (size_t)A);
            memcpy(kq + 3 * Km, c->kpoa + aq * 3 * A, sizeof(float) * 3 * (size_t)A);
        }
        float* z = c->z + i * C;
        memcpy(z, main + i * Lm, sizeof(float) * (size_t)Lm);
        memcpy(z + Lm, kl, sizeof(float) * 3 * (size_t)K);
        for (int k = 0; k < K; k++) {
            z[Lm + 3 * K + 2 * k + 0] = kl[3 * k + 0] - kq[3 * k + 0];
            z[Lm + 3 * K + 2 * k + 1] = kl[3 * k + 1] - kq[3 * k + 1];
        }
    }
    c->computed[0] = Mu, c->computed[1] = Ma;
    if (c->memo) memo_store(m, c, mo, params, U, Ua);
    return c->z;
}

/* its backward: the velocity's gradient goes to the last frame's offsets and, negated, to the
   previous frame's; then through the soft-argmax and the heat convolution (no further: its input is
   the frames) */
static void enc_backward_cv(const JepaModel* m, const float* params, float* grads, JepaEncCache* c, int n,
                            const float* x, float* dz) {
    const JepaArch* a = &m->arch;
    int K = a->keypoints, A = a->keypoint_appear, Km = K - A, ch = a->channels, Lm = a->latent, C = m->lc;
    size_t rows = (size_t)n * m->lh * m->lw, npx = (size_t)m->kh * m->kw;
    for (size_t i = 0; i < rows; i++) {
        const float* g = dz + i * C;
        for (int k = 0; k < K; k++) {
            /* the motion keypoints' gradients into kpo, the appearance ones' into kpoa */
            float* dl = k < Km ? c->kpo + i * 3 * Km + 3 * k : c->kpoa + i * 3 * A + 3 * (k - Km);
            float* dq = k < Km ? c->kpo + (rows + i) * 3 * Km + 3 * k : c->kpoa + (rows + i) * 3 * A + 3 * (k - Km);
            float vx = g[Lm + 3 * K + 2 * k + 0], vy = g[Lm + 3 * K + 2 * k + 1];
            dl[0] = g[Lm + 3 * k + 0] + vx;
            dl[1] = g[Lm + 3 * k + 1] + vy;
            dl[2] = g[Lm + 3 * k + 2];
            dq[0] = -vx;
            dq[1] = -vy;
            dq[2] = 0.0f;
        }
        memcpy(c->dmain + i * Lm, g, sizeof(float) * (size_t)Lm);
    }
    bool sharp = m->ktemp >= 0;
    nn_keypoint_backward(2 * n, m->kh, m->kw, Km, m->kcell, m->kmargin, a->keypoint_motion != 0, m->kunit,
                         sharp ? params + m->ktemp : NULL, Km, c->prob, c->kpo, c->work, c->heat,
                         sharp ? grads + m->ktemp : NULL);
    for (int i = 0; i < 2 * n; i++)
        nn_conv2d_backward(&m->kp, params, grads, 1, m->kh, m->kw, c->xf + (size_t)i * npx * ch,
                           c->heat + (size_t)i * npx * Km, c->col, NULL);
    if (A > 0) {
        /* keypoint_blur: the softmax's gradient is the blurred heats', and the blur is its own adjoint */
        float* dh = a->keypoint_blur > 0 ? c->heatb : c->heata;
        nn_keypoint_backward(2 * n, m->kh, m->kw, A, m->kcell, m->kmargin, false, m->kunit, params + m->ktemp + Km,
                             A - a->keypoint_objness, c->proba, c->kpoa, c->work, dh, grads + m->ktemp + Km);
        if (a->keypoint_blur > 0)
            nn_blur(2 * n, m->kh, m->kw, A, a->keypoint_blur, c->heatb, c->heata, c->heatb + (size_t)2 * c->cap * npx * A);
        /* the objectness loss's gradient on the last frames' objectness heats */
        if (a->keypoint_objness && c->dobj)
            for (size_t p = 0; p < (size_t)n * npx; p++) c->heata[p * A + A - 1] += c->dobj[p];
        for (int i = 0; i < 2 * n; i++)
            nn_conv2d_backward(&m->kpa, params, grads, 1, m->kh, m->kw, c->xa + (size_t)i * npx * m->kca,
                               c->heata + (size_t)i * npx * A, c->col, NULL);
    }
    nn_convnet_backward(&m->enc, params, grads, &c->net, n, x, c->dmain, NULL);
}

const float* jepa_enc_forward(const JepaModel* m, const float* params, JepaEncCache* c, int n, const float* x) {
    jepa_enc_cache_reserve(m, c, n);
    const float* main = nn_convnet_forward(&m->enc, params, &c->net, n, x);
    int K = m->arch.keypoints;
    if (K == 0) return main;
    if (m->arch.keypoint_cv) return enc_forward_cv(m, params, c, n, x, main);
    /* the heat maps of the first layer's map, their cell soft-argmax, joined after the latent */
    nn_conv2d_forward(&m->kp, params, n, m->kh, m->kw, m->arch.keypoint_frames ? x : c->net.post[0], NULL, c->heat);
    const float* temp = m->ktemp >= 0 ? params + m->ktemp : NULL;
    nn_keypoint_forward(n, m->kh, m->kw, K, m->kcell, m->kmargin, m->arch.keypoint_motion != 0, m->kunit, temp, K, c->heat,
                        c->prob, c->work, c->kpo);
    size_t rows = (size_t)n * m->lh * m->lw;
    int Lm = m->arch.latent, C = m->lc;
    for (size_t i = 0; i < rows; i++) {
        memcpy(c->z + i * C, main + i * Lm, sizeof(float) * (size_t)Lm);
        memcpy(c->z + i * C + Lm, c->kpo + i * 3 * K, sizeof(float) * 3 * (size_t)K);
    }
    return c->z;
}

void jepa_enc_backward(const JepaModel* m, const float* params, float* grads, JepaEncCache* c, int n,
                       const float* x, float* dz) {
    int K = m->arch.keypoints;
    if (K == 0) {
        nn_convnet_backward(&m->enc, params, grads, &c->net, n, x, dz, NULL);
        return;
    }
    if (m->arch.keypoint_cv) {
        /* a shared cache's images are not one per window: no backward through it */
        if (c->shared) abort();
        enc_backward_cv(m, params, grads, c, n, x, dz);
        return;
    }
    size_t rows = (size_t)n * m->lh * m->lw;
    int Lm = m->arch.latent, C = m->lc;
    /* split the latent's gradient: the conv net's channels, the keypoints' (into kpo, free now) */
    for (size_t i = 0; i < rows; i++) {
        memcpy(c->dmain + i * Lm, dz + i * C, sizeof(float) * (size_t)Lm);
        memcpy(c->kpo + i * 3 * K, dz + i * C + Lm, sizeof(float) * 3 * (size_t)K);
    }
    /* the branch back to the first layer's map (the heats' gradient overwrites the heats) */
    bool sharp = m->ktemp >= 0;
    nn_keypoint_backward(n, m->kh, m->kw, K, m->kcell, m->kmargin, m->arch.keypoint_motion != 0, m->kunit,
                         sharp ? params + m->ktemp : NULL, K, c->prob, c->kpo, c->work, c->heat,
                         sharp ? grads + m->ktemp : NULL);
    if (m->arch.keypoint_frames) {
        /* from the input: no gradient goes further */
        nn_conv2d_backward(&m->kp, params, grads, n, m->kh, m->kw, x, c->heat, NULL, NULL);
        nn_convnet_backward(&m->enc, params, grads, &c->net, n, x, c->dmain, NULL);
        return;
    }
    nn_conv2d_backward(&m->kp, params, grads, n, m->kh, m->kw, c->net.post[0], c->heat, NULL, c->dtap);
    nn_convnet_backward_tap(&m->enc, params, grads, &c->net, n, x, c->dmain, NULL, 0, c->dtap);
}

/* ---- inputs ---- */

NN_HOT void jepa_frames_input(const JepaModel* m, int B, const uint8_t* const* frames, float* x) {
    const JepaArch* a = &m->arch;
    int F = a->context, ch = a->channels, xc = F * ch;
    size_t npx = (size_t)a->frame_w * a->frame_h;
    for (int b = 0; b < B; b++) {
        float* xb = x + (size_t)b * npx * xc;
        for (int f = 0; f < F; f++) {
            const uint8_t* src = frames[b * F + f];
            for (size_t p = 0; p < npx; p++)
                for (int c = 0; c < ch; c++)
                    xb[p * xc + f * ch + c] = (float)src[p * ch + c] * (1.0f / 127.5f) - 1.0f;
        }
    }
}

void jepa_push_map(const JepaModel* m, const JepaPush* pushes, int n, float* map) {
    int h = m->lh, w = m->lw, P = JEPA_PUSH_CHANNELS;
    memset(map, 0, sizeof(float) * (size_t)h * w * P);
    if (n > JEPA_MAX_PUSHES) n = JEPA_MAX_PUSHES;
    for (int i = 0; i < n; i++) {
        const JepaPush* p = &pushes[i];
        if (!isfinite(p->u) || !isfinite(p->v) || !isfinite(p->jx) || !isfinite(p->jy)) continue;
        /* cell (i, j) covers frame pixels [j * W / w, (j + 1) * W / w): its centre is at j + 0.5 */
        float gx = p->u * (float)w / (float)m->arch.frame_w - 0.5f;
        float gy = p->v * (float)h / (float)m->arch.frame_h - 0.5f;
        gx = fminf(fmaxf(gx, 0.0f), (float)(w - 1));
        gy = fminf(fmaxf(gy, 0.0f), (float)(h - 1));
        int x0 = (int)gx, y0 = (int)gy;
        int x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
        float fx = gx - (float)x0, fy = gy - (float)y0;
        float per = p->mass > 0 && isfinite(p->mass) ? 1.0f / (p->mass * JEPA_PUSH_SCALE) : 1.0f / JEPA_PUSH_SCALE;
        float v[3] = {p->jx * per, p->jy * per, 1.0f};
        int cx[4] = {x0, x1, x0, x1}, cy[4] = {y0, y0, y1, y1};
        float wt[4] = {(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy};
        for (int q = 0; q < 4; q++) {
            float* cell = map + ((size_t)cy[q] * w + cx[q]) * P;
            for (int c = 0; c < P; c++) cell[c] += wt[q] * v[c];
        }
    }
}

int jepa_window_span(const JepaModel* m) {
    return (m->arch.context - 1) * m->arch.frame_step + 1;
}

void jepa_pred_input(const JepaModel* m, int B, const float* z, const JepaPush* pushes,
                     const int* npushes, float* pin) {
    int cells = m->lh * m->lw, C = m->lc, P = JEPA_PUSH_CHANNELS, W = C + P;
    float map[64 * 64 * JEPA_PUSH_CHANNELS];
    float* mp = cells <= 64 * 64 ? map : alloc_array((size_t)cells * P, sizeof(float));
    for (int b = 0; b < B; b++) {
        int n = npushes ? npushes[b] : 0;
        jepa_push_map(m, pushes ? pushes + (size_t)b * JEPA_MAX_PUSHES : NULL, n, mp);
        const float* zb = z + (size_t)b * cells * C;
        float* pb = pin + (size_t)b * cells * W;
        for (int i = 0; i < cells; i++) {
            memcpy(pb + (size_t)i * W, zb + (size_t)i * C, sizeof(float) * C);
            memcpy(pb + (size_t)i * W + C, mp + (size_t)i * P, sizeof(float) * P);
        }
    }
    if (mp != map) free(mp);
}

/* ---- inference ---- */

void jepa_encode(const JepaModel* m, JepaScratch* s, int B, const uint8_t* const* frames,
                 bool target, float* z) {
    jepa_scratch_reserve(m, s, B);
    jepa_frames_input(m, B, frames, s->x);
    const float* out = jepa_enc_forward(m, target ? m->target : m->params, &s->enc, B, s->x);
    memcpy(z, out, sizeof(float) * (size_t)B * jepa_latent_size(m));
}

void jepa_predict(const JepaModel* m, JepaScratch* s, int B, const float* z,
                  const JepaPush* pushes, const int* npushes, float* next) {
    jepa_scratch_reserve(m, s, B);
    jepa_pred_input(m, B, z, pushes, npushes, s->pin);
    const float* d = nn_convnet_forward(&m->pred, m->params, &s->pred, B, s->pin);
    const uint8_t* act = NULL;
    if (m->arch.pred_gate) {
        jepa_pred_active(m, B, s->pin, s->act);
        act = s->act;
    }
    jepa_pred_residual(m, (size_t)B * m->lh * m->lw, z, d, act, next);
}

size_t jepa_pred_active(const JepaModel* m, int B, const float* pin, uint8_t* act) {
    int h = m->lh, w = m->lw, C = m->lc, W = C + JEPA_PUSH_CHANNELS;
    size_t cells = (size_t)h * w, n = (size_t)B * cells;
    if (!m->arch.pred_gate) {
        memset(act, 1, n);
        return n;
    }
    int K = m->arch.keypoints, km = K - m->arch.keypoint_appear, Lm = m->arch.latent;
    /* the evidence of each cell: 2 in act, then every cell within one of it marked 1 */
    for (size_t i = 0; i < n; i++) {
        const float* p = pin + i * W;
        bool on = false;
        for (int k = 0; k < km && !on; k++) on = fabsf(p[Lm + 3 * k + 2]) > JEPA_GATE_STRENGTH;
        for (int k = 0; k < K && !on; k++)
            on = fabsf(p[Lm + 3 * K + 2 * k]) > JEPA_GATE_SPEED || fabsf(p[Lm + 3 * K + 2 * k + 1]) > JEPA_GATE_SPEED;
        for (int c = 0; c < JEPA_PUSH_CHANNELS && !on; c++) on = p[C + c] != 0.0f;
        act[i] = on ? 2 : 0;
    }
    size_t count = 0;
    for (int b = 0; b < B; b++) {
        uint8_t* a = act + (size_t)b * cells;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                if (a[y * w + x] != 2) continue;
                for (int yy = y > 0 ? y - 1 : 0; yy <= y + 1 && yy < h; yy++)
                    for (int xx = x > 0 ? x - 1 : 0; xx <= x + 1 && xx < w; xx++)
                        if (a[yy * w + xx] == 0) a[yy * w + xx] = 1;
            }
        for (size_t i = 0; i < cells; i++) {
            a[i] = a[i] != 0;
            count += a[i];
        }
    }
    return count;
}

void jepa_pred_gate_grad(const JepaModel* m, size_t rows, const uint8_t* act, float* dy) {
    if (!act) return;
    size_t C = (size_t)m->lc;
    for (size_t i = 0; i < rows; i++)
        if (!act[i]) memset(dy + i * C, 0, sizeof(float) * C);
}

void jepa_pred_residual(const JepaModel* m, size_t rows, const float* z, const float* d, const uint8_t* act,
                        float* next) {
    int C = m->lc, K = m->arch.keypoint_cv ? m->arch.keypoints : 0, Lm = m->arch.latent;
    float v[32];
    for (size_t i = 0; i < rows; i++) {
        const float* zi = z + i * C;
        const float* di = d + i * C;
        float* o = next + i * C;
        if (act && !act[i]) {
            if (o != zi) memcpy(o, zi, sizeof(float) * (size_t)C);
            continue;
        }
        /* the velocities before next (which may be z) is written */
        for (int k = 0; k < 2 * K; k++) v[k] = zi[Lm + 3 * K + k];
        for (int c = 0; c < C; c++) o[c] = zi[c] + di[c];
        for (int k = 0; k < K; k++) {
            o[Lm + 3 * k + 0] += v[2 * k + 0];
            o[Lm + 3 * k + 1] += v[2 * k + 1];
        }
    }
}

void jepa_pred_residual_backward(const JepaModel* m, size_t rows, const float* g, const float* dp, size_t dp_stride,
                                 const uint8_t* act, float* prev) {
    int C = m->lc, K = m->arch.keypoint_cv ? m->arch.keypoints : 0, Lm = m->arch.latent;
    for (size_t i = 0; i < rows; i++) {
        const float* gi = g + i * C;
        const float* di = dp + i * dp_stride;
        float* o = prev + i * C;
        for (int c = 0; c < C; c++) o[c] += gi[c] + di[c];
        if (act && !act[i]) continue;
        for (int k = 0; k < K; k++) {
            o[Lm + 3 * K + 2 * k + 0] += gi[Lm + 3 * k + 0];
            o[Lm + 3 * K + 2 * k + 1] += gi[Lm + 3 * k + 1];
        }
    }
}

void jepa_surprise(const JepaModel* m, int B, const float* pred, const float* observed,
                   float* mean, float* peak) {
    int cells = m->lh * m->lw, C = m->lc;
    for (int b = 0; b < B; b++) {
        const float* p = pred + (size_t)b * cells * C;
        const float* o = observed + (size_t)b * cells * C;
        double total = 0, best = 0;
        for (int i = 0; i < cells; i++) {
            double cell = 0;
            for (int c = 0; c < C; c++) cell += fabsf(p[(size_t)i * C + c] - o[(size_t)i * C + c]);
            total += cell;
            if (cell > best) best = cell;
        }
        mean[b] = (float)(total / ((double)cells * C));
        if (peak) peak[b] = (float)(best / C);
    }
}

void jepa_rollout_vs_copy(const JepaModel* m, int B, const float* pred, const float* copy, const float* target,
                          const uint8_t* const* before, const uint8_t* const* after, int thresh, double sum[4],
                          int64_t count[2]) {
    const JepaArch* a = &m->arch;
    int C = m->lc, ch = a->channels, W = a->frame_w, sy = a->frame_h / m->lh, sx = a->frame_w / m->lw;
    size_t cells = (size_t)m->lh * m->lw;
    for (int b = 0; b < B; b++)
        for (size_t i = 0; i < cells; i++) {
            size_t o = ((size_t)b * cells + i) * C;
            double ep = 0, ec = 0;
            for (int c = 0; c < C; c++) {
                ep += fabsf(pred[o + c] - target[o + c]);
                ec += fabsf(copy[o + c] - target[o + c]);
            }
            ep /= C, ec /= C;
            int cy = (int)(i / (size_t)m->lw), cx = (int)(i % (size_t)m->lw);
            bool changed = false;
            for (int y = cy * sy; y < (cy + 1) * sy && !changed; y++) {
                const uint8_t* p0 = before[b] + ((size_t)y * W + (size_t)cx * sx) * ch;
                const uint8_t* p1 = after[b] + ((size_t)y * W + (size_t)cx * sx) * ch;
                for (int q = 0; q < sx * ch; q++)
                    if (abs((int)p0[q] - (int)p1[q]) > thresh) {
                        changed = true;
                        break;
                    }
            }
            sum[0] += ep, sum[1] += ec, count[0]++;
            if (changed) sum[2] += ep, sum[3] += ec, count[1]++;
        }
}

void jepa_surprise_weighted(const JepaModel* m, int B, const float* pred, const float* observed, float kw,
                            float* mean, float* peak) {
    int cells = m->lh * m->lw, C = m->lc, Lm = m->arch.latent;
    if (kw == 1.0f || C == Lm) {
        jepa_surprise(m, B, pred, observed, mean, peak);
        return;
    }
    double wsum = (double)Lm + (double)kw * (C - Lm);
    for (int b = 0; b < B; b++) {
        const float* p = pred + (size_t)b * cells * C;
        const float* o = observed + (size_t)b * cells * C;
        double total = 0, best = 0;
        for (int i = 0; i < cells; i++) {
            double conv = 0, kp = 0;
            for (int c = 0; c < Lm; c++) conv += fabsf(p[(size_t)i * C + c] - o[(size_t)i * C + c]);
            for (int c = Lm; c < C; c++) kp += fabsf(p[(size_t)i * C + c] - o[(size_t)i * C + c]);
            double cell = conv + (double)kw * kp;
            total += cell;
            if (cell > best) best = cell;
        }
        mean[b] = (float)(total / ((double)cells * wsum));
        if (peak) peak[b] = (float)(best / wsum);
    }
}

/* qsort: larger first */
static int cmp_desc(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return (x < y) - (x > y);
}

void jepa_surprise_top(const JepaModel* m, int B, const float* pred, const float* observed, float kw, int top,
                       double* work, float* mean) {
    int cells = m->lh * m->lw, C = m->lc, Lm = m->arch.latent;
    if (top < 1) top = 1;
    if (top > cells) top = cells;
    double wsum = (double)Lm + (double)kw * (C - Lm);
    for (int b = 0; b < B; b++) {
        const float* p = pred + (size_t)b * cells * C;
        const float* o = observed + (size_t)b * cells * C;
        /* each cell's weighted L1, then the largest `top` of them, largest first */
        for (int i = 0; i < cells; i++) {
            double conv = 0, kp = 0;
            for (int c = 0; c < Lm; c++) conv += fabsf(p[(size_t)i * C + c] - o[(size_t)i * C + c]);
            for (int c = Lm; c < C; c++) kp += fabsf(p[(size_t)i * C + c] - o[(size_t)i * C + c]);
            work[i] = (conv + (double)kw * kp) / wsum;
        }
        qsort(work, (size_t)cells, sizeof *work, cmp_desc);
        double total = 0;
        for (int i = 0; i < top; i++) total += work[i];
        mean[b] = (float)(total / top);
    }
}

void jepa_evidence_reset(JepaEvidence* e) {
    e->sum = 0, e->mean = 0, e->n = 0;
}

double jepa_evidence_add(JepaEvidence* e, double x) { return jepa_evidence_add_slack(e, x, 0.0); }

double jepa_evidence_add_slack(JepaEvidence* e, double x, double k) {
    if (!isfinite(x)) return e->sum;
    if (e->n > 0) e->sum = fmax(0.0, e->sum + x - (1.0 + k) * e->mean);
    e->n++;
    e->mean += (x - e->mean) / (double)(e->n < JEPA_EVIDENCE_TICKS ? e->n : JEPA_EVIDENCE_TICKS);
    return e->sum;
}

/* ---- a stream of frames ---- */

struct JepaStream {
    const JepaModel* m;
    JepaScratch*     sc;
    int              F, S, span, L;
    size_t           fb;
    uint8_t*         ring;      /* [span * fb]: frame i at i % span */
    float*           z;         /* [S * L]: the trained latent of the window ending at frame i, at i % S */
    uint8_t*         have;      /* [S]: z at i % S holds frame i's window */
    JepaPush*        push;      /* [S * JEPA_MAX_PUSHES]: the pushes before frame i, at i % S */
    int*             npush;     /* [S] */
    JepaPush*        merged;    /* [JEPA_MAX_PUSHES] */
    float*           obs, *pred;   /* [L] */
    float*           from;      /* [L] the trained latent pred was predicted from */
    int64_t          n;         /* frames since the reset */
};

JepaStream* jepa_stream_create(const JepaModel* m) {
    JepaStream* st = alloc_zeroed(1, sizeof *st);
    const JepaArch* a = &m->arch;
    st->m = m;
    st->sc = jepa_scratch_create(m);
    st->F = a->context, st->S = a->frame_step, st->span = jepa_window_span(m), st->L = jepa_latent_size(m);
    st->fb = (size_t)a->frame_w * a->frame_h * a->channels;
    st->ring = alloc_zeroed((size_t)st->span, st->fb);
    st->z = alloc_zeroed((size_t)st->S * st->L, sizeof(float));
    st->have = alloc_zeroed((size_t)st->S, 1);
    st->push = alloc_zeroed((size_t)st->S * JEPA_MAX_PUSHES, sizeof(JepaPush));
    st->npush = alloc_zeroed((size_t)st->S, sizeof(int));
    st->merged = alloc_zeroed(JEPA_MAX_PUSHES, sizeof(JepaPush));
    st->obs = alloc_zeroed((size_t)st->L, sizeof(float));
    st->pred = alloc_zeroed((size_t)st->L, sizeof(float));
    st->from = alloc_zeroed((size_t)st->L, sizeof(float));
    return st;
}

void jepa_stream_free(JepaStream* st) {
    if (!st) return;
    jepa_scratch_free(st->sc);
    free(st->ring);
    free(st->z);
    free(st->have);
    free(st->push);
    free(st->npush);
    free(st->merged);
    free(st->obs);
    free(st->pred);
    free(st->from);
    free(st);
}

void jepa_stream_reset(JepaStream* st) {
    st->n = 0;
    memset(st->have, 0, (size_t)st->S);
    memset(st->npush, 0, sizeof(int) * (size_t)st->S);
}

void jepa_stream_set_model(JepaStream* st, const JepaModel* m) {
    st->m = m;
}

bool jepa_stream_window(const JepaStream* st, const uint8_t** win) {
    if (st->n < st->span) return false;
    int64_t last = st->n - 1;
    for (int f = 0; f < st->F; f++) {
        int64_t i = last - (int64_t)(st->F - 1 - f) * st->S;
        win[f] = st->ring + (size_t)(i % st->span) * st->fb;
    }
    return true;
}

int jepa_stream_add(JepaStream* st, const uint8_t* frame, const JepaPush* pushes, int n, bool encode) {
    int64_t i = st->n++;
    int slot = (int)(i % st->S);
    memcpy(st->ring + (size_t)(i % st->span) * st->fb, frame, st->fb);
    if (n > JEPA_MAX_PUSHES) n = JEPA_MAX_PUSHES;
    if (n < 0 || !pushes) n = 0;
    if (n) memcpy(st->push + (size_t)slot * JEPA_MAX_PUSHES, pushes, sizeof(JepaPush) * (size_t)n);
    st->npush[slot] = n;
    /* the latent at this slot is the window S ticks before: read before it is replaced */
    bool from = st->have[slot];
    st->have[slot] = 0;
    const uint8_t* win[8];
    if (!encode || !jepa_stream_window(st, win)) return 0;
    float* z = st->z + (size_t)slot * st->L;
    int got = 1;
    if (from) {
        /* the pushes of the S ticks since that window: frames i - S + 1 .. i, oldest first */
        int m = 0;
        for (int k = st->S - 1; k >= 0 && m < JEPA_MAX_PUSHES; k--) {
            int q = (int)((i - k) % st->S);
            for (int p = 0; p < st->npush[q] && m < JEPA_MAX_PUSHES; p++)
                st->merged[m++] = st->push[(size_t)q * JEPA_MAX_PUSHES + p];
        }
        memcpy(st->from, z, sizeof(float) * (size_t)st->L);
        jepa_predict(st->m, st->sc, 1, z, st->merged, &m, st->pred);
        got = 2;
    }
    jepa_encode(st->m, st->sc, 1, win, true, st->obs);
    jepa_encode(st->m, st->sc, 1, win, false, z);
    st->have[slot] = 1;
    return got;
}

const float* jepa_stream_obs(const JepaStream* st) {
    return st->obs;
}

const float* jepa_stream_z(const JepaStream* st) {
    return st->z + (size_t)((st->n - 1) % st->S) * st->L;
}

const float* jepa_stream_pred(const JepaStream* st) {
    return st->pred;
}

const float* jepa_stream_from(const JepaStream* st) {
    return st->from;
}
