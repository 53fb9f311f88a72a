/* data/: the dataset format written and read in one place: manifests round-trip through cJSON
 * (exact 64-bit seeds), a shard written by the writer reads back byte for byte, --resume compares
 * parsed inputs, version 1 datasets still load, and hostile manifests and shard files (issue 16:
 * wrapping sizes, overlapping or missing ranges, devices, NaN states, stray events) are refused
 * with one line instead of crashing or hanging. */
#include <cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic_file.h"
#include "base/crc.h"
#include "base/input_file.h"
#include "base/npy.h"
#include "data/manifest.h"
#include "data/reader.h"
#include "data/stream.h"
#include "data/writer.h"
#include "ensure.h"
#include "model/dataset.h"
#include "sim/observation.h"

#define FIXTURE NUDGE_SOURCE_DIR "/tests/data/dataset-v1"

static char dir[256];

static DataManifest small_meta(uint64_t seed, int episodes, int per_shard) {
    DataManifest m;
    memset(&m, 0, sizeof m);
    m.version = DATA_FORMAT_VERSION;
    m.dims = (DataDims){.records = 5, .slots = 3, .dim = SIM_OBS_DIM, .nparams = 1};
    m.episodes = episodes;
    m.per_shard = per_shard;
    m.shard_count = (episodes + per_shard - 1) / per_shard;
    m.seed = seed;
    m.seconds = 0.0666;
    m.dt = 1.0 / 120;
    m.steps_per_tick = 2;
    m.tick = 1.0 / 60;
    m.control_ticks = 4;
    m.stride = 1;
    m.params = calloc(1, sizeof *m.params);
    m.params[0] = strdup("height");
    m.nscenarios = 1;
    m.scenarios = calloc(1, sizeof *m.scenarios);
    m.scenarios[0] = (DataScenarioRef){strdup("a \"quoted\"\nname.scn"), 0xfedcba9876543210ull};
    m.has_inputs = true;
    DataInputs* in = &m.inputs;
    in->nscenarios = 1;
    in->scenarios = calloc(1, sizeof *in->scenarios);
    in->scenarios[0] = (DataScenarioRef){strdup("x/a.scn"), 0xfedcba9876543210ull};
    in->episodes = episodes;
    in->seconds = 0.0666;
    in->seed = seed;
    snprintf(in->agent, sizeof in->agent, "random");
    in->stride = 1;
    in->push_every[0] = 0.5, in->push_every[1] = 1.25;
    in->push_dv[0] = in->push_dv[1] = -1;
    in->per_shard = per_shard;
    in->slots = 3;
    in->format_version = DATA_FORMAT_VERSION;
    return m;
}

/* print -> parse gives the same manifest; seeds beyond 2^53 stay exact */
static void test_manifest_round_trip(void) {
    DataManifest m = small_meta(18446744073709551557ull, 5, 2);
    m.nshards = 2;
    m.shards = calloc(2, sizeof *m.shards);
    m.shards[0] = (DataShardEntry){.dir = "shard-00002", .first = 4, .count = 1};
    m.shards[1] = (DataShardEntry){.dir = "shard-00000", .first = 0, .count = 2};
    m.shards[1].files[DATA_MASK] = (DataFileSum){true, true, true, 123, 0xdeadbeef};
    char* text = data_manifest_print(&m);
    ENSURE(text);
    DataManifest back;
    char err[512];
    ENSURE(data_manifest_parse(text, strlen(text), "m.json", &back, err, sizeof err));
    CHECK(back.version == DATA_FORMAT_VERSION && back.seed == 18446744073709551557ull);
    CHECK(back.episodes == 5 && back.dims.records == 5 && back.dims.slots == 3 && back.dims.nparams == 1);
    CHECK(!strcmp(back.params[0], "height") && !strcmp(back.scenarios[0].path, "a \"quoted\"\nname.scn"));
    CHECK(back.scenarios[0].fnv1a64 == 0xfedcba9876543210ull && back.tick == m.tick && back.dt == m.dt);
    /* shards come back sorted by their first episode */
    CHECK(back.nshards == 2 && back.shards[0].first == 0 && back.shards[1].first == 4);
    CHECK(data_shard_entry_same(&back.shards[0], &m.shards[1]));
    char why[256];
    CHECK(back.has_inputs && data_inputs_same(&back.inputs, &m.inputs, why, sizeof why));
    /* one seed apart, beyond double precision: different datasets */
    back.inputs.seed--;
    CHECK(!data_inputs_same(&back.inputs, &m.inputs, why, sizeof why) && strstr(why, "seed"));
    back.inputs.seed++;
    back.inputs.push_every[1] = 2;
    CHECK(!data_inputs_same(&back.inputs, &m.inputs, why, sizeof why) && strstr(why, "push-every"));
    data_manifest_free(&back);
    /* the same JSON re-laid out (one line, keys in another order) parses the same */
    cJSON* root = cJSON_Parse(text);
    ENSURE(root);
    cJSON* shards = cJSON_DetachItemFromObject(root, "shards");
    cJSON_AddItemToObject(root, "shards", shards); /* now last-but-moved: order changed */
    cJSON* fmt = cJSON_DetachItemFromObject(root, "format");
    cJSON_AddItemToObject(root, "format", fmt);
    char* one_line = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    ENSURE(data_manifest_parse(one_line, strlen(one_line), "m.json", &back, err, sizeof err));
    CHECK(back.seed == m.seed && back.nshards == 2 && data_inputs_same(&back.inputs, &m.inputs, why, sizeof why));
    data_manifest_free(&back);
    cJSON_free(one_line);
    /* trailing garbage and broken JSON: file:line:col */
    size_t n = strlen(text);
    char* bad = malloc(n + 8);
    memcpy(bad, text, n);
    memcpy(bad + n, "\n  {", 5);
    CHECK(!data_manifest_parse(bad, n + 4, "m.json", &back, err, sizeof err) && strstr(err, "m.json:") &&
          strstr(err, "after the JSON"));
    free(bad);
    free(text);
    data_manifest_free(&m);
}

