/* the public model: a WmModel with the scratch its predictions use */
#include <math.h>
#include <stdlib.h>

#include "api/api_internal.h"
#include "base/alloc.h"
#include "sim/observation.h"

_Static_assert((int)NUDGE_MODEL_EVENTS == (int)WM_EVENTS, "the public event heads are the model's");
_Static_assert((int)NUDGE_MODEL_EVENT_BREAK == (int)WM_EVENT_BREAK && (int)NUDGE_MODEL_EVENT_CONTACT == (int)WM_EVENT_CONTACT &&
                   (int)NUDGE_MODEL_EVENT_FALL == (int)WM_EVENT_FALL,
               "the public event heads are in the model's order");

struct NudgeModel {
    WmModel*   m;
    WmScratch* s;
};

/// a rollout's horizon at most (ticks)
#define NUDGE_MAX_HORIZON 100000
/// slots a fresh model may have at most
#define NUDGE_MODEL_MAX_SLOTS 4096

static NudgeModel* wrap(WmModel* wm) {
    if (!wm) return NULL;
    NudgeModel* m = alloc_zeroed(1, sizeof *m);
    m->m = wm;
    m->s = wm_scratch_create(wm);
    return m;
}

NudgeModel* nudge_model_load(const char* path, char* err, size_t err_size) {
    if (!path) {
        report_set(err, err_size, "nudge_model_load: no path (NULL)");
        return NULL;
    }
    return wrap(wm_load(path, err, err_size));
}

NudgeModel* nudge_model_create(int slots, uint64_t seed, char* err, size_t err_size) {
    if (slots < 1 || slots > NUDGE_MODEL_MAX_SLOTS) {
        report_set(err, err_size, "nudge_model_create: slots %d is outside [1, %d]", slots,
                   NUDGE_MODEL_MAX_SLOTS);
        return NULL;
    }
    WmArch a = wm_arch_default(slots);
    if (!wm_arch_check(&a, err, err_size)) return NULL;
    return wrap(wm_create(&a, seed));
}

NudgeModel* nudge_model_clone(const NudgeModel* m) { if (!m) return NULL; return wrap(wm_clone(m->m)); }

void nudge_model_free(NudgeModel* m) {
    if (!m) return;
    wm_scratch_free(m->s);
    wm_free(m->m);
    free(m);
}

bool nudge_model_save(const NudgeModel* m, const char* path, char* err, size_t err_size) {
    if (!m) {
        report_set(err, err_size, "nudge_model_save: no model (NULL)");
        return false;
    }
    if (!path) {
        report_set(err, err_size, "nudge_model_save: no path (NULL)");
        return false;
    }
    return wm_save(m->m, path, err, err_size);
}

int nudge_model_slots(const NudgeModel* m) { if (!m) return -1; return wm_arch(m->m)->slots; }
int64_t nudge_model_train_steps(const NudgeModel* m) { if (!m) return -1; return wm_train_steps(m->m); }
int64_t nudge_model_param_count(const NudgeModel* m) { if (!m) return -1; return wm_param_count(m->m); }

/* what a prediction takes: B observations of the model's K slots (and H ticks of pushes) */
static bool inputs_check(const NudgeModel* m, const char* fn, int B, int H, const float* states,
                         const uint8_t* mask, const float* pushes, const float* out, char* err,
                         size_t err_size) {
    if (!m) {
        report_set(err, err_size, "%s: no model (NULL)", fn);
        return false;
    }
    if (B < 1) {
        report_set(err, err_size, "%s: batch %d is below 1", fn, B);
        return false;
    }
    if (H < 1 || H > NUDGE_MAX_HORIZON) {
        report_set(err, err_size, "%s: horizon %d is outside [1, %d]", fn, H, NUDGE_MAX_HORIZON);
        return false;
    }
    if (!states || !mask || !out) {
        report_set(err, err_size, "%s: %s is NULL", fn, !states ? "states" : !mask ? "mask" : "the output");
        return false;
    }
    int    K = wm_arch(m->m)->slots;
    size_t rows = (size_t)B * (size_t)K;
    for (size_t r = 0; r < rows; r++) {
        if (mask[r] > 1) {
            report_set(err, err_size, "%s: mask[%zu, %zu] is %d, not 0 or 1", fn, r / (size_t)K,
                       r % (size_t)K, mask[r]);
            return false;
        }
        for (int c = 0; c < SIM_OBS_DIM; c++)
            if (!isfinite(states[r * SIM_OBS_DIM + (size_t)c])) {
                report_set(err, err_size, "%s: states[%zu, %zu, %d] (%s) is not finite", fn, r / (size_t)K,
                           r % (size_t)K, c, sim_obs_columns[c].name);
                return false;
            }
    }
    size_t npush = rows * (size_t)H * WM_PUSH_DIM;
    for (size_t i = 0; pushes && i < npush; i++)
        if (!isfinite(pushes[i])) {
            report_set(err, err_size, "%s: push value %zu is not finite", fn, i);
            return false;
        }
    return true;
}

bool nudge_model_predict(NudgeModel* m, int B, const float* states, const uint8_t* mask,
                         const float* pushes, float* next_states, float* event_probs, char* err,
                         size_t err_size) {
    if (!inputs_check(m, "nudge_model_predict", B, 1, states, mask, pushes, next_states, err, err_size))
        return false;
    wm_predict(m->m, m->s, B, states, mask, pushes, next_states, NULL, event_probs);
    return true;
}

bool nudge_model_rollout(NudgeModel* m, int B, const float* states, const uint8_t* mask,
                         const float* pushes, int H, float* out_states, float* out_events,
                         char* err, size_t err_size) {
    if (!inputs_check(m, "nudge_model_rollout", B, H, states, mask, pushes, out_states, err, err_size))
        return false;
    wm_rollout(m->m, m->s, B, states, mask, pushes, H, out_states, NULL, out_events);
    return true;
}

