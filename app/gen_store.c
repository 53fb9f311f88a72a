#include "app/gen_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "agent/agent.h"
#include "base/atomic_file.h"
#include "base/crc.h"
#include "base/npy.h"
#include "base/report.h"
#include "base/rng.h"
#include "sim/events.h"
#include "sim/observation.h"

/* ---- inputs ---- */

static void json_string(FILE* f, const char* s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

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
        out = malloc(sizeof *out);
        out[0] = strdup(path);
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

bool gen_dataset_open(GenDataset* ds, const char* scenario, int64_t episodes, double seconds, uint64_t seed,
                      const char* agent, const char* frames, int per_shard, const GenSpec* spec, char* err,
                      size_t err_size) {
    memset(ds, 0, sizeof *ds);
    ds->episodes = episodes;
    ds->seconds = seconds;
    ds->seed = seed;
    ds->per_shard = per_shard;
    ds->nshards = (int)((episodes + per_shard - 1) / per_shard);
    ds->spec = *spec;
    int n = 0;
    char** paths = scenario_paths(scenario, &n, err, err_size);
    if (!paths) return false;
    ds->scenarios = calloc((size_t)n, sizeof *ds->scenarios);
    ds->param_cols = calloc((size_t)n, sizeof *ds->param_cols);
    ds->nscenarios = n;
    bool ok = true;
    for (int i = 0; i < n && ok; i++) {
        ds->scenarios[i] = scn_load(paths[i], err, err_size);
        if (!ds->scenarios[i]) {
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
            ds->dt = inst.world.dt;
            ds->steps_per_tick = inst.world.steps_per_tick;
        } else if (inst.world.dt != ds->dt || inst.world.steps_per_tick != ds->steps_per_tick) {
            report_set(err, err_size, "%s: its dt/ticks differ from %s's; a dataset has one clock", paths[i], paths[0]);
            ok = false;
        }
        scn_instance_free(&inst);
        /* the parameters' columns in the union */
        int np = scn_param_count(ds->scenarios[i]);
        ds->param_cols[i] = calloc((size_t)(np ? np : 1), sizeof(int));
        for (int k = 0; k < np; k++) {
            const char* name = scn_param_name(ds->scenarios[i], k);
            int col = -1;
            for (int c = 0; c < ds->nparams; c++)
                if (!strcmp(ds->param_names[c], name)) col = c;
            if (col < 0) {
                ds->param_names = realloc(ds->param_names, sizeof *ds->param_names * (size_t)(ds->nparams + 1));
                ds->param_names[ds->nparams] = strdup(name);
                col = ds->nparams++;
            }
            ds->param_cols[i][k] = col;
        }
    }
    if (ok) {
        double tick = ds->dt * ds->steps_per_tick;
        ds->spec.ticks = llround(seconds / tick);
        if (ds->spec.ticks < 1) ds->spec.ticks = 1;
        ds->spec.records = (int)(ds->spec.ticks / ds->spec.stride) + 1;
        ds->spec.nparams = ds->nparams;
        /* the canonical inputs: what defines the content, and nothing else (not jobs, not shards) */
        char* buf = NULL;
        size_t len = 0;
        FILE* f = open_memstream(&buf, &len);
        fprintf(f, "{\"scenarios\": [");
        for (int i = 0; i < n; i++) {
            fprintf(f, "%s{\"path\": ", i ? ", " : "");
            json_string(f, paths[i]);
            fprintf(f, ", \"fnv1a64\": \"%016llx\"}", (unsigned long long)scn_text_hash(ds->scenarios[i]));
        }
        fprintf(f, "], \"episodes\": %lld, \"seconds\": %.17g, \"seed\": %llu, \"agent\": \"%s\", \"stride\": %d, ",
                (long long)episodes, seconds, (unsigned long long)seed, agent ? agent : "scenario", ds->spec.stride);
        const AgentOverride* ao = &ds->spec.agent;
        if (ao->every[0] >= 0) fprintf(f, "\"push_every\": [%.17g, %.17g], ", ao->every[0], ao->every[1]);
        if (ao->dv[0] >= 0) fprintf(f, "\"push_dv\": [%.17g, %.17g], ", ao->dv[0], ao->dv[1]);
        if (frames)
            fprintf(f, "\"frames\": \"%dx%d:%s\", ", ds->spec.frame_w, ds->spec.frame_h,
                    ds->spec.channels == 3 ? "rgb" : "gray");
        else
            fprintf(f, "\"frames\": null, ");
        fprintf(f, "\"episodes_per_shard\": %d, \"slots\": %d, \"format_version\": %d}", per_shard, ds->spec.slots,
                GEN_FORMAT_VERSION);
        fclose(f);
        ds->inputs_json = buf;
    }
    scn_free_list(paths, n);
    if (!ok) gen_dataset_close(ds);
    return ok;
}

void gen_dataset_close(GenDataset* ds) {
    for (int i = 0; i < ds->nscenarios; i++) {
        scn_free(ds->scenarios[i]);
        free(ds->param_cols[i]);
    }
    for (int i = 0; i < ds->nparams; i++) free(ds->param_names[i]);
    free(ds->scenarios);
    free(ds->param_cols);
    free(ds->param_names);
    free(ds->inputs_json);
    memset(ds, 0, sizeof *ds);
}

int64_t gen_shard_count(const GenDataset* ds, int shard) {
    int64_t first = (int64_t)shard * ds->per_shard;
    int64_t left = ds->episodes - first;
    return left < ds->per_shard ? left : ds->per_shard;
}

static size_t frame_bytes(const GenSpec* s) {
    return (size_t)s->frame_w * (size_t)s->frame_h * (size_t)s->channels;
}

double gen_shard_bytes(const GenDataset* ds) {
    const GenSpec* s = &ds->spec;
    double per_record = (double)s->slots * (SIM_OBS_DIM * 4 + 1 + 4 + 16 + 1) + (double)frame_bytes(s);
    return (double)ds->per_shard * ((double)s->records * per_record + 8.0 * s->nparams);
}

/* ---- the folder ---- */

static void shard_dir(const GenDataset* ds, int shard, char* out, size_t n) {
    snprintf(out, n, "%s/shard-%05d", ds->out, shard);
}

bool gen_store_shard_done(const GenDataset* ds, int shard) {
    char path[4200];
    snprintf(path, sizeof path, "%s/shard-%05d/shard.json", ds->out, shard);
    struct stat st;
    return stat(path, &st) == 0;
}

/* reads a small text file whole; NULL if missing */
static char* read_text(const char* path) {
    FILE* f = fopen(path, "rb");
    if (!f) return NULL;
    char* buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = 2 * (len + n + 1);
            buf = realloc(buf, cap);
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!buf) buf = calloc(1, 1);
    buf[len] = 0;
    return buf;
}

