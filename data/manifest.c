/* manifest: JSON in and out through cJSON. Numbers that must be exact beyond 2^53 (seeds, hashes,
 * checksums) are strings; every other number is checked for type, integrality and range on read. */
#include "data/manifest.h"

#include <cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/input_file.h"
#include "base/parse_int.h"
#include "base/report.h"
#include "sim/events.h"
#include "sim/observation.h"

#define MANIFEST_MAX_BYTES (256u << 20)

/* ---- freeing and copying ---- */

static void scenarios_free(DataScenarioRef* s, int n) {
    for (int i = 0; i < n; i++) free(s[i].path);
    free(s);
}

void data_inputs_free(DataInputs* in) {
    if (!in) return;
    scenarios_free(in->scenarios, in->nscenarios);
    memset(in, 0, sizeof *in);
}

void data_manifest_free(DataManifest* m) {
    if (!m) return;
    data_inputs_free(&m->inputs);
    for (int i = 0; m->params && i < m->dims.nparams; i++) free(m->params[i]);
    free(m->params);
    scenarios_free(m->scenarios, m->nscenarios);
    free(m->shards);
    memset(m, 0, sizeof *m);
}

/* ---- writing ---- */

static cJSON* u64_string(uint64_t v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return cJSON_CreateString(buf);
}

static cJSON* hex64_string(uint64_t v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%016" PRIx64, v);
    return cJSON_CreateString(buf);
}

static cJSON* scenarios_json(const DataScenarioRef* s, int n) {
    cJSON* arr = cJSON_CreateArray();
    for (int i = 0; arr && i < n; i++) {
        cJSON* o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "path", s[i].path);
        cJSON_AddItemToObject(o, "fnv1a64", hex64_string(s[i].fnv1a64));
    }
    return arr;
}

static cJSON* pair_json(const double v[2]) {
    return cJSON_CreateDoubleArray(v, 2);
}

static cJSON* inputs_json(const DataInputs* in) {
    cJSON* o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "scenarios", scenarios_json(in->scenarios, in->nscenarios));
    cJSON_AddNumberToObject(o, "episodes", (double)in->episodes);
    cJSON_AddNumberToObject(o, "seconds", in->seconds);
    cJSON_AddItemToObject(o, "seed", u64_string(in->seed));
    cJSON_AddStringToObject(o, "agent", in->agent);
    if (in->where[0]) cJSON_AddStringToObject(o, "where", in->where);
    if (in->magic) cJSON_AddBoolToObject(o, "magic", true);
    cJSON_AddNumberToObject(o, "stride", in->stride);
    if (in->push_every[0] >= 0) cJSON_AddItemToObject(o, "push_every", pair_json(in->push_every));
    if (in->push_dv[0] >= 0) cJSON_AddItemToObject(o, "push_dv", pair_json(in->push_dv));
    if (in->channels) {
        char fr[64];
        data_frames_text(in->frame_w, in->frame_h, in->channels, fr, sizeof fr);
        cJSON_AddStringToObject(o, "frames", fr);
        if (in->frames_aa) cJSON_AddBoolToObject(o, "frames_aa", true);
        if (in->frames_outline) cJSON_AddBoolToObject(o, "frames_outline", true);
    } else {
        cJSON_AddNullToObject(o, "frames");
    }
    cJSON_AddNumberToObject(o, "episodes_per_shard", in->per_shard);
    cJSON_AddNumberToObject(o, "slots", in->slots);
    cJSON_AddNumberToObject(o, "format_version", in->format_version);
    return o;
}

static cJSON* shard_entry_json(const DataShardEntry* e) {
    cJSON* o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "dir", e->dir);
    cJSON_AddNumberToObject(o, "first", (double)e->first);
    cJSON_AddNumberToObject(o, "count", (double)e->count);
    cJSON* files = cJSON_AddObjectToObject(o, "files");
    for (int a = 0; a < DATA_ARRAY_COUNT; a++) {
        const DataFileSum* f = &e->files[a];
        if (!f->listed) continue;
        char name[64], crc[16];
        data_array_file((DataArrayId)a, name, sizeof name);
        cJSON* fo = cJSON_AddObjectToObject(files, name);
        if (f->has_bytes) cJSON_AddNumberToObject(fo, "bytes", (double)f->bytes);
        if (f->has_crc) {
            snprintf(crc, sizeof crc, "%08" PRIx32, f->crc32);
            cJSON_AddStringToObject(fo, "crc32", crc);
        }
    }
    return o;
}

