/* jepa_cellprobe: the slot-free readout of a latent grid (jepa_cellprobe.h) */
#include "model/jepa_cellprobe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "model/jepa_probe.h"

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
    for (int n = 0; n < r->N; n++) {
        size_t base = (size_t)n * cells;
        jepa_cellprobe_features(cp, r->x + (size_t)n * r->F, x + base * cp->F);
        bool h = count >= JEPA_PROBE_HOLD && (r->ep[n] - first) % JEPA_PROBE_HOLD == JEPA_PROBE_HOLD - 1;
        for (int c = 0; c < cells; c++) {
            mask[(base + c) * CP_SLOTS] = 1;
            held[base + c] = h;
        }
        for (int k = 0; k < K; k++) {
            if (!r->mask[(size_t)n * K + k]) continue;
            const float* t = r->y + ((size_t)n * K + k) * O;
            float gu = t[0] / cw, gv = t[1] / ch;
            int cx = (int)floorf(gu), cy = (int)floorf(gv);
            if (cx < 0 || cy < 0 || cx >= cp->lw || cy >= cp->lh) continue;
            size_t row = base + (size_t)cy * cp->lw + cx;
            if (mask[row * CP_SLOTS + 1]) continue; /* a second body in the cell: the first one's offset */
            y[row * CP_SLOTS * CP_OUT] = 1.0f;
            mask[row * CP_SLOTS + 1] = 1;
            y[(row * CP_SLOTS + 1) * CP_OUT] = gu - (float)cx - 0.5f;
            y[(row * CP_SLOTS + 1) * CP_OUT + 1] = gv - (float)cy - 0.5f;
        }
    }
    static const double ridges[] = JEPA_CELLPROBE_RIDGES;
    int nr = (int)(sizeof ridges / sizeof ridges[0]);
    bool sel = count >= JEPA_PROBE_HOLD;
    bool ok = probe_fit_select(&cp->p, (int)N, cp->F, CP_SLOTS, CP_OUT, x, y, mask, sel ? held : NULL, ridges,
                               sel ? nr : 1, JEPA_PROBE_MIN_ROWS, NULL) &&
              cp->p.fitted[0] && cp->p.fitted[1];
    if (!ok) report_set(err, err_size, "%d windows: too few bodies to fit the cell probe", r->N);
    free(x);
    free(y);
    free(mask);
    free(held);
    return ok;
}

/* the probe on the latent's channels of each cell, or (pixels) on each cell's pixels of the window's
   last frame (jepa_cellprobe_pixel_grid) */
static bool fit(JepaCellProbe* cp, const JepaModel* m, const JepaData* j, int first, int count, int max_rows,
                bool pixels, char* err, size_t err_size) {
    memset(cp, 0, sizeof *cp);
    jepa_latent_shape(m, &cp->lh, &cp->lw, &cp->C);
    if (pixels) cp->C = jepa_cellprobe_pixel_size(m) / (cp->lh * cp->lw);
    cp->F = 9 * cp->C;
    JepaProbeRows r;
    if (pixels) jepa_probe_rows_pixels(m, j, first, count, max_rows, &r);
    else jepa_probe_rows(m, j, first, count, max_rows, &r);
    bool ok = fit_rows(cp, j, first, count, &r, err, err_size);
    jepa_probe_rows_free(&r);
    return ok;
}

bool jepa_cellprobe_fit(JepaCellProbe* cp, const JepaModel* m, const JepaData* j, int first, int count,
                        int max_rows, char* err, size_t err_size) {
    return fit(cp, m, j, first, count, max_rows, false, err, err_size);
}

bool jepa_cellprobe_fit_pixels(JepaCellProbe* cp, const JepaModel* m, const JepaData* j, int first, int count,
                               int max_rows, char* err, size_t err_size) {
    return fit(cp, m, j, first, count, max_rows, true, err, err_size);
}

int jepa_cellprobe_decode(const JepaCellProbe* cp, const float* z, int frame_w, int frame_h, int n,
                          JepaCellHit* hits) {
    int lh = cp->lh, lw = cp->lw, cells = lh * lw;
    float* x = alloc_array((size_t)cells * cp->F, sizeof(float));
    float* y = alloc_array((size_t)cells * CP_SLOTS * CP_OUT, sizeof(float));
    jepa_cellprobe_features(cp, z, x);
    probe_apply(&cp->p, cells, x, y);
    float cw = (float)frame_w / (float)lw, ch = (float)frame_h / (float)lh;
    int got = 0;
    for (int i = 0; i < lh; i++)
        for (int j = 0; j < lw; j++) {
            float s = y[((size_t)i * lw + j) * CP_SLOTS * CP_OUT];
            bool peak = isfinite(s);
            for (int di = -1; di <= 1 && peak; di++)
                for (int dj = -1; dj <= 1 && peak; dj++) {
                    int a = i + di, b = j + dj;
                    if ((di || dj) && a >= 0 && b >= 0 && a < lh && b < lw &&
                        y[((size_t)a * lw + b) * CP_SLOTS * CP_OUT] > s)
                        peak = false;
                }
            if (!peak) continue;
            const float* off = y + (((size_t)i * lw + j) * CP_SLOTS + 1) * CP_OUT;
            JepaCellHit h = {((float)j + 0.5f + off[0]) * cw, ((float)i + 0.5f + off[1]) * ch, s};
            /* insert among the best n, best first */
            int at = got < n ? got : n;
            while (at > 0 && hits[at - 1].score < s) {
                if (at < n) hits[at] = hits[at - 1];
                at--;
            }
            if (at < n) {
                hits[at] = h;
                if (got < n) got++;
            }
        }
    free(x);
    free(y);
    return got;
}
