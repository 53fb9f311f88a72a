/* breaking: how a body shatters, as a pure function usable without a world -- the world calls it
 * when a contact breaks a body (sim/breaking.c), and a learned model calls it to imagine a break
 * at a predicted state. */
#ifndef NUDGE_SIM_BREAKING_H
#define NUDGE_SIM_BREAKING_H
#include "base/rng.h"
#include "sim/world.h"

/// pieces a body shatters into at most
#define SIM_SHATTER_MAX 8

/// The pieces a body shatters into: each convex part of parent is cut across its long axis (parts
/// get pieces in proportion to their area, at least one each; shards pieces in all, clamped to
/// 2..SIM_SHATTER_MAX) and every piece is a dynamic shard of the parent's material, named
/// "<parent>#k", with the velocity of the parent at the piece's centre plus an outward kick.
/// parent holds the body as declared (kind, material, w, h, shard vertices) with its pose now:
/// x, y = its origin (m, the def's frame), angle (rad), vx, vy, omega = the velocity of its centre
/// of mass (m/s, rad/s); (cx, cy) = its centre of mass now (m). rng draws the skew of the cuts and
/// the kicks' jitter (the world's stream); NULL uses their means instead (straight cuts, the mean
/// kick): the expected shatter. The pieces' areas sum to the parent's, so mass is conserved.
/// Writes out[0 .. n-1] and returns n (0 for a ball, which has no parts to cut).
int sim_shatter_pieces(const SimBodyDef* parent, double cx, double cy, int shards, Rng* rng,
                       SimBodyDef* out);

#endif
