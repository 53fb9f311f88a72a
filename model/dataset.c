/* dataset: the manifest (a small tolerant JSON reader) and the shards' .npy files */
#include "model/dataset.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "base/crc.h"
#include "base/npy.h"
#include "base/report.h"
#include "sim/observation.h"

/* ---- JSON: just enough for the manifest ---- */

typedef enum { JS_NULL, JS_BOOL, JS_NUM, JS_STR, JS_ARR, JS_OBJ } JsType;

typedef struct Js {
    JsType      type;
    double      num;
    char*       str;        /* JS_STR */
    int         n;          /* children */
    struct Js*  kids;       /* array items or object values */
    char**      keys;       /* object keys */
} Js;

typedef struct JsParser {
    const char* p;
    const char* start;
    const char* end;
    char        why[160];
    int         depth;
} JsParser;

static void js_free(Js* v) {
    if (!v) return;
    free(v->str);
    for (int i = 0; i < v->n; i++) {
        js_free(&v->kids[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->kids);
    free(v->keys);
    memset(v, 0, sizeof *v);
}

static void js_ws(JsParser* ps) {
    while (ps->p < ps->end && isspace((unsigned char)*ps->p)) ps->p++;
}

static bool js_fail(JsParser* ps, const char* what) {
    if (!ps->why[0]) {
        int line = 1, col = 1;
        for (const char* q = ps->start; q < ps->p && q < ps->end; q++) {
            if (*q == '\n') line++, col = 1;
            else col++;
        }
        snprintf(ps->why, sizeof ps->why, "%d:%d: %s", line, col, what);
    }
    return false;
}

static bool js_string(JsParser* ps, char** out) {
    if (ps->p >= ps->end || *ps->p != '"') return js_fail(ps, "expected a string");
    ps->p++;
    size_t cap = 32, n = 0;
    char* s = malloc(cap);
    while (ps->p < ps->end && *ps->p != '"') {
        char c = *ps->p++;
        if (c == '\\' && ps->p < ps->end) {
            char e = *ps->p++;
            c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
            if (e == 'u') {
                /* keep \uXXXX as '?': the manifest's names are ASCII */
                ps->p += 4;
                c = '?';
            }
        }
        if (n + 2 > cap) s = realloc(s, cap *= 2);
        s[n++] = c;
    }
    if (ps->p >= ps->end) {
        free(s);
        return js_fail(ps, "unterminated string");
    }
    ps->p++;
    s[n] = 0;
    *out = s;
    return true;
}

static bool js_value(JsParser* ps, Js* v);

static bool js_push(Js* v, Js* item, char* key, int* cap) {
    if (v->n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        v->kids = realloc(v->kids, sizeof(Js) * (size_t)*cap);
        if (v->type == JS_OBJ) v->keys = realloc(v->keys, sizeof(char*) * (size_t)*cap);
    }
    v->kids[v->n] = *item;
    if (v->type == JS_OBJ) v->keys[v->n] = key;
    v->n++;
    return true;
}

static bool js_value(JsParser* ps, Js* v) {
    memset(v, 0, sizeof *v);
    js_ws(ps);
    if (ps->p >= ps->end) return js_fail(ps, "unexpected end of file");
    if (++ps->depth > 64) return js_fail(ps, "nested too deeply");
    char c = *ps->p;
    bool ok = true;
    if (c == '{' || c == '[') {
        bool obj = c == '{';
        v->type = obj ? JS_OBJ : JS_ARR;
        ps->p++;
        int cap = 0;
        js_ws(ps);
        if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
            ps->p++;
        } else {
            for (;;) {
                char* key = NULL;
                js_ws(ps);
                if (obj) {
                    if (!js_string(ps, &key)) { ok = false; break; }
                    js_ws(ps);
                    if (ps->p >= ps->end || *ps->p != ':') { free(key); ok = js_fail(ps, "expected ':'"); break; }
                    ps->p++;
                }
                Js item;
                if (!js_value(ps, &item)) { free(key); js_free(&item); ok = false; break; }
                js_push(v, &item, key, &cap);
                js_ws(ps);
                if (ps->p < ps->end && *ps->p == ',') { ps->p++; continue; }
                if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) { ps->p++; break; }
                ok = js_fail(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
                break;
            }
        }
    } else if (c == '"') {
        v->type = JS_STR;
        ok = js_string(ps, &v->str);
    } else if (c == 't' && ps->end - ps->p >= 4 && !strncmp(ps->p, "true", 4)) {
        v->type = JS_BOOL, v->num = 1, ps->p += 4;
    } else if (c == 'f' && ps->end - ps->p >= 5 && !strncmp(ps->p, "false", 5)) {
        v->type = JS_BOOL, ps->p += 5;
    } else if (c == 'n' && ps->end - ps->p >= 4 && !strncmp(ps->p, "null", 4)) {
        v->type = JS_NULL, ps->p += 4;
    } else {
        char buf[64];
        size_t n = 0;
        while (ps->p + n < ps->end && n < sizeof buf - 1 && strchr("+-0123456789.eE", ps->p[n])) {
            buf[n] = ps->p[n];
            n++;
        }
        buf[n] = 0;
        char* e = NULL;
        v->type = JS_NUM;
        v->num = strtod(buf, &e);
        if (n == 0 || e != buf + n) ok = js_fail(ps, "expected a value");
        else ps->p += n;
    }
    ps->depth--;
    return ok;
}

static const Js* js_get(const Js* o, const char* key) {
    if (!o || o->type != JS_OBJ) return NULL;
    for (int i = 0; i < o->n; i++)
        if (!strcmp(o->keys[i], key)) return &o->kids[i];
    return NULL;
}

static bool js_int(const Js* o, const char* key, long long* out) {
    const Js* v = js_get(o, key);
    if (!v || v->type != JS_NUM || v->num != (double)(long long)v->num) return false;
    *out = (long long)v->num;
    return true;
}

/* ---- shards ---- */

static NpyArray* load_npy(const char* dir, const char* shard, const char* name, const char* descr,
                          const int64_t* shape, int ndim, char* err, size_t err_size) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", dir, shard, name);
    NpyArray* a = npy_load(path, err, err_size);
    if (!a) return NULL;
    bool ok = !strcmp(a->descr, descr) && a->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++) ok = a->shape[i] == shape[i];
    if (!ok) {
        char want[128];
        int n = snprintf(want, sizeof want, "%s (", descr);
        for (int i = 0; i < ndim && n < (int)sizeof want; i++)
            n += snprintf(want + n, sizeof want - (size_t)n, "%lld%s", (long long)shape[i], i + 1 < ndim ? "," : ")");
        report_set(err, err_size, "%s: expected %s, got %s with %d dimensions", path, want, a->descr, a->ndim);
        npy_free(a);
        return NULL;
    }
    return a;
}

