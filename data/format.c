#include "data/format.h"

#include <stdio.h>
#include <string.h>

#include "base/checked_size.h"
#include "base/parse_int.h"
#include "sim/observation.h"

const DataArrayInfo data_arrays[DATA_ARRAY_COUNT] = {
    [DATA_STATES] = {"states", "'<f4'", 4,
                     "per-object state vectors, columns as in 'columns' (version 5 on: the first D_dynamic, the ones "
                     "that change as the world moves; the others are in bodies; version 6: slot-first, [E, K, T, "
                     "D_dynamic])"},
    [DATA_MASK] = {"mask", "'|u1'", 1, "1 = a live body in the slot"},
    [DATA_IDS] = {"ids", "'<i4'", 4, "the body's stable id (= its slot), -1 for an empty slot"},
    [DATA_ACTIONS] = {"actions", "'<f4'", 4,
                      "(jx, jy, px, py): impulse (N*s) and point relative to the centre of mass (m) of the pushes "
                      "applied between record t and t+1; zero when not pushed"},
    [DATA_CONTACTS] = {"contacts", "'|u1'", 1, "1 = the body touches another body at record t"},
    [DATA_EVENTS] = {"events", DATA_EVENT_DESCR, DATA_EVENT_BYTES,
                     "one row per event; tick = the record after which it happened; type indexes 'event_types'"},
    [DATA_PARAMS] = {"params", "'<f8'", 8,
                     "resolved random parameters, columns as in 'params'; NaN where the episode's scenario has no "
                     "such parameter"},
    [DATA_SCENARIO] = {"scenario", "'<i4'", 4, "index into 'scenarios'"},
    [DATA_SEED] = {"seed", "'<u8'", 8, "the episode's seed: nudge run SCENARIO --seed S replays it"},
    [DATA_FRAMES] = {"frames", "'|u1'", 1, "rendered records, row 0 at the top"},
    [DATA_FRAME_RECT] = {"frame_rect", "'<f8'", 8,
                         "the world rectangle (xmin, ymin, xmax, ymax; m, y up) each episode's frames show, fitted "
                         "into the frame centred with its aspect kept"},
    [DATA_BODIES] = {"bodies", "'<f4'", 4,
                     "each slot's static columns (the columns after the first D_dynamic) as at the body's first live "
                     "record, zero for a slot never live; a slot holds one body per episode"},
    [DATA_CHANGES] = {"changes", DATA_CHANGE_DESCR, DATA_CHANGE_BYTES,
                      "one row per change of a static column during a body's life (a magic mass ... shown): from "
                      "record tick on, column 'column' of the body in 'slot' is 'value'"},
    [DATA_PUSHES] = {"pushes", DATA_PUSH_DESCR, DATA_PUSH_BYTES,
                     "one row per pushed slot and record: the (jx, jy, px, py) of actions (E, T, K, 4) at [episode - "
                     "the shard's first, tick, slot]; actions is zero everywhere else"},
};

void data_event_pack(const DataEvent* e, unsigned char out[DATA_EVENT_BYTES]) {
    memcpy(out, &e->episode, 4);
    memcpy(out + 4, &e->tick, 4);
    out[8] = e->type;
    memcpy(out + 9, &e->a, 4);
    memcpy(out + 13, &e->b, 4);
    memcpy(out + 17, &e->magnitude, 4);
}

void data_event_unpack(const unsigned char in[DATA_EVENT_BYTES], DataEvent* e) {
    memcpy(&e->episode, in, 4);
    memcpy(&e->tick, in + 4, 4);
    e->type = in[8];
    memcpy(&e->a, in + 9, 4);
    memcpy(&e->b, in + 13, 4);
    memcpy(&e->magnitude, in + 17, 4);
}

void data_change_pack(const DataChange* c, unsigned char out[DATA_CHANGE_BYTES]) {
    memcpy(out, &c->episode, 4);
    memcpy(out + 4, &c->tick, 4);
    memcpy(out + 8, &c->slot, 4);
    out[12] = c->column;
    memcpy(out + 13, &c->value, 4);
}

void data_change_unpack(const unsigned char in[DATA_CHANGE_BYTES], DataChange* c) {
    memcpy(&c->episode, in, 4);
    memcpy(&c->tick, in + 4, 4);
    memcpy(&c->slot, in + 8, 4);
    c->column = in[12];
    memcpy(&c->value, in + 13, 4);
}

