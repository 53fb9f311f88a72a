/* format: the nudge dataset format in one table. A dataset is DIR/manifest.json plus folders
 * DIR/shard-NNNNN/ of NumPy .npy files, one per array below (README.md, "Dataset format"). The
 * writer (data/shard_writer, data/store) and the reader (data/reader) both take every name, dtype
 * and shape from here. */
#ifndef NUDGE_DATA_FORMAT_H
#define NUDGE_DATA_FORMAT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DATA_FORMAT_NAME "nudge-dataset"
/// the version this nudge writes. 2: seeds are decimal strings in the manifest (JSON numbers are
/// doubles, exact only to 2^53), the manifest is written by cJSON. 3: every .npy header is padded
/// to DATA_HEAD_BYTES. 4: a dataset with frames also has frame_rect.npy (the world rectangle each
/// episode's frames show). The other arrays' contents are as in version 1. 5: nothing the reader can
/// know otherwise is written: states.npy holds the columns that change as the world moves (the
/// first SIM_OBS_DYNAMIC), bodies.npy each slot's static columns once per episode (a slot holds
/// one body per episode: ids are never reused), changes.npy the rare change of a static column
/// during a body's life (a magic `mass ... shown`), and ids.npy (= the slot, or -1 where the mask
/// is 0) is gone. data_reader_observe gives back the full observation, the same bytes as before.
/// 6: states.npy is slot-first, [E, K, T, D_dynamic]: a slot's records are one run of bytes, so
/// the slots no body ever held (about three quarters at 32 slots) are whole runs of zeros that the
/// writer leaves as holes in the file instead of copying them through the page cache. 7: the
/// pushes are rows of pushes.npy (episode, tick, slot, jx, jy, px, py), one per pushed slot and
/// record, instead of actions.npy's [E, T, K, 4] of mostly zeros: a push no longer dirties a page
/// of its own (9 of an 8 s episode's 51 written pages and 60% of its disk write requests were
/// actions'); data_reader_read_episodes gives back the same actions array as before
#define DATA_FORMAT_VERSION 7
/// every .npy header in a shard is padded to this many bytes (numpy pads to 64; any multiple of 64
/// is valid), so each array's data starts on a page and can be written without a copy
#define DATA_HEAD_BYTES 4096
/// the oldest version this nudge still reads (versions 1 and 2 differ only in header padding and
/// in the manifest)
#define DATA_FORMAT_OLDEST 1

/// the arrays of a shard, in manifest order
typedef enum DataArrayId {
    DATA_STATES,
    DATA_MASK,
    DATA_IDS,
    DATA_ACTIONS,
    DATA_CONTACTS,
    DATA_EVENTS,
    DATA_PARAMS,
    DATA_SCENARIO,
    DATA_SEED,
    DATA_FRAMES,
    DATA_FRAME_RECT,
    DATA_BODIES,      /* version 5 on */
    DATA_CHANGES,     /* version 5 on */
    DATA_PUSHES,      /* version 7 on, instead of actions */
    DATA_ARRAY_COUNT
} DataArrayId;

/// the dimensions every shard of a dataset shares (E, the episodes of a shard, varies)
typedef struct DataDims {
    int version;                    /* the format version: the arrays and shapes depend on it */
    int records;                    /* T: records per episode, t = 0 included */
    int slots;                      /* K */
    int dim;                        /* D: observation columns (SIM_OBS_DIM) */
    int nparams;                    /* P: params.npy columns */
    int frame_w, frame_h, channels; /* channels 0 = no frames.npy */
    bool frames_aa;                 /* the frames are antialiased (gen --frames-aa; manifest "frames"
                                       {"antialiased": true}; absent = false: every dataset before it) */
    bool frames_outline;            /* their dynamic bodies are outlined (gen --frames-outline; "frames"
                                       {"outlined": true}; absent = false: every dataset before it) */
} DataDims;

typedef struct DataArrayInfo {
    const char* name;    /* "states": the file is states.npy, the manifest's key "states" */
    const char* descr;   /* the .npy header's descr, e.g. "'<f4'" */
    size_t      item;    /* bytes per element */
    const char* doc;     /* for the manifest */
} DataArrayInfo;

extern const DataArrayInfo data_arrays[DATA_ARRAY_COUNT];

/// one row of events.npy: packed, DATA_EVENT_BYTES on disk, little-endian
typedef struct DataEvent {
    int32_t episode;     /* global episode index */
    int32_t tick;        /* record index: the event happened between records tick and tick + 1 */
    uint8_t type;        /* SimEventType */
    int32_t a, b;        /* body ids */
    float   magnitude;
} DataEvent;

