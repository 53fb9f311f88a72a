/* fuzz_checkpoint: the model file reader (wm_checkpoint_parse) on any bytes, twice: as they are
 * (magic, version, size and CRC checks), and with the trailing CRC-32 recomputed so that the
 * parser behind the checksum (architecture, statistics, parameters, optimizer state) sees the
 * mutated bytes. An accepted model must be usable: it predicts one step without a crash. */
#include <stdlib.h>
#include <string.h>

#include "base/crc.h"
#include "fuzz.h"
#include "model/model_file.h"
#include "model/nn.h"
#include "model/wm.h"
#include "model/wm_impl.h"

static void use(WmModel* m) {
    const WmArch* a = wm_arch(m);
    FUZZ_ASSERT(wm_param_count(m) > 0 && wm_train_steps(m) >= 0);
    size_t K = (size_t)a->slots, D = (size_t)a->dim;
    float* states = calloc(K * D, sizeof *states);
    float* out = calloc(K * D, sizeof *out);
    float* events = calloc(K * WM_EVENTS, sizeof *events);
    uint8_t* mask = calloc(K, 1);
    uint8_t* out_mask = calloc(K, 1);
    FUZZ_ASSERT(states && out && events && mask && out_mask);
    mask[0] = 1;
    if (K > 1) {
        mask[1] = 1;
        states[D] = 0.5f;   /* a second body half a metre away: one edge */
    }
    WmScratch* s = wm_scratch_create(m);
    wm_rollout(m, s, 1, states, mask, NULL, 1, out, out_mask, events);
    FUZZ_ASSERT(wm_nan_count(s) >= 0);
    wm_scratch_free(s);
    free(states);
    free(out);
    free(events);
    free(mask);
    free(out_mask);
}

static void parse(const uint8_t* data, size_t size, bool with_opt) {
    char err[1024];
    err[0] = 0;
    NnAdamW opt;
    memset(&opt, 0, sizeof opt);
    opt.lr = 1e-3f;
    opt.weight_decay = 0;
    bool has_opt = false;
    WmResume rs;
    memset(&rs, 0, sizeof rs);
    WmModel* m = wm_checkpoint_parse_resume(data, size, "fuzz.bin", with_opt ? &opt : NULL, &has_opt, &rs, err,
                                            sizeof err);
    if (!m) {
        FUZZ_ASSERT(fuzz_one_line(err));
        FUZZ_ASSERT(!has_opt);
        FUZZ_ASSERT(rs.raw == NULL);
        return;
    }
    fuzz_accepted("a model");
    use(m);
    /* a resume state comes only with the optimizer's, whole and finite */
    FUZZ_ASSERT(!rs.raw || (has_opt && rs.parts >= 1 && rs.parts <= WM_RESUME_MAX_PARTS &&
                            model_first_non_finite(rs.raw, wm_param_count(m)) < 0));
    free(rs.raw);
    if (has_opt) nn_adamw_free(&opt);
    wm_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    parse(data, size, false);
    if (size < 4) return 0;
    uint8_t* fixed = malloc(size);
    FUZZ_ASSERT(fixed != NULL);
    memcpy(fixed, data, size);
    uint32_t crc = crc32_update(0, fixed, size - 4);
    memcpy(fixed + size - 4, &crc, 4);
    parse(fixed, size, true);
    free(fixed);
    return 0;
}
