#include "app/gen_dataset.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/report.h"
#include "base/rng.h"
#include "base/utf8.h"
#include "sim/observation.h"

/* the scenario paths: the file, or every .scn directly in the folder, sorted */
static char** scenario_paths(const char* path, int* n, char* err, size_t err_size) {
    struct stat st;
    *n = 0;
    if (stat(path, &st) != 0) {
        report_set(err, err_size, "--scenario %s: %s", path, strerror(errno));
        return NULL;
    }
    char** out = NULL;
    if (!S_ISDIR(st.st_mode)) {
        out = alloc_array(1, sizeof *out);
        out[0] = alloc_strdup(path);
        *n = 1;
        return out;
    }
    *n = scn_list_files(path, false, &out);
    if (*n <= 0) {
        report_set(err, err_size, *n < 0 ? "--scenario %s: cannot read this folder" : "--scenario %s: no .scn files in this folder", path);
        scn_free_list(out, *n < 0 ? 0 : *n);
        *n = 0;
        return NULL;
    }
    return out;
}

/* params.npy's columns: the union of the scenarios' parameters, in order of first appearance */
static void param_columns(GenDataset* ds, int i, char*** names, int* nnames) {
    int np = scn_param_count(ds->scenarios[i]);
    ds->param_cols[i] = alloc_zeroed((size_t)(np ? np : 1), sizeof(int));
    for (int k = 0; k < np; k++) {
        const char* name = scn_param_name(ds->scenarios[i], k);
        int col = -1;
        for (int c = 0; c < *nnames; c++)
            if (!strcmp((*names)[c], name)) col = c;
        if (col < 0) {
            *names = alloc_resize(*names, (size_t)(*nnames + 1), sizeof **names);
            (*names)[*nnames] = alloc_strdup(name);
            col = (*nnames)++;
        }
        ds->param_cols[i][k] = col;
    }
}

bool gen_dataset_open(GenDataset* ds, const char* scenario, int64_t episodes, double seconds, uint64_t seed,
                      const char* agent, const char* where, bool allow_magic, int per_shard,
                      const EpisodeRecordSpec* spec, char* err, size_t err_size) {
    memset(ds, 0, sizeof *ds);
    ds->spec = *spec;
    DataManifest m;
    memset(&m, 0, sizeof m);
    int n = 0;
    char** paths = scenario_paths(scenario, &n, err, err_size);
    if (!paths) return false;
    ds->scenarios = alloc_zeroed((size_t)n, sizeof *ds->scenarios);
    ds->param_cols = alloc_zeroed((size_t)n, sizeof *ds->param_cols);
    ds->where = alloc_zeroed((size_t)n, sizeof *ds->where);
    m.scenarios = alloc_zeroed((size_t)n, sizeof *m.scenarios);
    m.inputs.scenarios = alloc_zeroed((size_t)n, sizeof *m.inputs.scenarios);
    bool ok = true;
    ds->nscenarios = n;
    for (int i = 0; i < n && ok; i++) {
        ds->scenarios[i] = scn_load(paths[i], err, err_size);
        if (!ds->scenarios[i]) {
            ok = false;
            break;
        }
        /* impossible events only when asked for: a dataset of them is for evaluation, not training */
        int magic = scn_magic_line(ds->scenarios[i]);
        if (magic && !allow_magic) {
            report_set(err, err_size, "%s:%d:1: expected no magic in a training template, got an impossible event "
                                      "(give --allow-magic for a dataset that labels them)", paths[i], magic);
            ok = false;
            break;
        }
        /* --where names parameters every scenario has */
        if (where && !(ds->where[i] = scn_predicate_compile(ds->scenarios[i], where, err, err_size))) {
            ok = false;
            break;
        }
        /* every scenario must share the clock: dt and steps per tick */
        ScnInstance inst;
        if (!scn_instantiate(ds->scenarios[i], seed, &inst, err, err_size)) {
            ok = false;
            break;
        }
        if (i == 0) {
            m.dt = inst.world.dt;
            m.steps_per_tick = inst.world.steps_per_tick;
        } else if (inst.world.dt != m.dt || inst.world.steps_per_tick != m.steps_per_tick) {
            report_set(err, err_size, "%s: its dt/ticks differ from %s's; a dataset has one clock", paths[i], paths[0]);
            ok = false;
        }
        scn_instance_free(&inst);
        if (ok) param_columns(ds, i, &m.params, &m.dims.nparams);
        uint64_t hash = scn_text_hash(ds->scenarios[i]);
        /* the manifest is JSON, UTF-8: a file name's stray bytes are written as U+FFFD */
        m.scenarios[i].path = utf8_sanitized_dup(scn_name(ds->scenarios[i]));
        m.scenarios[i].fnv1a64 = hash;
        m.inputs.scenarios[i].path = utf8_sanitized_dup(paths[i]);
        m.inputs.scenarios[i].fnv1a64 = hash;
        m.nscenarios = m.inputs.nscenarios = i + 1;
    }
    if (ok) {
        /* the episodes' shape */
        double tick = m.dt * m.steps_per_tick;
        SimWorldDef clock = sim_world_def_default();
        clock.dt = m.dt;
        clock.steps_per_tick = m.steps_per_tick;
        char why[256];
        if (!sim_world_run_ticks(&clock, seconds, &ds->spec.ticks, why, sizeof why)) {
            report_set(err, err_size, "%s: %s", paths[0], why);
            ds->spec.ticks = 1;
            ok = false;
        }
        ds->spec.records = (int)(ds->spec.ticks / ds->spec.stride) + 1;
        ds->spec.nparams = m.dims.nparams;
        /* the manifest's fields */
        m.version = DATA_FORMAT_VERSION;
        m.dims.records = ds->spec.records;
        m.dims.slots = ds->spec.slots;
        m.dims.dim = SIM_OBS_DIM;
        m.dims.frame_w = ds->spec.frame_w;
        m.dims.frame_h = ds->spec.frame_h;
        m.dims.channels = ds->spec.channels;
        m.dims.frames_aa = ds->spec.channels && ds->spec.frames_aa;
        m.dims.frames_outline = ds->spec.channels && ds->spec.frames_outline;
        m.episodes = episodes;
        m.per_shard = per_shard;
        m.shard_count = (int)((episodes + per_shard - 1) / per_shard);
        m.seed = seed;
        m.seconds = seconds;
        m.tick = tick;
        m.control_ticks = ds->spec.ticks;
        m.stride = ds->spec.stride;
        /* the inputs: what defines the content, and nothing else (not jobs, not shards) */
        DataInputs* in = &m.inputs;
        m.has_inputs = true;
        in->episodes = episodes;
        in->seconds = seconds;
        in->seed = seed;
        snprintf(in->agent, sizeof in->agent, "%s", agent ? agent : "scenario");
        snprintf(in->where, sizeof in->where, "%s", where ? where : "");
        in->magic = allow_magic;
        in->stride = ds->spec.stride;
        const AgentOverride* ao = &ds->spec.agent;
        in->push_every[0] = ao->every[0] >= 0 ? ao->every[0] : -1;
        in->push_every[1] = ao->every[0] >= 0 ? ao->every[1] : -1;
        in->push_dv[0] = ao->dv[0] >= 0 ? ao->dv[0] : -1;
        in->push_dv[1] = ao->dv[0] >= 0 ? ao->dv[1] : -1;
        in->frame_w = ds->spec.frame_w;
        in->frame_h = ds->spec.frame_h;
        in->channels = ds->spec.channels;
        in->frames_aa = ds->spec.channels && ds->spec.frames_aa;
        in->frames_outline = ds->spec.channels && ds->spec.frames_outline;
        in->per_shard = per_shard;
        in->slots = ds->spec.slots;
        in->format_version = DATA_FORMAT_VERSION;
    }
    scn_free_list(paths, n);
    data_writer_init(&ds->writer, &m);
    if (!ok) gen_dataset_close(ds);
    return ok;
}

