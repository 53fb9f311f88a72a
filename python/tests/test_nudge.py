"""The Python binding's tests (/usr/bin/python3 -m unittest discover -s python/tests).

Environment: NUDGE_LIB (libnudge.so.1), NUDGE_SOURCE (the source tree, for scenarios),
NUDGE_BIN (the nudge command, to generate a dataset), NUDGE_TEST_API (tests/test_api, whose
`rollout` mode writes a rollout made in C). Run with OPENBLAS_NUM_THREADS=1 for exact bits."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import types
import unittest
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("NUDGE_SOURCE", os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, ".."))
import nudge  # noqa: E402
from nudge import _lib  # noqa: E402

DEMO = os.path.join(SOURCE, "scenarios", "demo", "glass_off_table.scn")
TEMPLATE = os.path.join(SOURCE, "scenarios", "templates", "push_off_table.scn")
TASK = os.path.join(SOURCE, "scenarios", "tasks", "glass_off_table.scn")


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def one_line(test, exc, *needles):
    msg = str(exc.exception)
    test.assertTrue(msg and "\n" not in msg, "not one line: %r" % msg)
    for n in needles:
        test.assertIn(n, msg)


class TestWorld(unittest.TestCase):
    def test_same_seed_same_observations(self):
        runs = []
        for seed in (4, 4, 5):
            w = nudge.World(TEMPLATE, seed=seed)
            obs = []
            dyn = w.dynamic_ids()
            for t in range(150):
                w.step((int(dyn[0]), 0.03, 0.0, 0.0, 0.01) if t % 25 == 0 else None)
                obs.append(w.observe()["states"])
            runs.append((np.stack(obs), w.hash))
        np.testing.assert_array_equal(runs[0][0], runs[1][0])
        self.assertEqual(runs[0][1], runs[1][1])
        self.assertNotEqual(runs[0][1], runs[2][1])

    def test_observe_events_render(self):
        w = nudge.World(DEMO, seed=1)
        o = w.observe()
        self.assertEqual(set(o), {"states", "mask", "ids", "contacts"})
        self.assertEqual(o["states"].shape, (32, 20))
        self.assertEqual(o["states"].dtype, np.float32)
        self.assertEqual((o["mask"].dtype, o["ids"].dtype, o["contacts"].dtype), (np.uint8, np.int32, np.uint8))
        self.assertEqual(int(o["mask"].sum()), 4)
        np.testing.assert_array_equal(o["ids"][:4], np.arange(4))
        self.assertTrue(np.all(o["ids"][4:] == -1))
        glass = w.find("glass")
        self.assertEqual(w.body_name(glass), "glass")
        self.assertEqual(o["states"][glass, nudge.COLUMNS.index("kind_cup")], 1.0)
        m = float(o["states"][glass, nudge.COLUMNS.index("mass")])
        self.assertEqual(w.step((glass, 2.0 * m, 0.0)), 1)
        ev = w.events()
        self.assertIn(("push", glass), [(e.type, e.a) for e in ev])
        self.assertGreater(w.observe()["states"][glass, nudge.COLUMNS.index("vx")], 1.5)
        kinds = set()
        for _ in range(200):
            w.step()
            kinds |= {e.type for e in w.events() if e.a == glass}
        self.assertTrue({"fall", "break"} <= kinds, kinds)
        self.assertEqual(w.observe()["mask"][glass], 0)
        self.assertEqual(w.step((glass, 0.1, 0.0)), 0)   # gone: refused, not an error
        self.assertTrue(w.refused)
        img = w.render(64, 48)
        self.assertEqual((img.shape, img.dtype), ((48, 64, 3), np.uint8))
        self.assertGreater(len(np.unique(img.reshape(-1, 3), axis=0)), 2)

    def test_push_forms_agree(self):
        a, b = nudge.World(DEMO, seed=2), nudge.World(DEMO, seed=2)
        rows = np.zeros((32, 4), np.float32)
        rows[2] = (0.25, 0.0, 0.0, 0.01)
        a.step(rows)
        b.step([(2, np.float32(0.25), 0.0, 0.0, np.float32(0.01))])
        self.assertEqual(a.hash, b.hash)

    def test_snapshot_restore(self):
        w = nudge.World(os.path.join(SOURCE, "scenarios", "demo", "tower_topple.scn"), seed=3)
        for _ in range(10):
            w.step()
        snap = w.snapshot()
        futures = []
        for _ in range(2):
            w.restore(snap)
            for t in range(60):
                w.step((3, 0.05, 0.0) if t == 2 else None)
            futures.append((w.hash, w.ticks))
        self.assertEqual(futures[0], futures[1])
        self.assertEqual(futures[0][1], 70)
        w.reset(8)
        self.assertEqual((w.ticks, w.seed), (0, 8))

    def test_params(self):
        a, b, c = (nudge.World(TEMPLATE, seed=s) for s in (3, 3, 4))
        self.assertEqual(list(a.params), nudge.Scenario(TEMPLATE).params)
        self.assertEqual(a.params, b.params)
        self.assertNotEqual(a.params, c.params)

    def test_goals(self):
        w = nudge.World(TASK, seed=1)
        self.assertGreaterEqual(len(w.goals()), 1)
        self.assertTrue(all(s == "pending" for _, s in w.goals()))
        for _ in range(300):
            w.step()
        self.assertEqual(w.task, "failed")


class TestEnv(unittest.TestCase):
    def run_env(self, env, seed, n):
        obs, _ = env.reset(seed=seed)
        out = [obs["states"]]
        for t in range(n):
            obs, r, term, trunc, info = env.step(env.action_space.sample() if t % 15 == 0 else None)
            out.append(obs["states"])
            if term or trunc:
                obs, _ = env.reset()
                out.append(obs["states"])
        return np.stack(out)

    def test_determinism(self):
        env = nudge.Env(TEMPLATE)
        a, b, c = self.run_env(env, 9, 700), self.run_env(env, 9, 700), self.run_env(env, 10, 700)
        np.testing.assert_array_equal(a, b)
        self.assertFalse(np.array_equal(a, c))
        # a new env with the same seed: the same too (no hidden global state)
        np.testing.assert_array_equal(a, self.run_env(nudge.Env(TEMPLATE), 9, 700))

    def test_contract(self):
        env = nudge.Env(TEMPLATE, render_mode="rgb_array", render_size=(80, 60))
        self.assertEqual(env.metadata["render_modes"], ["rgb_array"])
        obs, info = env.reset(seed=1)
        self.assertIsInstance(info, dict)
        space = env.observation_space
        self.assertEqual(set(obs), set(space.keys()))
        for k, s in space.spaces.items():
            self.assertEqual(obs[k].shape, s.shape, k)
            self.assertEqual(obs[k].dtype, s.dtype, k)
        self.assertTrue(space.contains(obs))
        act = env.action_space
        self.assertEqual((act.shape, act.dtype), ((32, 4), np.dtype(np.float32)))
        self.assertEqual((act.low.shape, act.high.shape), ((32, 4), (32, 4)))
        a = act.sample()
        self.assertTrue(act.contains(a))
        self.assertEqual(int(np.count_nonzero(np.any(a != 0, axis=1))), 1)
        k = int(np.flatnonzero(np.any(a != 0, axis=1))[0])
        self.assertEqual(obs["mask"][k], 1)
        self.assertEqual(obs["states"][k, nudge.COLUMNS.index("is_static")], 0)
        res = env.step(a)
        self.assertEqual(len(res), 5)
        obs2, reward, term, trunc, info = res
        self.assertIsInstance(reward, float)
        self.assertIs(type(term), bool)
        self.assertIs(type(trunc), bool)
        self.assertEqual(info["pushes_applied"], 1)
        self.assertTrue(space.contains(obs2))
        obs3, *_ = env.step(None)
        self.assertFalse(np.array_equal(obs2["states"], obs3["states"]))
        img = env.render()
        self.assertEqual((img.shape, img.dtype), ((60, 80, 3), np.uint8))
        self.assertIsNone(nudge.Env(TEMPLATE).render())
        # obs are fresh arrays: stepping on does not change one already returned
        before = obs3["states"].copy()
        env.step(None)
        np.testing.assert_array_equal(before, obs3["states"])

    def test_truncated_by_time_limit(self):
        env = nudge.Env(DEMO, max_episode_steps=12)
        env.reset(seed=0)
        for t in range(12):
            _, reward, term, trunc, info = env.step(None)
            self.assertEqual((reward, term), (0.0, False))   # no goals: no reward, never terminated
            self.assertEqual(trunc, t == 11)
        self.assertEqual(info["tick"], 12)
        with self.assertRaises(RuntimeError):
            env.step(None)
        env.reset()
        env.step(None)
        # default limit: the scenario's seconds
        self.assertEqual(nudge.Env(DEMO).max_episode_steps, 240)

    def test_terminated_by_goals(self):
        env = nudge.Env(TASK)
        obs, _ = env.reset(seed=1)
        C = nudge.COLUMNS
        glass, box = env.world.find("glass"), env.world.find("box")
        away = 1.0 if obs["states"][glass, 0] > obs["states"][box, 0] else -1.0
        rows = np.zeros((32, 4), np.float32)
        rows[glass, 0] = away * 4.0 * obs["states"][glass, C.index("mass")]
        rows[glass, 0] = np.clip(rows[glass, 0], -1.0, 1.0)
        obs, reward, term, trunc, info = env.step(rows)
        total, steps = reward, 1
        while not (term or trunc):
            obs, reward, term, trunc, info = env.step(None)
            total += reward
            steps += 1
        self.assertTrue(term and not trunc)
        self.assertEqual((reward, total, info["task"]), (1.0, 1.0, "met"))
        self.assertLess(steps, env.max_episode_steps)
        # left alone, the glass stays: the goal's deadline passes and the task fails
        env.reset(seed=1)
        rewards = []
        while True:
            obs, reward, term, trunc, info = env.step(None)
            rewards.append(reward)
            if term or trunc:
                break
        self.assertTrue(term)
        self.assertEqual((rewards[-1], sum(rewards), info["task"]), (-1.0, -1.0, "failed"))

    def test_action_space_seeded(self):
        e1, e2 = nudge.Env(TEMPLATE), nudge.Env(TEMPLATE)
        e1.reset(seed=3)
        e2.reset(seed=3)
        s1 = [e1.action_space.sample() for _ in range(20)]
        s2 = [e2.action_space.sample() for _ in range(20)]
        np.testing.assert_array_equal(np.stack(s1), np.stack(s2))
        self.assertGreater(len({a.tobytes() for a in s1}), 15)

    def test_ten_thousand_random_steps_leak_nothing(self):
        env = nudge.Env(TEMPLATE, render_mode="rgb_array", render_size=(32, 24))
        rng = np.random.default_rng(0)

        def run(n):
            env.reset(seed=int(rng.integers(1 << 30)))
            for t in range(n):
                a = env.action_space.sample() if rng.random() < 0.3 else None
                _, _, term, trunc, _ = env.step(a)
                if t % 97 == 0:
                    env.world.events()
                    env.render()
                    env.world.restore(env.world.snapshot())
                if term or trunc:
                    env.reset()
        run(2000)   # warm up: allocators and caches reach their size
        before = rss_kib()
        run(10000)
        # worlds, models and snapshots made and dropped
        for i in range(200):
            w = nudge.World(TEMPLATE, seed=i)
            w.step()
            s = w.snapshot()
            w.restore(s)
            del w, s
        for i in range(50):
            nudge.Model.create(32, i)
        grown = rss_kib() - before
        if os.environ.get("NUDGE_SANITIZED"):
            return   # under ASan freed memory sits in its quarantine: resident size says nothing
        self.assertLess(grown, 4096, "resident memory grew by %d KiB over 10,000 steps" % grown)

    def test_gymnasium_wrap(self):
        # Gymnasium is not in Debian: a stand-in with its Env and spaces.Box/Dict signatures
        gym = types.ModuleType("gymnasium")
        spaces = types.ModuleType("gymnasium.spaces")

        class Box:
            def __init__(self, low, high, shape=None, dtype=np.float32):
                self.low, self.high, self.shape, self.dtype = low, high, shape, dtype

        class Dict(dict):
            pass

        spaces.Box, spaces.Dict = Box, Dict
        gym.Env, gym.spaces = object, spaces
        sys.modules["gymnasium"], sys.modules["gymnasium.spaces"] = gym, spaces
        try:
            g = nudge.Env(TEMPLATE).as_gymnasium()
            self.assertEqual(g.observation_space["states"].shape, (32, 20))
            self.assertEqual(g.action_space.shape, (32, 4))
            obs, info = g.reset(seed=2)
            self.assertEqual(len(g.step(None)), 5)
        finally:
            del sys.modules["gymnasium"], sys.modules["gymnasium.spaces"]


class TestBadArguments(unittest.TestCase):
    def test_scenarios_and_worlds(self):
        with self.assertRaises(nudge.NudgeError) as e:
            nudge.World("/no/such/scene.scn")
        one_line(self, e, "/no/such/scene.scn")
        with self.assertRaises(nudge.NudgeError) as e:
            nudge.Scenario.parse("body a box wood pos 0 0 size heavy 1\n", name="bad.scn")
        one_line(self, e, "bad.scn:1:")
        with self.assertRaises(TypeError):
            nudge.World(42)
        with self.assertRaises(nudge.NudgeError) as e:
            nudge.World(DEMO, slots=0)
        one_line(self, e, "slots")
        with self.assertRaises(ValueError):
            nudge.World(DEMO, agent="planner")
        with self.assertRaises(ValueError):
            nudge.World(DEMO, seed=-1)
        # a model's and a trainer's seed as a world's: negative or 2**64 and over refused, not wrapped
        for bad in (-1, 2**64):
            with self.assertRaises(ValueError):
                nudge.Model.create(seed=bad)
            with self.assertRaises(ValueError):
                nudge.Trainer(seed=bad)
        with self.assertRaises(TypeError):
            nudge.Model.create(seed=1.5)
        self.assertEqual(nudge.Model.create(seed=2**64 - 1).slots, 32)
        w = nudge.World(DEMO)
        h = w.hash
        with self.assertRaises(nudge.NudgeError) as e:
            w.step((2, float("nan"), 0.0))
        one_line(self, e, "not finite")
        with self.assertRaises(nudge.NudgeError) as e:
            w.step((-5, 0.1, 0.0))
        one_line(self, e, "negative")
        with self.assertRaises(ValueError):
            w.step([(2, 0.1, 0.0)] * 9)
        with self.assertRaises(TypeError):
            w.step("push")
        with self.assertRaises(ValueError):
            w.step(np.zeros((31, 4)))
        with self.assertRaises(ValueError):
            w.render(0, 10)
        with self.assertRaises(TypeError):
            w.restore("snapshot")
        other = nudge.World(os.path.join(SOURCE, "scenarios", "demo", "seesaw.scn"))
        with self.assertRaises(nudge.NudgeError) as e:
            w.restore(other.snapshot())
        one_line(self, e, "another scenario")
        self.assertEqual((w.hash, w.ticks), (h, 0))   # nothing happened
        w.close()
        with self.assertRaises(ValueError):
            w.step()

    def test_env(self):
        env = nudge.Env(TEMPLATE)
        with self.assertRaises(RuntimeError):
            env.step(None)   # before reset
        env.reset(seed=1)
        with self.assertRaises(ValueError):
            env.step(np.zeros((32, 3)))
        bad = np.zeros((32, 4), np.float32)
        bad[0] = np.inf
        with self.assertRaises(nudge.NudgeError) as e:
            env.step(bad)
        one_line(self, e, "not finite")
        with self.assertRaises(ValueError):
            env.reset(options={"difficulty": 3})
        with self.assertRaises(ValueError):
            nudge.Env(TEMPLATE, render_mode="human")
        with self.assertRaises(ValueError):
            nudge.Env(TEMPLATE, impulse=-1)

    def test_models_and_datasets(self):
        with self.assertRaises(nudge.NudgeError) as e:
            nudge.Model("/no/such/model.bin")
        one_line(self, e, "/no/such/model.bin")
        with tempfile.NamedTemporaryFile(suffix=".bin") as f:
            f.write(b"not a model at all")
            f.flush()
            with self.assertRaises(nudge.NudgeError) as e:
                nudge.Model(f.name)
            one_line(self, e)
        with self.assertRaises(nudge.NudgeError):
            nudge.Model.create(0)
        # a path with a NUL byte is refused, not cut at the NUL ("a\0b" saved a model called "a")
        with tempfile.TemporaryDirectory() as d:
            cut = os.path.join(d, "a")
            with self.assertRaises(ValueError) as e:
                nudge.Model.create(4, 1).save(cut + "\0b")
            self.assertIn("NUL", str(e.exception))
            self.assertFalse(os.path.exists(cut))
            shutil.copy(DEMO, cut)
            for open_cut in (lambda: nudge.World(cut + "\0.scn"), lambda: nudge.Model(cut.encode() + b"\0"),
                             lambda: nudge.load_dataset(cut + "\0x")):
                with self.assertRaises(ValueError):
                    open_cut()
        # more than int32: refused (the ctypes call kept the low 32 bits: 2**40 named body 0)
        w = nudge.World(DEMO)
        with self.assertRaises(ValueError):
            w.body_name(2**40)
        with self.assertRaises(ValueError):
            w.find("floor\0x")
        with self.assertRaises(TypeError):
            w.find(None)
        with self.assertRaises(ValueError):
            nudge.Scenario.parse("body b box wood pos 0 1 size 1 1\n", name="a\0b")
        # sizes beyond the machine: one NudgeError, not an abort ("nudge: out of memory")
        with self.assertRaises(nudge.NudgeError) as e:
            nudge.Trainer(capacity=2**50)
        one_line(self, e, "memory")
        with self.assertRaises(nudge.NudgeError) as e:
            nudge.Trainer(batch=2**40)
        one_line(self, e, "batch")
        m = nudge.Model.create(32, 1)
        obs = nudge.World(DEMO).observe()
        with self.assertRaises(ValueError):
            m.rollout(obs, None, 0)
        with self.assertRaises(ValueError):
            m.predict({"states": np.zeros((31, 20), np.float32), "mask": np.zeros(31, np.uint8)})
        with self.assertRaises(ValueError):
            m.predict(obs, np.zeros((32, 5)))
        bad = dict(obs)
        bad["states"] = obs["states"].copy()
        bad["states"][0, 0] = np.nan
        with self.assertRaises(nudge.NudgeError) as e:
            m.predict(bad)
        one_line(self, e, "not finite")
        with self.assertRaises(TypeError):
            m.predict(3)
        with self.assertRaises(nudge.NudgeError) as e:
            nudge.load_dataset("/no/such/dataset")
        one_line(self, e, "/no/such/dataset")


class TestModel(unittest.TestCase):
    def test_python_rollout_equals_c(self):
        exe = os.environ.get("NUDGE_TEST_API")
        if not exe:
            self.skipTest("NUDGE_TEST_API is not set (ctest sets it)")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "model.bin")
            nudge.Model.create(32, 7).save(path)
            out = os.path.join(d, "c.f32")
            subprocess.run([exe, "rollout", DEMO, "5", "40", path, out], check=True)
            c = np.fromfile(out, np.float32).reshape(30, 32, 20)
            w = nudge.World(DEMO, seed=5)
            for _ in range(40):
                w.step()
            py, ev = nudge.Model(path).rollout(w.observe(), None, 30)
            np.testing.assert_array_equal(py, c)   # bit for bit
            self.assertEqual(ev.shape, (30, 32, 3))

    def test_foresee(self):
        # the shipped model's foresight: probabilities; break and fall at least the observation's own
        # heads (the imagination starts there); contact the next tick's head; a glass pushed hard off
        # the table is foreseen to fall; batched as if alone; a push of the wrong shape is refused
        m = nudge.Model(os.path.join(SOURCE, "assets", "models", "default.wm"))
        w = nudge.World(DEMO, seed=1)
        obs = w.observe()
        fore = m.foresee(obs)
        _, heads = m.predict(obs)
        self.assertEqual(fore.shape, (32, 3))
        self.assertTrue(np.all((fore >= 0) & (fore <= 1)))
        self.assertTrue(np.all(fore[:, 0] >= heads[:, 0]) and np.all(fore[:, 2] >= heads[:, 2]))
        np.testing.assert_array_equal(fore[:, 1], heads[:, 1])
        glass = w.find("glass")
        push = np.zeros((32, 4), np.float32)
        push[glass, 0] = 3.0 * obs["states"][glass, 15]   # 3 m/s along +x
        pushed = m.foresee(obs, push)
        self.assertGreater(pushed[glass, 2], fore[glass, 2])
        S = np.stack([obs["states"]] * 2)
        M = np.stack([obs["mask"]] * 2)
        both = m.foresee((S, M), np.stack([np.zeros_like(push), push]))
        self.assertEqual(both.shape, (2, 32, 3))
        np.testing.assert_allclose(both[1], pushed, rtol=1e-4, atol=1e-5)
        with self.assertRaises(ValueError):
            m.foresee(obs, np.zeros((4, 32, 4), np.float32))

    def test_predict_rollout_batch(self):
        m = nudge.Model.create(32, 3)
        w = nudge.World(DEMO, seed=1)
        obs = w.observe()
        push = np.zeros((32, 4), np.float32)
        push[2, 0] = 0.3
        nxt, ev = m.predict(obs, push)
        self.assertEqual((nxt.shape, ev.shape), ((32, 20), (32, 3)))
        self.assertTrue(np.all((ev >= 0) & (ev <= 1)))
        pushes = np.zeros((4, 32, 4), np.float32)
        pushes[0] = push
        roll, _ = m.rollout(obs, pushes, 4)
        np.testing.assert_array_equal(roll[0], nxt)
        # a batch of two: each item as if alone (to float rounding: BLAS sums a batch of two in
        # another order than a batch of one)
        S = np.stack([obs["states"], obs["states"]])
        M = np.stack([obs["mask"], obs["mask"]])
        P = np.stack([pushes, np.zeros_like(pushes)])
        broll, _ = m.rollout((S, M), P, 4)
        self.assertEqual(broll.shape, (2, 4, 32, 20))
        np.testing.assert_allclose(broll[0], roll, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(broll[1], m.rollout(obs, None, 4)[0], rtol=1e-5, atol=1e-6)
        self.assertFalse(np.allclose(broll[0], broll[1]))
        # the copy predicts the same; save and load keep every bit
        np.testing.assert_array_equal(m.copy().predict(obs, push)[0], nxt)
        with tempfile.TemporaryDirectory() as d:
            m.save(os.path.join(d, "m.bin"))
            np.testing.assert_array_equal(nudge.Model(os.path.join(d, "m.bin")).predict(obs, push)[0], nxt)


class TestTrainer(unittest.TestCase):
    def test_train_from_a_watched_world(self):
        tr = nudge.Trainer(batch=16, capacity=4000, seed=2)
        self.assertFalse(tr.step())              # nothing to learn from yet
        w = nudge.World(TEMPLATE, seed=1, agent="random")
        tr.watch(w)
        for _ in range(150):
            w.step()
        self.assertGreater(tr.transitions, 60)
        self.assertTrue(all(tr.step() for _ in range(20)))
        self.assertTrue(np.isfinite(tr.loss))
        m = tr.model()
        self.assertEqual(m.train_steps, 20)
        nxt, _ = m.predict(w.observe())
        self.assertTrue(np.all(np.isfinite(nxt)))
        with self.assertRaises(nudge.NudgeError) as e:
            tr.watch(nudge.World(TEMPLATE, slots=8))
        one_line(self, e, "slots")
        # a world whose control tick (4 physics steps, 1/30 s) is not the model's 1/60 s step
        slow = nudge.Scenario.parse("world ticks 4\nbody b box wood pos 0 1 size 0.2 0.2\n", name="slow.scn")
        with self.assertRaises(nudge.NudgeError) as e:
            tr.watch(nudge.World(slow))
        one_line(self, e, "control tick is 0.0333333 s")
        with self.assertRaises(nudge.NudgeError):
            nudge.Trainer(lr=-1)
        tr.close()
        w.step()                                 # the world still holds the trainer


class TestDataset(unittest.TestCase):
    def test_load_dataset(self):
        exe = os.environ.get("NUDGE_BIN")
        if not exe:
            self.skipTest("NUDGE_BIN is not set (ctest sets it)")
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "ds")
            subprocess.run([exe, "gen", "--scenario", TEMPLATE, "--episodes", "5", "--seconds", "0.5",
                            "--out", out, "--seed", "3", "--episodes-per-shard", "2", "--agent", "none"],
                           check=True, stdout=subprocess.DEVNULL)
            ds = nudge.load_dataset(out, verify=True)
            self.assertEqual(len(ds), 5)
            self.assertEqual(len(ds.shards), 3)
            self.assertEqual(ds.manifest["episodes"], 5)
            self.assertIsInstance(ds.manifest, dict)
            s0 = ds.shards[0]
            self.assertIsInstance(s0["states"], np.memmap)
            # format version 7: states.npy the 7 dynamic columns, slot-first; bodies.npy the 13 static
            # ones; pushes.npy the pushes as rows instead of actions.npy
            self.assertEqual(ds.version, 7)
            self.assertNotIn("actions", s0)
            self.assertEqual(ds.actions(0).shape, (2, ds.records, 32, 4))
            self.assertEqual(s0["states"].shape, (2, 32, ds.records, 7))
            self.assertEqual(s0["bodies"].shape, (2, 32, 13))
            self.assertNotIn("ids", s0)
            self.assertEqual(ds.states(0).shape, (2, ds.records, 32, 20))
            self.assertEqual(ds.shards[2]["states"].shape[0], 1)
            self.assertEqual(list(ds.first), [0, 2, 4])
            ep = ds.episode(3)
            self.assertEqual(ep["states"].shape, (ds.records, 32, 20))
            # an episode's first record is the world its seed builds
            seed = int(np.asarray(ep["seed"]).reshape(-1)[0])
            w = nudge.World(TEMPLATE, seed=seed)
            np.testing.assert_array_equal(ep["states"][0], w.observe()["states"])
            np.testing.assert_array_equal(ep["mask"][0], w.observe()["mask"])
            np.testing.assert_array_equal(ep["ids"][0], w.observe()["ids"])
            np.testing.assert_array_equal(ep["states"], ds.states(1)[1])
            # the numpy recipe and nudge's C reader put together the same bytes
            e = _lib.Err()
            h = _lib.dataset_open(out.encode(), e.ptr, _lib.ERR_SIZE)
            st = np.zeros((2, ds.records, 32, 20), np.float32)
            mk = np.zeros((2, ds.records, 32), np.uint8)
            self.assertTrue(_lib.dataset_read_observation(h, 0, st.ctypes.data, st.nbytes, mk.ctypes.data, mk.nbytes,
                                                          e.ptr, _lib.ERR_SIZE))
            self.assertFalse(_lib.dataset_read_observation(h, 0, st.ctypes.data, st.nbytes - 4, mk.ctypes.data,
                                                           mk.nbytes, e.ptr, _lib.ERR_SIZE))
            _lib.dataset_close(h)
            self.assertEqual(st.tobytes(), np.asarray(ds.states(0)).tobytes())
            np.testing.assert_array_equal(mk, s0["mask"])
            # the same episodes rewritten as version 5 (states.npy [E, T, K, 7], actions.npy [E, T, K, 4])
            # read the same
            v5 = os.path.join(d, "v5")
            shutil.copytree(out, v5)
            m = json.load(open(os.path.join(v5, "manifest.json")))
            for s, sh in enumerate(m["shards"]):
                p = os.path.join(v5, sh["dir"], "states.npy")
                np.save(p, np.ascontiguousarray(np.swapaxes(np.load(p), 1, 2)))
                np.save(os.path.join(v5, sh["dir"], "actions.npy"), ds.actions(s))
                os.remove(os.path.join(v5, sh["dir"], "pushes.npy"))
                del sh["files"]["pushes.npy"]
                for f in ("states.npy", "actions.npy"):
                    data = open(os.path.join(v5, sh["dir"], f), "rb").read()
                    sh["files"][f] = {"bytes": len(data), "crc32": "%08x" % (zlib.crc32(data) & 0xFFFFFFFF)}
            m["version"] = m["inputs"]["format_version"] = 5
            m["arrays"]["states"]["shape"] = ["E", "T", "K", "D_dynamic"]
            m["arrays"]["actions"] = {"dtype": "<f4", "shape": ["E", "T", "K", 4]}
            del m["arrays"]["pushes"]
            json.dump(m, open(os.path.join(v5, "manifest.json"), "w"))
            old = nudge.load_dataset(v5, verify=True)
            self.assertEqual(old.version, 5)
            self.assertEqual(old.shards[0]["states"].shape, (2, ds.records, 32, 7))
            for s in range(3):
                np.testing.assert_array_equal(old.states(s), ds.states(s))
                self.assertEqual(np.asarray(old.actions(s)).tobytes(), ds.actions(s).tobytes())
            np.testing.assert_array_equal(old.episode(3)["states"], ep["states"])
            self.assertEqual(np.asarray(old.episode(3)["actions"]).tobytes(), ep["actions"].tobytes())
            # --agent none: no push, no row (gen_test.sh and numpy_client.py check episodes with pushes)
            self.assertEqual(len(s0["pushes"]), 0)
            self.assertFalse(ds.actions(0).any())
            h = _lib.dataset_open(v5.encode(), e.ptr, _lib.ERR_SIZE)
            st5 = np.zeros_like(st)
            self.assertTrue(_lib.dataset_read_observation(h, 0, st5.ctypes.data, st5.nbytes, mk.ctypes.data, mk.nbytes,
                                                          e.ptr, _lib.ERR_SIZE))
            _lib.dataset_close(h)
            self.assertEqual(st5.tobytes(), st.tobytes())
            with self.assertRaises(IndexError):
                ds.episode(5)
            # a damaged file is refused with nudge's line when verifying
            p = os.path.join(out, "shard-00001", "states.npy")
            with open(p, "r+b") as f:
                f.seek(-4, 2)
                f.write(b"\xff\xff\xff\xff")
            with self.assertRaises(nudge.NudgeError) as e:
                nudge.load_dataset(out, verify=True)
            one_line(self, e)


if __name__ == "__main__":
    unittest.main()
