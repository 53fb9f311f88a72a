"""Scenarios and worlds: nudge/world.h in Python."""
import ctypes
import operator
from collections import namedtuple

import numpy as np

from . import _lib
from ._lib import NudgeError

AGENTS = {"none": 0, "scenario": 1, "random": 2}

#: one event of the last tick: type is its name ("contact", "break", "push", "fall", "rest",
#: "out_of_bounds", "topple", "magic"); a, b body ids (b = -1 without a second body); step the physics
#: step after which it happened; t its time, s; magnitude N*s (contact, break, push), m (fall),
#: rad (topple), else 0 (magic: b is its kind)
Event = namedtuple("Event", "type a b step t magnitude")


class Scenario:
    """A parsed .scn file. Scenario(path) reads one; Scenario.parse(text) reads text."""

    def __init__(self, path):
        self._h = None
        err = _lib.Err()
        h = _lib.scenario_load(_lib.fspath(path, "scenario"), err.ptr, _lib.ERR_SIZE)
        if not h:
            err.raise_()
        self._h = h

    @classmethod
    def parse(cls, text, name="<text>"):
        if isinstance(text, str):
            text = text.encode()
        if not isinstance(text, (bytes, bytearray)):
            raise TypeError("scenario text must be str or bytes, not %s" % type(text).__name__)
        err = _lib.Err()
        h = _lib.scenario_parse(bytes(text), len(text), _lib.cstr(name, "scenario name"), err.ptr, _lib.ERR_SIZE)
        if not h:
            err.raise_()
        s = cls.__new__(cls)
        s._h = h
        return s

    def __del__(self):
        if getattr(self, "_h", None):
            _lib.scenario_free(self._h)
            self._h = None

    @property
    def name(self):
        return _lib.scenario_name(self._h).decode()

    @property
    def seed(self):
        """The seed a world gets by default ('world seed N', else 0)."""
        return _lib.scenario_seed(self._h)

    @property
    def seconds(self):
        """The run length the file asks for, s."""
        return _lib.scenario_seconds(self._h)

    @property
    def params(self):
        return [_lib.scenario_param_name(self._h, i).decode() for i in range(_lib.scenario_param_count(self._h))]


def _seed(seed, what="seed"):
    try:
        s = operator.index(seed)
    except TypeError:
        raise TypeError("%s must be an integer, not %s" % (what, type(seed).__name__)) from None
    if not 0 <= s < 2**64:
        raise ValueError("%s %d is outside [0, 2**64)" % (what, s))
    return s


class Snapshot:
    """A world's whole state (World.snapshot); restore it with World.restore, any number of times."""
    __slots__ = ("_h", "_world_slots")

    def __init__(self, h, slots):
        self._h = h
        self._world_slots = slots

    def __del__(self):
        if getattr(self, "_h", None):
            _lib.snapshot_free(self._h)
            self._h = None