/* events.npy: a structured array of packed 21-byte records, read here byte by byte */
#define EVENT_BYTES 21

static unsigned char* load_events(const char* path, size_t* nrec, char* err, size_t err_size) {
    FILE* f = fopen(path, "rb");
    if (!f) {
        report_set(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    unsigned char pre[10];
    char head[8192];
    unsigned char* data = NULL;
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0 || pre[6] != 1) {
        report_set(err, err_size, "%s: not a .npy file (version 1)", path);
        goto fail;
    }
    size_t hl = (size_t)pre[8] | ((size_t)pre[9] << 8);
    if (hl >= sizeof head || fread(head, 1, hl, f) != hl) {
        report_set(err, err_size, "%s: truncated header", path);
        goto fail;
    }
    head[hl] = 0;
    const char* sh = strstr(head, "'shape': (");
    if (!strstr(head, "('episode', '<i4'), ('tick', '<i4'), ('type', '") || !strstr(head, "('magnitude', '<f4')") || !sh) {
        report_set(err, err_size, "%s: expected packed event records (episode, tick, type, a, b, magnitude)", path);
        goto fail;
    }
    char* end = NULL;
    long long n = strtoll(sh + 10, &end, 10);
    if (end == sh + 10 || n < 0 || n > 100000000) {
        report_set(err, err_size, "%s: bad shape", path);
        goto fail;
    }
    data = malloc((size_t)n * EVENT_BYTES + 1);
    if (!data || fread(data, EVENT_BYTES, (size_t)n, f) != (size_t)n) {
        report_set(err, err_size, "%s: truncated: fewer than %lld event records", path, n);
        goto fail;
    }
    fclose(f);
    *nrec = (size_t)n;
    return data;
fail:
    free(data);
    fclose(f);
    return NULL;
}

void wm_dataset_free(WmDataset* d) {
    if (!d) return;
    free(d->states);
    free(d->mask);
    free(d->actions);
    free(d->contacts);
    free(d->bits);
    free(d);
}

WmDataset* wm_dataset_load(const char* dir, char* err, size_t err_size) {
    char mpath[4096];
    snprintf(mpath, sizeof mpath, "%s/manifest.json", dir);
    FILE* f = fopen(mpath, "rb");
    if (!f) {
        report_set(err, err_size, "%s: cannot open: %s (not a nudge dataset folder?)", mpath, strerror(errno));
        return NULL;
    }
    char* text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65536 > cap) text = realloc(text, cap = cap * 2 + 65536);
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
        if (len > (64u << 20)) break;
    }
    fclose(f);
    JsParser ps = {text, text, text + len, "", 0};
    Js root;
    WmDataset* d = NULL;
    NpyArray *st = NULL, *mk = NULL, *ac = NULL, *ct = NULL;
    bool parsed = js_value(&ps, &root);
    if (!parsed) {
        report_set(err, err_size, "%s:%s", mpath, ps.why);
        js_free(&root);
        free(text);
        return NULL;
    }
    const Js* fmt = js_get(&root, "format");
    long long version = 0, K = 0, D = 0, T = 0, E = 0;
    if (!fmt || fmt->type != JS_STR || strcmp(fmt->str, "nudge-dataset") != 0) {
        report_set(err, err_size, "%s: not a nudge dataset (\"format\" is not \"nudge-dataset\")", mpath);
        goto fail;
    }
    if (!js_int(&root, "version", &version) || version != WM_DATASET_VERSION) {
        report_set(err, err_size, "%s: dataset format version %lld, this nudge reads version %d", mpath,
                   version, WM_DATASET_VERSION);
        goto fail;
    }
    if (!js_int(&root, "slots", &K) || !js_int(&root, "dim", &D) || !js_int(&root, "ticks", &T) ||
        !js_int(&root, "episodes", &E) || K < 1 || K > 4096 || D < 1 || T < 2 || E < 1 || E > 10000000) {
        report_set(err, err_size, "%s: missing or bad \"slots\", \"dim\", \"ticks\" or \"episodes\"", mpath);
        goto fail;
    }
    /* the columns must be this nudge's observation columns, in order */
    const Js* cols = js_get(&root, "columns");
    bool same = cols && cols->type == JS_ARR && cols->n == SIM_OBS_DIM && D == SIM_OBS_DIM;
    for (int c = 0; same && c < SIM_OBS_DIM; c++) {
        const Js* nm = js_get(&cols->kids[c], "name");
        same = nm && nm->type == JS_STR && !strcmp(nm->str, sim_obs_columns[c].name);
    }
    if (!same) {
        report_set(err, err_size, "%s: the dataset's columns differ from this nudge's observation (%d columns: %s, %s, ...)",
                   mpath, SIM_OBS_DIM, sim_obs_columns[0].name, sim_obs_columns[1].name);
        goto fail;
    }
    const Js* shards = js_get(&root, "shards");
    if (!shards || shards->type != JS_ARR || shards->n < 1) {
        report_set(err, err_size, "%s: no \"shards\"", mpath);
        goto fail;
    }
    d = calloc(1, sizeof *d);
    d->episodes = (int)E;
    d->ticks = (int)T;
    d->slots = (int)K;
    d->dim = (int)D;
    const Js* tick = js_get(&root, "tick");
    d->tick = tick && tick->type == JS_NUM ? tick->num : 1.0 / 60.0;
    long long seed = 0;
    if (js_int(&root, "seed", &seed)) d->seed = (uint64_t)seed;
    size_t rec = (size_t)E * T * K;
    d->states = malloc(sizeof(float) * rec * D);
    d->mask = calloc(rec, 1);
    d->actions = calloc(rec * 4, sizeof(float));
    d->contacts = calloc(rec, 1);
    d->bits = calloc(rec, 1);
    if (!d->states || !d->mask || !d->actions || !d->contacts || !d->bits) {
        report_set(err, err_size, "%s: out of memory for %lld episodes", mpath, E);
        goto fail;
    }
    long long covered = 0;
    for (int s = 0; s < shards->n; s++) {
        const Js* sh = &shards->kids[s];
        const Js* sdir = js_get(sh, "dir");
        long long first = 0, count = 0;
        if (!sdir || sdir->type != JS_STR || strchr(sdir->str, '/') || !js_int(sh, "first", &first) ||
            !js_int(sh, "count", &count) || first < 0 || count < 1 || first + count > E) {
            report_set(err, err_size, "%s: shard %d: bad \"dir\", \"first\" or \"count\"", mpath, s);
            goto fail;
        }
        covered += count;
        /* the files' sizes and checksums, when the manifest lists them */
        const Js* files = js_get(sh, "files");
        for (int fi = 0; files && files->type == JS_OBJ && fi < files->n; fi++) {
            const Js* fe = &files->kids[fi];
            const Js* crc = js_get(fe, "crc32");
            long long bytes = -1;
            js_int(fe, "bytes", &bytes);
            char fpath[4096];
            snprintf(fpath, sizeof fpath, "%s/%s/%s", dir, sdir->str, files->keys[fi]);
            struct stat fs;
            if (strchr(files->keys[fi], '/') || stat(fpath, &fs) != 0) {
                report_set(err, err_size, "%s: missing (listed in the manifest)", fpath);
                goto fail;
            }
            if (bytes >= 0 && (long long)fs.st_size != bytes) {
                report_set(err, err_size, "%s: %lld bytes, the manifest says %lld (truncated or corrupted)", fpath,
                           (long long)fs.st_size, bytes);
                goto fail;
            }
            uint32_t got = 0;
            if (crc && crc->type == JS_STR) {
                if (!crc32_file(fpath, &got, err, err_size)) goto fail;
                if (strtoul(crc->str, NULL, 16) != got) {
                    report_set(err, err_size, "%s: CRC-32 %08x, the manifest says %s (corrupted)", fpath, got, crc->str);
                    goto fail;
                }
            }
        }
        int64_t s4[4] = {count, T, K, D}, s3[3] = {count, T, K}, sa[4] = {count, T, K, 4};
        if (!(st = load_npy(dir, sdir->str, "states.npy", "'<f4'", s4, 4, err, err_size)) ||
            !(mk = load_npy(dir, sdir->str, "mask.npy", "'|u1'", s3, 3, err, err_size)) ||
            !(ac = load_npy(dir, sdir->str, "actions.npy", "'<f4'", sa, 4, err, err_size)) ||
            !(ct = load_npy(dir, sdir->str, "contacts.npy", "'|u1'", s3, 3, err, err_size)))
            goto fail;
        size_t off = (size_t)first * T * K;
        size_t n = (size_t)count * T * K;
        memcpy(d->states + off * D, st->data, sizeof(float) * n * D);
        memcpy(d->mask + off, mk->data, n);
        memcpy(d->actions + off * 4, ac->data, sizeof(float) * n * 4);
        memcpy(d->contacts + off, ct->data, n);
        npy_free(st), npy_free(mk), npy_free(ac), npy_free(ct);
        st = mk = ac = ct = NULL;
        /* events: packed records of 21 bytes (episode, tick, type, a, b, magnitude) */
        char epath[4096];
        snprintf(epath, sizeof epath, "%s/%s/events.npy", dir, sdir->str);
        size_t nrec = 0;
        unsigned char* evd = load_events(epath, &nrec, err, err_size);
        if (!evd) goto fail;
        const unsigned char* p = evd;
        for (size_t i = 0; i < nrec; i++, p += EVENT_BYTES) {
            int32_t ep, tk, a;
            memcpy(&ep, p, 4);
            memcpy(&tk, p + 4, 4);
            uint8_t type = p[8];
            memcpy(&a, p + 9, 4);
            /* global episode index, or local to the shard */
            long long ge = ep >= first && ep < first + count ? ep : ep + first;
            if (ep < 0 || ge >= first + count || tk < 0 || tk >= T || a < 0 || a >= K) continue;
            uint8_t bit = type == SIM_EV_BREAK ? WM_BIT_BREAK : type == SIM_EV_FALL ? WM_BIT_FALL : 0;
            d->bits[((size_t)ge * T + tk) * K + a] |= bit;
        }
        free(evd);
    }
    if (covered != E) {
        report_set(err, err_size, "%s: shards cover %lld of %lld episodes (an unfinished dataset?)", mpath, covered, E);
        goto fail;
    }
    js_free(&root);
    free(text);
    return d;