/* the manifest's "arrays": each array's dtype and shape, symbolic where it varies by shard */
static cJSON* arrays_json(const DataDims* d) {
    cJSON* o = cJSON_CreateObject();
    for (int a = 0; a < DATA_ARRAY_COUNT; a++) {
        if (!data_array_present((DataArrayId)a, d)) continue;
        int64_t s[5];
        int n = data_array_shape((DataArrayId)a, d, -1, -1, s);
        cJSON* ao = cJSON_AddObjectToObject(o, data_arrays[a].name);
        /* the descr without its quotes for a plain type, as numpy's dtype.str spells it */
        const char* descr = data_arrays[a].descr;
        char plain[16];
        if (descr[0] == '\'') {
            snprintf(plain, sizeof plain, "%.*s", (int)strlen(descr) - 2, descr + 1);
            descr = plain;
        }
        cJSON_AddStringToObject(ao, "dtype", descr);
        cJSON* shape = cJSON_AddArrayToObject(ao, "shape");
        for (int i = 0; i < n; i++) {
            const char* name = NULL;
            if (s[i] == -1) name = data_array_is_rows((DataArrayId)a) ? "n" : "E";
            else if (a == DATA_BODIES) name = i == 1 ? "K" : "D_static";
            else if (a == DATA_STATES && d->version >= 6) name = i == 1 ? "K" : i == 2 ? "T" : "D_dynamic";
            else if (i == 1 && s[i] == d->records && a != DATA_PARAMS && a != DATA_FRAME_RECT) name = "T";
            else if (i == 2 && s[i] == d->slots && a != DATA_FRAMES) name = "K";
            else if (i == 3 && a == DATA_STATES) name = s[i] == d->dim ? "D" : "D_dynamic";
            else if (i == 1 && a == DATA_PARAMS) name = "P";
            if (name) cJSON_AddItemToArray(shape, cJSON_CreateString(name));
            else cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)s[i]));
        }
        cJSON_AddStringToObject(ao, "doc", data_arrays[a].doc);
    }
    return o;
}

/* cJSON allocates through base/alloc.h, so running out of memory is the one policy (an abort with
   one line) and a NULL from cJSON means bad JSON, never a full memory */
static void hooks_install(void) {
    cJSON_Hooks hooks = {alloc_bytes, free};
    cJSON_InitHooks(&hooks);
}

static void hooks_once(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, hooks_install);
}

/* o as text ending in a newline (free it); deletes o */
static char* print_and_delete(cJSON* o, bool pretty) {
    char* text = pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    size_t n = strlen(text);
    char* out = alloc_bytes(n + 2);
    memcpy(out, text, n);
    out[n] = '\n';
    out[n + 1] = 0;
    cJSON_free(text);
    return out;
}

char* data_manifest_print(const DataManifest* m) {
    hooks_once();
    cJSON* o = cJSON_CreateObject();
    const DataDims* d = &m->dims;
    cJSON_AddStringToObject(o, "format", DATA_FORMAT_NAME);
    cJSON_AddNumberToObject(o, "version", DATA_FORMAT_VERSION);
    cJSON_AddStringToObject(o, "command", "nudge gen");
    if (m->has_inputs) cJSON_AddItemToObject(o, "inputs", inputs_json(&m->inputs));
    cJSON_AddBoolToObject(o, "complete", m->complete);
    cJSON_AddNumberToObject(o, "shards_done", m->nshards);
    cJSON_AddNumberToObject(o, "shard_count", m->shard_count);
    cJSON_AddItemToObject(o, "seed", u64_string(m->seed));
    cJSON_AddNumberToObject(o, "episodes", (double)m->episodes);
    cJSON_AddNumberToObject(o, "episodes_per_shard", m->per_shard);
    cJSON_AddNumberToObject(o, "seconds", m->seconds);
    cJSON_AddNumberToObject(o, "dt", m->dt);
    cJSON_AddNumberToObject(o, "steps_per_tick", m->steps_per_tick);
    cJSON_AddNumberToObject(o, "tick", m->tick);
    cJSON_AddNumberToObject(o, "control_ticks", (double)m->control_ticks);
    cJSON_AddNumberToObject(o, "stride", m->stride);
    cJSON_AddNumberToObject(o, "ticks", d->records);
    cJSON_AddNumberToObject(o, "slots", d->slots);
    cJSON_AddNumberToObject(o, "dim", d->dim);
    cJSON* cols = cJSON_AddArrayToObject(o, "columns");
    for (int c = 0; c < SIM_OBS_DIM; c++) {
        cJSON* co = cJSON_CreateObject();
        cJSON_AddItemToArray(cols, co);
        cJSON_AddStringToObject(co, "name", sim_obs_columns[c].name);
        cJSON_AddStringToObject(co, "unit", sim_obs_columns[c].unit);
        cJSON_AddStringToObject(co, "doc", sim_obs_columns[c].doc);
    }
    cJSON_AddNumberToObject(o, "dynamic_columns", SIM_OBS_DYNAMIC);
    cJSON* ev = cJSON_AddArrayToObject(o, "event_types");
    for (int e = 0; e < SIM_EV_COUNT; e++) cJSON_AddItemToArray(ev, cJSON_CreateString(sim_event_name((SimEventType)e)));
    cJSON* params = cJSON_AddArrayToObject(o, "params");
    for (int p = 0; p < d->nparams; p++) cJSON_AddItemToArray(params, cJSON_CreateString(m->params[p]));
    cJSON_AddItemToObject(o, "scenarios", scenarios_json(m->scenarios, m->nscenarios));
    if (d->channels) {
        cJSON* fr = cJSON_AddObjectToObject(o, "frames");
        cJSON_AddNumberToObject(fr, "width", d->frame_w);
        cJSON_AddNumberToObject(fr, "height", d->frame_h);
        cJSON_AddNumberToObject(fr, "channels", d->channels);
        /* written only when true: an aliased (unoutlined) dataset's manifest keeps its bytes */
        if (d->frames_aa) cJSON_AddBoolToObject(fr, "antialiased", true);
        if (d->frames_outline) cJSON_AddBoolToObject(fr, "outlined", true);
    } else {
        cJSON_AddNullToObject(o, "frames");
    }
    cJSON_AddItemToObject(o, "arrays", arrays_json(d));
    cJSON* shards = cJSON_AddArrayToObject(o, "shards");
    for (int s = 0; s < m->nshards; s++) cJSON_AddItemToArray(shards, shard_entry_json(&m->shards[s]));
    return print_and_delete(o, true);
}

