/* fuzz_recording: the .nrec reader (rec_parse) on any bytes, twice: as they are, and with the
 * header's and every record's CRC-32 recomputed (walking the layout of README.md, "Recordings", as
 * far as the lengths allow) so that the checks behind the checksums see the mutated bytes. */
#include <stdlib.h>
#include <string.h>

#include "agent/recording.h"
#include "base/crc.h"
#include "fuzz.h"

#define HEADER_FIXED 58
#define RECORD_HEAD 8

static uint32_t get32(const uint8_t* p) { uint32_t v; memcpy(&v, p, 4); return v; }

static void fix_crc(uint8_t* b, size_t start, size_t covered) {
    uint32_t crc = crc32_update(0, b + start, covered);
    memcpy(b + start + covered, &crc, 4);
}

/* recomputes the CRC-32 of the header and of every record that fits */
static void fix_crcs(uint8_t* b, size_t size) {
    if (size < HEADER_FIXED + 4) return;
    uint32_t hbytes = get32(b + 12);
    if (hbytes < HEADER_FIXED + 4 || hbytes > size) return;
    fix_crc(b, 0, hbytes - 4);
    size_t at = hbytes;
    while (size - at >= RECORD_HEAD + 4) {
        uint32_t plen = get32(b + at + 4);
        if ((size_t)plen > size - at - RECORD_HEAD - 4) return;
        fix_crc(b, at, RECORD_HEAD + (size_t)plen);
        at += RECORD_HEAD + (size_t)plen + 4;
    }
}

static void parse(const uint8_t* data, size_t size) {
    char err[1024];
    err[0] = 0;
    Recording* r = rec_parse(data, size, "fuzz.nrec", err, sizeof err);
    if (!r) {
        FUZZ_ASSERT(fuzz_one_line(err));
        return;
    }
    fuzz_accepted("a recording");
    /* what rec_parse promises of an accepted recording */
    FUZZ_ASSERT(r->h.hash_every >= 1 && r->h.dt > 0 && r->h.path[0]);
    int64_t head = 0;
    for (int64_t i = 0; i < r->nitems; i++) {
        const RecItem* it = &r->items[i];
        if (it->type == REC_BRANCH) {
            FUZZ_ASSERT(it->branch_to >= 0 && it->branch_to <= head);
            head = it->branch_to;
            continue;
        }
        FUZZ_ASSERT(it->type == REC_TICK && it->action < r->nactions);
        FUZZ_ASSERT(!it->has_hash || (it->pose_first >= 0 && it->pose_first + it->npose <= r->nposes));
        head++;
    }
    rec_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    parse(data, size);
    uint8_t* fixed = malloc(size ? size : 1);
    FUZZ_ASSERT(fixed != NULL);
    memcpy(fixed, data, size);
    fix_crcs(fixed, size);
    if (memcmp(fixed, data, size) != 0) parse(fixed, size);
    free(fixed);
    return 0;
}