/* antialiased frames (gen --frames-aa) and outlined ones (gen --frames-outline): the manifest says so
   in "frames" and in its inputs, reads back, and a resume with the other kind is refused by name; a
   dataset without them says nothing new (its bytes as before) and reads back without them */
typedef struct FrameKind {
    const char* frames_key;   /* in "frames" */
    const char* inputs_key;   /* in "inputs" */
    const char* flag;         /* data_inputs_same's word */
} FrameKind;

static bool* kind_dims(DataManifest* m, int k) {
    return k ? &m->dims.frames_outline : &m->dims.frames_aa;
}

static bool* kind_inputs(DataManifest* m, int k) {
    return k ? &m->inputs.frames_outline : &m->inputs.frames_aa;
}

static void test_manifest_frame_kinds(void) {
    static const FrameKind kinds[2] = {{"antialiased", "frames_aa", "frames-aa"},
                                       {"outlined", "frames_outline", "frames-outline"}};
    char err[512], why[256], key[64];
    for (int k = 0; k < 2; k++)
        for (int on = 0; on < 2; on++) {
            const FrameKind* f = &kinds[k];
            DataManifest m = small_meta(7, 2, 2);
            m.dims.frame_w = m.inputs.frame_w = 16, m.dims.frame_h = m.inputs.frame_h = 8;
            m.dims.channels = m.inputs.channels = 1;
            *kind_dims(&m, k) = *kind_inputs(&m, k) = on;
            char* text = data_manifest_print(&m);
            ENSURE(text);
            snprintf(key, sizeof key, "\"%s\"", f->frames_key);
            CHECK((strstr(text, key) != NULL) == on);
            snprintf(key, sizeof key, "\"%s\"", f->inputs_key);
            CHECK((strstr(text, key) != NULL) == on);
            /* the other kind's keys are not written */
            snprintf(key, sizeof key, "\"%s\"", kinds[!k].frames_key);
            CHECK(strstr(text, key) == NULL);
            DataManifest back;
            ENSURE(data_manifest_parse(text, strlen(text), "m.json", &back, err, sizeof err));
            CHECK(*kind_dims(&back, k) == on && *kind_inputs(&back, k) == on && back.dims.channels == 1);
            CHECK(!*kind_dims(&back, !k) && !*kind_inputs(&back, !k));
            CHECK(data_inputs_same(&back.inputs, &m.inputs, why, sizeof why));
            *kind_inputs(&back, k) = !on;
            CHECK(!data_inputs_same(&back.inputs, &m.inputs, why, sizeof why) && strstr(why, f->flag));
            data_manifest_free(&back);
            if (on) {
                /* a flag that is not a boolean: one line naming the field */
                snprintf(key, sizeof key, "\"%s\":", f->frames_key);
                char* p = strstr(text, key);
                ENSURE(p);
                char* t = strstr(p, "true");
                ENSURE(t);
                memcpy(t, "1   ", 4);
                snprintf(key, sizeof key, "frames.%s", f->frames_key);
                CHECK(!data_manifest_parse(text, strlen(text), "m.json", &back, err, sizeof err) &&
                      strstr(err, "m.json") && strstr(err, key) && !strchr(err, '\n'));
                snprintf(key, sizeof key, "\"%s\":", f->inputs_key);
                char* q = strstr(text, key);
                ENSURE(q);
                t = strstr(q, "true");
                ENSURE(t);
                memcpy(t, "\"x\" ", 4);
                memcpy(strstr(p, "1   "), "true", 4);
                snprintf(key, sizeof key, "inputs.%s", f->inputs_key);
                CHECK(!data_manifest_parse(text, strlen(text), "m.json", &back, err, sizeof err) && strstr(err, key));
            }
            free(text);
            data_manifest_free(&m);
        }
}

