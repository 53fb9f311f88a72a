"""nudge.load_dataset: a dataset written by `nudge gen`, as numpy memmaps and the manifest."""
import ctypes
import json
import os

import numpy as np

from . import _lib


class Dataset:
    """manifest: manifest.json as a dict; shards: one dict per shard of its arrays, each a read-only
    numpy memmap of its .npy file (states (E, T, K, 20), mask, ids, actions (E, T, K, 4), contacts,
    params, scenario, seed, frames when generated with them, and events, a structured array);
    first[i]: shard i's first episode. len(ds) is the episode count."""

    def __init__(self, path, manifest, shards, first, records, slots):
        self.path, self.manifest, self.shards, self.first = path, manifest, shards, first
        self.records, self.slots = records, slots

    def __len__(self):
        return int(self.manifest["episodes"]) if "episodes" in self.manifest else sum(
            len(s["states"]) for s in self.shards)

    def episode(self, i):
        """Episode i as a dict of arrays (views into its shard's memmaps; no events)."""
        if not 0 <= i < len(self):
            raise IndexError("episode %d is outside [0, %d)" % (i, len(self)))
        s = int(np.searchsorted(self.first, i, side="right")) - 1
        e = i - self.first[s]
        return {k: a[e] for k, a in self.shards[s].items() if k != "events"}


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
                    arrays[n] = np.load(p, mmap_mode="r")
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
