/* jepa_cellprobe: the slot-free readout of a latent grid (jepa_cellprobe.h) */
#include "model/jepa_cellprobe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "model/jepa_probe.h"
#include "model/nn.h"

enum { CP_SLOTS = 2, CP_OUT = 2 };

void jepa_cellprobe_free(JepaCellProbe* cp) {
    probe_free(&cp->p);
    memset(cp, 0, sizeof *cp);
}

void jepa_cellprobe_features(const JepaCellProbe* cp, const float* z, float* x) {
    int lh = cp->lh, lw = cp->lw, C = cp->C;
    for (int i = 0; i < lh; i++)
        for (int j = 0; j < lw; j++) {
            float* o = x + ((size_t)i * lw + j) * cp->F;
            for (int di = -1; di <= 1; di++)
                for (int dj = -1; dj <= 1; dj++, o += C) {
                    int a = i + di, b = j + dj;
                    if (a < 0 || b < 0 || a >= lh || b >= lw) memset(o, 0, sizeof(float) * (size_t)C);
                    else memcpy(o, z + ((size_t)a * lw + b) * C, sizeof(float) * (size_t)C);
                }
        }
}

int jepa_cellprobe_pixel_size(const JepaModel* m) {
    const JepaArch* a = jepa_arch(m);
    int lh, lw, c;
    jepa_latent_shape(m, &lh, &lw, &c);
    return lh * lw * (1 << a->levels) * (1 << a->levels) * a->channels;
}

void jepa_cellprobe_pixel_grid(const JepaModel* m, const uint8_t* frame, float* g) {
    const JepaArch* a = jepa_arch(m);
    int lh, lw, c, side = 1 << a->levels, ch = a->channels;
    jepa_latent_shape(m, &lh, &lw, &c);
    int cell = side * side * ch;
    for (int y = 0; y < lh * side; y++)
        for (int x = 0; x < lw * side; x++)
            for (int k = 0; k < ch; k++)
                g[((size_t)(y / side) * lw + x / side) * cell + ((y % side) * side + x % side) * ch + k] =
                    (float)frame[((size_t)y * a->frame_w + x) * ch + k] / 255.0f;
}

int jepa_cellprobe_oracle_size(const JepaModel* m) {
    int lh, lw, c;
    jepa_latent_shape(m, &lh, &lw, &c);
    return lh * lw * 3;
}

/* the heat covers the grid's cells of s x s pixels (s: the frame's pixels to a cell, at least 1); a
   frame whose side is not a multiple of its cells' has its centres scaled to the covered part */
void jepa_cellprobe_oracle_grid(const JepaModel* m, const float* y, const uint8_t* mask, int K, float* g) {
    const JepaArch* a = jepa_arch(m);
    int lh, lw, c;
    jepa_latent_shape(m, &lh, &lw, &c);
    int s = a->frame_w / lw > 0 ? a->frame_w / lw : 1, h = lh * s, w = lw * s;
    int margin = (int)lroundf(JEPA_CELLPROBE_ORACLE_MARGIN * (float)s);
    float sx = (float)w / (float)a->frame_w, sy = (float)h / (float)a->frame_h;
    const float sig = JEPA_CELLPROBE_ORACLE_SIGMA, inv = 1.0f / (2.0f * sig * sig);
    int reach = (int)ceilf(4.0f * sig);
    float* heat = alloc_zeroed((size_t)h * w, sizeof(float));
    for (int k = 0; k < K; k++) {
        if (!mask[k]) continue;
        float u = y[(size_t)k * JEPA_PROBE_OUTPUTS] * sx, v = y[(size_t)k * JEPA_PROBE_OUTPUTS + 1] * sy;
        if (!isfinite(u) || !isfinite(v)) continue;
        int x0 = (int)floorf(u) - reach, y0 = (int)floorf(v) - reach;
        for (int py = y0 < 0 ? 0 : y0; py <= y0 + 2 * reach && py < h; py++)
            for (int px = x0 < 0 ? 0 : x0; px <= x0 + 2 * reach && px < w; px++) {
                float dx = (float)px + 0.5f - u, dy = (float)py + 0.5f - v;
                heat[(size_t)py * w + px] += JEPA_CELLPROBE_ORACLE_GAIN * expf(-(dx * dx + dy * dy) * inv);
            }
    }
    float* prob = alloc_array(nn_keypoint_prob_size(1, h, w, 1, s, margin, false), sizeof(float));
    float* work = alloc_array(nn_keypoint_work_size(1, h, w, 1, s, margin), sizeof(float));
    nn_keypoint_forward(1, h, w, 1, s, margin, false, 1.0f / sx, NULL, 0, heat, prob, work, g);
    free(heat);
    free(prob);
    free(work);
}