/* the full observation of record t of episode e as test_write_read records it: slot k live where
   (t + k) % 3 != 0, so bodies appear late and vanish and come back, except slot 0 in odd episodes,
   which no body holds (the buffer's previous episode used it: it must read back as zeros); every
   column distinct; the mass of slot 1 shown heavier from record 3 on (a magic `mass ... shown`) */
static void synth_observation(int e, int t, int K, float* st, uint8_t* mask) {
    for (int k = 0; k < K; k++) {
        float* row = st + (size_t)k * SIM_OBS_DIM;
        mask[k] = (uint8_t)((t + k) % 3 != 0 && !(k == 0 && e % 2));
        for (int c = 0; c < SIM_OBS_DIM; c++)
            row[c] = mask[k] ? (float)(e * 1000 + (c < SIM_OBS_DYNAMIC ? t * 100 : 0) + k * 20 + c) : 0.0f;
        if (mask[k] && k == 1 && t >= 3) row[SIM_OBS_mass] += 0.5f;
    }
}

/* the writer writes a shard; the reader reads it back byte for byte; --resume checks inputs */
static void test_write_read(void) {
    char out[300], err[1024];
    snprintf(out, sizeof out, "%s/ds", dir);
    DataManifest meta = small_meta(42, 5, 2);
    DataWriter w;
    data_writer_init(&w, &meta);
    ENSURE(data_writer_prepare(&w, out, false, false, err, sizeof err));
    DataEpisodeBuf* b = data_episode_buf_new(&w);
    ENSURE(b);
    int T = 5, K = 3, D = SIM_OBS_DIM;
    for (int s = 0; s < w.meta.shard_count; s++) {
        DataShardOut* o = data_shard_out_open(&w, s, err, sizeof err);
        ENSURE(o && data_shard_out_shard(o) == s);
        /* episodes may arrive in any order (workers finish when they finish): last first */
        for (int i = (int)data_writer_shard_count(&w, s) - 1; i >= 0; i--) {
            int e = s * 2 + i;
            DataSlot slot;
            data_episode_buf_slot(b, &slot);
            CHECK(slot.records == T && slot.slots == K && slot.dim == D);
            for (int t = 0; t < T; t++) {
                float st[3 * SIM_OBS_DIM];
                uint8_t mk[3];
                synth_observation(e, t, K, st, mk);
                data_slot_observe(&slot, e, t, st, mk);
            }
            CHECK(slot.nchanges == 1 && slot.changes[0].tick == 3 && slot.changes[0].slot == 1 &&
                  slot.changes[0].column == SIM_OBS_mass);
            for (int k = 0; k < T * K; k++) slot.contacts[k] = (uint8_t)(k % 3 == 0);
            for (int k = 0; k < T * K * 4; k++) slot.actions[k] = (float)-k;
            /* the records of actions that may be nonzero (the writer reads and writes only those):
               all but record 2, which is zero here as a record without a push is */
            for (int t = 0; t < T; t++) slot.pushed[t] = t != 2;
            memset(slot.actions + 2 * K * 4, 0, sizeof(float) * K * 4);
            slot.params[0] = 0.5 * e;
            *slot.scenario = 0;
            *slot.seed = 100 + (uint64_t)e;
            DataEvent ev = {e, 2, 1, 1, -1, 3.5f};
            data_slot_add_event(&slot, &ev);
            ENSURE(data_shard_out_put(o, i, &slot, err, sizeof err));
            CHECK(slot.events == NULL && slot.nevents == 0 && slot.changes == NULL);   /* the shard took them */
        }
        /* shards 0 and 2 with the manifest made durable together with their files (gen's way),
           shard 1 finished first and the manifest written after it */
        if (s % 2 == 0) {
            ENSURE(data_shard_out_finish(&w, o, true, err, sizeof err));
        } else {
            ENSURE(data_shard_out_finish(&w, o, false, err, sizeof err));
            ENSURE(data_writer_write_manifest(&w, err, sizeof err));
        }
        /* the manifest lists every shard finished so far (no temporary left beside it) */
        DataManifest now;
        ENSURE(data_manifest_load(out, &now, err, sizeof err));
        CHECK(now.nshards == s + 1 && now.complete == (s + 1 == w.meta.shard_count));
        data_manifest_free(&now);
    }
    /* a shard dropped part-way leaves nothing behind */
    {
        DataShardOut* o = data_shard_out_open(&w, 1, err, sizeof err);
        ENSURE(o);
        DataSlot slot;
        data_episode_buf_slot(b, &slot);
        ENSURE(data_shard_out_put(o, 0, &slot, err, sizeof err));
        data_shard_out_drop(o);
        DIR* dd = opendir(out);
        ENSURE(dd);
        int tmps = 0;
        for (struct dirent* de; (de = readdir(dd));) tmps += strstr(de->d_name, "tmp") != NULL;
        closedir(dd);
        CHECK(tmps == 0);
    }
    data_episode_buf_free(b);
    DataReader r;
    ENSURE(data_reader_open(&r, out, err, sizeof err));
    CHECK(r.m.complete && r.m.nshards == 3 && r.m.seed == 42 && r.m.version == DATA_FORMAT_VERSION);
    /* version 5: no ids.npy; bodies.npy and changes.npy */
    CHECK(!data_array_present(DATA_IDS, &r.m.dims) && data_array_present(DATA_BODIES, &r.m.dims) &&
          !r.m.shards[0].files[DATA_IDS].listed && r.m.shards[0].files[DATA_BODIES].listed &&
          r.m.shards[0].files[DATA_CHANGES].listed);
    for (int s = 0; s < r.m.nshards; s++) {
        CHECK(data_reader_verify(&r, s, err, sizeof err));
        size_t bytes = 0;
        ENSURE(data_reader_array_bytes(&r, s, DATA_STATES, &bytes));
        float* st = malloc(bytes);
        CHECK(data_reader_read(&r, s, DATA_STATES, st, bytes, err, sizeof err));
        /* states.npy: the dynamic columns only, slot-first ([E, K, T, D_dynamic]: slot 1, record
           1, column 3 here; slot 0 is empty at record 0) */
        CHECK(bytes == (size_t)r.m.shards[s].count * T * K * SIM_OBS_DYNAMIC * sizeof(float));
        for (int64_t i = 0; i < r.m.shards[s].count; i++)
            CHECK(st[(((size_t)i * K + 1) * T + 1) * SIM_OBS_DYNAMIC + 3] ==
                  (float)((r.m.shards[s].first + i) * 1000 + 100 + 23));
        CHECK(!data_reader_read(&r, s, DATA_STATES, st, bytes - 4, err, sizeof err));
        free(st);
        size_t nev = 0;
        DataEvent* ev = data_reader_events(&r, s, &nev, err, sizeof err);
        CHECK(ev && (int64_t)nev == r.m.shards[s].count && ev[0].episode == r.m.shards[s].first && ev[0].tick == 2 &&
              ev[0].magnitude == 3.5f);
        free(ev);
    }
    /* episode ranges: exactly the bytes of those episodes, by positioned reads */
    for (int s = 0; s < r.m.nshards; s++) {
        size_t per = 0;
        ENSURE(data_array_slice_bytes(DATA_STATES, &r.m.dims, &per));
        float* st = malloc(per * 2);
        int64_t n = r.m.shards[s].count;
        for (int64_t i = 0; i < n; i++) {
            CHECK(data_reader_read_episodes(&r, s, DATA_STATES, i, 1, st, per, err, sizeof err));
            CHECK(st[0] == 0.0f && st[T * SIM_OBS_DYNAMIC] == (float)((r.m.shards[s].first + i) * 1000 + 20));
            /* the full observation, put together from states, bodies and changes: as recorded */
            float full[5 * 3 * SIM_OBS_DIM], want[5 * 3 * SIM_OBS_DIM];
            uint8_t mk[5 * 3], wmk[5 * 3];
            CHECK(data_reader_observe(&r, s, i, 1, full, mk, err, sizeof err));
            for (int t = 0; t < T; t++)
                synth_observation((int)(r.m.shards[s].first + i), t, K, want + t * K * D, wmk + t * K);
            CHECK(!memcmp(full, want, sizeof full) && !memcmp(mk, wmk, sizeof mk));
            /* actions: as recorded (record 2 zero), though only the flagged records were written */
            float act[5 * 3 * 4];
            CHECK(data_reader_read_episodes(&r, s, DATA_ACTIONS, i, 1, act, sizeof act, err, sizeof err));
            for (int k = 0; k < T * K * 4; k++) CHECK(act[k] == (k / (K * 4) == 2 ? 0.0f : (float)-k));
            uint64_t seed = 0;
            CHECK(data_reader_read_episodes(&r, s, DATA_SEED, i, 1, &seed, sizeof seed, err, sizeof err) &&
                  seed == 100 + (uint64_t)(r.m.shards[s].first + i));
        }
        /* version 7: the actions are rows of pushes.npy, one per pushed record and slot whose
           four floats are not all zero bytes (record 2, zero here, has none) */
        CHECK(!data_array_present(DATA_ACTIONS, &r.m.dims) && r.m.shards[s].files[DATA_PUSHES].listed &&
              !r.m.shards[s].files[DATA_ACTIONS].listed);
        {
            char path[4400];
            data_reader_path(&r, s, DATA_PUSHES, path, sizeof path);
            NpyArray* p = npy_load(path, err, sizeof err);
            CHECK(p && p->ndim == 1 && p->shape[0] == n * (T - 1) * K);
            npy_free(p);
            /* a row outside the shard's slots, then rows out of order: one line, nothing read */
            FILE* f = fopen(path, "r+b");
            ENSURE(f);
            int32_t slot = K, was = 0, tick = 0;
            ENSURE(fseek(f, DATA_HEAD_BYTES + 8, SEEK_SET) == 0 && fread(&was, 4, 1, f) == 1);
            ENSURE(fseek(f, DATA_HEAD_BYTES + 8, SEEK_SET) == 0 && fwrite(&slot, 4, 1, f) == 1 && fflush(f) == 0);
            float act[5 * 3 * 4];
            CHECK(!data_reader_read_episodes(&r, s, DATA_ACTIONS, 0, 1, act, sizeof act, err, sizeof err) &&
                  strstr(err, "pushes.npy: row 0") && strstr(err, "outside") && !strchr(err, '\n'));
            ENSURE(fseek(f, DATA_HEAD_BYTES + 8, SEEK_SET) == 0 && fwrite(&was, 4, 1, f) == 1);
            ENSURE(fseek(f, DATA_HEAD_BYTES + 28 + 4, SEEK_SET) == 0 && fread(&tick, 4, 1, f) == 1);
            int32_t late = T - 1;
            ENSURE(fseek(f, DATA_HEAD_BYTES + 4, SEEK_SET) == 0 && fwrite(&late, 4, 1, f) == 1 && fflush(f) == 0);
            CHECK(!data_reader_read_episodes(&r, s, DATA_ACTIONS, 0, 1, act, sizeof act, err, sizeof err) &&
                  strstr(err, "row 1") && strstr(err, "out of order"));
            int32_t first_tick = 0;
            ENSURE(fseek(f, DATA_HEAD_BYTES + 4, SEEK_SET) == 0 && fwrite(&first_tick, 4, 1, f) == 1);
            fclose(f);
            CHECK(data_reader_read_episodes(&r, s, DATA_ACTIONS, 0, 1, act, sizeof act, err, sizeof err));
            CHECK(data_reader_verify(&r, s, err, sizeof err));
            (void)tick;
        }
        /* a range past the shard, a wrong size, the events array: refused with one line */
        CHECK(!data_reader_read_episodes(&r, s, DATA_STATES, n, 1, st, per, err, sizeof err) && strstr(err, "range"));
        CHECK(!data_reader_read_episodes(&r, s, DATA_STATES, 0, 1, st, per - 4, err, sizeof err));
        CHECK(!data_reader_read_episodes(&r, s, DATA_EVENTS, 0, 1, st, per, err, sizeof err));
        free(st);
        CHECK(data_reader_shard_of(&r, r.m.shards[s].first) == s &&
              data_reader_shard_of(&r, r.m.shards[s].first + n - 1) == s);
    }
    /* the model's episode reader: one episode where asked, its event marked on the next record */
    WmSource src;
    ENSURE(wm_source_open(&src, out, err, sizeof err));
    WmDataset* one = wm_dataset_alloc(2, T, K, D, 1.0 / 60, err, sizeof err);
    ENSURE(one);
    CHECK(wm_source_read(&src, 3, 1, one, 1, err, sizeof err));
    float want[5 * 3 * SIM_OBS_DIM];
    uint8_t wmk[5 * 3];
    for (int t = 0; t < T; t++) synth_observation(3, t, K, want + t * K * D, wmk + t * K);
    CHECK(!memcmp(wm_dataset_states(one, 1, 0), want, sizeof want) && one->bits[((size_t)1 * T + 3) * K + 1] != 0);
    CHECK(!wm_source_read(&src, 1, 2, one, 0, err, sizeof err) && strstr(err, "two shards"));
    CHECK(!wm_source_read(&src, 4, 1, one, 2, err, sizeof err));
    wm_dataset_free(one);
    wm_source_close(&src);
    data_reader_close(&r);
    /* numpy's view of a file equals ours: every CRC in shard.json matches the file on disk */
    char path[600];
    snprintf(path, sizeof path, "%s/shard-00001/seed.npy", out);
    NpyArray* seeds = npy_load(path, err, sizeof err);
    CHECK(seeds && seeds->shape[0] == 2 && ((uint64_t*)seeds->data)[1] == 103);
    npy_free(seeds);

    /* again without --resume: refused; with it: accepted; with another seed: names the seed */
    DataManifest again = small_meta(42, 5, 2);
    DataWriter w2;
    data_writer_init(&w2, &again);
    CHECK(!data_writer_prepare(&w2, out, false, false, err, sizeof err) && strstr(err, "--resume"));
    /* the manifest written shard by shard (each shard.json read once, then reused) is the one a
       new writer makes from the folder */
    char mpath[600];
    snprintf(mpath, sizeof mpath, "%s/manifest.json", out);
    char* shard_by_shard = input_file_read(mpath, 1u << 20, NULL, err, sizeof err);
    CHECK(data_writer_prepare(&w2, out, true, false, err, sizeof err));
    char* from_disk = input_file_read(mpath, 1u << 20, NULL, err, sizeof err);
    CHECK(shard_by_shard && from_disk && strcmp(shard_by_shard, from_disk) == 0 && strstr(from_disk, "shard-00002"));
    free(shard_by_shard);
    free(from_disk);
    data_writer_free(&w2);
    DataManifest other = small_meta(43, 5, 2);
    data_writer_init(&w2, &other);
    CHECK(!data_writer_prepare(&w2, out, true, false, err, sizeof err) && strstr(err, "different dataset") &&
          strstr(err, "seed: 42 there, 43 here"));
    data_writer_free(&w2);
    /* a corrupted finished shard stops --resume */
    snprintf(path, sizeof path, "%s/shard-00000/mask.npy", out);
    FILE* f = fopen(path, "r+b");
    ENSURE(f);
    fseek(f, -1, SEEK_END);
    fputc(7, f);
    fclose(f);
    again = small_meta(42, 5, 2);
    data_writer_init(&w2, &again);
    CHECK(!data_writer_prepare(&w2, out, true, false, err, sizeof err) && strstr(err, "shard-00000") &&
          strstr(err, "do not match"));
    data_writer_free(&w2);
    data_writer_free(&w);
}

