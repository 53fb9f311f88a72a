"""nudge.Model: the learned world model (nudge/model.h) in Python."""
import ctypes
import operator

import numpy as np

from . import _lib
from .world import _seed


def _obs_arrays(obs):
    """(states, mask) from an observation dict or a (states, mask) pair."""
    if isinstance(obs, dict):
        try:
            return obs["states"], obs["mask"]
        except KeyError as e:
            raise ValueError("an observation dict needs 'states' and 'mask' (missing %s)" % e) from None
    if isinstance(obs, (tuple, list)) and len(obs) == 2:
        return obs[0], obs[1]
    raise TypeError("obs must be an observation dict (World.observe) or (states, mask), not %s"
                    % type(obs).__name__)


class Model:
    """A world model: Model(path) loads a checkpoint (nudge train, nudge view --save, Model.save);
    Model.create(slots, seed) makes an untrained one. One Model belongs to one thread at a time
    (it keeps its scratch memory); copy() gives another for another thread."""

    def __init__(self, path):
        self._h = None
        self._err = _lib.Err()
        h = _lib.model_load(_lib.fspath(path, "model path"), self._err.ptr, _lib.ERR_SIZE)
        if not h:
            self._err.raise_()
        self._wrap(h)

    def _wrap(self, h):
        self._h = h
        self.slots = _lib.model_slots(h)

    @classmethod
    def create(cls, slots=32, seed=0):
        m = cls.__new__(cls)
        m._h = None
        m._err = _lib.Err()
        h = _lib.model_create(max(min(operator.index(slots), 2**31 - 1), -2**31), _seed(seed), m._err.ptr,
                              _lib.ERR_SIZE)
        if not h:
            m._err.raise_()
        m._wrap(h)
        return m

    def copy(self):
        m = Model.__new__(Model)
        m._err = _lib.Err()
        m._wrap(_lib.model_clone(self._live()))
        return m

    def close(self):
        if getattr(self, "_h", None):
            _lib.model_free(self._h)
            self._h = None

    __del__ = close

    def _live(self):
        if not self._h:
            raise ValueError("the model is closed")
        return self._h

    def save(self, path):
        if not _lib.model_save(self._live(), _lib.fspath(path, "model path"), self._err.ptr, _lib.ERR_SIZE):
            self._err.raise_()

    @property
    def train_steps(self):
        return _lib.model_train_steps(self._live())

    @property
    def param_count(self):
        return _lib.model_param_count(self._live())

    def _inputs(self, obs, pushes, H):
        states, mask = _obs_arrays(obs)
        states = np.ascontiguousarray(states, dtype=np.float32)
        K, D = self.slots, _lib.OBS_DIM
        batched = states.ndim == 3
        if states.shape[-2:] != (K, D) or states.ndim not in (2, 3):
            raise ValueError("states have shape %s, expected (%d, %d) or (B, %d, %d)" % (states.shape, K, D, K, D))
        B = states.shape[0] if batched else 1
        if B < 1:
            raise ValueError("an empty batch")
        mask_a = np.asarray(mask)
        if mask_a.shape != states.shape[:-1]:
            raise ValueError("mask has shape %s, expected %s" % (mask_a.shape, states.shape[:-1]))
        if mask_a.dtype != np.uint8:
            if np.any((mask_a != 0) & (mask_a != 1)):
                raise ValueError("mask values must be 0 or 1")
            mask_a = mask_a.astype(np.uint8)
        mask_a = np.ascontiguousarray(mask_a)
        p = None
        if pushes is not None:
            p = np.ascontiguousarray(pushes, dtype=np.float32)
            want = ((B,) if batched else ()) + ((H,) if H else ()) + (K, _lib.PUSH_DIM)
            if p.shape != want:
                raise ValueError("pushes have shape %s, expected %s" % (p.shape, want))
        return states, mask_a, p, B, batched

    def predict(self, obs, push=None):
        """One tick ahead. obs: World.observe()'s dict or (states, mask), states (K, 20) or a batch
        (B, K, 20); push: None or push rows (K, 4) / (B, K, 4). Returns (next_states like states,
        event probabilities (..., K, 3): break within 0.5 s, contact next tick, fall within 0.5 s)."""
        states, mask, p, B, batched = self._inputs(obs, push, 0)
        out = np.empty_like(states)
        ev = np.empty(states.shape[:-1] + (_lib.MODEL_EVENTS,), np.float32)
        if not _lib.model_predict(self._live(), B, states.ctypes.data, mask.ctypes.data,
                                  None if p is None else p.ctypes.data, out.ctypes.data, ev.ctypes.data,
                                  self._err.ptr, _lib.ERR_SIZE):
            self._err.raise_()
        return out, ev

    def rollout(self, obs, pushes, H):
        """H ticks ahead from obs, pushes None or (H, K, 4) rows (row h applied right after tick h),
        batched (B, H, K, 4) with batched obs. Returns (states (H, K, 20), events (H, K, 3)), with
        a leading B when batched; entry h is h+1 ticks ahead."""
        H = operator.index(H)
        if not 1 <= H <= 100000:
            raise ValueError("horizon %d is outside [1, 100000]" % H)
        states, mask, p, B, batched = self._inputs(obs, pushes, H)
        K, D = self.slots, _lib.OBS_DIM
        out = np.empty((B, H, K, D), np.float32)
        ev = np.empty((B, H, K, _lib.MODEL_EVENTS), np.float32)
        if not _lib.model_rollout(self._live(), B, states.ctypes.data, mask.ctypes.data,
                                  None if p is None else p.ctypes.data, H, out.ctypes.data, ev.ctypes.data,
                                  self._err.ptr, _lib.ERR_SIZE):
            self._err.raise_()
        return (out, ev) if batched else (out[0], ev[0])

    def foresee(self, obs, push=None):
        """The model's foresight of events from obs and its push (None or (K, 4) rows, applied right
        after obs; nothing pushed after): (K, 3) probabilities, per body the largest break and fall
        probability over its imagined next 30 ticks (1 for a break where the imagination shatters
        it) and the contact probability of the next tick; (B, K, 3) with batched obs and (B, K, 4)
        pushes. What nudge eval's "_foreseen" rows score and the view's labels show."""
        states, mask, p, B, batched = self._inputs(obs, push, 0)
        ev = np.empty((B, self.slots, _lib.MODEL_EVENTS), np.float32)
        if not _lib.model_foresee(self._live(), B, states.ctypes.data, mask.ctypes.data,
                                  None if p is None else p.ctypes.data, ev.ctypes.data, self._err.ptr, _lib.ERR_SIZE):
            self._err.raise_()
        return ev if batched else ev[0]


