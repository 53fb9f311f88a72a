/* jepa_replay: a bounded buffer of rendered frames in episodes, each with the pushes applied right
 * after it, serving the pixel model's training windows: `context` frames up to a record t and the
 * `ahead` frames after it, all of one episode. Capacity counts frames; the oldest go first. Filled
 * from a dataset (offline) or from what the view renders (live). Not thread-safe by itself: the
 * trainer locks around it. */
#ifndef NUDGE_MODEL_JEPA_REPLAY_H
#define NUDGE_MODEL_JEPA_REPLAY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"
#include "model/jepa.h"

typedef struct JepaReplay JepaReplay;

/// frame_bytes per frame, up to capacity frames (>= 2); NULL for a capacity too large for memory
JepaReplay*    jepa_replay_create(size_t frame_bytes, int64_t capacity);
void           jepa_replay_free(JepaReplay* r);                 /* NULL-safe */
/// the next frame starts a new episode
void           jepa_replay_begin_episode(JepaReplay* r);
/// appends a frame and the n pushes applied right after it (at most JEPA_MAX_PUSHES are kept)
void           jepa_replay_add(JepaReplay* r, const uint8_t* frame, const JepaPush* pushes, int n);
/// a record's mark beside the dataset's event bits (WM_BIT_BREAK, WM_BIT_FALL): a push was applied right
/// after the record before it (jepa_data_fill), so that a window marked among its predicted records
/// is one whose rollout is given a push (train --push-sample)
#define JEPA_MARK_PUSH 0x80
/// ORs `bits` into the mark of the newest record (a dataset's event marks: WM_BIT_BREAK, model/replay.h;
/// JEPA_MARK_PUSH); a record is added unmarked. The live trainer marks nothing
void           jepa_replay_mark(JepaReplay* r, uint8_t bits);
/// record seq's mark (seq must be held)
uint8_t        jepa_replay_marks(const JepaReplay* r, int64_t seq);
/// frames held
int64_t        jepa_replay_size(const JepaReplay* r);
/// true if record seq (a running number: the first frame ever added is 0) is held, and with it
/// `back` frames before it and `ahead` after it, all of its episode
bool           jepa_replay_window_ok(const JepaReplay* r, int64_t seq, int back, int ahead);
/// the running numbers of the oldest and the newest frame held (newest < oldest when empty)
int64_t        jepa_replay_first(const JepaReplay* r);
int64_t        jepa_replay_last(const JepaReplay* r);
/// n window ends drawn uniformly from those that have `back` frames before them and `ahead`
/// after; false when there are none (or too few to find)
bool           jepa_replay_sample(const JepaReplay* r, Rng* rng, int n, int back, int ahead,
                                  int64_t* seq);
/// how many valid window ends (`back` frames before them, `ahead` after) have a record marked with
/// `bits` among the `ahead` after them (the predicted span after the context); the list is kept
/// until a frame is added or the arguments change
int64_t        jepa_replay_marked_windows(JepaReplay* r, int back, int ahead, uint8_t bits);
/// as jepa_replay_sample, but each window is first given a coin: with probability `share` it is drawn
/// uniformly from the marked windows (jepa_replay_marked_windows), otherwise as jepa_replay_sample
/// draws one; with no marked window every window is drawn as jepa_replay_sample draws one (the coins
/// still thrown). share <= 0 draws exactly jepa_replay_sample's windows from the same rng state.
/// *from_marked (may be NULL) counts the windows drawn from the marked list
bool           jepa_replay_sample_marked(JepaReplay* r, Rng* rng, int n, int back, int ahead, uint8_t bits,
                                         double share, int64_t* seq, int64_t* from_marked);
/// the valid window ends in order from *cursor on, every `stride`-th record: up to n, returns how
/// many (0 at the end)
int            jepa_replay_sweep(const JepaReplay* r, int64_t* cursor, int n, int back, int ahead,
                                 int stride, int64_t* seq);
/// record seq's frame and pushes (seq must be held)
const uint8_t* jepa_replay_frame(const JepaReplay* r, int64_t seq);
const JepaPush* jepa_replay_pushes(const JepaReplay* r, int64_t seq, int* n);

#endif
