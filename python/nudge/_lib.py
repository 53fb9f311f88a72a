"""The ctypes layer: finds libnudge, declares every function the binding calls, turns nudge's
one-line errors into exceptions. Nothing here is public."""
import ctypes
import ctypes.util
import os

ABI_VERSION = 1
ERR_SIZE = 512

_here = os.path.dirname(os.path.abspath(__file__))


class NudgeError(ValueError):
    """Bad input that nudge refused; str(e) is nudge's one-line message."""


def _candidates():
    env = os.environ.get("NUDGE_LIB")
    if env:
        return [env], True
    names = []
    # installed: PREFIX/share/nudge/python/nudge -> PREFIX/lib
    names.append(os.path.join(_here, "..", "..", "..", "..", "lib", "libnudge.so.%d" % ABI_VERSION))
    # the source tree: python/nudge -> build/
    names.append(os.path.join(_here, "..", "..", "build", "libnudge.so.%d" % ABI_VERSION))
    found = ctypes.util.find_library("nudge")
    if found:
        names.append(found)
    return [os.path.normpath(n) if os.sep in n else n for n in names], False


def _load():
    names, from_env = _candidates()
    tried = []
    for n in names:
        if os.sep in n and not os.path.exists(n):
            tried.append(n)
            continue
        try:
            return ctypes.CDLL(n), n
        except OSError as e:
            if from_env:
                raise OSError("NUDGE_LIB=%s: %s" % (n, e)) from None
            tried.append("%s (%s)" % (n, e))
    raise OSError("libnudge.so.%d not found (set NUDGE_LIB to its path); looked at: %s"
                  % (ABI_VERSION, ", ".join(tried)))


lib, path = _load()

c_int, c_int32, c_int64, c_uint32, c_uint64 = (ctypes.c_int, ctypes.c_int32, ctypes.c_int64,
                                               ctypes.c_uint32, ctypes.c_uint64)
c_double, c_float, c_char_p, c_void_p, c_size_t, c_bool = (ctypes.c_double, ctypes.c_float,
                                                           ctypes.c_char_p, ctypes.c_void_p,
                                                           ctypes.c_size_t, ctypes.c_bool)


class WorldDef(ctypes.Structure):
    _fields_ = [("size", c_uint32), ("slots", c_int32), ("agent", c_int32), ("use_seed", c_int32),
                ("seed", c_uint64)]


class Push(ctypes.Structure):
    _fields_ = [("body", c_int32), ("reserved", c_int32), ("jx", c_double), ("jy", c_double),
                ("px", c_double), ("py", c_double)]


class Event(ctypes.Structure):
    _fields_ = [("type", c_int32), ("a", c_int32), ("b", c_int32), ("reserved", c_int32),
                ("step", c_int64), ("t", c_double), ("magnitude", c_double)]


def _fn(name, res, *args):
    f = getattr(lib, name)
    f.restype = res
    f.argtypes = list(args)
    return f


ERR = c_char_p  # a caller's buffer, passed as ctypes.create_string_buffer
P = c_void_p

version = _fn("nudge_version", c_int)
version_string = _fn("nudge_version_string", c_char_p)
abi_version = _fn("nudge_abi_version", c_int)
if abi_version() != ABI_VERSION:
    raise OSError("%s has ABI %d; this binding speaks ABI %d" % (path, abi_version(), ABI_VERSION))

obs_column = _fn("nudge_obs_column", c_char_p, c_int, ctypes.POINTER(c_char_p), ctypes.POINTER(c_char_p))
event_name = _fn("nudge_event_name", c_char_p, c_int)