char* data_shard_entry_print(const DataShardEntry* e) {
    hooks_once();
    return print_and_delete(shard_entry_json(e), false);
}

/* ---- reading ---- */

typedef struct Rd {
    const char* path;
    char*       err;
    size_t      err_size;
    bool        ok;
} Rd;

static bool rd_fail(Rd* r, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static bool rd_fail(Rd* r, const char* fmt, ...) {
    if (r->ok) {
        char what[768];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        report_set(r->err, r->err_size, "%s: %s", r->path, what);
    }
    r->ok = false;
    return false;
}

static void describe(const cJSON* v, char* out, size_t n) {
    if (!v) snprintf(out, n, "nothing");
    else if (cJSON_IsNumber(v)) snprintf(out, n, "%.17g", v->valuedouble);
    else if (cJSON_IsString(v)) snprintf(out, n, "\"%.40s\"", v->valuestring);
    else if (cJSON_IsBool(v)) snprintf(out, n, "%s", cJSON_IsTrue(v) ? "true" : "false");
    else if (cJSON_IsNull(v)) snprintf(out, n, "null");
    else if (cJSON_IsArray(v)) snprintf(out, n, "an array");
    else snprintf(out, n, "an object");
}

/* an integer in [lo, hi]; absent: false without failing when optional */
static bool rd_int(Rd* r, const cJSON* o, const char* key, int64_t lo, int64_t hi, bool required, int64_t* out) {
    const cJSON* v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v && !required) return false;
    double x = v && cJSON_IsNumber(v) ? v->valuedouble : NAN;
    if (!(x >= (double)lo && x <= (double)hi) || x != floor(x)) {
        char got[96];
        describe(v, got, sizeof got);
        return rd_fail(r, "\"%s\": expected an integer in [%lld, %lld], got %s", key, (long long)lo, (long long)hi, got);
    }
    *out = (int64_t)x;
    return true;
}

static bool rd_i(Rd* r, const cJSON* o, const char* key, int lo, int hi, bool required, int* out) {
    int64_t v;
    if (!rd_int(r, o, key, lo, hi, required, &v)) return false;
    *out = (int)v;
    return true;
}

static bool rd_double(Rd* r, const cJSON* o, const char* key, double lo, double hi, bool required, double* out) {
    const cJSON* v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v && !required) return false;
    double x = v && cJSON_IsNumber(v) ? v->valuedouble : NAN;
    if (!(x >= lo && x <= hi)) {
        char got[96];
        describe(v, got, sizeof got);
        return rd_fail(r, "\"%s\": expected a number in [%g, %g], got %s", key, lo, hi, got);
    }
    *out = x;
    return true;
}

