"""Space descriptions in Gymnasium's terms, without Gymnasium: plain shape, dtype, low and high
attributes (Box) and a dict of them (Dict). to_gymnasium() makes the real gymnasium.spaces from
them when Gymnasium is installed."""
import numpy as np


class Box:
    """A box of shape `shape` and dtype `dtype` between `low` and `high` (arrays of that shape)."""

    def __init__(self, low, high, shape, dtype, rng=None):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.low = np.broadcast_to(np.asarray(low, self.dtype), self.shape).copy()
        self.high = np.broadcast_to(np.asarray(high, self.dtype), self.shape).copy()
        self._rng = rng

    def contains(self, x):
        x = np.asarray(x)
        return (x.shape == self.shape and np.can_cast(x.dtype, self.dtype, "same_kind")
                and bool(np.all(x >= self.low)) and bool(np.all(x <= self.high)))

    def seed(self, seed=None):
        self._rng = np.random.default_rng(seed)
        return [seed]

    def sample(self):
        """Uniform in the box (infinite bounds: normal around 0)."""
        rng = self._rng if self._rng is not None else np.random.default_rng()
        if np.issubdtype(self.dtype, np.integer):
            return rng.integers(self.low, self.high, endpoint=True).astype(self.dtype)
        lo = np.where(np.isfinite(self.low), self.low, -1.0)
        hi = np.where(np.isfinite(self.high), self.high, 1.0)
        return rng.uniform(lo, hi).astype(self.dtype)

    def __repr__(self):
        return "Box(%s, %s, %s, %s)" % (self.low.min(), self.high.max(), self.shape, self.dtype)


class Dict:
    """Named spaces; a sample is a dict of their samples."""

    def __init__(self, spaces):
        self.spaces = dict(spaces)

    def __getitem__(self, k):
        return self.spaces[k]

    def keys(self):
        return self.spaces.keys()

    def contains(self, x):
        return (isinstance(x, dict) and set(x) == set(self.spaces)
                and all(s.contains(x[k]) for k, s in self.spaces.items()))

    def sample(self):
        return {k: s.sample() for k, s in self.spaces.items()}

    def __repr__(self):
        return "Dict(%s)" % ", ".join("%s: %r" % kv for kv in self.spaces.items())


def to_gymnasium(space):
    """The gymnasium.spaces equivalent of a Box or Dict (needs Gymnasium)."""
    import gymnasium.spaces as gs
    if isinstance(space, Dict):
        return gs.Dict({k: to_gymnasium(s) for k, s in space.spaces.items()})
    return gs.Box(low=space.low, high=space.high, shape=space.shape, dtype=space.dtype)