bool gen_dataset_episode(const GenDataset* ds, int64_t e, int* scenario, uint64_t* seed, char* err, size_t err_size) {
    int S = ds->nscenarios;
    uint64_t first = rng_derive(ds->writer.meta.seed, (uint64_t)e);
    /* when its own scenario yields nothing, the episode goes on from scenario own + step, where
       step depends on the episode, so that a scenario --where rejects shares its episodes out
       evenly rather than to its neighbour */
    int64_t step = S > 1 ? 1 + (e / S) % (S - 1) : 0;
    for (int64_t j = 0; j < GEN_WHERE_TRIES; j++) {
        int64_t k = j / GEN_WHERE_TRIES_PER_SCENARIO;
        *scenario = (int)((k == 0 ? e : e + step + k - 1) % S);
        *seed = j == 0 ? first : rng_derive(first, (uint64_t)j);
        const ScnPredicate* p = ds->where[*scenario];
        if (!p) return true;
        ScnInstance inst;
        bool holds = false;
        if (!scn_instantiate(ds->scenarios[*scenario], *seed, &inst, err, err_size)) return false;
        bool ok = scn_predicate_test(p, inst.params, &holds, err, err_size);
        scn_instance_free(&inst);
        if (!ok) return false;
        if (holds) return true;
    }
    report_set(err, err_size, "--where '%.200s': none of %d candidates (seeds of the %d scenarios) satisfies it",
               ds->writer.meta.inputs.where, GEN_WHERE_TRIES, S);
    return false;
}

void gen_dataset_close(GenDataset* ds) {
    for (int i = 0; i < ds->nscenarios; i++) {
        scn_free(ds->scenarios[i]);
        if (ds->param_cols) free(ds->param_cols[i]);
        if (ds->where) scn_predicate_free(ds->where[i]);
    }
    free(ds->where);
    free(ds->scenarios);
    free(ds->param_cols);
    data_writer_free(&ds->writer);
    memset(ds, 0, sizeof *ds);
}