/* a cell's presence and index, sorted best first (the lower index first among equals) */
typedef struct CellRank {
    float s;
    int   c;
} CellRank;

static int cmp_rank(const void* a, const void* b) {
    const CellRank *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return (x->c > y->c) - (x->c < y->c);
}

/* one grid's detections from the probe's outputs y[cells, CP_SLOTS, CP_OUT]: every cell proposes
   a body at its centre plus its offset; in order of presence, a proposal is kept unless it lies
   within radius pixels of one kept before, until n are kept. order: cells CellRanks of scratch */
static int decode_outputs(int lh, int lw, const float* y, float cw, float ch, float radius, int n, CellRank* order,
                          JepaCellHit* hits) {
    int cells = lh * lw, m = 0;
    for (int c = 0; c < cells; c++) {
        float s = y[(size_t)c * CP_SLOTS * CP_OUT];
        if (isfinite(s)) order[m++] = (CellRank){s, c};
    }
    qsort(order, (size_t)m, sizeof *order, cmp_rank);
    int got = 0;
    float r2 = radius * radius;
    for (int q = 0; q < m && got < n; q++) {
        int c = order[q].c;
        const float* o = y + ((size_t)c * CP_SLOTS + 1) * CP_OUT;
        float u = ((float)(c % lw) + 0.5f + o[0]) * cw, v = ((float)(c / lw) + 0.5f + o[1]) * ch;
        if (!isfinite(u) || !isfinite(v)) continue;
        bool near = false;
        for (int i = 0; i < got && !near; i++) near = (hits[i].u - u) * (hits[i].u - u) + (hits[i].v - v) * (hits[i].v - v) < r2;
        if (!near) hits[got++] = (JepaCellHit){u, v, y[(size_t)c * CP_SLOTS * CP_OUT]};
    }
    return got;
}

/* the radius (of JEPA_CELLPROBE_RADII, times the cell's width) whose detections on the held-out
   windows lie nearest their bodies (each body in the frame against the nearest of as many detections
   as the window has bodies, as eval scores), with the probe fitted on the other windows at cp's ridge;
   the first one when none are held out (held NULL) */
static float choose_radius(const JepaCellProbe* cp, const JepaData* j, const JepaProbeRows* r, const float* x,
                           const float* y, const uint8_t* mask, const uint8_t* held) {
    static const float radii[] = JEPA_CELLPROBE_RADII;
    enum { NR = (int)(sizeof radii / sizeof radii[0]) };
    int cells = cp->lh * cp->lw, K = r->K, O = JEPA_PROBE_OUTPUTS;
    float cw = (float)j->frame_w / (float)cp->lw, ch = (float)j->frame_h / (float)cp->lh;
    int64_t N = (int64_t)r->N * cells;
    if (!held) return radii[0] * cw;
    uint8_t* kept = alloc_array((size_t)N * CP_SLOTS, 1);
    for (int64_t i = 0; i < N; i++)
        for (int k = 0; k < CP_SLOTS; k++) kept[i * CP_SLOTS + k] = mask[i * CP_SLOTS + k] && !held[i];
    Probe sel;
    memset(&sel, 0, sizeof sel);
    bool ok = probe_fit(&sel, (int)N, cp->F, CP_SLOTS, CP_OUT, x, y, kept, cp->p.ridge, JEPA_PROBE_MIN_ROWS) &&
              sel.fitted[0] && sel.fitted[1];
    free(kept);
    float best_r = radii[0] * cw;
    if (!ok) {
        probe_free(&sel);
        return best_r;
    }
    float* out = alloc_array((size_t)cells * CP_SLOTS * CP_OUT, sizeof(float));
    CellRank* order = alloc_array((size_t)cells, sizeof *order);
    JepaCellHit* hits = alloc_array((size_t)K, sizeof *hits);
    double err[NR] = {0};
    int64_t bodies = 0;
    for (int w = 0; w < r->N; w++) {
        size_t base = (size_t)w * cells;
        if (!held[base]) continue;
        int n = 0;
        for (int k = 0; k < K; k++) n += r->mask[(size_t)w * K + k] != 0;
        if (n == 0) continue;
        probe_apply(&sel, cells, x + base * cp->F, out);
        for (int q = 0; q < NR; q++) {
            int got = decode_outputs(cp->lh, cp->lw, out, cw, ch, radii[q] * cw, n, order, hits);
            for (int k = 0; k < K; k++) {
                if (!r->mask[(size_t)w * K + k]) continue;
                const float* t = r->y + ((size_t)w * K + k) * O;
                if (!(t[0] >= 0 && t[0] < (float)j->frame_w && t[1] >= 0 && t[1] < (float)j->frame_h)) continue;
                double best = INFINITY;
                for (int i = 0; i < got; i++) best = fmin(best, hypot(hits[i].u - t[0], hits[i].v - t[1]));
                err[q] += isfinite(best) ? best : (double)(j->frame_w + j->frame_h);
                bodies += q == 0;
            }
        }
    }
    if (bodies > 0) {
        int bq = 0;
        for (int q = 1; q < NR; q++)
            if (err[q] < err[bq]) bq = q;
        best_r = radii[bq] * cw;
    }
    free(out);
    free(order);
    free(hits);
    probe_free(&sel);
    return best_r;
}