scenario_load = _fn("nudge_scenario_load", P, c_char_p, P, c_size_t)
scenario_parse = _fn("nudge_scenario_parse", P, c_char_p, c_size_t, c_char_p, P, c_size_t)
scenario_free = _fn("nudge_scenario_free", None, P)
scenario_name = _fn("nudge_scenario_name", c_char_p, P)
scenario_seed = _fn("nudge_scenario_seed", c_uint64, P)
scenario_seconds = _fn("nudge_scenario_seconds", c_double, P)
scenario_param_count = _fn("nudge_scenario_param_count", c_int, P)
scenario_param_name = _fn("nudge_scenario_param_name", c_char_p, P, c_int)

world_def_default = _fn("nudge_world_def_default", WorldDef)
world_create = _fn("nudge_world_create", P, P, ctypes.POINTER(WorldDef), P, c_size_t)
world_free = _fn("nudge_world_free", None, P)
world_reset = _fn("nudge_world_reset", c_bool, P, c_uint64, P, c_size_t)
world_step = _fn("nudge_world_step", c_int, P, P, c_int, P, c_size_t)
world_step_rows = _fn("nudge_world_step_rows", c_int, P, P, c_int, P, c_size_t)
world_step_observe = _fn("nudge_world_step_observe", c_int, P, P, c_int, P, P, P, P, P, c_size_t)
world_refused = _fn("nudge_world_refused", c_char_p, P)
world_slots = _fn("nudge_world_slots", c_int, P)
world_observe = _fn("nudge_world_observe", c_int, P, P, P, P, P)
world_events = _fn("nudge_world_events", c_int, P, P, c_int)
world_hash = _fn("nudge_world_hash", c_uint64, P)
world_time = _fn("nudge_world_time", c_double, P)
world_ticks = _fn("nudge_world_ticks", c_int64, P)
world_tick_seconds = _fn("nudge_world_tick_seconds", c_double, P)
world_seed = _fn("nudge_world_seed", c_uint64, P)
world_seconds = _fn("nudge_world_seconds", c_double, P)
world_params = _fn("nudge_world_params", c_int, P, P, c_int)
world_find = _fn("nudge_world_find", c_int32, P, c_char_p)
world_dynamic_ids = _fn("nudge_world_dynamic_ids", c_int, P, P, c_int)
world_body_name = _fn("nudge_world_body_name", c_bool, P, c_int32, P, c_size_t)
world_goal_count = _fn("nudge_world_goal_count", c_int, P)
world_goal_text = _fn("nudge_world_goal_text", c_char_p, P, c_int)
world_goal_status = _fn("nudge_world_goal_status", c_int, P, c_int)
world_task_status = _fn("nudge_world_task_status", c_int, P)
world_snapshot = _fn("nudge_world_snapshot", P, P)
snapshot_free = _fn("nudge_snapshot_free", None, P)
world_restore = _fn("nudge_world_restore", c_bool, P, P, P, c_size_t)
world_render = _fn("nudge_world_render", c_bool, P, P, c_int, c_int, P, c_size_t)

model_load = _fn("nudge_model_load", P, c_char_p, P, c_size_t)
model_create = _fn("nudge_model_create", P, c_int, c_uint64, P, c_size_t)
model_clone = _fn("nudge_model_clone", P, P)
model_free = _fn("nudge_model_free", None, P)
model_save = _fn("nudge_model_save", c_bool, P, c_char_p, P, c_size_t)
model_slots = _fn("nudge_model_slots", c_int, P)
model_train_steps = _fn("nudge_model_train_steps", c_int64, P)
model_param_count = _fn("nudge_model_param_count", c_int64, P)
model_predict = _fn("nudge_model_predict", c_bool, P, c_int, P, P, P, P, P, P, c_size_t)
model_rollout = _fn("nudge_model_rollout", c_bool, P, c_int, P, P, P, c_int, P, P, P, c_size_t)
model_foresee = _fn("nudge_model_foresee", c_bool, P, c_int, P, P, P, P, P, c_size_t)

class TrainerDef(ctypes.Structure):
    _fields_ = [("size", c_uint32), ("batch", c_int32), ("lr", c_float), ("reserved", c_int32),
                ("seed", c_uint64), ("capacity", c_int64)]