void data_push_pack(const DataPush* p, unsigned char out[DATA_PUSH_BYTES]) {
    memcpy(out, &p->episode, 4);
    memcpy(out + 4, &p->tick, 4);
    memcpy(out + 8, &p->slot, 4);
    memcpy(out + 12, p->action, 16);
}

void data_push_unpack(const unsigned char in[DATA_PUSH_BYTES], DataPush* p) {
    memcpy(&p->episode, in, 4);
    memcpy(&p->tick, in + 4, 4);
    memcpy(&p->slot, in + 8, 4);
    memcpy(p->action, in + 12, 16);
}

bool data_array_is_rows(DataArrayId a) {
    return a == DATA_EVENTS || a == DATA_CHANGES || a == DATA_PUSHES;
}

bool data_array_present(DataArrayId a, const DataDims* d) {
    switch (a) {
    case DATA_FRAMES:
    case DATA_FRAME_RECT: return d->channels > 0;
    case DATA_IDS: return d->version < 5;
    case DATA_BODIES:
    case DATA_CHANGES: return d->version >= 5;
    case DATA_ACTIONS: return d->version < 7;
    case DATA_PUSHES: return d->version >= 7;
    default: return true;
    }
}

int data_array_shape(DataArrayId a, const DataDims* d, int64_t E, int64_t nevents, int64_t s[5]) {
    int64_t T = d->records, K = d->slots;
    switch (a) {
    case DATA_STATES:
        /* version 6: slot-first */
        s[0] = E, s[1] = d->version >= 6 ? K : T, s[2] = d->version >= 6 ? T : K;
        s[3] = d->version >= 5 ? SIM_OBS_DYNAMIC : d->dim;
        return 4;
    case DATA_BODIES: s[0] = E, s[1] = K, s[2] = d->dim - SIM_OBS_DYNAMIC; return 3;
    case DATA_ACTIONS: s[0] = E, s[1] = T, s[2] = K, s[3] = 4; return 4;
    case DATA_MASK:
    case DATA_IDS:
    case DATA_CONTACTS: s[0] = E, s[1] = T, s[2] = K; return 3;
    case DATA_EVENTS:
    case DATA_CHANGES:
    case DATA_PUSHES: s[0] = nevents; return 1;
    case DATA_PARAMS: s[0] = E, s[1] = d->nparams; return 2;
    case DATA_SCENARIO:
    case DATA_SEED: s[0] = E; return 1;
    case DATA_FRAMES:
        s[0] = E, s[1] = T, s[2] = d->frame_h, s[3] = d->frame_w, s[4] = d->channels;
        return d->channels == 3 ? 5 : 4;
    case DATA_FRAME_RECT: s[0] = E, s[1] = 4; return 2;
    default: return 0;
    }
}

bool data_array_slice_bytes(DataArrayId a, const DataDims* d, size_t* out) {
    int64_t s[5];
    int n = data_array_shape(a, d, 1, 0, s);
    if (data_array_is_rows(a) || n == 0) {
        *out = 0;
        return false;
    }
    return size_product_ok(s + 1, n - 1, data_arrays[a].item, out);
}

int data_array_find_file(const char* file) {
    for (int a = 0; a < DATA_ARRAY_COUNT; a++) {
        size_t n = strlen(data_arrays[a].name);
        if (!strncmp(file, data_arrays[a].name, n) && !strcmp(file + n, ".npy")) return a;
    }
    return -1;
}

void data_array_file(DataArrayId a, char* out, size_t n) {
    snprintf(out, n, "%s.npy", data_arrays[a].name);
}

void data_frames_text(int w, int h, int channels, char* out, size_t n) {
    snprintf(out, n, "%dx%d:%s", w, h, channels == 3 ? "rgb" : "gray");
}

bool data_frames_parse(const char* s, int lo, int hi, int* w, int* h, int* channels) {
    int64_t a, b;
    const char* rest = NULL;
    if (parse_int_pair(s, 'x', lo, hi, lo, hi, &a, &b, &rest) != PARSE_INT_OK) return false;
    int c;
    if (!strcmp(rest, ":rgb")) c = 3;
    else if (!*rest || !strcmp(rest, ":gray")) c = 1;
    else return false;
    *w = (int)a, *h = (int)b, *channels = c;
    return true;
}