class World:
    """One running instance of a scenario, stepped one control tick (1/60 s) at a time.

    World(scenario, seed=None, slots=32, agent="none"): scenario is a path or a Scenario; seed None
    is the scenario's own. agent: "none" (only your pushes), "scenario" (its script or random
    agent acts too), "random". Not thread-safe: use one World from one thread at a time."""

    def __init__(self, scenario, seed=None, slots=32, agent="none"):
        self._h = None
        if not isinstance(scenario, Scenario):
            scenario = Scenario(scenario)
        if agent not in AGENTS:
            raise ValueError("agent %r is not one of %s" % (agent, ", ".join(AGENTS)))
        try:
            slots = operator.index(slots)
        except TypeError:
            raise TypeError("slots must be an integer, not %s" % type(slots).__name__) from None
        d = _lib.world_def_default()
        d.slots = max(min(slots, 2**31 - 1), -2**31)
        d.agent = AGENTS[agent]
        if seed is not None:
            d.use_seed = 1
            d.seed = _seed(seed)
        self._err = _lib.Err()
        h = _lib.world_create(scenario._h, ctypes.byref(d), self._err.ptr, _lib.ERR_SIZE)
        if not h:
            self._err.raise_()
        self._h = h
        self.scenario = scenario
        self.slots = _lib.world_slots(h)
        K = self.slots
        self._states = np.zeros((K, _lib.OBS_DIM), np.float32)
        self._mask = np.zeros(K, np.uint8)
        self._ids = np.zeros(K, np.int32)
        self._contacts = np.zeros(K, np.uint8)
        self._p_states = self._states.ctypes.data
        self._p_mask = self._mask.ctypes.data
        self._p_ids = self._ids.ctypes.data
        self._p_contacts = self._contacts.ctypes.data
        self._pushes = (_lib.Push * _lib.MAX_PUSHES)()
        self._events = (_lib.Event * 64)()

    def close(self):
        """Frees the world now (also done when it is garbage)."""
        if getattr(self, "_h", None):
            _lib.world_free(self._h)
            self._h = None

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _live(self):
        if not self._h:
            raise ValueError("the world is closed")
        return self._h

    # ---- stepping ----

    def reset(self, seed=None):
        """Restarts the episode at t = 0 with seed (None: the current episode's seed)."""
        h = self._live()
        s = _lib.world_seed(h) if seed is None else _seed(seed)
        if not _lib.world_reset(h, s, self._err.ptr, _lib.ERR_SIZE):
            self._err.raise_()

    def step(self, push=None):
        """One control tick. push: None (no push); (body, jx, jy) or (body, jx, jy, px, py) with the
        impulse in N*s at (px, py) m from the body's centre of mass; a list of those (at most 8);
        or a (slots, 4) array of rows (jx, jy, px, py) per body, zero rows pushing nothing.
        Returns how many pushes took effect (a push on a body that is gone is refused without
        error: see .refused)."""
        h = self._live()
        if push is None:
            n = _lib.world_step(h, None, 0, self._err.ptr, _lib.ERR_SIZE)
        elif isinstance(push, np.ndarray) and push.ndim == 2:
            rows = np.ascontiguousarray(push, dtype=np.float32)
            if rows.shape != (self.slots, _lib.PUSH_DIM):
                raise ValueError("push rows have shape %s, expected (%d, %d)"
                                 % (push.shape, self.slots, _lib.PUSH_DIM))
            n = _lib.world_step_rows(h, rows.ctypes.data, self.slots, self._err.ptr, _lib.ERR_SIZE)
        else:
            pushes = [push] if _is_one_push(push) else list(push)
            if len(pushes) > _lib.MAX_PUSHES:
                raise ValueError("%d pushes in one tick: at most %d" % (len(pushes), _lib.MAX_PUSHES))
            for i, p in enumerate(pushes):
                if not _is_one_push(p):
                    raise TypeError("push %d: expected (body, jx, jy[, px, py]), got %r" % (i, p))
                body, jx, jy = p[0], p[1], p[2]
                px, py = (p[3], p[4]) if len(p) == 5 else (0.0, 0.0)
                b = operator.index(body)
                if not -2**31 <= b < 2**31:
                    raise ValueError("push %d: body id %d is out of range" % (i, b))
                self._pushes[i] = _lib.Push(b, 0, float(jx), float(jy), float(px), float(py))
            n = _lib.world_step(h, ctypes.addressof(self._pushes), len(pushes), self._err.ptr, _lib.ERR_SIZE)
        if n < 0:
            self._err.raise_()
        return n

    @property
    def refused(self):
        """Why part of the last tick's pushes was not applied ("" when all took effect)."""
        return _lib.world_refused(self._live()).decode()

    # ---- looking ----

    def observe(self):
        """The observation now: a dict of new arrays -- states (slots, 20) float32 (columns:
        nudge.COLUMNS), mask (slots,) uint8 (1 = a live body), ids (slots,) int32 (-1 = empty),
        contacts (slots,) uint8 (1 = touching another body)."""
        _lib.world_observe(self._live(), self._p_states, self._p_mask, self._p_ids, self._p_contacts)
        return {"states": self._states.copy(), "mask": self._mask.copy(), "ids": self._ids.copy(),
                "contacts": self._contacts.copy()}

    def events(self):
        """The last tick's events, as a list of Event(type, a, b, step, t, magnitude)."""
        h = self._live()
        n = _lib.world_events(h, ctypes.addressof(self._events), len(self._events))
        if n > len(self._events):
            self._events = (_lib.Event * n)()
            n = _lib.world_events(h, ctypes.addressof(self._events), n)
        return [Event(_lib.EVENT_TYPES[e.type], e.a, e.b, e.step, e.t, e.magnitude)
                for e in self._events[:n]]

    def render(self, width=320, height=240):
        """The world drawn into a new (height, width, 3) uint8 array, framed like dataset frames."""
        w, hh = operator.index(width), operator.index(height)
        if not (1 <= w <= 8192 and 1 <= hh <= 8192):
            raise ValueError("render size %dx%d is outside 1x1 .. 8192x8192" % (w, hh))
        out = np.empty((hh, w, 3), np.uint8)
        if not _lib.world_render(self._live(), out.ctypes.data, w, hh, self._err.ptr, _lib.ERR_SIZE):
            self._err.raise_()
        return out

    @property
    def hash(self):
        """FNV-1a over every live body's id, transform and velocity bits."""
        return _lib.world_hash(self._live())

    @property
    def time(self):
        return _lib.world_time(self._live())

    @property
    def ticks(self):
        return _lib.world_ticks(self._live())

    @property
    def tick_seconds(self):
        return _lib.world_tick_seconds(self._live())

    @property
    def seed(self):
        return _lib.world_seed(self._live())

    @property
    def seconds(self):
        """The run length the scenario asks for, s."""
        return _lib.world_seconds(self._live())

    @property
    def params(self):
        """This instance's resolved parameters: a dict in the scenario's order."""
        h = self._live()
        n = _lib.world_params(h, None, 0)
        vals = (ctypes.c_double * max(n, 1))()
        _lib.world_params(h, ctypes.addressof(vals), n)
        return dict(zip(self.scenario.params, vals[:n]))

    def find(self, name):
        """The id of the first body called name, or -1."""
        return _lib.world_find(self._live(), _lib.cstr(name, "body name"))

    def body_name(self, body):
        buf = ctypes.create_string_buffer(64)
        body = operator.index(body)
        # an id beyond int32 is no body's (ctypes would wrap it into another id)
        if not -2**31 <= body < 2**31 or not _lib.world_body_name(self._live(), body, ctypes.addressof(buf), 64):
            raise ValueError("body %d was never in this world" % body)
        return buf.value.decode()

    def dynamic_ids(self):
        """The live dynamic bodies' ids, ascending (an int32 array)."""
        h = self._live()
        n = _lib.world_dynamic_ids(h, None, 0)
        out = np.zeros(n, np.int32)
        _lib.world_dynamic_ids(h, out.ctypes.data, n)
        return out

    # ---- goals ----

    def goals(self):
        """The scenario's goals: a list of (text, status), status "pending", "met" or "failed"."""
        h = self._live()
        return [(_lib.world_goal_text(h, i).decode(), _lib.GOAL_STATUS[_lib.world_goal_status(h, i)])
                for i in range(_lib.world_goal_count(h))]

    @property
    def task(self):
        """"met" when every goal that is not negated is met, "failed" when one failed, else "pending"."""
        return _lib.GOAL_STATUS[_lib.world_task_status(self._live())]

    # ---- snapshot ----

    def snapshot(self):
        h = self._live()
        return Snapshot(_lib.world_snapshot(h), self.slots)

    def restore(self, snapshot):
        if not isinstance(snapshot, Snapshot):
            raise TypeError("restore takes a Snapshot, not %s" % type(snapshot).__name__)
        if not _lib.world_restore(self._live(), snapshot._h, self._err.ptr, _lib.ERR_SIZE):
            self._err.raise_()


def _is_one_push(p):
    return (isinstance(p, (tuple, list)) and len(p) in (3, 5)
            and not isinstance(p[0], (tuple, list, np.ndarray)))