/* the files of a shard, in manifest order */
static const char* const shard_files[] = {"states.npy", "mask.npy", "ids.npy", "actions.npy", "contacts.npy",
                                          "events.npy", "params.npy", "scenario.npy", "seed.npy", "frames.npy"};
#define SHARD_FILES 10

/* the one-line JSON a shard contributes to the manifest, from the files on disk */
static char* shard_snippet_from_disk(const GenDataset* ds, const char* dir, int shard, char* err, size_t err_size) {
    char* buf = NULL;
    size_t len = 0;
    FILE* f = open_memstream(&buf, &len);
    int64_t first = (int64_t)shard * ds->per_shard;
    fprintf(f, "{\"dir\": \"shard-%05d\", \"first\": %lld, \"count\": %lld, \"files\": {", shard, (long long)first,
            (long long)gen_shard_count(ds, shard));
    int written = 0;
    for (int i = 0; i < SHARD_FILES; i++) {
        if (i == SHARD_FILES - 1 && !ds->spec.channels) continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, shard_files[i]);
        uint32_t crc;
        struct stat st;
        if (stat(path, &st) != 0 || !crc32_file(path, &crc, err, err_size)) {
            if (stat(path, &st) != 0) report_set(err, err_size, "%s: missing", path);
            fclose(f);
            free(buf);
            return NULL;
        }
        fprintf(f, "%s\"%s\": {\"bytes\": %lld, \"crc32\": \"%08x\"}", written++ ? ", " : "", shard_files[i],
                (long long)st.st_size, crc);
    }
    fprintf(f, "}}");
    fclose(f);
    return buf;
}

