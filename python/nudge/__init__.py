"""nudge: a 2D physics sandbox with a learned world model -- Python binding over libnudge.so.

    import nudge
    env = nudge.Env("scenarios/tasks/glass_off_table.scn", render_mode="rgb_array")
    obs, info = env.reset(seed=1)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample())

World (step, observe, events, snapshot/restore, render), Env (Gymnasium's reset/step contract),
Model (predict, rollout), Trainer (train steps from watched worlds), load_dataset (memmaps and the manifest). The library is found through
NUDGE_LIB (a path to libnudge.so.1), else the prefix this package is installed in
(PREFIX/share/nudge/python -> PREFIX/lib), else the source tree's build/, else the system's
loader. Needs only numpy."""
from . import _lib
from ._lib import NudgeError
from .dataset import Dataset, load_dataset, observation
from .env import Env, PushSpace
from .model import Model, Trainer
from .spaces import Box, Dict, to_gymnasium
from .world import Event, Scenario, Snapshot, World

#: the observation's column names, in order (states[..., i] is COLUMNS[i])
COLUMNS = _lib.COLUMNS
#: event type names, by number
EVENT_TYPES = _lib.EVENT_TYPES
__version__ = _lib.version_string().decode()


def library_path():
    """The libnudge this package loaded."""
    return _lib.path


__all__ = ["World", "Scenario", "Snapshot", "Event", "Env", "PushSpace", "Model", "Trainer", "load_dataset", "Dataset", "observation",
           "NudgeError", "Box", "Dict", "to_gymnasium", "COLUMNS", "EVENT_TYPES", "library_path"]
