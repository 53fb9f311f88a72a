"""nudge.Env: a world in Gymnasium's reset/step contract, without Gymnasium."""
import ctypes
import math
import operator

import numpy as np

from . import _lib
from .spaces import Box, Dict
from .world import Scenario, World, _seed


class PushSpace(Box):
    """The action space: a (slots, 4) float32 box of push rows (jx, jy in N*s, px, py in m from the
    body's centre of mass), one row per body slot; a zero row pushes nothing, and at most 8 rows may
    push in one tick. sample() draws one valid push from the env's seeded rng: a live dynamic body
    of the current observation, an impulse of size up to `impulse` in a random direction, at a
    point inside the body's extent."""

    def __init__(self, env, slots, impulse, reach):
        super().__init__(low=np.array([-impulse, -impulse, -reach, -reach], np.float32),
                         high=np.array([impulse, impulse, reach, reach], np.float32),
                         shape=(slots, _lib.PUSH_DIM), dtype=np.float32)
        self._env = env
        self.impulse = impulse

    def contains(self, x):
        if not super().contains(x):
            return False
        return int(np.count_nonzero(np.any(np.asarray(x) != 0, axis=1))) <= _lib.MAX_PUSHES

    def seed(self, seed=None):
        self._env._rng = np.random.default_rng(seed)
        return [seed]

    def sample(self):
        env = self._env
        rows = np.zeros(self.shape, np.float32)
        obs = env._last_obs
        if obs is None:
            return rows
        st = obs["states"]
        live = np.flatnonzero((obs["mask"] == 1) & (st[:, _lib.COLUMNS.index("is_static")] == 0))
        if live.size == 0:
            return rows
        rng = env._rng
        k = int(rng.choice(live))
        mag = rng.uniform(0.1, 1.0) * self.impulse
        ang = rng.uniform(-math.pi, math.pi)
        w, h = st[k, _lib.COLUMNS.index("size_w")], st[k, _lib.COLUMNS.index("size_h")]
        rows[k] = (mag * math.cos(ang), mag * math.sin(ang),
                   rng.uniform(-0.4, 0.4) * w, rng.uniform(-0.4, 0.4) * h)
        return np.clip(rows, self.low, self.high)