/* removes .tmp-* leftovers of processes that are gone */
static void sweep_temporaries(const char* out) {
    DIR* d = opendir(out);
    if (!d) return;
    struct dirent* e;
    while ((e = readdir(d)) != NULL) {
        const char* dash = strrchr(e->d_name, '-');
        bool tmp = !strncmp(e->d_name, ".tmp-shard-", 11) || strstr(e->d_name, ".tmp-") != NULL;
        if (!tmp || !dash) continue;
        long pid = strtol(dash + 1, NULL, 10);
        if (pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) == 0) continue; /* alive */
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", out, e->d_name);
        remove_tree(path);
    }
    closedir(d);
}

/* the "inputs" line of a manifest */
static char* manifest_inputs(const char* manifest) {
    const char* key = "\n  \"inputs\": ";
    const char* p = strstr(manifest, key);
    if (!p) return NULL;
    p += strlen(key);
    const char* end = strchr(p, '\n');
    if (!end) return NULL;
    size_t n = (size_t)(end - p);
    if (n > 0 && p[n - 1] == ',') n--;
    char* s = malloc(n + 1);
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

static bool folder_is_empty(const char* out) {
    DIR* d = opendir(out);
    if (!d) return false;
    struct dirent* e;
    bool empty = true;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (strstr(e->d_name, ".tmp-")) continue; /* our own leftovers */
        empty = false;
    }
    closedir(d);
    return empty;
}

bool gen_store_prepare(GenDataset* ds, const char* out, bool resume, bool sharded, char* err, size_t err_size) {
    snprintf(ds->out, sizeof ds->out, "%s", out);
    struct stat st;
    if (stat(out, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            report_set(err, err_size, "--out %s: exists and is not a folder", out);
            return false;
        }
        char mpath[4200];
        snprintf(mpath, sizeof mpath, "%s/manifest.json", out);
        char* manifest = read_text(mpath);
        if (manifest) {
            char* theirs = manifest_inputs(manifest);
            free(manifest);
            bool same = theirs && !strcmp(theirs, ds->inputs_json);
            free(theirs);
            if (!same) {
                report_set(err, err_size,
                           "--out %s holds a different dataset (its manifest's inputs differ from this command's); "
                           "choose another folder",
                           out);
                return false;
            }
            if (!resume && !sharded) {
                int done = 0;
                for (int s = 0; s < ds->nshards; s++) done += gen_store_shard_done(ds, s);
                report_set(err, err_size,
                           "--out %s already holds this dataset (%d of %d shards); rerun with --resume to continue it",
                           out, done, ds->nshards);
                return false;
            }
        } else if (!folder_is_empty(out)) {
            report_set(err, err_size, "--out %s is not empty and holds no nudge dataset; choose an empty or new folder",
                       out);
            return false;
        }
    } else if (!make_dirs(out, err, err_size)) {
        return false;
    }
    if (access(out, W_OK) != 0) {
        report_set(err, err_size, "--out %s: not writable: %s", out, strerror(errno));
        return false;
    }
    sweep_temporaries(out);
    /* finished shards must be intact before we build on them */
    if (resume) {
        for (int s = 0; s < ds->nshards; s++) {
            if (!gen_store_shard_done(ds, s)) continue;
            char dir[4200], json[4300];
            shard_dir(ds, s, dir, sizeof dir);
            snprintf(json, sizeof json, "%s/shard.json", dir);
            char* stored = read_text(json);
            char* now = shard_snippet_from_disk(ds, dir, s, err, err_size);
            bool same = stored && now && !strncmp(stored, now, strlen(now));
            free(stored);
            free(now);
            if (!same) {
                report_set(err, err_size, "%s: its files do not match shard.json (corrupted?); delete this shard folder "
                                          "and rerun with --resume",
                           dir);
                return false;
            }
        }
    }
    char mpath[4200];
    snprintf(mpath, sizeof mpath, "%s/manifest.json", out);
    if (sharded && access(mpath, F_OK) == 0) return true;
    return gen_store_write_manifest(ds, err, err_size);
}

/* ---- manifest ---- */

