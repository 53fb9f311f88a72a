/* observation: THE per-object state vector. This table is the contract: the model's inputs, the
 * dataset's states.npy columns and the manifest's column names all come from it.
 *
 * An observation of a world is K slots of D = SIM_OBS_DIM floats, a mask[K] (1 = a live body in
 * the slot) and ids[K] (the body's stable id, -1 for an empty slot). A body's slot is its id: ids
 * are handed out in creation order (scenario bodies in file order, then shards as they appear), so
 * slot k holds the same body for its whole life. Bodies with id >= K are not observed.
 *
 * Frame: x right, y up, metres; angle counter-clockwise, radians. */
#ifndef NUDGE_SIM_OBSERVATION_H
#define NUDGE_SIM_OBSERVATION_H
#include <math.h>

/* X(name, unit, meaning) -- order is the column order */
#define SIM_OBS_COLUMNS(X)                                                    \
    X(x,          "m",     "centre of mass, x")                             \
    X(y,          "m",     "centre of mass, y")                             \
    X(cos,        "1",     "cos(angle)")                                    \
    X(sin,        "1",     "sin(angle)")                                    \
    X(vx,         "m/s",   "linear velocity, x")                            \
    X(vy,         "m/s",   "linear velocity, y")                            \
    X(omega,      "rad/s", "angular velocity, counter-clockwise")           \
    X(kind_box,   "1",     "kind one-hot: box")                             \
    X(kind_ball,  "1",     "kind one-hot: ball")                            \
    X(kind_cup,   "1",     "kind one-hot: cup (a glass, open-topped U)")    \
    X(kind_plank, "1",     "kind one-hot: plank")                           \
    X(kind_ramp,  "1",     "kind one-hot: ramp (right triangle)")           \
    X(kind_shard, "1",     "kind one-hot: shard of a broken body")          \
    X(size_w,     "m",     "width (ball: diameter)")                        \
    X(size_h,     "m",     "height (ball: diameter)")                       \
    X(mass,       "kg",    "mass (0 for static bodies)")                    \
    X(friction,   "1",     "material friction coefficient")                 \
    X(elasticity, "1",     "material elasticity")                           \
    X(breakable,  "1",     "1 if the body can shatter")                     \
    X(is_static,  "1",     "1 for static bodies (never move)")

enum {
#define SIM_OBS_ENUM(name, unit, doc) SIM_OBS_##name,
    SIM_OBS_COLUMNS(SIM_OBS_ENUM)
#undef SIM_OBS_ENUM
    SIM_OBS_DIM
};

/// the first SIM_OBS_DYNAMIC columns change as the world moves; the rest are static properties
#define SIM_OBS_DYNAMIC 7
/// default number of slots
#define SIM_OBS_SLOTS 32

typedef struct SimObsColumn {
    const char* name;
    const char* unit;
    const char* doc;
} SimObsColumn;

extern const SimObsColumn sim_obs_columns[SIM_OBS_DIM];

/// writes the dynamic columns of one state row (models and baselines that predict states)
static inline void sim_obs_set_motion(float* row, float x, float y, float angle, float vx, float vy,
                                      float omega) {
    row[SIM_OBS_x] = x;
    row[SIM_OBS_y] = y;
    row[SIM_OBS_cos] = cosf(angle);
    row[SIM_OBS_sin] = sinf(angle);
    row[SIM_OBS_vx] = vx;
    row[SIM_OBS_vy] = vy;
    row[SIM_OBS_omega] = omega;
}

#endif