class Env:
    """A scenario as an environment in Gymnasium's terms.

    Env(scenario, render_mode=None, max_episode_steps=None, slots=32, impulse=1.0,
        render_size=(320, 240), seed=None, agent="none")

    - reset(seed=None, options=None) -> (obs, info); step(action) -> (obs, reward, terminated,
      truncated, info); render() -> (H, W, 3) uint8 with render_mode="rgb_array"; close().
    - obs: {"states": (slots, 20) float32, "mask": (slots,) uint8, "ids": (slots,) int32}.
    - action: None (no push this tick) or a (slots, 4) array of push rows (action_space).
    - reward and terminated come from the scenario's goals (a task file's 'goal' lines): +1 in the
      tick the task is met, -1 in the tick it fails, else 0; terminated once it is met or failed.
      A scenario without goals never terminates and gives 0.
    - truncated: max_episode_steps control ticks have passed (default: the scenario's 'world
      seconds' in ticks) without termination.
    - seeds: reset(seed=s) seeds the env's rng and starts the episode with world seed s; reset()
      without one starts the next episode with a seed drawn from the env's rng, which starts from
      `seed` (default: the scenario's seed), so a run is reproducible by default.
    - agent: "none" (only the actions act), "scenario" or "random" (the scenario's own agent pushes
      too, a disturbance; an action stands in for it in a tick that pushes).
    - The arrays of an observation are fresh (stepping on never changes them); they are views into
      blocks of 64 observations, so keeping one keeps its block (170 KB at 32 slots).
    One Env belongs to one thread at a time."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 60}

    def __init__(self, scenario, render_mode=None, max_episode_steps=None, slots=32, impulse=1.0,
                 render_size=(320, 240), seed=None, agent="none"):
        if render_mode not in (None, "rgb_array"):
            raise ValueError("render_mode %r: nudge renders 'rgb_array' (or None)" % (render_mode,))
        if not isinstance(scenario, Scenario):
            scenario = Scenario(scenario)
        impulse = float(impulse)
        if not (impulse > 0 and math.isfinite(impulse)):
            raise ValueError("impulse %r is not a positive number (N*s)" % impulse)
        self.render_mode = render_mode
        self.render_size = (operator.index(render_size[0]), operator.index(render_size[1]))
        self.world = World(scenario, seed=seed, slots=slots, agent=agent)
        self._rng = np.random.default_rng(self.world.seed if seed is None else _seed(seed))
        tick = self.world.tick_seconds
        if max_episode_steps is None:
            max_episode_steps = max(1, int(math.ceil(self.world.seconds / tick - 1e-9)))
        max_episode_steps = operator.index(max_episode_steps)
        if max_episode_steps < 1:
            raise ValueError("max_episode_steps %d is below 1" % max_episode_steps)
        self.max_episode_steps = max_episode_steps
        K = self.world.slots
        self.observation_space = Dict({
            "states": Box(-np.inf, np.inf, (K, _lib.OBS_DIM), np.float32),
            "mask": Box(0, 1, (K,), np.uint8),
            "ids": Box(-1, 2**31 - 1, (K,), np.int32),
        })
        self.action_space = PushSpace(self, K, impulse, reach=1.0)
        self._last_obs = None
        self._steps = 0
        self._done = True
        self._task = "pending"
        # what step() passes to C every tick, made once
        w = self.world
        self._wh, self._err, self._errp = w._h, w._err, w._err.ptr
        self._K, self._tick = K, tick
        self._ps, self._pm, self._pi = w._p_states, w._p_mask, w._p_ids
        self._status = ctypes.c_int(0)
        self._ptask = ctypes.addressof(self._status)
        self._new_block()

    # Gymnasium's attributes
    spec = None

    @property
    def unwrapped(self):
        return self

    @property
    def np_random(self):
        return self._rng

    _BLOCK = 64   # observations per block

    def _new_block(self):
        K, D = self._K, _lib.OBS_DIM
        self._bs = np.empty((self._BLOCK, K, D), np.float32)
        self._bm = np.empty((self._BLOCK, K), np.uint8)
        self._bi = np.empty((self._BLOCK, K), np.int32)
        self._bps, self._bpm, self._bpi = self._bs.ctypes.data, self._bm.ctypes.data, self._bi.ctypes.data
        self._ss, self._si = K * D * 4, K * 4
        self._bk = 0

    def _observe(self):
        w = self.world
        obs = {"states": w._states.copy(), "mask": w._mask.copy(), "ids": w._ids.copy()}
        self._last_obs = obs
        return obs

    def reset(self, seed=None, options=None):
        if options is not None and not isinstance(options, dict):
            raise TypeError("options must be a dict or None, not %s" % type(options).__name__)
        if options:
            raise ValueError("unknown reset options: %s" % ", ".join(sorted(map(str, options))))
        if seed is not None:
            seed = _seed(seed)
            self._rng = np.random.default_rng(seed)
            episode_seed = seed
        else:
            episode_seed = int(self._rng.integers(0, 2**63))
        self.world.reset(episode_seed)
        self._steps = 0
        self._done = False
        self._task = "pending"
        w = self.world
        _lib.world_observe(self._wh, w._p_states, w._p_mask, w._p_ids, None)
        return self._observe(), {"tick": 0, "time": 0.0, "task": "pending", "pushes_applied": 0}

    def step(self, action):
        """One control tick: (obs, reward, terminated, truncated, info). action: None or push rows."""
        if self._done:
            raise RuntimeError("step() after the episode ended (or before reset()): call reset()")
        if action is None:
            rows_p = None
        else:
            rows = np.asarray(action, dtype=np.float32)
            if rows.shape != self.action_space.shape:
                raise ValueError("action has shape %s, expected %s (push rows) or None"
                                 % (rows.shape, self.action_space.shape))
            if not rows.flags.c_contiguous:
                rows = np.ascontiguousarray(rows)
            rows_p = rows.ctypes.data
        # the observation goes straight into the next slot of a block of fresh arrays (no copy; a
        # block is never written twice, so every observation returned stays as it was)
        k = self._bk
        if k == self._BLOCK:
            self._new_block()
            k = 0
        n = _lib.world_step_observe(self._wh, rows_p, self._K, self._bps + k * self._ss, self._bpm + k * self._K,
                                    self._bpi + k * self._si, self._ptask, self._errp, _lib.ERR_SIZE)
        if n < 0:
            self._err.raise_()
        self._steps = steps = self._steps + 1
        status = self._status.value
        if status:
            terminated, truncated = True, False
            self._task = _lib.GOAL_STATUS[status]
            reward = 1.0 if status == 1 else -1.0
        else:
            terminated, reward = False, 0.0
            truncated = steps >= self.max_episode_steps
        self._done = terminated or truncated
        self._bk = k + 1
        obs = {"states": self._bs[k], "mask": self._bm[k], "ids": self._bi[k]}
        self._last_obs = obs
        return obs, reward, terminated, truncated, {"tick": steps, "time": steps * self._tick,
                                                    "task": self._task, "pushes_applied": n}

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        return self.world.render(*self.render_size)

    def close(self):
        self.world.close()
        self._wh = None
        self._done = True   # step() now asks for reset(), which says the world is closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def as_gymnasium(self):
        """This env wrapped as a gymnasium.Env with real gymnasium.spaces (needs Gymnasium)."""
        import gymnasium
        from .spaces import to_gymnasium
        inner = self

        class NudgeGymEnv(gymnasium.Env):
            metadata = Env.metadata
            render_mode = inner.render_mode
            observation_space = to_gymnasium(inner.observation_space)
            action_space = to_gymnasium(inner.action_space)

            def reset(self, seed=None, options=None):
                return inner.reset(seed=seed, options=options)

            def step(self, action):
                return inner.step(action)

            def render(self):
                return inner.render()

            def close(self):
                inner.close()

        return NudgeGymEnv()