class Trainer:
    """Trains a world model from worlds it watches: Trainer(start=None, slots=32, batch=64, lr=1e-3,
    seed=1, capacity=200000). watch(world) makes every tick of that world a transition; step() is
    one optimizer step (True when taken, False while the buffer holds less than a batch); model()
    returns a copy of the current weights as a Model. One thread at a time, with its worlds."""

    def __init__(self, start=None, slots=32, batch=64, lr=1e-3, seed=1, capacity=200000):
        self._h = None
        self._err = _lib.Err()
        d = _lib.trainer_def_default()
        d.batch = max(min(operator.index(batch), 2**31 - 1), -2**31)
        d.lr = float(lr)
        d.seed = _seed(seed)
        d.capacity = max(min(operator.index(capacity), 2**63 - 1), -2**63)
        if start is not None and not isinstance(start, Model):
            raise TypeError("start must be a Model or None, not %s" % type(start).__name__)
        slots = max(min(operator.index(slots), 2**31 - 1), -2**31)
        h = _lib.trainer_create(ctypes.byref(d), start._live() if start else None, slots, self._err.ptr,
                                _lib.ERR_SIZE)
        if not h:
            self._err.raise_()
        self._h = h
        self.slots = start.slots if start else slots
        self._worlds = []

    def close(self):
        if getattr(self, "_h", None):
            _lib.trainer_free(self._h)   # the worlds it watches keep their own reference
            self._h = None

    __del__ = close

    def _live(self):
        if not self._h:
            raise ValueError("the trainer is closed")
        return self._h

    def watch(self, world):
        from .world import World
        if not isinstance(world, World):
            raise TypeError("watch takes a World, not %s" % type(world).__name__)
        if not _lib.trainer_watch(self._live(), world._live(), self._err.ptr, _lib.ERR_SIZE):
            self._err.raise_()

    def step(self):
        return _lib.trainer_step(self._live()) == 1

    @property
    def transitions(self):
        return _lib.trainer_transitions(self._live())

    @property
    def loss(self):
        """The last step's loss (NaN before the first)."""
        return _lib.trainer_loss(self._live())

    def model(self):
        m = Model.create(self.slots, 0)
        if not _lib.trainer_model(self._live(), m._live(), self._err.ptr, _lib.ERR_SIZE):
            self._err.raise_()
        return m