fail:
    npy_free(st), npy_free(mk), npy_free(ac), npy_free(ct);
    wm_dataset_free(d);
    js_free(&root);
    free(text);
    return NULL;
}

bool wm_dataset_check_model(const WmDataset* d, const WmModel* m, const char* model_path, char* err,
                            size_t err_size) {
    const WmArch* a = wm_arch(m);
    if (a->slots != d->slots || a->dim != d->dim) {
        report_set(err, err_size, "%s: model has %d slots of %d columns, the dataset %d slots of %d columns",
                   model_path, a->slots, a->dim, d->slots, d->dim);
        return false;
    }
    return true;
}

void wm_dataset_fill(const WmDataset* d, WmReplay* r, int first, int count) {
    for (int e = first; e < first + count && e < d->episodes; e++) {
        wm_replay_begin_episode(r);
        for (int t = 0; t < d->ticks; t++) {
            size_t i = wm_dataset_index(d, e, t);
            wm_replay_add(r, d->states + i * d->dim, d->mask + i, d->contacts + i, d->actions + i * 4,
                          d->bits + i);
        }
    }
    wm_replay_begin_episode(r);
}

void wm_dataset_keep(WmDataset* d, int first, int count) {
    if (first < 0 || count < 0 || first + count > d->episodes) return;
    size_t per = (size_t)d->ticks * d->slots;
    size_t off = (size_t)first * per, n = (size_t)count * per;
    memmove(d->states, d->states + off * d->dim, sizeof(float) * n * d->dim);
    memmove(d->mask, d->mask + off, n);
    memmove(d->actions, d->actions + off * 4, sizeof(float) * n * 4);
    memmove(d->contacts, d->contacts + off, n);
    memmove(d->bits, d->bits + off, n);
    d->episodes = count;
    /* shrink (a failed shrink keeps the bigger block, which is fine) */
    size_t keep = n ? n : 1;
    float* f = realloc(d->states, sizeof(float) * keep * d->dim);
    if (f) d->states = f;
    f = realloc(d->actions, sizeof(float) * keep * 4);
    if (f) d->actions = f;
    uint8_t* u = realloc(d->mask, keep);
    if (u) d->mask = u;
    u = realloc(d->contacts, keep);
    if (u) d->contacts = u;
    u = realloc(d->bits, keep);
    if (u) d->bits = u;
}
