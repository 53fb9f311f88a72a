/* the public scenario handle: a parsed file shared by reference between the caller and its worlds */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "base/alloc.h"
#include "sim/observation.h"

_Static_assert(NUDGE_OBS_DIM == SIM_OBS_DIM, "the public observation width is the observation's");
_Static_assert(NUDGE_OBS_DYNAMIC == SIM_OBS_DYNAMIC, "the public dynamic columns are the observation's");
_Static_assert(NUDGE_OBS_SLOTS == SIM_OBS_SLOTS, "the public default slots are the observation's");
_Static_assert(NUDGE_MAX_PUSHES == SIM_ACTION_PUSHES, "a public tick takes as many pushes as an action");
_Static_assert(NUDGE_PUSH_DIM == WM_PUSH_DIM, "a public push row is the model's");

const char* nudge_obs_column(int i, const char** unit, const char** doc) {
    if (i < 0 || i >= SIM_OBS_DIM) return NULL;
    if (unit) *unit = sim_obs_columns[i].unit;
    if (doc) *doc = sim_obs_columns[i].doc;
    return sim_obs_columns[i].name;
}

int nudge_obs_find(const char* name) {
    for (int i = 0; name && i < SIM_OBS_DIM; i++)
        if (!strcmp(sim_obs_columns[i].name, name)) return i;
    return -1;
}

static NudgeScenario* wrap(Scenario* scn) {
    if (!scn) return NULL;
    NudgeScenario* s = alloc_zeroed(1, sizeof *s);
    s->scn = scn;
    atomic_init(&s->refs, 1);
    return s;
}

NudgeScenario* nudge_scenario_load(const char* path, char* err, size_t err_size) {
    if (!path) {
        report_set(err, err_size, "nudge_scenario_load: no path (NULL)");
        return NULL;
    }
    return wrap(scn_load(path, err, err_size));
}

NudgeScenario* nudge_scenario_parse(const char* text, size_t len, const char* name, char* err,
                                    size_t err_size) {
    if (!text) {
        report_set(err, err_size, "nudge_scenario_parse: no text (NULL)");
        return NULL;
    }
    return wrap(scn_parse(text, len, name ? name : "<text>", err, err_size));
}

void nudge_scenario_free(NudgeScenario* s) {
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1) return;
    scn_free(s->scn);
    free(s);
}

const char* nudge_scenario_name(const NudgeScenario* s) { if (!s) return NULL; return scn_name(s->scn); }
uint64_t nudge_scenario_seed(const NudgeScenario* s) { if (!s) return 0; return scn_default_seed(s->scn); }
double nudge_scenario_seconds(const NudgeScenario* s) {
    if (!s) return NAN;
    return scn_default_seconds(s->scn);
}
int nudge_scenario_param_count(const NudgeScenario* s) { if (!s) return -1; return scn_param_count(s->scn); }

const char* nudge_scenario_param_name(const NudgeScenario* s, int i) {
    if (!s) return NULL;
    if (i < 0 || i >= scn_param_count(s->scn)) return NULL;
    return scn_param_name(s->scn, i);
}