/* fits cp (its grid's shape set) on rows r of episodes [first, first + count) of j */
static bool fit_rows(JepaCellProbe* cp, const JepaData* j, int first, int count, JepaProbeRows* r, char* err,
                     size_t err_size) {
    int cells = cp->lh * cp->lw, K = r->K, O = JEPA_PROBE_OUTPUTS;
    int64_t N = (int64_t)r->N * cells;
    if (r->N < 2 || N > 0x7fffffff / cp->F) {
        report_set(err, err_size, "%d windows: too few (or too many) to fit the cell probe", r->N);
        return false;
    }
    float* x = alloc_array((size_t)N * cp->F, sizeof(float));
    float* y = alloc_zeroed((size_t)N * CP_SLOTS * CP_OUT, sizeof(float));
    uint8_t* mask = alloc_zeroed((size_t)N * CP_SLOTS, 1);
    uint8_t* held = alloc_zeroed((size_t)N, 1);
    float cw = (float)j->frame_w / (float)cp->lw, ch = (float)j->frame_h / (float)cp->lh;
    const float reach = JEPA_CELLPROBE_REACH;
    for (int n = 0; n < r->N; n++) {
        size_t base = (size_t)n * cells;
        jepa_cellprobe_features(cp, r->x + (size_t)n * r->F, x + base * cp->F);
        bool h = count >= JEPA_PROBE_HOLD && (r->ep[n] - first) % JEPA_PROBE_HOLD == JEPA_PROBE_HOLD - 1;
        for (int c = 0; c < cells; c++) {
            mask[(base + c) * CP_SLOTS] = 1;
            held[base + c] = h;
        }
        /* presence: the cells that hold a body's centre */
        for (int k = 0; k < K; k++) {
            if (!r->mask[(size_t)n * K + k]) continue;
            const float* t = r->y + ((size_t)n * K + k) * O;
            int cx = (int)floorf(t[0] / cw), cy = (int)floorf(t[1] / ch);
            if (cx >= 0 && cy >= 0 && cx < cp->lw && cy < cp->lh) y[(base + (size_t)cy * cp->lw + cx) * CP_SLOTS * CP_OUT] = 1.0f;
        }
        /* offsets: from each cell's centre to the nearest body's centre (the first of equals), on the
           cells within reach of it on each axis */
        for (int c = 0; c < cells; c++) {
            float gx = (float)(c % cp->lw) + 0.5f, gy = (float)(c / cp->lw) + 0.5f, bd = INFINITY, bu = 0, bv = 0;
            for (int k = 0; k < K; k++) {
                if (!r->mask[(size_t)n * K + k]) continue;
                const float* t = r->y + ((size_t)n * K + k) * O;
                float du = t[0] / cw - gx, dv = t[1] / ch - gy, d = du * du + dv * dv;
                if (d < bd) bd = d, bu = du, bv = dv;
            }
            if (!isfinite(bd) || !(fabsf(bu) <= reach && fabsf(bv) <= reach)) continue;   /* no body near */
            size_t row = base + (size_t)c;
            mask[row * CP_SLOTS + 1] = 1;
            y[(row * CP_SLOTS + 1) * CP_OUT] = bu;
            y[(row * CP_SLOTS + 1) * CP_OUT + 1] = bv;
        }
    }
    static const double ridges[] = JEPA_CELLPROBE_RIDGES;
    int nr = (int)(sizeof ridges / sizeof ridges[0]);
    bool sel = count >= JEPA_PROBE_HOLD;
    bool ok = probe_fit_select_jobs(&cp->p, (int)N, cp->F, CP_SLOTS, CP_OUT, x, y, mask, sel ? held : NULL, ridges,
                                    sel ? nr : 1, JEPA_PROBE_MIN_ROWS, NULL, jepa_probe_jobs()) &&
              cp->p.fitted[0] && cp->p.fitted[1];
    if (!ok) report_set(err, err_size, "%d windows: too few bodies to fit the cell probe", r->N);
    else cp->radius = choose_radius(cp, j, r, x, y, mask, sel ? held : NULL);
    free(x);
    free(y);
    free(mask);
    free(held);
    return ok;
}

