/* seeds: writes the seed corpora of the harnesses whose inputs the repository holds no file of,
 * made by nudge's own writers so that they follow the formats as they are now:
 *
 *   fuzz_seeds OUT SCENARIO DATASET...
 *
 *   OUT/checkpoint/  small models (with and without optimizer state, 1 and 4 slots)
 *   OUT/recording/   a recording of SCENARIO (hashes, a branch, the end record) and one cut short
 *   OUT/dataset/     each DATASET folder as a bundle (bundle.h)
 *   OUT/npy/         the .npy files of each DATASET's first shard
 *
 * The scenario harness's seeds are the repository's scenarios/ themselves. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/episode.h"
#include "agent/recording.h"
#include "bundle.h"
#include "model/nn.h"
#include "model/wm.h"
#include "model/wm_impl.h"
#include "sim/scenario.h"

static void die(const char* what, const char* why) {
    fprintf(stderr, "fuzz_seeds: %s: %s\n", what, why);
    exit(1);
}

static void make_dir(const char* path) {
    if (mkdir(path, 0755) != 0 && errno != EEXIST) die(path, strerror(errno));
}

static uint8_t* slurp(const char* path, size_t* len) {
    FILE* f = fopen(path, "rb");
    if (!f) die(path, strerror(errno));
    size_t cap = 1 << 16;
    uint8_t* b = malloc(cap);
    size_t n;
    *len = 0;
    while ((n = fread(b + *len, 1, cap - *len, f)) > 0) {
        *len += n;
        if (*len == cap) b = realloc(b, cap *= 2);
    }
    fclose(f);
    return b;
}

static void spill(const char* path, const void* data, size_t n) {
    FILE* f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) die(path, "cannot write");
}

static void checkpoints(const char* out) {
    char dir[4096], path[4200], err[512];
    snprintf(dir, sizeof dir, "%s/checkpoint", out);
    make_dir(dir);
    int slots[2] = {1, 4};
    for (int i = 0; i < 2; i++) {
        WmArch a = wm_arch_default(slots[i]);
        a.latent = 3;
        a.edge = 4;
        a.hidden = 5;
        if (i == 1) {
            /* options off their defaults: a version 3 file (kind field, options, ranges) */
            a.inputs = WM_INPUT_CLIP;
            a.rest_gate = 0.3f;
        }
        WmModel* m = wm_create(&a, 7);
        if (!m) die("a small model", "refused");
        snprintf(path, sizeof path, "%s/small-%d-slots.bin", dir, slots[i]);
        if (!wm_save(m, path, err, sizeof err)) die(path, err);
        NnAdamW opt;
        nn_adamw_init(&opt, wm_param_count(m), 1e-3f, 0);
        opt.t = 12;
        for (int k = 0; k < wm_param_count(m); k++) opt.m[k] = 0.01f * (float)k, opt.v[k] = 0.001f * (float)k;
        snprintf(path, sizeof path, "%s/small-%d-slots-optimizer.bin", dir, slots[i]);
        if (!wm_checkpoint_save(m, &opt, path, err, sizeof err)) die(path, err);
        /* and a run with averaged weights: the resume state after the optimizer's */
        WmResume rs;
        memset(&rs, 0, sizeof rs);
        rs.raw = opt.m;
        rs.batch_rng[0] = 1;
        rs.parts = 1 + i;
        snprintf(path, sizeof path, "%s/small-%d-slots-resume.bin", dir, slots[i]);
        if (!wm_checkpoint_save_resume(m, &opt, &rs, path, err, sizeof err)) die(path, err);
        nn_adamw_free(&opt);
        wm_free(m);
    }
}

