/* surprise_jepa: the pixel model's SurpriseSource (surprise.h) -- frames rendered from the world,
 * the predicted latent against the target encoding */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/surprise.h"
#include "base/alloc.h"
#include "render/render.h"
#include "sim/observation.h"

typedef struct JepaSource {
    SurpriseSource   base;
    const JepaModel* model;
    JepaModel*       owned;
    JepaScratch*     scratch;
    int              W, H, ch, F, L, lh, lw, lc;
    size_t           fb;
    uint8_t*         ring;      /* [F frames] the last F frames, oldest at ring_at */
    int              seen;      /* frames since the reset (capped at F) */
    int              ring_at;
    bool             have_z;    /* z holds the trained encoder's latent of the last window */
    float*           z;         /* [L] */
    float*           pred;      /* [L] */
    float*           obs;       /* [L] */
    double           rect[4];
    JepaEvidence     ev;        /* the world's surprise: evidence over the grid's mean L1 */
} JepaSource;

/* world (x, y) -> frame pixel, as render_world's camera */
static void to_px(const JepaSource* s, double x, double y, float* u, float* v) {
    const double* q = s->rect;
    double sc = fmin(s->W / (q[2] - q[0]), s->H / (q[3] - q[1]));
    *u = (float)(s->W * 0.5 + (x - 0.5 * (q[0] + q[2])) * sc);
    *v = (float)(s->H * 0.5 - (y - 0.5 * (q[1] + q[3])) * sc);
}

/* the window of the last F frames, oldest first */
static void window(const JepaSource* s, const uint8_t** win) {
    for (int f = 0; f < s->F; f++) win[f] = s->ring + (size_t)((s->ring_at + f) % s->F) * s->fb;
}

static double jepa_tick(void* self, const SurpriseTick* t, float* per_body) {
    JepaSource* s = self;
    int K = t->slots;
    for (int k = 0; k < K; k++) per_body[k] = NAN;
    /* the camera the model's frames came from */
    if (s->seen == 0 && t->inst) jepa_frame_rect(s->model, t->inst, s->rect);
    /* the frame after the tick replaces the oldest */
    render_world(t->world, s->rect, s->ring + (size_t)s->ring_at * s->fb, s->W, s->H, s->ch);
    s->ring_at = (s->ring_at + 1) % s->F;
    if (s->seen < s->F) s->seen++;
    if (s->seen < s->F) return NAN;
    const uint8_t* win[8];
    window(s, win);
    double world = NAN;
    if (s->have_z) {
        /* the tick's pushes in image space, at the pushed body's centre plus the offset */
        JepaPush push[JEPA_MAX_PUSHES];
        int n = 0;
        for (int k = 0; k < K && n < JEPA_MAX_PUSHES; k++) {
            const float* a = t->pushes + (size_t)k * 4;
            if (a[0] == 0 && a[1] == 0) continue;
            const float* row = t->states + (size_t)k * SIM_OBS_DIM;
            to_px(s, row[SIM_OBS_x] + a[2], row[SIM_OBS_y] + a[3], &push[n].u, &push[n].v);
            push[n].jx = a[0], push[n].jy = a[1], push[n].mass = row[SIM_OBS_mass];
            n++;
        }
        jepa_predict(s->model, s->scratch, 1, s->z, push, &n, s->pred);
        jepa_encode(s->model, s->scratch, 1, win, true, s->obs);
        float mean;
        jepa_surprise(s->model, 1, s->pred, s->obs, &mean, NULL);
        /* the world's: the evidence of a sustained rise of the grid's mean error over its mean so
           far (a force the model does not know errs a little at every tick); a body's: its cell's */
        world = jepa_evidence_add(&s->ev, mean);
        for (int k = 0; k < K; k++) {
            if (!t->next_mask[k]) continue;
            const float* row = t->next + (size_t)k * SIM_OBS_DIM;
            float u, v;
            to_px(s, row[SIM_OBS_x], row[SIM_OBS_y], &u, &v);
            int cx = (int)floorf(u * s->lw / s->W), cy = (int)floorf(v * s->lh / s->H);
            if (cx < 0 || cy < 0 || cx >= s->lw || cy >= s->lh) continue;
            const float* p = s->pred + ((size_t)cy * s->lw + cx) * s->lc;
            const float* o = s->obs + ((size_t)cy * s->lw + cx) * s->lc;
            double d = 0;
            for (int c = 0; c < s->lc; c++) d += fabsf(p[c] - o[c]);
            per_body[k] = (float)(d / s->lc);
        }
    }
    jepa_encode(s->model, s->scratch, 1, win, false, s->z);
    s->have_z = true;
    return world;
}

static void jepa_reset(void* self) {
    JepaSource* s = self;
    s->seen = 0;
    s->ring_at = 0;
    s->have_z = false;
    jepa_evidence_reset(&s->ev);
}

static void jepa_destroy(void* self) {
    JepaSource* s = self;
    jepa_scratch_free(s->scratch);
    jepa_free(s->owned);
    free(s->ring);
    free(s->z);
    free(s->pred);
    free(s->obs);
    free(s);
}

SurpriseSource* surprise_source_jepa(const JepaModel* m) {
    JepaSource* s = alloc_zeroed(1, sizeof *s);
    s->base = (SurpriseSource){"pixel", s, jepa_tick, jepa_reset, jepa_destroy};
    s->model = m;
    s->scratch = jepa_scratch_create(m);
    const JepaArch* a = jepa_arch(m);
    s->W = a->frame_w, s->H = a->frame_h, s->ch = a->channels, s->F = a->context;
    s->L = jepa_latent_size(m);
    jepa_latent_shape(m, &s->lh, &s->lw, &s->lc);
    s->fb = (size_t)s->W * s->H * s->ch;
    s->ring = alloc_zeroed((size_t)s->F, s->fb);
    s->z = alloc_zeroed((size_t)s->L, sizeof(float));
    s->pred = alloc_zeroed((size_t)s->L, sizeof(float));
    s->obs = alloc_zeroed((size_t)s->L, sizeof(float));
    /* until an instance says otherwise: the world's default bounds */
    s->rect[0] = -1, s->rect[1] = -0.1, s->rect[2] = 1, s->rect[3] = 1.4;
    return &s->base;
}

SurpriseSource* surprise_source_jepa_owned(JepaModel* m) {
    SurpriseSource* src = surprise_source_jepa(m);
    ((JepaSource*)src->self)->owned = m;
    return src;
}