#define DATA_EVENT_BYTES 21
#define DATA_EVENT_DESCR \
    "[('episode', '<i4'), ('tick', '<i4'), ('type', 'u1'), ('a', '<i4'), ('b', '<i4'), ('magnitude', '<f4')]"

void data_event_pack(const DataEvent* e, unsigned char out[DATA_EVENT_BYTES]);
void data_event_unpack(const unsigned char in[DATA_EVENT_BYTES], DataEvent* e);

/// one row of changes.npy (version 5): from record `tick` on, static column `column` (an index
/// into the observation's columns, >= SIM_OBS_DYNAMIC) of the body in `slot` is `value`. Packed,
/// DATA_CHANGE_BYTES on disk, little-endian; rows in order of (episode, tick, slot, column)
typedef struct DataChange {
    int32_t episode;     /* global episode index */
    int32_t tick;        /* record index */
    int32_t slot;
    uint8_t column;
    float   value;
} DataChange;

#define DATA_CHANGE_BYTES 17
#define DATA_CHANGE_DESCR \
    "[('episode', '<i4'), ('tick', '<i4'), ('slot', '<i4'), ('column', 'u1'), ('value', '<f4')]"

void data_change_pack(const DataChange* c, unsigned char out[DATA_CHANGE_BYTES]);
void data_change_unpack(const unsigned char in[DATA_CHANGE_BYTES], DataChange* c);

/// one row of pushes.npy (version 7): the slot's (jx, jy, px, py) of actions.npy at record `tick`
/// (the pushes applied between records tick and tick + 1), for every (record, slot) whose four
/// floats are not all zero bytes; the rest of the actions array is zero. Packed, DATA_PUSH_BYTES
/// on disk, little-endian; rows in order of (episode, tick, slot)
typedef struct DataPush {
    int32_t episode;     /* global episode index */
    int32_t tick;        /* record index */
    int32_t slot;
    float   action[4];   /* jx, jy (N*s), px, py (m, relative to the centre of mass) */
} DataPush;

#define DATA_PUSH_BYTES 28
#define DATA_PUSH_DESCR \
    "[('episode', '<i4'), ('tick', '<i4'), ('slot', '<i4'), ('jx', '<f4'), ('jy', '<f4'), ('px', '<f4'), ('py', '<f4')]"

void data_push_pack(const DataPush* p, unsigned char out[DATA_PUSH_BYTES]);
void data_push_unpack(const unsigned char in[DATA_PUSH_BYTES], DataPush* p);
/// true for the arrays whose length is a count of rows (events, changes, pushes) rather than episodes
bool data_array_is_rows(DataArrayId a);

/// true if the dataset has this array (frames.npy and frame_rect.npy only with frames; datasets
/// written before version 4 lack frame_rect.npy: their shard entries do not list it; ids.npy up to
/// version 4, bodies.npy and changes.npy from version 5, actions.npy up to version 6 and
/// pushes.npy from version 7)
bool data_array_present(DataArrayId a, const DataDims* d);
/// the array's shape in a shard of E episodes (events, changes: nevents rows); returns the number
/// of dimensions (at most 5). Version 5's states.npy has SIM_OBS_DYNAMIC columns, bodies.npy the
/// other dim - SIM_OBS_DYNAMIC
int  data_array_shape(DataArrayId a, const DataDims* d, int64_t E, int64_t nevents, int64_t shape[5]);
/// bytes of one episode's slice of a per-episode array (every array but events and changes); false
/// when it overflows
bool data_array_slice_bytes(DataArrayId a, const DataDims* d, size_t* out);
/// the DataArrayId of a file name such as "states.npy"; -1 if none
int  data_array_find_file(const char* file);
/// "states.npy" for DATA_STATES
void data_array_file(DataArrayId a, char* out, size_t n);

/// frames as text: "WxH:gray" (channels 1) or "WxH:rgb" (channels 3), as gen's --frames and the
/// manifest's inputs write them
void data_frames_text(int w, int h, int channels, char* out, size_t n);
/// reads "WxH", "WxH:gray" or "WxH:rgb" with W and H integers in [lo, hi] (base/parse_int.h: a
/// number too large is refused, never wrapped); false when it is anything else
bool data_frames_parse(const char* s, int lo, int hi, int* w, int* h, int* channels);

#endif