/* the probe on the latent's channels of each cell, or on each cell's pixels of the window's last
   frame (jepa_cellprobe_pixel_grid), or on the exact heat's grid (jepa_cellprobe_oracle_grid) */
static bool fit(JepaCellProbe* cp, const JepaModel* m, const JepaData* j, int first, int count, int max_rows,
                JepaProbeSource src, char* err, size_t err_size) {
    memset(cp, 0, sizeof *cp);
    jepa_latent_shape(m, &cp->lh, &cp->lw, &cp->C);
    if (src == JEPA_ROWS_PIXELS) cp->C = jepa_cellprobe_pixel_size(m) / (cp->lh * cp->lw);
    if (src == JEPA_ROWS_ORACLE) cp->C = 3;
    cp->F = 9 * cp->C;
    JepaProbeRows r;
    jepa_probe_rows_of(m, j, first, count, max_rows, src, &r);
    bool ok = fit_rows(cp, j, first, count, &r, err, err_size);
    jepa_probe_rows_free(&r);
    return ok;
}

bool jepa_cellprobe_fit(JepaCellProbe* cp, const JepaModel* m, const JepaData* j, int first, int count,
                        int max_rows, char* err, size_t err_size) {
    return fit(cp, m, j, first, count, max_rows, JEPA_ROWS_LATENT, err, err_size);
}

bool jepa_cellprobe_fit_pixels(JepaCellProbe* cp, const JepaModel* m, const JepaData* j, int first, int count,
                               int max_rows, char* err, size_t err_size) {
    return fit(cp, m, j, first, count, max_rows, JEPA_ROWS_PIXELS, err, err_size);
}

bool jepa_cellprobe_fit_oracle(JepaCellProbe* cp, const JepaModel* m, const JepaData* j, int first, int count,
                               int max_rows, char* err, size_t err_size) {
    return fit(cp, m, j, first, count, max_rows, JEPA_ROWS_ORACLE, err, err_size);
}

int jepa_cellprobe_decode(const JepaCellProbe* cp, const float* z, int frame_w, int frame_h, int n,
                          JepaCellHit* hits) {
    int lh = cp->lh, lw = cp->lw, cells = lh * lw;
    float* x = alloc_array((size_t)cells * cp->F, sizeof(float));
    float* y = alloc_array((size_t)cells * CP_SLOTS * CP_OUT, sizeof(float));
    CellRank* order = alloc_array((size_t)cells, sizeof *order);
    jepa_cellprobe_features(cp, z, x);
    probe_apply(&cp->p, cells, x, y);
    int got = decode_outputs(lh, lw, y, (float)frame_w / (float)lw, (float)frame_h / (float)lh, cp->radius, n, order,
                             hits);
    free(x);
    free(y);
    free(order);
    return got;
}
