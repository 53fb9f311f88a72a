/* store: the dataset folder: refusing foreign folders, resuming matching ones, verifying finished
 * shards, clearing dead temporaries, and the manifest listing the complete shards */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/crc.h"
#include "base/input_file.h"
#include "base/parse_int.h"
#include "base/report.h"
#include "data/writer.h"

void data_writer_init(DataWriter* w, DataManifest* meta) {
    memset(w, 0, sizeof *w);
    w->meta = *meta;
    w->meta.shards = NULL;
    w->meta.nshards = 0;
    w->meta.version = w->meta.dims.version = DATA_FORMAT_VERSION;   /* a writer writes this version only */
    free(meta->shards);
    memset(meta, 0, sizeof *meta);
    size_t n = (size_t)(w->meta.shard_count > 0 ? w->meta.shard_count : 1);
    w->entries = alloc_zeroed(n, sizeof *w->entries);
    w->known = alloc_zeroed(n, sizeof *w->known);
    w->sync_pool = data_sync_pool_new();
}

void data_writer_free(DataWriter* w) {
    if (!w) return;
    data_manifest_free(&w->meta);
    data_sync_pool_free(w->sync_pool);
    w->sync_pool = NULL;
    free(w->entries);
    free(w->known);
    w->entries = NULL;
    w->known = NULL;
}

int64_t data_writer_shard_first(const DataWriter* w, int shard) {
    return (int64_t)shard * w->meta.per_shard;
}

int64_t data_writer_shard_count(const DataWriter* w, int shard) {
    int64_t left = w->meta.episodes - data_writer_shard_first(w, shard);
    return left < w->meta.per_shard ? left : w->meta.per_shard;
}

double data_writer_episode_bytes(const DataWriter* w) {
    double per_episode = 0;
    for (int a = 0; a < DATA_ARRAY_COUNT; a++) {
        /* actions: the recorder's buffer holds them whatever the version */
        bool recorded = a == DATA_ACTIONS || data_array_present((DataArrayId)a, &w->meta.dims);
        if (data_array_is_rows((DataArrayId)a) || !recorded) continue;
        int64_t s[5];
        int n = data_array_shape((DataArrayId)a, &w->meta.dims, 1, 0, s);
        double b = (double)data_arrays[a].item;
        for (int i = 1; i < n; i++) b *= (double)s[i];
        per_episode += b;
    }
    return per_episode;
}

static void shard_name(int shard, char* out, size_t n) {
    snprintf(out, n, "shard-%05d", shard);
}