/* a u64: a decimal string (version 2) or an exact integer number (version 1) */
static bool rd_u64(Rd* r, const cJSON* o, const char* key, bool required, uint64_t* out) {
    const cJSON* v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v && !required) return false;
    if (cJSON_IsString(v)) {
        if (parse_u64(v->valuestring, out) == PARSE_INT_OK) return true;
    } else if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 9007199254740992.0 &&
               v->valuedouble == floor(v->valuedouble)) {
        *out = (uint64_t)v->valuedouble;
        return true;
    }
    char got[96];
    describe(v, got, sizeof got);
    return rd_fail(r, "\"%s\": expected an unsigned 64-bit integer, got %s", key, got);
}

static bool rd_hex(Rd* r, const cJSON* v, const char* what, int digits, uint64_t* out) {
    const char* s = cJSON_IsString(v) ? v->valuestring : NULL;
    bool ok = s && (int)strlen(s) == digits;
    for (int i = 0; ok && i < digits; i++)
        ok = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F');
    if (!ok) {
        char got[96];
        describe(v, got, sizeof got);
        return rd_fail(r, "%s: expected %d hex digits, got %s", what, digits, got);
    }
    *out = strtoull(s, NULL, 16);
    return true;
}

static bool rd_string(Rd* r, const cJSON* o, const char* key, bool required, const char** out) {
    const cJSON* v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v && !required) return false;
    if (!cJSON_IsString(v)) {
        char got[96];
        describe(v, got, sizeof got);
        return rd_fail(r, "\"%s\": expected a string, got %s", key, got);
    }
    *out = v->valuestring;
    return true;
}

static bool rd_scenarios(Rd* r, const cJSON* arr, const char* where, DataScenarioRef** out, int* n) {
    *out = NULL;
    *n = 0;
    if (!arr) return true;
    if (!cJSON_IsArray(arr)) return rd_fail(r, "\"%s\": expected an array", where);
    int count = cJSON_GetArraySize(arr);
    *out = alloc_zeroed((size_t)(count > 0 ? count : 1), sizeof **out);
    const cJSON* it;
    cJSON_ArrayForEach(it, arr) {
        const char* p = NULL;
        uint64_t h = 0;
        if (!rd_string(r, it, "path", true, &p) || !rd_hex(r, cJSON_GetObjectItemCaseSensitive(it, "fnv1a64"), "\"fnv1a64\"", 16, &h))
            return false;
        (*out)[*n].path = alloc_strdup(p);
        (*out)[(*n)++].fnv1a64 = h;
    }
    return true;
}

static bool rd_pair(Rd* r, const cJSON* o, const char* key, double out[2]) {
    const cJSON* v = cJSON_GetObjectItemCaseSensitive(o, key);
    out[0] = out[1] = -1;
    if (!v) return true;
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2 || !cJSON_IsNumber(cJSON_GetArrayItem(v, 0)) ||
        !cJSON_IsNumber(cJSON_GetArrayItem(v, 1)))
        return rd_fail(r, "\"%s\": expected [LO, HI]", key);
    out[0] = cJSON_GetArrayItem(v, 0)->valuedouble;
    out[1] = cJSON_GetArrayItem(v, 1)->valuedouble;
    return true;
}