/* a shard whose manifest cannot be replaced (manifest.json is a folder here) fails with one line
   and leaves nothing behind: no shard folder, no temporary, the manifest as it was */
static void test_finish_manifest_fails(void) {
    char out[300], err[1024], path[400];
    snprintf(out, sizeof out, "%s/ds-manifest-fails", dir);
    DataManifest meta = small_meta(7, 2, 2);
    DataWriter w;
    data_writer_init(&w, &meta);
    ENSURE(data_writer_prepare(&w, out, false, false, err, sizeof err));
    snprintf(path, sizeof path, "%s/manifest.json", out);
    ENSURE(unlink(path) == 0 && mkdir(path, 0777) == 0);
    DataEpisodeBuf* b = data_episode_buf_new(&w);
    DataShardOut* o = data_shard_out_open(&w, 0, err, sizeof err);
    ENSURE(b && o);
    for (int i = 0; i < 2; i++) {
        DataSlot slot;
        data_episode_buf_slot(b, &slot);
        for (int t = 0; t < 5; t++) {
            float st[3 * SIM_OBS_DIM];
            uint8_t mk[3];
            synth_observation(i, t, 3, st, mk);
            data_slot_observe(&slot, i, t, st, mk);
        }
        ENSURE(data_shard_out_put(o, i, &slot, err, sizeof err));
    }
    err[0] = '\0';
    CHECK(!data_shard_out_finish(&w, o, true, err, sizeof err) && strstr(err, "manifest.json") &&
          strstr(err, "folder"));
    CHECK(!data_writer_shard_done(&w, 0));
    DIR* dd = opendir(out);
    ENSURE(dd);
    int entries = 0;
    for (struct dirent* de; (de = readdir(dd));) entries += de->d_name[0] != '.' || strstr(de->d_name, "tmp") != NULL;
    closedir(dd);
    CHECK(entries == 1);   /* manifest.json, the folder put there */
    data_episode_buf_free(b);
    data_writer_free(&w);
}

