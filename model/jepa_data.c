/* jepa_data: a dataset's frames, cameras and image-space pushes for the pixel model (jepa_data.h) */
#include "model/jepa_data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/checked_size.h"
#include "base/report.h"
#include "data/reader.h"
#include "model/replay.h"
#include "sim/observation.h"

void jepa_data_free(JepaData* j) {
    if (!j) return;
    wm_dataset_free(j->d);
    free(j->frames);
    free(j->rect);
    free(j);
}

JepaData* jepa_data_load(const char* dir, char* err, size_t err_size) {
    DataReader r;
    if (!data_reader_open(&r, dir, err, err_size)) return NULL;
    JepaData* j = alloc_zeroed(1, sizeof *j);
    const DataManifest* m = &r.m;
    if (m->dims.channels == 0) {
        report_set(err, err_size, "%s: the dataset has no frames (generate it with nudge gen --frames WxH)", dir);
        goto fail;
    }
    if (m->version < 4) {
        report_set(err, err_size, "%s: a dataset of format version %d has no frame_rect.npy (where the frames look, "
                   "version 4): regenerate it", dir, m->version);
        goto fail;
    }
    j->frame_w = m->dims.frame_w, j->frame_h = m->dims.frame_h, j->channels = m->dims.channels;
    j->frames_aa = m->dims.frames_aa;
    j->frames_outline = m->dims.frames_outline;
    size_t fb = 0, all = 0;
    int64_t dims[5] = {m->episodes, m->dims.records, m->dims.frame_h, m->dims.frame_w, m->dims.channels};
    if (!size_product_ok(dims + 2, 3, 1, &fb) || !size_product_ok(dims, 5, 1, &all)) {
        report_set(err, err_size, "%s/manifest.json: its frames are too large", dir);
        goto fail;
    }
    j->frames = alloc_try_bytes(all);
    j->rect = alloc_try_bytes(sizeof(double) * 4 * (size_t)m->episodes);
    if (!j->frames || !j->rect) {
        report_set(err, err_size, "%s: %lld episodes of frames (%.1f GB), too large for memory", dir,
                   (long long)m->episodes, (double)all / 1e9);
        goto fail;
    }
    for (int s = 0; s < m->nshards; s++) {
        const DataShardEntry* sh = &m->shards[s];
        size_t off = (size_t)sh->first * (size_t)m->dims.records * fb;
        size_t n = (size_t)sh->count * (size_t)m->dims.records * fb;
        if (!data_reader_read(&r, s, DATA_FRAMES, j->frames + off, n, err, err_size) ||
            !data_reader_read(&r, s, DATA_FRAME_RECT, j->rect + (size_t)sh->first * 4,
                              sizeof(double) * 4 * (size_t)sh->count, err, err_size))
            goto fail;
    }
    for (int64_t e = 0; e < m->episodes; e++) {
        const double* q = j->rect + e * 4;
        if (!(isfinite(q[0]) && isfinite(q[1]) && isfinite(q[2]) && isfinite(q[3]) && q[2] > q[0] && q[3] > q[1])) {
            report_set(err, err_size, "%s: episode %lld's frame_rect (%g, %g, %g, %g) is not a rectangle", dir,
                       (long long)e, q[0], q[1], q[2], q[3]);
            goto fail;
        }
    }
    data_reader_close(&r);
    j->d = wm_dataset_load(dir, err, err_size);
    if (!j->d) {
        jepa_data_free(j);
        return NULL;
    }
    return j;
fail:
    data_reader_close(&r);
    jepa_data_free(j);
    return NULL;
}

const uint8_t* jepa_data_frame(const JepaData* j, int e, int t) {
    size_t fb = (size_t)j->frame_w * j->frame_h * j->channels;
    return j->frames + ((size_t)e * j->d->ticks + t) * fb;
}

double jepa_data_scale(const JepaData* j, int e) {
    const double* q = j->rect + (size_t)e * 4;
    return fmin(j->frame_w / (q[2] - q[0]), j->frame_h / (q[3] - q[1]));
}

void jepa_data_to_px(const JepaData* j, int e, double x, double y, float* u, float* v) {
    jepa_frame_px(j->frame_w, j->frame_h, j->rect + (size_t)e * 4, x, y, u, v);
}

bool jepa_data_pushed(const JepaData* j, int e, int t, int k) {
    const float* a = j->d->actions + (wm_dataset_index(j->d, e, t) + (size_t)k) * 4;
    return a[0] != 0 || a[1] != 0;
}

int jepa_data_pushes(const JepaData* j, int e, int t, JepaPush* out) {
    const WmDataset* d = j->d;
    size_t i = wm_dataset_index(d, e, t);
    const float* st = wm_dataset_states(d, e, t);
    int n = 0;
    for (int k = 0; k < d->slots && n < JEPA_MAX_PUSHES; k++) {
        if (!jepa_data_pushed(j, e, t, k)) continue;
        const float* a = d->actions + (i + (size_t)k) * 4;
        const float* row = st + (size_t)k * d->dim;
        JepaPush* p = &out[n++];
        jepa_data_to_px(j, e, row[SIM_OBS_x] + a[2], row[SIM_OBS_y] + a[3], &p->u, &p->v);
        p->jx = a[0], p->jy = a[1], p->mass = row[SIM_OBS_mass];
    }
    return n;
}