static void manifest_arrays(FILE* f, const GenDataset* ds) {
    fprintf(f, "  \"arrays\": {\n");
    fprintf(f, "    \"states\": {\"dtype\": \"<f4\", \"shape\": [\"E\", \"T\", \"K\", \"D\"], \"doc\": \"per-object state vectors, columns as in 'columns'\"},\n");
    fprintf(f, "    \"mask\": {\"dtype\": \"|u1\", \"shape\": [\"E\", \"T\", \"K\"], \"doc\": \"1 = a live body in the slot\"},\n");
    fprintf(f, "    \"ids\": {\"dtype\": \"<i4\", \"shape\": [\"E\", \"T\", \"K\"], \"doc\": \"the body's stable id (= its slot), -1 for an empty slot\"},\n");
    fprintf(f, "    \"actions\": {\"dtype\": \"<f4\", \"shape\": [\"E\", \"T\", \"K\", 4], \"doc\": \"(jx, jy, px, py): impulse (N*s) and point relative to the centre of mass (m) of the pushes applied between record t and t+1; zero when not pushed\"},\n");
    fprintf(f, "    \"contacts\": {\"dtype\": \"|u1\", \"shape\": [\"E\", \"T\", \"K\"], \"doc\": \"1 = the body touches another body at record t\"},\n");
    fprintf(f, "    \"events\": {\"dtype\": \"%s\", \"shape\": [\"n\"], \"doc\": \"one row per event; tick = the record after which it happened; type indexes 'event_types'\"},\n",
            GEN_EVENT_DESCR);
    fprintf(f, "    \"params\": {\"dtype\": \"<f8\", \"shape\": [\"E\", \"P\"], \"doc\": \"resolved random parameters, columns as in 'params'; NaN where the episode's scenario has no such parameter\"},\n");
    fprintf(f, "    \"scenario\": {\"dtype\": \"<i4\", \"shape\": [\"E\"], \"doc\": \"index into 'scenarios'\"},\n");
    fprintf(f, "    \"seed\": {\"dtype\": \"<u8\", \"shape\": [\"E\"], \"doc\": \"the episode's seed: nudge run SCENARIO --seed S replays it\"}%s\n",
            ds->spec.channels ? "," : "");
    if (ds->spec.channels)
        fprintf(f, "    \"frames\": {\"dtype\": \"|u1\", \"shape\": [\"E\", \"T\", %d, %d%s], \"doc\": \"rendered records, row 0 at the top\"}\n",
                ds->spec.frame_h, ds->spec.frame_w, ds->spec.channels == 3 ? ", 3" : "");
    fprintf(f, "  },\n");
}