static bool rd_inputs(Rd* r, const cJSON* o, DataInputs* in) {
    memset(in, 0, sizeof *in);
    if (!cJSON_IsObject(o)) return rd_fail(r, "\"inputs\": expected an object");
    const char* agent = "scenario";
    const cJSON* fr = cJSON_GetObjectItemCaseSensitive(o, "frames");
    if (!rd_scenarios(r, cJSON_GetObjectItemCaseSensitive(o, "scenarios"), "inputs.scenarios", &in->scenarios,
                      &in->nscenarios) ||
        !rd_int(r, o, "episodes", 1, 100000000, true, &in->episodes) ||
        !rd_double(r, o, "seconds", 0, 1e9, true, &in->seconds) || !rd_u64(r, o, "seed", true, &in->seed) ||
        !rd_i(r, o, "stride", 1, 1000000, true, &in->stride) ||
        !rd_i(r, o, "episodes_per_shard", 1, 100000000, true, &in->per_shard) ||
        !rd_i(r, o, "slots", 1, 4096, true, &in->slots) ||
        !rd_i(r, o, "format_version", 1, 1000000, true, &in->format_version) ||
        !rd_pair(r, o, "push_every", in->push_every) || !rd_pair(r, o, "push_dv", in->push_dv))
        return false;
    if (cJSON_GetObjectItemCaseSensitive(o, "agent") && !rd_string(r, o, "agent", true, &agent)) return false;
    snprintf(in->agent, sizeof in->agent, "%s", agent);
    const char* where = "";
    if (cJSON_GetObjectItemCaseSensitive(o, "where") && !rd_string(r, o, "where", true, &where)) return false;
    if (strlen(where) >= sizeof in->where) return rd_fail(r, "\"inputs.where\": expected at most 1024 bytes");
    snprintf(in->where, sizeof in->where, "%s", where);
    const cJSON* magic = cJSON_GetObjectItemCaseSensitive(o, "magic");
    if (magic && !cJSON_IsBool(magic)) return rd_fail(r, "\"inputs.magic\": expected true or false");
    in->magic = cJSON_IsTrue(magic);
    if (fr && !cJSON_IsNull(fr) &&
        (!cJSON_IsString(fr) || !data_frames_parse(fr->valuestring, 1, 65535, &in->frame_w, &in->frame_h, &in->channels)))
        return rd_fail(r, "\"inputs.frames\": expected null or \"WxH:gray|rgb\"");
    const cJSON* aa = cJSON_GetObjectItemCaseSensitive(o, "frames_aa");
    if (aa && !cJSON_IsBool(aa)) return rd_fail(r, "\"inputs.frames_aa\": expected true or false");
    in->frames_aa = cJSON_IsTrue(aa);
    if (in->frames_aa && !in->channels) return rd_fail(r, "\"inputs.frames_aa\": true without frames");
    const cJSON* ol = cJSON_GetObjectItemCaseSensitive(o, "frames_outline");
    if (ol && !cJSON_IsBool(ol)) return rd_fail(r, "\"inputs.frames_outline\": expected true or false");
    in->frames_outline = cJSON_IsTrue(ol);
    if (in->frames_outline && !in->channels) return rd_fail(r, "\"inputs.frames_outline\": true without frames");
    return true;
}

static bool safe_dir_name(const char* s) {
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof(((DataShardEntry*)0)->dir) || !strcmp(s, ".") || !strcmp(s, "..")) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == '\\' || (unsigned char)s[i] < 0x20) return false;
    return true;
}

static bool rd_shard(Rd* r, const cJSON* o, int index, DataShardEntry* e) {
    memset(e, 0, sizeof *e);
    if (!cJSON_IsObject(o)) return rd_fail(r, "shard %d: expected an object", index);
    const char* dir = NULL;
    if (!rd_string(r, o, "dir", true, &dir)) return false;
    if (!safe_dir_name(dir)) return rd_fail(r, "shard %d: \"dir\" must be a plain folder name, got \"%.60s\"", index, dir);
    snprintf(e->dir, sizeof e->dir, "%s", dir);
    if (!rd_int(r, o, "first", 0, 100000000, true, &e->first) || !rd_int(r, o, "count", 1, 100000000, true, &e->count))
        return false;
    const cJSON* files = cJSON_GetObjectItemCaseSensitive(o, "files");
    if (!files) return true;
    if (!cJSON_IsObject(files)) return rd_fail(r, "shard %s: \"files\": expected an object", e->dir);
    const cJSON* f;
    cJSON_ArrayForEach(f, files) {
        int a = data_array_find_file(f->string);
        if (a < 0) return rd_fail(r, "shard %s: unknown file \"%.60s\"", e->dir, f->string);
        DataFileSum* s = &e->files[a];
        if (s->listed) return rd_fail(r, "shard %s: \"%s\" listed twice", e->dir, f->string);
        s->listed = true;
        if (!cJSON_IsObject(f)) return rd_fail(r, "shard %s: \"%s\": expected an object", e->dir, f->string);
        s->has_bytes = rd_int(r, f, "bytes", 0, INT64_MAX / 2, false, &s->bytes);
        const cJSON* crc = cJSON_GetObjectItemCaseSensitive(f, "crc32");
        uint64_t c = 0;
        if (crc) {
            if (!rd_hex(r, crc, "\"crc32\"", 8, &c)) return false;
            s->has_crc = true;
            s->crc32 = (uint32_t)c;
        }
        if (!r->ok) return false;
    }
    return true;
}

/* file:line:col of a position in text */
static void position(const char* text, const char* at, int* line, int* col) {
    *line = 1, *col = 1;
    for (const char* p = text; p < at && *p; p++) {
        if (*p == '\n') (*line)++, *col = 1;
        else (*col)++;
    }
}