static void recordings(const char* out, const char* scn_path) {
    char dir[4096], path[4200], err[512];
    snprintf(dir, sizeof dir, "%s/recording", out);
    make_dir(dir);
    Scenario* s = scn_load(scn_path, err, sizeof err);
    if (!s) die(scn_path, err);
    Episode ep;
    memset(&ep, 0, sizeof ep);
    if (!episode_begin(&ep, s, scn_default_seed(s), -1, 8, err, sizeof err)) die(scn_path, err);
    snprintf(path, sizeof path, "%s/run.nrec", dir);
    RecWriter* w = rec_writer_open(path, &ep, 10, 0, err, sizeof err);
    if (!w || !rec_writer_attach(w, &ep)) die(path, w ? "cannot attach" : err);
    for (int t = 0; t < 30; t++) episode_tick(&ep, NULL);
    rec_writer_branch(w, 12);
    for (int t = 0; t < 8; t++) episode_tick(&ep, NULL);
    if (!rec_writer_close(w, err, sizeof err)) die(path, err);
    episode_end(&ep);
    scn_free(s);
    /* the same cut in the middle of a record: the reader's "truncated record" */
    size_t len;
    uint8_t* b = slurp(path, &len);
    snprintf(path, sizeof path, "%s/cut.nrec", dir);
    spill(path, b, len * 2 / 3);
    free(b);
}

static int cmp(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

/* the sorted plain names in a folder */
static int names_in(const char* dir, char*** out) {
    DIR* d = opendir(dir);
    if (!d) die(dir, strerror(errno));
    char** names = NULL;
    int n = 0;
    struct dirent* e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        names = realloc(names, (size_t)(n + 1) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp);
    *out = names;
    return n;
}

static void dataset(const char* out, const char* data_dir, int index) {
    char dir[4096], npy_dir[4096], path[8400], name[600];
    snprintf(dir, sizeof dir, "%s/dataset", out);
    snprintf(npy_dir, sizeof npy_dir, "%s/npy", out);
    make_dir(dir);
    make_dir(npy_dir);
    uint8_t* bundle = NULL;
    size_t blen = 0, len;
    char** top;
    int ntop = names_in(data_dir, &top);
    bool first_shard = true;
    for (int i = 0; i < ntop; i++) {
        snprintf(path, sizeof path, "%s/%s", data_dir, top[i]);
        struct stat st;
        if (stat(path, &st) != 0) die(path, strerror(errno));
        if (S_ISREG(st.st_mode)) {
            uint8_t* b = slurp(path, &len);
            if (!bundle_add(&bundle, &blen, top[i], b, len)) die(path, "cannot go into a bundle");
            free(b);
            continue;
        }
        char** sub;
        int nsub = names_in(path, &sub);
        for (int k = 0; k < nsub; k++) {
            char file[8600];
            snprintf(file, sizeof file, "%s/%s", path, sub[k]);
            uint8_t* b = slurp(file, &len);
            snprintf(name, sizeof name, "%s/%s", top[i], sub[k]);
            if (!bundle_add(&bundle, &blen, name, b, len)) die(file, "cannot go into a bundle");
            size_t sl = strlen(sub[k]);
            if (first_shard && sl > 4 && !strcmp(sub[k] + sl - 4, ".npy")) {
                char npy[8600];
                snprintf(npy, sizeof npy, "%s/%d-%s", npy_dir, index, sub[k]);
                spill(npy, b, len);
            }
            free(b);
            free(sub[k]);
        }
        free(sub);
        first_shard = false;
    }
    for (int i = 0; i < ntop; i++) free(top[i]);
    free(top);
    snprintf(path, sizeof path, "%s/dataset-%d.bundle", dir, index);
    spill(path, bundle, blen);
    free(bundle);
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: fuzz_seeds OUT SCENARIO [DATASET...]\n");
        return 2;
    }
    sim_quiet_chipmunk();
    make_dir(argv[1]);
    checkpoints(argv[1]);
    recordings(argv[1], argv[2]);
    for (int i = 3; i < argc; i++) dataset(argv[1], argv[i], i - 3);
    return 0;
}
