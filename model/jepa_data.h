/* jepa_data: a dataset with frames (nudge gen --frames) for the pixel model: the state arrays of
 * model/dataset.h (for the probe's targets and the pushes) plus frames.npy and frame_rect.npy, with
 * the world-to-pixel map of each episode's camera and the pushes in image space. */
#ifndef NUDGE_MODEL_JEPA_DATA_H
#define NUDGE_MODEL_JEPA_DATA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/dataset.h"
#include "model/jepa.h"
#include "model/jepa_trainer.h"

typedef struct JepaData {
    WmDataset* d;                    /* states, mask, actions, event marks */
    int        frame_w, frame_h, channels;
    bool       frames_aa;            /* antialiased frames (gen --frames-aa) */
    bool       frames_outline;       /* dynamic bodies outlined (gen --frames-outline) */
    uint8_t*   frames;               /* [E, T, H, W, channels] */
    double*    rect;                 /* [E, 4]: xmin, ymin, xmax, ymax (m) each episode's frames show */
} JepaData;

/// loads DIR; NULL + one line when it cannot be read (as wm_dataset_load), has no frames, or was
/// written before frame_rect.npy existed (format version 4: regenerate it)
JepaData* jepa_data_load(const char* dir, char* err, size_t err_size);
void      jepa_data_free(JepaData* j);                                 /* NULL-safe */
/// frame (episode e, record t)
const uint8_t* jepa_data_frame(const JepaData* j, int e, int t);
/// pixels per metre of episode e's frames
double    jepa_data_scale(const JepaData* j, int e);
/// world point (x, y) (m, y up) -> frame pixel (u right, v down) in episode e's frames
void      jepa_data_to_px(const JepaData* j, int e, double x, double y, float* u, float* v);
/// the pushes applied right after record t of episode e, in image space (at most JEPA_MAX_PUSHES;
/// the push point is the body's centre at record t plus the push's offset); returns how many
int       jepa_data_pushes(const JepaData* j, int e, int t, JepaPush* out);
/// whether slot k of episode e is pushed right after record t
bool      jepa_data_pushed(const JepaData* j, int e, int t, int k);
/// the pushes applied right after records t .. t + ticks - 1 of episode e, in order (one predictor
/// step of a model whose frame step is `ticks`; at most JEPA_MAX_PUSHES); returns how many
int       jepa_data_pushes_span(const JepaData* j, int e, int t, int ticks, JepaPush* out);
/// the probe's outputs per slot: frame pixel u, v of the centre of mass, and the break and fall
/// marks of the record (model/replay.h)
#define JEPA_PROBE_OUTPUTS 4
/// the probe's targets of record (e, t): y[K * JEPA_PROBE_OUTPUTS] per slot, mask[K] = a live
/// dynamic body
void      jepa_data_targets(const JepaData* j, int e, int t, float* y, uint8_t* mask);
/// appends episodes [first, first + count) to a replay (a trainer's, before it trains), one replay
/// episode each, each record marked with the events of its bodies (WM_BIT_BREAK / WM_BIT_FALL since
/// the record before, jepa_replay_mark)
void      jepa_data_fill(const JepaData* j, JepaReplay* r, int first, int count);
/// false + one line when the model reads other frames than the dataset holds (their size, or
/// antialiased or outlined frames where the dataset's are not, or the other way round)
bool      jepa_data_check_model(const JepaData* j, const JepaModel* m, const char* model_path, char* err,
                                size_t err_size);
/// the pixel model at model_path and the datasets fitted (data) and scored (heldout, may be NULL:
/// *h NULL) with it, each checked against it; false + one line with nothing left loaded (*m, *j,
/// *h NULL)
bool      jepa_data_load_with_model(const char* model_path, const char* data, const char* heldout, JepaModel** m,
                                    JepaData** j, JepaData** h, char* err, size_t err_size);

#endif
