/* baselines: constant velocity and ballistic predictions, the yardsticks for the model */
#include <math.h>
#include <string.h>

#include "model/eval.h"
#include "sim/observation.h"

#define D SIM_OBS_DIM

const char* wm_method_name(WmMethod m) {
    static const char* names[] = {"model", "const_vel", "ballistic"};
    return m >= 0 && m < WM_METHODS ? names[m] : "?";
}

static void push_dv(const float* st, const float* p, float* dv) {
    float mass = st[SIM_OBS_mass];
    dv[0] = dv[1] = dv[2] = 0;
    if (!p || mass <= 0) return;
    float w = st[SIM_OBS_size_w], h = st[SIM_OBS_size_h];
    float ipm = st[SIM_OBS_kind_ball] > 0.5f ? w * w / 8.0f : (w * w + h * h) / 12.0f;
    dv[0] = p[0] / mass;
    dv[1] = p[1] / mass;
    dv[2] = (p[2] * p[1] - p[3] * p[0]) / (mass * ipm);
}

static void baseline(int K, float dt, float gy, const float* states, const uint8_t* mask,
                     const float* pushes, int H, float* out) {
    for (int k = 0; k < K; k++) {
        const float* s0 = states + (size_t)k * D;
        bool moves = mask[k] && s0[SIM_OBS_is_static] < 0.5f && s0[SIM_OBS_mass] > 0;
        float x = s0[SIM_OBS_x], y = s0[SIM_OBS_y];
        float ang = atan2f(s0[SIM_OBS_sin], s0[SIM_OBS_cos]);
        float v[3] = {s0[SIM_OBS_vx], s0[SIM_OBS_vy], s0[SIM_OBS_omega]};
        for (int h = 0; h < H; h++) {
            float* o = out + ((size_t)h * K + k) * D;
            memcpy(o, s0, sizeof(float) * D);
            if (!moves) continue;
            float dv[3];
            push_dv(s0, pushes ? pushes + ((size_t)h * K + k) * WM_PUSH_DIM : NULL, dv);
            for (int c = 0; c < 3; c++) v[c] += dv[c];
            /* two half-tick steps, semi-implicit, like the simulator */
            for (int i = 0; i < 2; i++) {
                v[1] += gy * dt * 0.5f;
                x += v[0] * dt * 0.5f;
                y += v[1] * dt * 0.5f;
                ang += v[2] * dt * 0.5f;
            }
            sim_obs_set_motion(o, x, y, ang, v[0], v[1], v[2]);
        }
    }
}

void wm_baseline_const_vel(int K, float dt, const float* states, const uint8_t* mask,
                           const float* pushes, int H, float* out) {
    baseline(K, dt, 0.0f, states, mask, pushes, H, out);
}

void wm_baseline_ballistic(int K, float dt, float gy, const float* states, const uint8_t* mask,
                           const float* pushes, int H, float* out) {
    baseline(K, dt, gy, states, mask, pushes, H, out);
}