bool data_writer_shard_done(const DataWriter* w, int shard) {
    char path[4200], name[32];
    shard_name(shard, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s/shard.json", w->out, name);
    struct stat st;
    return stat(path, &st) == 0;
}

/* a shard's entry as its files on disk are: sizes and CRC-32s */
static bool entry_from_disk(const DataWriter* w, int shard, DataShardEntry* e, char* err, size_t err_size) {
    memset(e, 0, sizeof *e);
    shard_name(shard, e->dir, sizeof e->dir);
    e->first = data_writer_shard_first(w, shard);
    e->count = data_writer_shard_count(w, shard);
    for (int a = 0; a < DATA_ARRAY_COUNT; a++) {
        if (!data_array_present((DataArrayId)a, &w->meta.dims)) continue;
        char path[4400], file[64];
        data_array_file((DataArrayId)a, file, sizeof file);
        snprintf(path, sizeof path, "%s/%s/%s", w->out, e->dir, file);
        int64_t size = 0;
        int fd = input_file_open(path, &size, err, err_size);
        if (fd < 0) return false;
        close(fd);
        DataFileSum* f = &e->files[a];
        f->listed = f->has_bytes = f->has_crc = true;
        f->bytes = size;
        if (!crc32_file(path, &f->crc32, err, err_size)) return false;
    }
    return true;
}

/* the entry a finished shard recorded in its shard.json */
static bool entry_stored(const DataWriter* w, int shard, DataShardEntry* e, char* err, size_t err_size) {
    char path[4200], name[32];
    shard_name(shard, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s/shard.json", w->out, name);
    char* text = input_file_read(path, 1u << 20, NULL, err, err_size);
    if (!text) return false;
    bool ok = data_shard_entry_parse(text, path, e, err, err_size);
    free(text);
    return ok;
}

/* removes .tmp-* leftovers of processes that are gone */
static void sweep_temporaries(const DataWriter* w, const char* out) {
    DIR* d = opendir(out);
    if (!d) return;
    struct dirent* e;
    while ((e = readdir(d)) != NULL) {
        const char* dash = strrchr(e->d_name, '-');
        if (!strstr(e->d_name, ".tmp-") || !dash) continue;
        int64_t pid = 0;
        bool pid_ok = parse_int(dash + 1, 1, INT32_MAX, &pid) == PARSE_INT_OK;
        if (w->tasks > 0) {
            /* a job-array task: only the temporaries of its own shards (nobody else writes them) */
            int64_t shard = -1;
            const char* p = strncmp(e->d_name, ".tmp-shard-", 11) ? NULL : e->d_name + 11;
            if (!p || parse_int_prefix(p, 0, INT32_MAX, &shard, NULL) != PARSE_INT_OK || shard % w->tasks != w->task)
                continue;
        } else if (pid_ok && pid != (int64_t)getpid() && kill((pid_t)pid, 0) == 0) {
            continue; /* alive */
        }
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", out, e->d_name);
        remove_tree(path);
    }
    closedir(d);
}

/* true when out holds nothing but temporaries; else the first other name goes into what (may be NULL) */
static bool folder_is_empty(const char* out, char* what, size_t what_size) {
    DIR* d = opendir(out);
    if (!d) return false;
    struct dirent* e;
    bool empty = true;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (strstr(e->d_name, ".tmp-")) continue; /* our own leftovers */
        if (what) snprintf(what, what_size, "%s", e->d_name);
        empty = false;
    }
    closedir(d);
    return empty;
}

static int shards_done(const DataWriter* w) {
    int done = 0;
    for (int s = 0; s < w->meta.shard_count; s++) done += data_writer_shard_done(w, s);
    return done;
}

/* an existing manifest: the same inputs, or a refusal naming the difference */
static bool check_existing(DataWriter* w, const char* out, bool resume, bool sharded, char* err, size_t err_size) {
    char mpath[4200];
    snprintf(mpath, sizeof mpath, "%s/manifest.json", out);
    DataManifest theirs;
    char why[512];
    if (!data_manifest_load(out, &theirs, why, sizeof why)) {
        report_set(err, err_size, "--out %s holds a dataset this nudge cannot continue (%s); choose another folder",
                   out, why);
        return false;
    }
    bool same = theirs.has_inputs;
    if (!same) snprintf(why, sizeof why, "its manifest has no inputs");
    else same = data_inputs_same(&theirs.inputs, &w->meta.inputs, why, sizeof why);
    data_manifest_free(&theirs);
    if (!same) {
        report_set(err, err_size, "--out %s holds a different dataset (%s); choose another folder", out, why);
        return false;
    }
    if (!resume && !sharded) {
        report_set(err, err_size, "--out %s already holds this dataset (%d of %d shards); rerun with --resume to continue it",
                   out, shards_done(w), w->meta.shard_count);
        return false;
    }
    return true;
}

bool data_writer_prepare(DataWriter* w, const char* out, bool resume, bool sharded, char* err, size_t err_size) {
    snprintf(w->out, sizeof w->out, "%s", out);
    struct stat st;
    char mpath[4200];
    snprintf(mpath, sizeof mpath, "%s/manifest.json", out);
    if (stat(out, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            report_set(err, err_size, "--out %s: exists and is not a folder", out);
            return false;
        }
        struct stat ms;
        /* a folder with something in it is looked at again for a manifest: the job-array tasks of
         * one dataset start together, and another task's manifest can land between the first look
         * and the scan (it is the first thing a task writes, so a folder with anything else in it
         * has one by then) */
        char what[256] = "";
        bool has_manifest = lstat(mpath, &ms) == 0 || errno != ENOENT, empty = true;
        if (!has_manifest && !(empty = folder_is_empty(out, what, sizeof what)))
            has_manifest = lstat(mpath, &ms) == 0 || errno != ENOENT;
        if (has_manifest) {
            if (!check_existing(w, out, resume, sharded, err, err_size)) return false;
        } else if (!empty) {
            report_set(err, err_size, "--out %s is not empty (it holds %s) and holds no nudge dataset; choose an empty or new folder",
                       out, what);
            return false;
        }
    } else if (!make_dirs(out, err, err_size)) {
        return false;
    }
    if (access(out, W_OK) != 0) {
        report_set(err, err_size, "--out %s: not writable: %s", out, strerror(errno));
        return false;
    }
    sweep_temporaries(w, out);
    /* finished shards must be intact before we build on them */
    if (resume) {
        for (int s = 0; s < w->meta.shard_count; s++) {
            if (!data_writer_shard_done(w, s)) continue;
            DataShardEntry stored, now;
            char why[1024] = "";
            bool same = entry_stored(w, s, &stored, why, sizeof why) && entry_from_disk(w, s, &now, why, sizeof why) &&
                        data_shard_entry_same(&stored, &now);
            if (!same) {
                char name[32];
                shard_name(s, name, sizeof name);
                report_set(err, err_size,
                           "%s/%s: its files do not match shard.json (corrupted?%s%s); delete this shard folder and "
                           "rerun with --resume",
                           out, name, why[0] ? " " : "", why);
                return false;
            }
        }
    }
    if (sharded && access(mpath, F_OK) == 0) return true;
    if (w->manifest_later && !sharded) return true;
    return data_writer_write_manifest(w, err, err_size);
}

char* data_writer_manifest_text(const DataWriter* w, int shard, const DataShardEntry* entry) {
    DataManifest m = w->meta;
    m.shards = alloc_zeroed((size_t)(m.shard_count > 0 ? m.shard_count : 1), sizeof *m.shards);
    m.nshards = 0;
    /* a shard's entry is read once: reading every shard.json at every write made writing a
       dataset quadratic in its shards (1000 shards of one short episode: 48 s of CPU before, 38 s
       now, load 13; the rest is mostly printing the growing manifest itself) */
    for (int s = 0; s < m.shard_count; s++) {
        if (entry && s == shard) {
            m.shards[m.nshards++] = *entry;
            continue;
        }
        if (!data_writer_shard_done(w, s)) continue;
        char why[512];
        if (!w->known[s]) w->known[s] = entry_stored(w, s, &w->entries[s], why, sizeof why);
        if (w->known[s]) m.shards[m.nshards++] = w->entries[s];
    }
    m.complete = m.nshards == m.shard_count;
    char* text = data_manifest_print(&m);
    free(m.shards);
    return text;
}

void data_writer_shard_known(const DataWriter* w, int shard, const DataShardEntry* entry) {
    w->entries[shard] = *entry;
    w->known[shard] = true;
}

bool data_writer_write_manifest(const DataWriter* w, char* err, size_t err_size) {
    char* text = data_writer_manifest_text(w, -1, NULL);
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", w->out);
    bool ok = atomic_file_put(path, text, strlen(text), err, err_size);
    free(text);
    return ok;
}
