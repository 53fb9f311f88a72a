"""nudge.load_dataset: a dataset written by `nudge gen`, as numpy memmaps and the manifest."""
import ctypes
import json
import os

import numpy as np

from . import _lib


def observation(states, bodies, mask, changes=(), first=0, slot_first=True):
    """The full observation (E, T, K, D) of a version 5 or 6 shard (or of episodes [first, first + E)
    of one: the same slices of each array): states.npy's dynamic columns ((E, K, T, 7), slot-first,
    from version 6; (E, T, K, 7) in version 5: slot_first=False), bodies.npy's static ones and
    changes.npy's changes (rows of other episodes are skipped), zero where the mask is 0. The bytes
    versions 1-4 stored in states.npy (README.md, "Dataset format")."""
    if slot_first:
        states = np.swapaxes(states, 1, 2)
    full = np.concatenate([states, np.repeat(np.asarray(bodies)[:, None], states.shape[1], 1)], -1)
    for c in changes:
        e = int(c["episode"]) - first
        if 0 <= e < len(full):
            full[e, c["tick"]:, c["slot"], c["column"]] = c["value"]
    return np.where(np.asarray(mask)[..., None] == 1, full, np.float32(0))


def actions(pushes, shape, first=0):
    """The actions (E, T, K, 4) of a version 7 shard (shape = (E, T, K); or of episodes [first, first
    + E) of one): zeros but where pushes.npy has a row (rows of other episodes are skipped). The
    bytes versions 1-6 stored in actions.npy (README.md, "Dataset format")."""
    out = np.zeros(tuple(shape) + (4,), np.float32)
    p = np.asarray(pushes)
    p = p[(p["episode"] >= first) & (p["episode"] < first + shape[0])]
    out[p["episode"] - first, p["tick"], p["slot"]] = np.stack([p[c] for c in ("jx", "jy", "px", "py")], -1)
    return out


class Dataset:
    """manifest: manifest.json as a dict; shards: one dict per shard of its arrays, each a read-only
    numpy memmap of its .npy file (states, mask, actions (E, T, K, 4), contacts, params, scenario,
    seed, frames and frame_rect when generated with frames, events, a structured array; from
    format version 5 states (E, T, K, 7) holds the dynamic columns only, bodies (E, K, 13) the
    static ones and changes their rare changes, and ids is gone; from version 6 states is
    slot-first, (E, K, T, 7): episode(i) and states(s) put the full observation together; from
    version 7 pushes holds one row per pushed slot and record instead of actions: episode(i) and
    actions(s) put the actions together); first[i]: shard i's first episode. len(ds) is the
    episode count."""

    def __init__(self, path, manifest, shards, first, records, slots):
        self.path, self.manifest, self.shards, self.first = path, manifest, shards, first
        self.records, self.slots = records, slots
        self.version = int(manifest.get("version", 1))

    def __len__(self):
        return int(self.manifest["episodes"]) if "episodes" in self.manifest else sum(
            len(s["states"]) for s in self.shards)

    def states(self, s):
        """Shard s's full observation (E, T, K, 20), whatever the format version."""
        a = self.shards[s]
        if self.version < 5:
            return a["states"]
        return observation(a["states"], a["bodies"], a["mask"], a["changes"], int(self.first[s]), self.version >= 6)

    def actions(self, s):
        """Shard s's actions (E, T, K, 4), whatever the format version."""
        a = self.shards[s]
        if self.version < 7:
            return a["actions"]
        return actions(a["pushes"], a["mask"].shape, int(self.first[s]))

    def episode(self, i):
        """Episode i as a dict of arrays, the same names and shapes whatever the format version:
        states (T, K, 20), mask, ids, actions, contacts, params, scenario, seed (and frames,
        frame_rect); views into its shard's memmaps where the file holds them (no events)."""
        if not 0 <= i < len(self):
            raise IndexError("episode %d is outside [0, %d)" % (i, len(self)))
        s = int(np.searchsorted(self.first, i, side="right")) - 1
        e = i - self.first[s]
        a = self.shards[s]
        out = {k: v[e] for k, v in a.items() if k not in ("events", "bodies", "changes", "pushes")}
        if self.version >= 7:
            out["actions"] = actions(a["pushes"], (1,) + a["mask"].shape[1:], i)[0]
        if self.version >= 5:
            out["states"] = observation(a["states"][e:e + 1], a["bodies"][e:e + 1], a["mask"][e:e + 1],
                                        a["changes"], i, self.version >= 6)[0]
            out["ids"] = np.where(out["mask"] == 1, np.arange(self.slots, dtype=np.int32), np.int32(-1))
        return out


def load_dataset(path, verify=False):
    """Opens a dataset folder (nudge checks its manifest: format, version, columns, complete shards;
    with verify=True also every file's size and CRC-32). Raises NudgeError with nudge's line."""
    err = _lib.Err()
    h = _lib.dataset_open(_lib.fspath(path, "dataset folder"), err.ptr, _lib.ERR_SIZE)
    if not h:
        err.raise_()
    try:
        names = []
        i = 0
        while _lib.dataset_array_name(i):
            names.append(_lib.dataset_array_name(i).decode())
            i += 1
        names = [n for n in names if _lib.dataset_has_array(h, n.encode())]
        buf = ctypes.create_string_buffer(8192)
        shards, first = [], []
        for s in range(_lib.dataset_shards(h)):
            if verify and not _lib.dataset_verify(h, s, err.ptr, _lib.ERR_SIZE):
                err.raise_()
            arrays = {}
            for n in names:
                if not _lib.dataset_array_path(h, s, n.encode(), ctypes.addressof(buf), 8192, err.ptr, _lib.ERR_SIZE):
                    err.raise_()
                p = buf.value.decode()
                try:
                    try:
                        arrays[n] = np.load(p, mmap_mode="r")
                    except ValueError:   # an empty array (no changes, no events) cannot be mapped
                        arrays[n] = np.load(p)
                except (OSError, ValueError) as e:
                    raise _lib.NudgeError("%s: %s" % (p, e)) from None
            shards.append(arrays)
            first.append(_lib.dataset_shard_first(h, s))
        records, slots = _lib.dataset_records(h), _lib.dataset_slots(h)
        with open(os.path.join(os.fsdecode(_lib.fspath(path, "dataset folder")), "manifest.json")) as f:
            manifest = json.load(f)
    finally:
        _lib.dataset_close(h)
    return Dataset(os.fspath(path), manifest, shards, np.asarray(first, np.int64), records, slots)