/* a dataset written by version 1 (main before data/) loads unchanged */
static void test_version1_loads(void) {
    char err[1024];
    WmDataset* d = wm_dataset_load(FIXTURE, err, sizeof err);
    if (!d) fprintf(stderr, "%s\n", err);
    ENSURE(d);
    CHECK(d->episodes == 3 && d->ticks == 31 && d->slots == 4 && d->dim == SIM_OBS_DIM && d->seed == 7);
    NpyArray* st = npy_load(FIXTURE "/shard-00001/states.npy", err, sizeof err);
    ENSURE(st);
    CHECK(memcmp(d->states + (size_t)2 * 31 * 4 * SIM_OBS_DIM, st->data, st->nbytes) == 0);
    npy_free(st);
    wm_dataset_free(d);
}

/* a hostile copy of the version 1 fixture: its shard folders linked in, the manifest edited */
typedef void (*Edit)(cJSON* root);

static void hostile(const char* name, Edit edit, char* out, size_t n) {
    snprintf(out, n, "%s/%s", dir, name);
    char err[512], path[700], target[700];
    remove_tree(out);
    ENSURE(make_dirs(out, err, sizeof err));
    for (int s = 0; s < 2; s++) {
        snprintf(path, sizeof path, "%s/shard-%05d", out, s);
        snprintf(target, sizeof target, FIXTURE "/shard-%05d", s);
        ENSURE(symlink(target, path) == 0);
    }
    char* text = input_file_read(FIXTURE "/manifest.json", 1 << 20, NULL, err, sizeof err);
    ENSURE(text);
    cJSON* root = cJSON_Parse(text);
    free(text);
    ENSURE(root);
    edit(root);
    char* printed = cJSON_Print(root);
    cJSON_Delete(root);
    snprintf(path, sizeof path, "%s/manifest.json", out);
    ENSURE(atomic_file_put(path, printed, strlen(printed), err, sizeof err));
    cJSON_free(printed);
}