int jepa_data_pushes_span(const JepaData* j, int e, int t, int ticks, JepaPush* out) {
    JepaPush one[JEPA_MAX_PUSHES];
    int n = 0;
    for (int k = 0; k < ticks && n < JEPA_MAX_PUSHES; k++) {
        int got = jepa_data_pushes(j, e, t + k, one);
        for (int i = 0; i < got && n < JEPA_MAX_PUSHES; i++) out[n++] = one[i];
    }
    return n;
}

void jepa_data_targets(const JepaData* j, int e, int t, float* y, uint8_t* mask) {
    const WmDataset* d = j->d;
    size_t i = wm_dataset_index(d, e, t);
    const float* st = wm_dataset_states(d, e, t);
    for (int k = 0; k < d->slots; k++) {
        const float* row = st + (size_t)k * d->dim;
        mask[k] = d->mask[i + (size_t)k] && row[SIM_OBS_is_static] == 0;
        jepa_data_to_px(j, e, row[SIM_OBS_x], row[SIM_OBS_y], &y[k * 4], &y[k * 4 + 1]);
        y[k * 4 + 2] = (d->bits[i + (size_t)k] & WM_BIT_BREAK) ? 1.0f : 0.0f;
        y[k * 4 + 3] = (d->bits[i + (size_t)k] & WM_BIT_FALL) ? 1.0f : 0.0f;
    }
}

void jepa_data_fill(const JepaData* j, JepaReplay* r, int first, int count) {
    JepaPush p[JEPA_MAX_PUSHES];
    for (int e = first; e < first + count && e < j->d->episodes; e++) {
        jepa_replay_begin_episode(r);
        int pushed_before = 0;
        for (int t = 0; t < j->d->ticks; t++) {
            int np = jepa_data_pushes(j, e, t, p);
            jepa_replay_add(r, jepa_data_frame(j, e, t), p, np);
            /* the record's events (since record t - 1) of any body: what --break-sample draws on; and
               whether a push came right after record t - 1: what --push-sample draws on */
            const uint8_t* bits = j->d->bits + wm_dataset_index(j->d, e, t);
            uint8_t any = pushed_before ? JEPA_MARK_PUSH : 0;
            for (int k = 0; k < j->d->slots; k++) any |= bits[k];
            if (any) jepa_replay_mark(r, any);
            pushed_before = np;
        }
    }
}

bool jepa_data_check_model(const JepaData* j, const JepaModel* m, const char* model_path, char* err,
                           size_t err_size) {
    const JepaArch* a = jepa_arch(m);
    if (a->frame_w != j->frame_w || a->frame_h != j->frame_h || a->channels != j->channels) {
        report_set(err, err_size, "%s: the model reads %dx%d frames of %d channels, the dataset holds %dx%d of %d",
                   model_path, a->frame_w, a->frame_h, a->channels, j->frame_w, j->frame_h, j->channels);
        return false;
    }
    if (jepa_frames_aa(m) != j->frames_aa) {
        report_set(err, err_size, "%s: the model was trained on %s frames, the dataset holds %s ones (gen %s--frames-aa)",
                   model_path, jepa_frames_aa(m) ? "antialiased" : "aliased", j->frames_aa ? "antialiased" : "aliased",
                   j->frames_aa ? "without " : "with ");
        return false;
    }
    if (jepa_frames_outline(m) != j->frames_outline) {
        report_set(err, err_size, "%s: the model was trained on frames %s outlined bodies, the dataset's have %s "
                   "(gen %s--frames-outline)", model_path, jepa_frames_outline(m) ? "with" : "without",
                   j->frames_outline ? "them" : "none", j->frames_outline ? "without " : "with ");
        return false;
    }
    return true;
}

bool jepa_data_load_with_model(const char* model_path, const char* data, const char* heldout, JepaModel** m,
                               JepaData** j, JepaData** h, char* err, size_t err_size) {
    *j = *h = NULL;
    *m = jepa_load(model_path, err, err_size);
    if (!*m) return false;
    *j = jepa_data_load(data, err, err_size);
    bool ok = *j && jepa_data_check_model(*j, *m, model_path, err, err_size);
    if (ok && heldout) {
        *h = jepa_data_load(heldout, err, err_size);
        ok = *h && jepa_data_check_model(*h, *m, model_path, err, err_size);
    }
    if (!ok) {
        jepa_data_free(*j);
        jepa_data_free(*h);
        jepa_free(*m);
        *m = NULL, *j = *h = NULL;
    }
    return ok;
}