bool gen_store_write_manifest(const GenDataset* ds, char* err, size_t err_size) {
    char* buf = NULL;
    size_t len = 0;
    FILE* f = open_memstream(&buf, &len);
    const GenSpec* s = &ds->spec;
    int done = 0;
    for (int i = 0; i < ds->nshards; i++) done += gen_store_shard_done(ds, i);
    fprintf(f, "{\n  \"format\": \"nudge-dataset\",\n  \"version\": %d,\n  \"command\": \"nudge gen\",\n", GEN_FORMAT_VERSION);
    fprintf(f, "  \"inputs\": %s,\n", ds->inputs_json);
    fprintf(f, "  \"complete\": %s,\n  \"shards_done\": %d,\n  \"shard_count\": %d,\n", done == ds->nshards ? "true" : "false",
            done, ds->nshards);
    fprintf(f, "  \"seed\": %llu,\n  \"episodes\": %lld,\n  \"episodes_per_shard\": %d,\n", (unsigned long long)ds->seed,
            (long long)ds->episodes, ds->per_shard);
    fprintf(f, "  \"seconds\": %.17g,\n  \"dt\": %.17g,\n  \"steps_per_tick\": %d,\n  \"tick\": %.17g,\n", ds->seconds, ds->dt,
            ds->steps_per_tick, ds->dt * ds->steps_per_tick);
    fprintf(f, "  \"control_ticks\": %lld,\n  \"stride\": %d,\n  \"ticks\": %d,\n  \"slots\": %d,\n  \"dim\": %d,\n",
            (long long)s->ticks, s->stride, s->records, s->slots, SIM_OBS_DIM);
    fprintf(f, "  \"columns\": [\n");
    for (int c = 0; c < SIM_OBS_DIM; c++) {
        fprintf(f, "    {\"name\": \"%s\", \"unit\": \"%s\", \"doc\": ", sim_obs_columns[c].name, sim_obs_columns[c].unit);
        json_string(f, sim_obs_columns[c].doc);
        fprintf(f, "}%s\n", c + 1 < SIM_OBS_DIM ? "," : "");
    }
    fprintf(f, "  ],\n  \"dynamic_columns\": %d,\n  \"event_types\": [", SIM_OBS_DYNAMIC);
    for (int e = 0; e < SIM_EV_COUNT; e++) fprintf(f, "%s\"%s\"", e ? ", " : "", sim_event_name((SimEventType)e));
    fprintf(f, "],\n  \"params\": [");
    for (int p = 0; p < ds->nparams; p++) {
        fprintf(f, "%s", p ? ", " : "");
        json_string(f, ds->param_names[p]);
    }
    fprintf(f, "],\n  \"scenarios\": [");
    for (int i = 0; i < ds->nscenarios; i++) {
        fprintf(f, "%s{\"path\": ", i ? ", " : "");
        json_string(f, scn_name(ds->scenarios[i]));
        fprintf(f, ", \"fnv1a64\": \"%016llx\"}", (unsigned long long)scn_text_hash(ds->scenarios[i]));
    }
    fprintf(f, "],\n");
    if (s->channels)
        fprintf(f, "  \"frames\": {\"width\": %d, \"height\": %d, \"channels\": %d},\n", s->frame_w, s->frame_h, s->channels);
    else
        fprintf(f, "  \"frames\": null,\n");
    manifest_arrays(f, ds);
    fprintf(f, "  \"shards\": [");
    int listed = 0;
    for (int i = 0; i < ds->nshards; i++) {
        if (!gen_store_shard_done(ds, i)) continue;
        char path[4300];
        snprintf(path, sizeof path, "%s/shard-%05d/shard.json", ds->out, i);
        char* snip = read_text(path);
        if (!snip) continue;
        size_t n = strlen(snip);
        while (n > 0 && (snip[n - 1] == '\n' || snip[n - 1] == ' ')) snip[--n] = 0;
        fprintf(f, "%s\n    %s", listed++ ? "," : "", snip);
        free(snip);
    }
    fprintf(f, "%s]\n}\n", listed ? "\n  " : "");
    fclose(f);
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", ds->out);
    bool ok = atomic_file_put(path, buf, len, err, err_size);
    free(buf);
    return ok;
}

/* ---- shards: arrays in memory, reused from shard to shard, written by the writer thread ---- */

/* the files of a shard, in manifest order; all but events.npy have a fixed size per episode */
enum { GF_STATES, GF_MASK, GF_IDS, GF_ACTIONS, GF_CONTACTS, GF_EVENTS, GF_PARAMS, GF_SCENARIO, GF_SEED, GF_FRAMES };

typedef struct GenArray {
    uint8_t* data;       /* per_shard episodes' worth; NULL for events (and frames when off) */
    size_t   slice;      /* bytes per episode */
} GenArray;

struct GenShardArrays {
    int        shard;
    int64_t    count;
    GenArray   file[SHARD_FILES];
    GenEvent** events;      /* per episode */
    int*       nevents;
    uint32_t*  crc;         /* [per_shard][SHARD_FILES]: each episode's slice of each array */
};

void gen_shard_arrays_free(GenShardArrays* a, const GenDataset* ds) {
    if (!a) return;
    if (a->events)
        for (int i = 0; i < ds->per_shard; i++) free(a->events[i]);
    for (int f = 0; f < SHARD_FILES; f++) free(a->file[f].data);
    free(a->events);
    free(a->nevents);
    free(a->crc);
    free(a);
}

GenShardArrays* gen_shard_arrays_new(const GenDataset* ds) {
    const GenSpec* s = &ds->spec;
    size_t T = (size_t)s->records, K = (size_t)s->slots, E = (size_t)ds->per_shard;
    GenShardArrays* a = calloc(1, sizeof *a);
    if (!a) return NULL;
    size_t slice[SHARD_FILES] = {
        [GF_STATES] = sizeof(float) * T * K * SIM_OBS_DIM,
        [GF_MASK] = T * K,
        [GF_IDS] = sizeof(int32_t) * T * K,
        [GF_ACTIONS] = sizeof(float) * T * K * 4,
        [GF_CONTACTS] = T * K,
        [GF_PARAMS] = sizeof(double) * (size_t)s->nparams,
        [GF_SCENARIO] = sizeof(int32_t),
        [GF_SEED] = sizeof(uint64_t),
        [GF_FRAMES] = T * frame_bytes(s),
    };
    bool ok = true;
    for (int f = 0; f < SHARD_FILES; f++) {
        if (f == GF_EVENTS || (f == GF_FRAMES && !s->channels)) continue;
        a->file[f].slice = slice[f];
        a->file[f].data = malloc(slice[f] * E + 1);
        ok = ok && a->file[f].data;
    }
    a->events = calloc(E, sizeof *a->events);
    a->nevents = calloc(E, sizeof *a->nevents);
    a->crc = calloc(E * SHARD_FILES, sizeof *a->crc);
    if (!ok || !a->events || !a->nevents || !a->crc) {
        gen_shard_arrays_free(a, ds);
        return NULL;
    }
    return a;
}