static void set_number(cJSON* o, const char* key, double v) {
    cJSON_ReplaceItemInObjectCaseSensitive(o, key, cJSON_CreateNumber(v));
}

static void edit_wrapping_ticks(cJSON* root) {
    /* issue 16 defect 1: E x T x K wraps around 2^64 to 2048 */
    set_number(root, "ticks", 6148914691236517888.0);
}
static void edit_huge_but_in_range(cJSON* root) {
    set_number(root, "episodes", 100000000);
    set_number(root, "ticks", 100000000);
    set_number(root, "slots", 4096);
    /* the shards cover them all, so only the size check stands between this and malloc */
    set_number(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "shards"), 1), "count", 99999998);
}
static void edit_same_range_twice(cJSON* root) {
    /* issue 16 defect 7: the second shard lists the first one's range */
    cJSON* sh = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "shards"), 1);
    set_number(sh, "first", 0);
    set_number(sh, "count", 2);
}
static void edit_missing_range(cJSON* root) {
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(root, "shards"), 0);
}
static void edit_dir_escape(cJSON* root) {
    cJSON* sh = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "shards"), 0);
    cJSON_ReplaceItemInObjectCaseSensitive(sh, "dir", cJSON_CreateString("../shard-00000"));
}
static void edit_fractional(cJSON* root) {
    set_number(root, "slots", 4.5);
}
static void edit_nothing(cJSON* root) {
    (void)root;
}