static cJSON* parse_json(Rd* r, const char* text, size_t len) {
    hooks_once();
    const char* end = NULL;
    cJSON* root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!root) {
        int line, col;
        position(text, end ? end : text, &line, &col);
        report_set(r->err, r->err_size, "%s:%d:%d: not valid JSON", r->path, line, col);
        r->ok = false;
        return NULL;
    }
    /* only whitespace may follow */
    for (const char* p = end; p && p < text + len; p++)
        if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') {
            int line, col;
            position(text, p, &line, &col);
            report_set(r->err, r->err_size, "%s:%d:%d: unexpected text after the JSON value", r->path, line, col);
            r->ok = false;
            cJSON_Delete(root);
            return NULL;
        }
    return root;
}

static int by_first(const void* a, const void* b) {
    const DataShardEntry *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

bool data_manifest_parse(const char* text, size_t len, const char* path, DataManifest* m, char* err, size_t err_size) {
    memset(m, 0, sizeof *m);
    Rd r = {path, err, err_size, true};
    cJSON* root = parse_json(&r, text, len);
    if (!root) return false;
    const char* fmt = NULL;
    int64_t version = 0;
    if (!cJSON_IsObject(root) || !rd_string(&r, root, "format", true, &fmt) || strcmp(fmt, DATA_FORMAT_NAME) != 0) {
        r.ok = true;
        rd_fail(&r, "not a nudge dataset (\"format\" is not \"%s\")", DATA_FORMAT_NAME);
        goto done;
    }
    const cJSON* vj = cJSON_GetObjectItemCaseSensitive(root, "version");
    if (!cJSON_IsNumber(vj) || vj->valuedouble != floor(vj->valuedouble) || vj->valuedouble < DATA_FORMAT_OLDEST ||
        vj->valuedouble > DATA_FORMAT_VERSION) {
        char got[96];
        describe(vj, got, sizeof got);
        rd_fail(&r, "dataset format version %s, this nudge reads versions %d to %d; rerun nudge gen to rewrite it", got,
                DATA_FORMAT_OLDEST, DATA_FORMAT_VERSION);
        goto done;
    }
    version = (int64_t)vj->valuedouble;
    m->version = (int)version;
    DataDims* d = &m->dims;
    int64_t dummy;
    if (!rd_int(&r, root, "episodes", 1, 100000000, true, &m->episodes) ||
        !rd_i(&r, root, "ticks", 2, 100000000, true, &d->records) || !rd_i(&r, root, "slots", 1, 4096, true, &d->slots) ||
        !rd_i(&r, root, "dim", 1, 4096, true, &d->dim))
        goto done;
    (void)dummy;
    /* the columns must be this nudge's observation columns, in order */
    const cJSON* cols = cJSON_GetObjectItemCaseSensitive(root, "columns");
    bool same = cJSON_IsArray(cols) && cJSON_GetArraySize(cols) == SIM_OBS_DIM && d->dim == SIM_OBS_DIM;
    for (int c = 0; same && c < SIM_OBS_DIM; c++) {
        const cJSON* nm = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cols, c), "name");
        same = cJSON_IsString(nm) && !strcmp(nm->valuestring, sim_obs_columns[c].name);
    }
    if (!same) {
        rd_fail(&r, "the dataset's columns differ from this nudge's observation (%d columns: %s, %s, ...)", SIM_OBS_DIM,
                sim_obs_columns[0].name, sim_obs_columns[1].name);
        goto done;
    }
    d->version = m->version;
    /* version 5 splits the columns between states.npy and bodies.npy at this nudge's split */
    int64_t dyn = SIM_OBS_DYNAMIC;
    if (version >= 5 && (!rd_int(&r, root, "dynamic_columns", 0, 4096, true, &dyn) || dyn != SIM_OBS_DYNAMIC)) {
        if (r.ok) rd_fail(&r, "\"dynamic_columns\": %lld, this nudge's observation has %d", (long long)dyn, SIM_OBS_DYNAMIC);
        goto done;
    }
    /* optional descriptive fields (a minimal manifest has none of them) */
    m->tick = 1.0 / 60.0;
    rd_double(&r, root, "tick", 1e-9, 1e6, false, &m->tick);
    rd_double(&r, root, "dt", 1e-12, 1e6, false, &m->dt);
    rd_double(&r, root, "seconds", 0, 1e9, false, &m->seconds);
    rd_i(&r, root, "steps_per_tick", 1, 1000000, false, &m->steps_per_tick);
    rd_int(&r, root, "control_ticks", 0, INT64_MAX / 2, false, &m->control_ticks);
    m->stride = 1;
    rd_i(&r, root, "stride", 1, 1000000, false, &m->stride);
    m->per_shard = (int)(m->episodes < 1000000 ? m->episodes : 1000000);
    rd_i(&r, root, "episodes_per_shard", 1, 100000000, false, &m->per_shard);
    rd_i(&r, root, "shard_count", 0, 100000000, false, &m->shard_count);
    rd_u64(&r, root, "seed", false, &m->seed);
    m->complete = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "complete"));
    if (!r.ok) goto done;
    const cJSON* params = cJSON_GetObjectItemCaseSensitive(root, "params");
    if (params) {
        if (!cJSON_IsArray(params) || cJSON_GetArraySize(params) > 100000) {
            rd_fail(&r, "\"params\": expected an array of names");
            goto done;
        }
        int np = cJSON_GetArraySize(params);
        m->params = alloc_zeroed((size_t)(np > 0 ? np : 1), sizeof *m->params);
        const cJSON* it;
        cJSON_ArrayForEach(it, params) {
            if (!cJSON_IsString(it)) {
                rd_fail(&r, "\"params\": expected an array of names");
                goto done;
            }
            m->params[d->nparams++] = alloc_strdup(it->valuestring);
        }
    }
    if (!rd_scenarios(&r, cJSON_GetObjectItemCaseSensitive(root, "scenarios"), "scenarios", &m->scenarios,
                      &m->nscenarios))
        goto done;
    const cJSON* fr = cJSON_GetObjectItemCaseSensitive(root, "frames");
    if (fr && !cJSON_IsNull(fr)) {
        if (!cJSON_IsObject(fr) || !rd_i(&r, fr, "width", 1, 65536, true, &d->frame_w) ||
            !rd_i(&r, fr, "height", 1, 65536, true, &d->frame_h) || !rd_i(&r, fr, "channels", 1, 4, true, &d->channels)) {
            if (r.ok) rd_fail(&r, "\"frames\": expected null or {width, height, channels}");
            goto done;
        }
        const cJSON* aa = cJSON_GetObjectItemCaseSensitive(fr, "antialiased");
        if (aa && !cJSON_IsBool(aa)) {
            rd_fail(&r, "\"frames.antialiased\": expected true or false");
            goto done;
        }
        d->frames_aa = cJSON_IsTrue(aa);
        const cJSON* ol = cJSON_GetObjectItemCaseSensitive(fr, "outlined");
        if (ol && !cJSON_IsBool(ol)) {
            rd_fail(&r, "\"frames.outlined\": expected true or false");
            goto done;
        }
        d->frames_outline = cJSON_IsTrue(ol);
    }
    const cJSON* inputs = cJSON_GetObjectItemCaseSensitive(root, "inputs");
    if (inputs) {
        if (!rd_inputs(&r, inputs, &m->inputs)) goto done;
        m->has_inputs = true;
    }
    /* the shards: distinct folders, ranges inside [0, episodes) that do not overlap */
    const cJSON* shards = cJSON_GetObjectItemCaseSensitive(root, "shards");
    if (!cJSON_IsArray(shards)) {
        rd_fail(&r, "no \"shards\" array");
        goto done;
    }
    int ns = cJSON_GetArraySize(shards);
    m->shards = alloc_zeroed((size_t)(ns > 0 ? ns : 1), sizeof *m->shards);
    const cJSON* it;
    cJSON_ArrayForEach(it, shards) {
        if (!rd_shard(&r, it, m->nshards, &m->shards[m->nshards])) goto done;
        DataShardEntry* e = &m->shards[m->nshards++];
        if (e->first + e->count > m->episodes) {
            rd_fail(&r, "shard %s: episodes [%lld, %lld) lie outside the dataset's %lld", e->dir, (long long)e->first,
                    (long long)(e->first + e->count), (long long)m->episodes);
            goto done;
        }
    }
    qsort(m->shards, (size_t)m->nshards, sizeof *m->shards, by_first);
    for (int s = 1; s < m->nshards; s++) {
        const DataShardEntry *a = &m->shards[s - 1], *b = &m->shards[s];
        if (a->first + a->count > b->first) {
            rd_fail(&r, "shards %s and %s overlap: episodes [%lld, %lld) and [%lld, %lld)", a->dir, b->dir,
                    (long long)a->first, (long long)(a->first + a->count), (long long)b->first,
                    (long long)(b->first + b->count));
            goto done;
        }
    }
    for (int s = 0; s < m->nshards; s++)
        for (int t = s + 1; t < m->nshards; t++)
            if (!strcmp(m->shards[s].dir, m->shards[t].dir)) {
                rd_fail(&r, "shard folder %s is listed twice", m->shards[s].dir);
                goto done;
            }
