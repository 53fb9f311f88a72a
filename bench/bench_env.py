#!/usr/bin/env python3
"""bench_env: Python nudge.Env.step per second against the C loop (bench/bench_env.c) on the
standard template, the same world (same seeds, same pushes: the final hashes must agree), one
thread. Rounds alternate C and Python; the best of each is kept. Goal: Python >= 0.5x the C loop.

    OPENBLAS_NUM_THREADS=1 NUDGE_LIB=build/libnudge.so.1 /usr/bin/python3 bench/bench_env.py \
        build/bench/bench_env scenarios/templates/push_off_table.scn [STEPS] [ROUNDS]"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import numpy as np  # noqa: E402

import nudge  # noqa: E402


def python_loop(scn, seed, steps, every, agent):
    env = nudge.Env(scn, agent=agent)
    env.reset(seed=seed)
    episode, mix = seed, 0
    K = env.world.slots
    rows = np.zeros((K, 4), np.float32)
    t0 = time.perf_counter()
    for i in range(steps):
        a, k = None, 2 + (i // max(every, 1)) % 3
        if every > 0 and i % every == 0 and k < K:
            rows[k, 0] = -0.05 if (i // every) % 2 else 0.05
            a = rows
        obs, reward, terminated, truncated, info = env.step(a)
        if a is not None:
            rows[k, 0] = 0
        if terminated or truncated:
            mix ^= env.world.hash
            episode += 1
            env.reset(seed=episode)
    dt = time.perf_counter() - t0
    return steps / dt, "%016x" % (mix ^ env.world.hash)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    exe, scn = sys.argv[1], sys.argv[2]
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    print("bench_env: %s, %d steps per round, best of %d, one thread (load %s)"
          % (os.path.basename(scn), steps, rounds, os.getloadavg()[0]))
    first = None
    for every, agent, what in ((0, "scenario", "the template's random agent pushing"),
                               (10, "none", "a push from the caller every 10 ticks"),
                               (0, "none", "no pushes (the bodies fall asleep)")):
        best_c = best_py = 0.0
        for r in range(rounds):
            out = subprocess.run([exe, scn, "1", str(steps), str(every), agent], check=True,
                                 capture_output=True, text=True).stdout.split()
            c_rate, c_hash = float(out[0]), out[1]
            py_rate, py_hash = python_loop(scn, 1, steps, every, agent)
            if py_hash != c_hash:
                sys.exit("bench_env: the Python and C loops ran different worlds (%s vs %s)" % (py_hash, c_hash))
            best_c, best_py = max(best_c, c_rate), max(best_py, py_rate)
            print("  round %d, %s: C %.0f steps/s, Python Env.step %.0f steps/s (%.2fx)"
                  % (r + 1, what, c_rate, py_rate, py_rate / c_rate))
        ratio = best_py / best_c
        first = ratio if first is None else first
        print("%s: C loop %.0f steps/s, Python Env.step %.0f steps/s: %.2fx the C loop (goal >= 0.5x)"
              % (what, best_c, best_py, ratio))
    print("bench_env: the standard template as it runs (its random agent): %.2fx, %s"
          % (first, "goal met" if first >= 0.5 else "below the goal"))


if __name__ == "__main__":
    main()