static void test_hostile_manifests(void) {
    char out[600], err[1024];
    static const struct { const char* name; Edit edit; const char* says; } cases[] = {
        {"wrap", edit_wrapping_ticks, "\"ticks\""},
        {"huge", edit_huge_but_in_range, "too large"},
        {"twice", edit_same_range_twice, "overlap"},
        {"missing", edit_missing_range, "no shard holds episodes [0, 2)"},
        {"escape", edit_dir_escape, "plain folder name"},
        {"fraction", edit_fractional, "\"slots\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hostile(cases[i].name, cases[i].edit, out, sizeof out);
        bool refused = wm_dataset_load(out, err, sizeof err) == NULL && strstr(err, cases[i].says);
        if (!refused) fprintf(stderr, "  %s: %s\n", cases[i].name, err);
        CHECK(refused);
    }
    /* the manifest itself a FIFO: refused at once, not read forever */
    hostile("fifo", edit_nothing, out, sizeof out);
    char path[700];
    snprintf(path, sizeof path, "%s/manifest.json", out);
    unlink(path);
    ENSURE(mkfifo(path, 0600) == 0);
    CHECK(wm_dataset_load(out, err, sizeof err) == NULL && strstr(err, "FIFO"));
    /* the checkpoint loader reads through the same door: a FIFO as a model is refused at once */
    CHECK(wm_load(path, err, sizeof err) == NULL && strstr(err, "FIFO") && strstr(err, "model"));
}

/* a shard folder of real files copied from the fixture, one of them replaced */
static void copy_shard(const char* out, int s) {
    char err[512], src[700], dst[700];
    snprintf(dst, sizeof dst, "%s/shard-%05d", out, s);
    unlink(dst);
    ENSURE(make_dirs(dst, err, sizeof err));
    const char* files[] = {"states.npy", "mask.npy", "ids.npy", "actions.npy", "contacts.npy",
                           "events.npy", "params.npy", "scenario.npy", "seed.npy", "shard.json"};
    for (int i = 0; i < 10; i++) {
        snprintf(src, sizeof src, FIXTURE "/shard-%05d/%s", s, files[i]);
        size_t len = 0;
        char* bytes = input_file_read(src, 1 << 24, &len, err, sizeof err);
        ENSURE(bytes);
        snprintf(dst, sizeof dst, "%s/shard-%05d/%s", out, s, files[i]);
        ENSURE(atomic_file_put(dst, bytes, len, err, sizeof err));
        free(bytes);
    }
}

static void drop_bytes_of_states(cJSON* root) {
    /* the manifest keeps the CRC of states.npy but not its size */
    cJSON* files = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "shards"), 0), "files");
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(files, "states.npy"), "bytes");
}
static void drop_sums(cJSON* root) {
    cJSON* sh;
    cJSON_ArrayForEach(sh, cJSON_GetObjectItem(root, "shards")) cJSON_DeleteItemFromObject(sh, "files");
}