done:
    cJSON_Delete(root);
    if (!r.ok) data_manifest_free(m);
    return r.ok;
}

bool data_manifest_load(const char* dir, DataManifest* m, char* err, size_t err_size) {
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    size_t len = 0;
    char* text = input_file_read(path, MANIFEST_MAX_BYTES, &len, err, err_size);
    if (!text) {
        memset(m, 0, sizeof *m);
        if (strstr(err, "cannot open")) {
            size_t n = strlen(err);
            snprintf(err + n, err_size > n ? err_size - n : 0, " (not a nudge dataset folder?)");
        }
        return false;
    }
    bool ok = data_manifest_parse(text, len, path, m, err, err_size);
    free(text);
    return ok;
}

bool data_shard_entry_parse(const char* text, const char* path, DataShardEntry* e, char* err, size_t err_size) {
    Rd r = {path, err, err_size, true};
    cJSON* root = parse_json(&r, text, strlen(text));
    if (!root) return false;
    rd_shard(&r, root, 0, e);
    cJSON_Delete(root);
    return r.ok;
}

bool data_shard_entry_same(const DataShardEntry* a, const DataShardEntry* b) {
    if (strcmp(a->dir, b->dir) || a->first != b->first || a->count != b->count) return false;
    for (int i = 0; i < DATA_ARRAY_COUNT; i++) {
        const DataFileSum *x = &a->files[i], *y = &b->files[i];
        if (x->listed != y->listed || x->has_bytes != y->has_bytes || x->has_crc != y->has_crc) return false;
        if ((x->has_bytes && x->bytes != y->bytes) || (x->has_crc && x->crc32 != y->crc32)) return false;
    }
    return true;
}