void gen_shard_begin(GenShardArrays* a, const GenDataset* ds, int shard) {
    for (int i = 0; i < ds->per_shard; i++) {
        free(a->events[i]);
        a->events[i] = NULL;
        a->nevents[i] = 0;
    }
    a->shard = shard;
    a->count = gen_shard_count(ds, shard);
    int64_t first = (int64_t)shard * ds->per_shard;
    int32_t* scen = (int32_t*)a->file[GF_SCENARIO].data;
    uint64_t* seeds = (uint64_t*)a->file[GF_SEED].data;
    for (int64_t i = 0; i < a->count; i++) {
        scen[i] = (int32_t)((first + i) % ds->nscenarios);
        seeds[i] = rng_derive(ds->seed, (uint64_t)(first + i));
    }
}

void gen_shard_slot(GenShardArrays* a, const GenSpec* spec, int i, GenSlot* out) {
    (void)spec;
    memset(out, 0, sizeof *out);
#define AT(f) (a->file[f].data ? a->file[f].data + a->file[f].slice * (size_t)i : NULL)
    out->states = (float*)AT(GF_STATES);
    out->mask = AT(GF_MASK);
    out->ids = (int32_t*)AT(GF_IDS);
    out->actions = (float*)AT(GF_ACTIONS);
    out->contacts = AT(GF_CONTACTS);
    out->params = (double*)AT(GF_PARAMS);
    out->frames = AT(GF_FRAMES);
#undef AT
}

void gen_shard_episode_done(GenShardArrays* a, int i, GenSlot* slot) {
    a->events[i] = slot->events;
    a->nevents[i] = slot->nevents;
    slot->events = NULL;
    /* checksums of this episode's slices, on the worker's thread; combined in order when written */
    for (int f = 0; f < SHARD_FILES; f++) {
        const GenArray* g = &a->file[f];
        if (g->data) a->crc[(size_t)i * SHARD_FILES + f] = crc32_update(0, g->data + g->slice * (size_t)i, g->slice);
    }
}