trainer_def_default = _fn("nudge_trainer_def_default", TrainerDef)
trainer_create = _fn("nudge_trainer_create", P, ctypes.POINTER(TrainerDef), P, c_int, P, c_size_t)
trainer_free = _fn("nudge_trainer_free", None, P)
trainer_watch = _fn("nudge_trainer_watch", c_bool, P, P, P, c_size_t)
trainer_step = _fn("nudge_trainer_step", c_int, P)
trainer_transitions = _fn("nudge_trainer_transitions", c_int64, P)
trainer_loss = _fn("nudge_trainer_loss", c_float, P)
trainer_model = _fn("nudge_trainer_model", c_bool, P, P, P, c_size_t)

dataset_open = _fn("nudge_dataset_open", P, c_char_p, P, c_size_t)
dataset_close = _fn("nudge_dataset_close", None, P)
dataset_episodes = _fn("nudge_dataset_episodes", c_int64, P)
dataset_shards = _fn("nudge_dataset_shards", c_int, P)
dataset_records = _fn("nudge_dataset_records", c_int, P)
dataset_slots = _fn("nudge_dataset_slots", c_int, P)
dataset_shard_first = _fn("nudge_dataset_shard_first", c_int64, P, c_int)
dataset_shard_episodes = _fn("nudge_dataset_shard_episodes", c_int64, P, c_int)
dataset_array_name = _fn("nudge_dataset_array_name", c_char_p, c_int)
dataset_has_array = _fn("nudge_dataset_has_array", c_bool, P, c_char_p)
dataset_read_observation = _fn("nudge_dataset_read_observation", c_bool, P, c_int, P, c_size_t, P, c_size_t, P,
                               c_size_t)
dataset_array_path = _fn("nudge_dataset_array_path", c_bool, P, c_int, c_char_p, P, c_size_t, P, c_size_t)
dataset_verify = _fn("nudge_dataset_verify", c_bool, P, c_int, P, c_size_t)


class Err:
    """One error buffer per handle: nudge writes its one line here."""
    __slots__ = ("buf", "ptr")

    def __init__(self):
        self.buf = ctypes.create_string_buffer(ERR_SIZE)
        self.ptr = ctypes.addressof(self.buf)

    def raise_(self, fallback="nudge refused the call"):
        msg = self.buf.value.decode("utf-8", "replace") or fallback
        raise NudgeError(msg)


def fspath(p, what):
    """A path argument as bytes; TypeError for anything that is not a path, ValueError for one with
    a NUL byte (C would read it only up to the NUL: another file)."""
    if isinstance(p, bytes):
        b = p
    else:
        try:
            b = os.fsencode(os.fspath(p))
        except TypeError:
            raise TypeError("%s must be a path (str or os.PathLike), not %s" % (what, type(p).__name__)) from None
    return cstr(b, what)


def cstr(s, what):
    """A name or path handed to C as bytes: str (UTF-8) or bytes; TypeError for anything else,
    ValueError for a NUL byte in it (C would see only what comes before it)."""
    if isinstance(s, str):
        s = s.encode("utf-8", "surrogateescape")
    if not isinstance(s, (bytes, bytearray)):
        raise TypeError("%s must be str or bytes, not %s" % (what, type(s).__name__))
    if b"\0" in s:
        raise ValueError("%s has a NUL byte: %r" % (what, bytes(s)))
    return bytes(s)


OBS_DIM = 20
PUSH_DIM = 4
MAX_PUSHES = 8
MODEL_EVENTS = 3
COLUMNS = tuple(obs_column(i, None, None).decode() for i in range(OBS_DIM))
EVENT_TYPES = []
while event_name(len(EVENT_TYPES)):
    EVENT_TYPES.append(event_name(len(EVENT_TYPES)).decode())
EVENT_TYPES = tuple(EVENT_TYPES)
GOAL_STATUS = ("pending", "met", "failed")