static void test_hostile_shards(void) {
    char out[600], err[1024], path[700];
    /* issue 16 defect 9: states.npy a symlink to /dev/zero, the manifest with a CRC and no size */
    hostile("zero", drop_bytes_of_states, out, sizeof out);
    copy_shard(out, 0);
    snprintf(path, sizeof path, "%s/shard-00000/states.npy", out);
    unlink(path);
    ENSURE(symlink("/dev/zero", path) == 0);
    CHECK(wm_dataset_load(out, err, sizeof err) == NULL && strstr(err, "states.npy") && strstr(err, "character device"));
    /* issue 16 defect 12: NaN in states.npy is named as such (no checksums to stop it first) */
    hostile("nan", drop_sums, out, sizeof out);
    copy_shard(out, 0);
    snprintf(path, sizeof path, "%s/shard-00000/states.npy", out);
    NpyArray* st = npy_load(path, err, sizeof err);
    ENSURE(st);
    ((float*)st->data)[(size_t)1 * 31 * 4 * SIM_OBS_DIM + 5 * 4 * SIM_OBS_DIM + 2 * SIM_OBS_DIM + 3] = NAN;
    ENSURE(npy_save(path, st->descr, st->shape, st->ndim, st->data, st->nbytes, err, sizeof err));
    npy_free(st);
    CHECK(wm_dataset_load(out, err, sizeof err) == NULL && strstr(err, "non-finite") &&
          strstr(err, "episode 1, record 5, slot 2, column 3"));
    /* an event outside its shard's records */
    copy_shard(out, 0);
    snprintf(path, sizeof path, "%s/shard-00000/events.npy", out);
    unsigned char row[DATA_EVENT_BYTES];
    DataEvent ev = {0, 31, 0, 0, -1, 1.0f};
    data_event_pack(&ev, row);
    int64_t one = 1;
    ENSURE(npy_save(path, DATA_EVENT_DESCR, &one, 1, row, sizeof row, err, sizeof err));
    CHECK(wm_dataset_load(out, err, sizeof err) == NULL && strstr(err, "events.npy") && strstr(err, "outside"));
    /* a states.npy of the wrong shape */
    copy_shard(out, 0);
    snprintf(path, sizeof path, "%s/shard-00000/states.npy", out);
    float zeros[8] = {0};
    int64_t shape[2] = {2, 4};
    ENSURE(npy_save(path, "'<f4'", shape, 2, zeros, sizeof zeros, err, sizeof err));
    CHECK(wm_dataset_load(out, err, sizeof err) == NULL && strstr(err, "states.npy: expected"));
}

/* the stream's order: each pass visits every episode once, a shard's episodes together, in an
 * order that changes from pass to pass; sources share the transitions by weight; same seed, same
 * sequence */
static void test_stream_order(void) {
    int64_t firsts[2][6] = {{0, 4, 8, 12, 16, 20}, {0, 10, 20, 30, 40, 50}};
    DataStreamSource src[2] = {
        {.lo = 0, .hi = 18, .ticks = 100, .weight = 1, .nshards = 5, .shard_first = firsts[0]},
        {.lo = 0, .hi = 45, .ticks = 50, .weight = 3, .nshards = 5, .shard_first = firsts[1]},
    };
    DataStream* a = data_stream_create(src, 1, 7);
    ENSURE(a);
    int64_t prev[18], seen[18];
    for (int pass = 0; pass < 3; pass++) {
        memset(seen, 0, sizeof seen);
        int64_t order[18];
        for (int i = 0; i < 18; i++) {
            int s = -1;
            data_stream_next(a, &s, &order[i]);
            CHECK(s == 0 && order[i] >= 0 && order[i] < 18);
            if (order[i] >= 0 && order[i] < 18) seen[order[i]]++;
        }
        bool perm = true, grouped = true;
        for (int i = 0; i < 18; i++) perm = perm && seen[i] == 1;
        /* a shard's episodes come together: the shard changes at most once per shard */
        int changes = 0;
        for (int i = 1; i < 18; i++) changes += order[i] / 4 != order[i - 1] / 4;
        grouped = changes == 4;
        CHECK(perm && grouped);
        if (pass > 0) CHECK(memcmp(prev, order, sizeof order) != 0);
        memcpy(prev, order, sizeof order);
    }
    data_stream_free(a);
    /* weights in transitions: source 1 (episodes half as long, weight 3) gets 3/4 of them */
    DataStream* b = data_stream_create(src, 2, 7);
    DataStream* c = data_stream_create(src, 2, 7);
    ENSURE(b && c);
    bool same = true;
    for (int i = 0; i < 4000; i++) {
        int sb, sc;
        int64_t eb, ec;
        data_stream_next(b, &sb, &eb);
        data_stream_next(c, &sc, &ec);
        same = same && sb == sc && eb == ec;
        CHECK(eb >= 0 && eb < src[sb].hi);
    }
    CHECK(same);
    double g0 = (double)data_stream_given(b, 0), g1 = (double)data_stream_given(b, 1);
    CHECK(fabs(g1 / (g0 + g1) - 0.75) < 0.01);
    data_stream_free(b);
    data_stream_free(c);
    /* an empty source or a weight that is not positive: no stream */
    DataStreamSource bad = src[0];
    bad.weight = 0;
    CHECK(data_stream_create(&bad, 1, 1) == NULL);
    bad = src[0];
    bad.hi = 0;
    CHECK(data_stream_create(&bad, 1, 1) == NULL);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/nudge-test-data-%d", (int)getpid());
    char err[256];
    remove_tree(dir);
    ENSURE(make_dirs(dir, err, sizeof err));
    RUN(test_manifest_round_trip);
    RUN(test_manifest_frame_kinds);
    RUN(test_write_read);
    RUN(test_finish_manifest_fails);
    RUN(test_stream_order);
    RUN(test_version1_loads);
    RUN(test_hostile_manifests);
    RUN(test_hostile_shards);
    remove_tree(dir);
    return ensure_finish("test_data");
}