/* writes a whole buffer to fd; false with errno set on failure */
static bool write_all(int fd, const void* buf, size_t n) {
    const uint8_t* p = buf;
    while (n > 0) {
        size_t chunk = n > (1u << 30) ? (1u << 30) : n;
        ssize_t w = write(fd, p, chunk);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* one .npy file in dir: header + data, written and fsynced; its manifest entry goes to sn */
static bool put_file(const char* dir, const char* name, const char* descr, const int64_t* shape, int ndim,
                     const void* data, size_t n, uint32_t crc_data, FILE* sn, bool* first, char* err, size_t err_size) {
    char path[4400], head[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t h = npy_header(head, sizeof head, descr, shape, ndim);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    bool ok = fd >= 0 && write_all(fd, head, h) && write_all(fd, data, n) && fsync(fd) == 0;
    int e = errno;
    if (fd >= 0 && close(fd) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        report_set(err, err_size, "%s: write failed: %s", path, strerror(e));
        return false;
    }
    uint32_t crc = (uint32_t)crc32_combine(crc32_update(0, head, h), crc_data, (z_off_t)n);
    fprintf(sn, "%s\"%s\": {\"bytes\": %lld, \"crc32\": \"%08x\"}", *first ? "" : ", ", name, (long long)(h + n), crc);
    *first = false;
    return true;
}

bool gen_shard_finish(const GenDataset* ds, GenShardArrays* a, char* err, size_t err_size) {
    const GenSpec* s = &ds->spec;
    int64_t E = a->count, T = s->records, K = s->slots, D = SIM_OBS_DIM;
    int64_t first_ep = (int64_t)a->shard * ds->per_shard;
    char tmp[4300], dir[4200];
    snprintf(tmp, sizeof tmp, "%s/.tmp-shard-%05d-%ld", ds->out, a->shard, (long)getpid());
    shard_dir(ds, a->shard, dir, sizeof dir);
    remove_tree(tmp);
    if (!make_dirs(tmp, err, err_size)) return false;

    /* events: concatenated in episode order, packed rows */
    size_t nev = 0, at = 0;
    for (int64_t i = 0; i < E; i++) nev += (size_t)a->nevents[i];
    unsigned char* ev = malloc(nev * GEN_EVENT_BYTES + 1);
    if (!ev) {
        report_set(err, err_size, "out of memory");
        remove_tree(tmp);
        return false;
    }
    for (int64_t i = 0; i < E; i++)
        for (int k = 0; k < a->nevents[i]; k++) {
            const GenEvent* g = &a->events[i][k];
            unsigned char* row = ev + at;
            memcpy(row, &g->episode, 4);
            memcpy(row + 4, &g->tick, 4);
            row[8] = g->type;
            memcpy(row + 9, &g->a, 4);
            memcpy(row + 13, &g->b, 4);
            memcpy(row + 17, &g->magnitude, 4);
            at += GEN_EVENT_BYTES;
        }

    struct { const char* descr; int ndim; int64_t shape[5]; } meta[SHARD_FILES] = {
        [GF_STATES] = {"'<f4'", 4, {E, T, K, D}},
        [GF_MASK] = {"'|u1'", 3, {E, T, K}},
        [GF_IDS] = {"'<i4'", 3, {E, T, K}},
        [GF_ACTIONS] = {"'<f4'", 4, {E, T, K, 4}},
        [GF_CONTACTS] = {"'|u1'", 3, {E, T, K}},
        [GF_EVENTS] = {GEN_EVENT_DESCR, 1, {(int64_t)nev}},
        [GF_PARAMS] = {"'<f8'", 2, {E, s->nparams}},
        [GF_SCENARIO] = {"'<i4'", 1, {E}},
        [GF_SEED] = {"'<u8'", 1, {E}},
        [GF_FRAMES] = {"'|u1'", s->channels == 3 ? 5 : 4, {E, T, s->frame_h, s->frame_w, s->channels}},
    };
    char* snip = NULL;
    size_t snip_len = 0;
    FILE* sn = open_memstream(&snip, &snip_len);
    fprintf(sn, "{\"dir\": \"shard-%05d\", \"first\": %lld, \"count\": %lld, \"files\": {", a->shard,
            (long long)first_ep, (long long)E);
    bool first = true, ok = true;
    for (int f = 0; f < SHARD_FILES && ok; f++) {
        if (f == GF_FRAMES && !s->channels) continue;
        const void* data = f == GF_EVENTS ? (const void*)ev : (const void*)a->file[f].data;
        size_t n = f == GF_EVENTS ? at : a->file[f].slice * (size_t)E;
        uint32_t crc = 0;
        if (f == GF_EVENTS || f == GF_SCENARIO || f == GF_SEED) {
            crc = crc32_update(0, data, n);
        } else {
            for (int64_t i = 0; i < E; i++)
                crc = (uint32_t)crc32_combine(crc, a->crc[(size_t)i * SHARD_FILES + f], (z_off_t)a->file[f].slice);
        }
        ok = put_file(tmp, shard_files[f], meta[f].descr, meta[f].shape, meta[f].ndim, data, n, crc, sn, &first,
                      err, err_size);
    }
    fprintf(sn, "}}");
    fclose(sn);
    free(ev);
    if (ok) {
        /* shard.json last: the folder is renamed into place only once everything is on disk */
        char json[4400];
        snprintf(json, sizeof json, "%s/shard.json", tmp);
        size_t n = strlen(snip);
        char* line = malloc(n + 2);
        memcpy(line, snip, n);
        line[n] = '\n';
        ok = atomic_file_put(json, line, n + 1, err, err_size);
        free(line);
    }
    free(snip);
    ok = ok && fsync_dir(tmp);
    ok = ok && rename_durable(tmp, dir, err, err_size);
    if (!ok) remove_tree(tmp);
    return ok;
}
