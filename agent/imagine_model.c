/* imagine_model: candidates' futures from the learned world model: all of them at once, a tick at
 * a time from the same observation (wm_predict in place: the steps of wm_rollout, without copying
 * every tick's whole batch of K slots out and without a push array for ticks that push nothing) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/imagine.h"
#include "base/alloc.h"
#include "sim/observation.h"

#define D SIM_OBS_DIM
#define TWO_PI 6.28318530717958647692

static void grow(ImagineModel* im, size_t B) {
    if (!im->scratch) im->scratch = wm_scratch_create(im->model);
    if (B <= im->cap) return;
    size_t K = (size_t)im->K;
    im->states = alloc_resize(im->states, B * K * D, sizeof(float));
    im->mask = alloc_resize(im->mask, B * K, 1);
    im->pushes = alloc_resize(im->pushes, B * K * WM_PUSH_DIM, sizeof(float));
    im->events = alloc_resize(im->events, B * K * WM_EVENTS, sizeof(float));
    im->risk = alloc_resize(im->risk, B * K, sizeof(float));
    im->rot = alloc_resize(im->rot, B * K * 2, sizeof(float));
    im->turn = alloc_resize(im->turn, B * K, sizeof(double));
    im->cap = B;
}

void imagine_model(ImagineModel* im, const float* states, const uint8_t* mask, const ImaginePlans* p,
                   PlanRow* rows) {
    int B = p->B, H = p->H, K = im->K, nb = p->nbodies;
    grow(im, (size_t)B);
    size_t world = (size_t)K * D;
    /* every candidate starts from the observation */
    for (int b = 0; b < B; b++) {
        memcpy(im->states + (size_t)b * world, states, sizeof(float) * world);
        memcpy(im->mask + (size_t)b * K, mask, (size_t)K);
    }
    /* tick after tick the same candidates: the model recomputes only the bodies whose
     * surroundings changed (wm_scratch_incremental) */
    wm_scratch_incremental(im->scratch, true);
    /* bodies at rest sleep until something changed comes near them (wm_scratch_sleep) */
    wm_scratch_sleep(im->scratch, true);
    for (int h = 0; h < H; h++) {
        /* the candidates' pushes at the first tick of their segments (none between) */
        bool pushing = h % p->seg == 0 && h / p->seg < p->S;
        if (pushing) {
            memset(im->pushes, 0, sizeof(float) * (size_t)B * K * WM_PUSH_DIM);
            int s = h / p->seg;
            for (int b = 0; b < B; b++) {
                const SimPush* sp = &p->steps[(size_t)b * p->S + s];
                if (sp->body >= 0 && sp->body < K)
                    wm_push_row(im->pushes + ((size_t)b * K + (size_t)sp->body) * WM_PUSH_DIM, sp);
            }
        }
        /* one tick of every candidate, in place (the same steps as wm_rollout, but nothing
         * shatters: the tracked bodies keep their slots, and the break head's probability is
         * what the cost reads for breaking) */
        /* every IMAGINE_RISK_EVERY ticks, the model's surprise at its own imagined tick: how far the state
         * it hands on lies from its own Gaussian (large where the rest or break heads overrule the
         * dynamics, or the dynamics leave what it has seen) */
        bool risky = h % IMAGINE_RISK_EVERY == 0;
        wm_predict(im->model, im->scratch, B, im->states, im->mask, pushing ? im->pushes : NULL,
                   im->states, NULL, im->events);
        if (risky) wm_surprise_last(im->model, im->scratch, im->states, im->mask, im->risk);
        /* the tracked bodies' rows */
        for (int b = 0; b < B; b++) {
            for (int j = 0; j < nb; j++) {
                int k = p->ids[j];
                const float* st = im->states + (size_t)b * world + (size_t)k * D;
                const float* ev = im->events + ((size_t)b * K + (size_t)k) * WM_EVENTS;
                PlanRow* r = &rows[((size_t)b * H + h) * nb + j];
                /* unwrap: an angle moves by less than half a turn per tick */
                double prev = h == 0 ? p->angle0[j] : rows[((size_t)b * H + h - 1) * nb + j].angle;
                float* rot = im->rot + ((size_t)b * K + (size_t)k) * 2;
                double* a = im->turn + (size_t)b * K + (size_t)k;
                /* (bits: atan2 tells -0 from +0) */
                if (h == 0 || memcmp(rot, st + SIM_OBS_cos, sizeof(float) * 2) != 0) {
                    memcpy(rot, st + SIM_OBS_cos, sizeof(float) * 2);
                    *a = atan2(st[SIM_OBS_sin], st[SIM_OBS_cos]);
                }
                r->x = st[SIM_OBS_x];
                r->y = st[SIM_OBS_y];
                r->angle = (float)(prev + remainder(*a - prev, TWO_PI));
                r->vx = st[SIM_OBS_vx];
                r->vy = st[SIM_OBS_vy];
                r->omega = st[SIM_OBS_omega];
                r->p_break = ev[WM_EVENT_BREAK];
                float rk = risky ? im->risk[(size_t)b * K + k] : 0.0f;
                r->risk = isfinite(rk) ? rk : 0.0f;
                /* a body imagined below its drop line has fallen, whatever the head says */
                r->p_fall = r->y < p->drop[j] ? 1.0f : ev[WM_EVENT_FALL];
            }
        }
    }
    wm_scratch_incremental(im->scratch, false);
}

void imagine_model_free(ImagineModel* im) {
    if (!im) return;
    wm_scratch_free(im->scratch);
    free(im->states);
    free(im->mask);
    free(im->pushes);
    free(im->events);
    free(im->risk);
    free(im->rot);
    free(im->turn);
    memset(im, 0, sizeof *im);
}