/* ---- comparing inputs ---- */

bool data_inputs_same(const DataInputs* a, const DataInputs* b, char* why, size_t n) {
#define DIFF(...) do { report_set(why, n, __VA_ARGS__); return false; } while (0)
    if (a->format_version != b->format_version)
        DIFF("format version: %d there, %d here", a->format_version, b->format_version);
    if (a->nscenarios != b->nscenarios) DIFF("scenarios: %d there, %d here", a->nscenarios, b->nscenarios);
    for (int i = 0; i < a->nscenarios; i++) {
        if (strcmp(a->scenarios[i].path, b->scenarios[i].path))
            DIFF("scenario %d: %s there, %s here", i, a->scenarios[i].path, b->scenarios[i].path);
        if (a->scenarios[i].fnv1a64 != b->scenarios[i].fnv1a64)
            DIFF("scenario %s: its text changed since the dataset was started", a->scenarios[i].path);
    }
    if (a->episodes != b->episodes) DIFF("episodes: %lld there, %lld here", (long long)a->episodes, (long long)b->episodes);
    if (a->seconds != b->seconds) DIFF("seconds: %.17g there, %.17g here", a->seconds, b->seconds);
    if (a->seed != b->seed) DIFF("seed: %" PRIu64 " there, %" PRIu64 " here", a->seed, b->seed);
    if (strcmp(a->agent, b->agent)) DIFF("agent: %s there, %s here", a->agent, b->agent);
    if (strcmp(a->where, b->where))
        DIFF("where: '%.200s' there, '%.200s' here", a->where[0] ? a->where : "(none)", b->where[0] ? b->where : "(none)");
    if (a->magic != b->magic)
        DIFF("allow-magic: %s there, %s here", a->magic ? "given" : "not given", b->magic ? "given" : "not given");
    if (a->stride != b->stride) DIFF("stride: %d there, %d here", a->stride, b->stride);
    if (memcmp(a->push_every, b->push_every, sizeof a->push_every))
        DIFF("push-every: %g,%g there, %g,%g here", a->push_every[0], a->push_every[1], b->push_every[0], b->push_every[1]);
    if (memcmp(a->push_dv, b->push_dv, sizeof a->push_dv))
        DIFF("push-dv: %g,%g there, %g,%g here", a->push_dv[0], a->push_dv[1], b->push_dv[0], b->push_dv[1]);
    if (a->channels != b->channels || (a->channels && (a->frame_w != b->frame_w || a->frame_h != b->frame_h)))
        DIFF("frames differ");
    if (a->frames_aa != b->frames_aa)
        DIFF("frames-aa: %s there, %s here", a->frames_aa ? "given" : "not given", b->frames_aa ? "given" : "not given");
    if (a->frames_outline != b->frames_outline)
        DIFF("frames-outline: %s there, %s here", a->frames_outline ? "given" : "not given",
             b->frames_outline ? "given" : "not given");
    if (a->per_shard != b->per_shard) DIFF("episodes per shard: %d there, %d here", a->per_shard, b->per_shard);
    if (a->slots != b->slots) DIFF("slots: %d there, %d here", a->slots, b->slots);
#undef DIFF
    return true;
}