bool nudge_model_foresee(NudgeModel* m, int B, const float* states, const uint8_t* mask,
                         const float* pushes, float* event_probs, char* err, size_t err_size) {
    if (!inputs_check(m, "nudge_model_foresee", B, 1, states, mask, pushes, event_probs, err, err_size))
        return false;
    wm_foresee(m->m, m->s, B, states, mask, pushes, event_probs);
    return true;
}

/* ---- the trainer ---- */

_Static_assert(offsetof(NudgeTrainerDef, capacity) + sizeof(int64_t) == sizeof(NudgeTrainerDef),
               "NudgeTrainerDef ends with capacity in ABI 1");

NudgeTrainerDef nudge_trainer_def_default(void) {
    WmTrainerDef    w = wm_trainer_def_default(SIM_OBS_SLOTS);
    NudgeTrainerDef d = {.size = sizeof d, .batch = w.batch, .lr = w.lr, .seed = w.seed,
                         .capacity = w.capacity};
    return d;
}

NudgeTrainer* nudge_trainer_create(const NudgeTrainerDef* def, const NudgeModel* start, int slots,
                                   char* err, size_t err_size) {
    NudgeTrainerDef d = nudge_trainer_def_default();
    if (def && !api_def_read(&d, sizeof d, sizeof d, def, "NudgeTrainerDef", err, err_size))
        return NULL;
    if (start) slots = wm_arch(start->m)->slots;
    if (slots < 1 || slots > NUDGE_MODEL_MAX_SLOTS) {
        report_set(err, err_size, "nudge_trainer_create: slots %d is outside [1, %d]", slots,
                   NUDGE_MODEL_MAX_SLOTS);
        return NULL;
    }
    if (!(d.lr > 0) || !isfinite(d.lr)) {
        report_set(err, err_size, "NudgeTrainerDef: learning rate %g is not a positive number", (double)d.lr);
        return NULL;
    }
    WmTrainerDef w = wm_trainer_def_default(slots);
    w.batch = d.batch;
    w.lr = d.lr;
    w.seed = d.seed;
    w.capacity = d.capacity;
    if (w.val_capacity > w.capacity) w.val_capacity = w.capacity;
    if (!wm_trainer_def_check(&w, start ? start->m : NULL, err, err_size)) return NULL;
    WmTrainer* tr = wm_trainer_create(&w, start ? start->m : NULL);
    if (!tr) {
        report_set(err, err_size, "nudge_trainer_create: the trainer cannot be made");
        return NULL;
    }
    NudgeTrainer* t = alloc_zeroed(1, sizeof *t);
    t->tr = tr;
    t->slots = slots;
    atomic_init(&t->refs, 1);
    return t;
}

void nudge_trainer_release(NudgeTrainer* t) {
    if (!t || atomic_fetch_sub(&t->refs, 1) != 1) return;
    wm_trainer_free(t->tr);
    free(t);
}

void nudge_trainer_free(NudgeTrainer* t) { nudge_trainer_release(t); }

bool nudge_trainer_watch(NudgeTrainer* t, NudgeWorld* w, char* err, size_t err_size) {
    if (!t || !w) {
        report_set(err, err_size, "nudge_trainer_watch: no %s (NULL)", !t ? "trainer" : "world");
        return false;
    }
    if (w->K != t->slots) {
        report_set(err, err_size, "nudge_trainer_watch: the world observes %d slots, the model %d", w->K,
                   t->slots);
        return false;
    }
    if (w->nfeeds == NUDGE_WORLD_FEEDS) {
        report_set(err, err_size, "nudge_trainer_watch: the world feeds %d trainers already", NUDGE_WORLD_FEEDS);
        return false;
    }
    NudgeFeed* f = &w->feeds[w->nfeeds];
    char why[512];
    if (!episode_model_check(&w->ep.inst, wm_trainer_model(t->tr), why, sizeof why)) {
        report_set(err, err_size, "nudge_trainer_watch: %s", why);
        return false;
    }
    if (!episode_feed_attach(&f->feed, &w->ep, t->tr, why, sizeof why)) {
        episode_feed_free(&f->feed);
        report_set(err, err_size, "nudge_trainer_watch: %s", why);
        return false;
    }
    f->trainer = t;
    atomic_fetch_add(&t->refs, 1);
    w->nfeeds++;
    return true;
}

int nudge_trainer_step(NudgeTrainer* t) { if (!t) return -1; return wm_trainer_step(t->tr) ? 1 : 0; }

int64_t nudge_trainer_transitions(const NudgeTrainer* t) {
    if (!t) return -1;
    WmTrainerStats st;
    wm_trainer_stats(t->tr, &st);
    return st.transitions;
}

float nudge_trainer_loss(const NudgeTrainer* t) {
    if (!t) return NAN;
    WmTrainerStats st;
    wm_trainer_stats(t->tr, &st);
    return st.steps > 0 ? st.last_loss : NAN;
}

bool nudge_trainer_model(NudgeTrainer* t, NudgeModel* dst, char* err, size_t err_size) {
    if (!t) {
        report_set(err, err_size, "nudge_trainer_model: no trainer (NULL)");
        return false;
    }
    if (!dst) {
        report_set(err, err_size, "nudge_trainer_model: no model (NULL)");
        return false;
    }
    if (!wm_copy(dst->m, wm_trainer_model(t->tr))) {
        report_set(err, err_size, "nudge_trainer_model: the model's architecture is not the trainer's");
        return false;
    }
    return true;
}
