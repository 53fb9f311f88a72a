/* input: the view's key map, body picking and the mouse push, as pure functions (no SDL) so
 * they can be tested without a window. */
#ifndef NUDGE_VIEW_INPUT_H
#define NUDGE_VIEW_INPUT_H
#include <stdbool.h>

#include "sim/world.h"

/* keys: printable keys are their lowercase ASCII code; the others are these */
enum {
    VIEW_KEY_ESC   = 27,
    VIEW_KEY_TAB   = 9,
    VIEW_KEY_SPACE = 32,
    VIEW_KEY_F1    = 0x1001,
    VIEW_KEY_F12   = 0x100c,
};

typedef enum ViewAction {
    VIEW_ACT_NONE,
    VIEW_ACT_QUIT,
    VIEW_ACT_PAUSE,
    VIEW_ACT_STEP,
    VIEW_ACT_SLOW,
    VIEW_ACT_RESET,
    VIEW_ACT_NEXT,
    VIEW_ACT_PREV,
    VIEW_ACT_DEMO,        /* arg = 1..9 */
    VIEW_ACT_TRAIN,
    VIEW_ACT_GHOSTS,
    VIEW_ACT_SPLIT,
    VIEW_ACT_CONTACTS,
    VIEW_ACT_HELP,
    VIEW_ACT_SCREENSHOT,
    VIEW_ACT_HORIZON_DOWN,
    VIEW_ACT_HORIZON_UP,
    VIEW_ACT_SPAWN,       /* spawn the palette's current body at the mouse */
    VIEW_ACT_PALETTE,     /* next palette body */
    VIEW_ACT_FIT,         /* the camera: fixed on the scene / following again */
    VIEW_ACT_AGENT,       /* next agent: none, random, planner */
    VIEW_ACT_BACK,        /* one tick back in the history (pauses) */
    VIEW_ACT_AUTO_RESET,  /* episodes reset on their own: on / off */
    VIEW_ACT_PANELS,      /* the panels: shown / hidden */
    VIEW_ACT_WRITE_SCN,   /* write the episode as a scenario file (a regression test) */
    VIEW_ACT_PIXEL,       /* the pixel model (trained live on the rendered frames): on / off */
    VIEW_ACT_COUNT
} ViewAction;

typedef struct ViewKeyBinding {
    int         key;
    ViewAction  action;
    int         arg;
    const char* key_name;  /* as shown in the help overlay */
    const char* help;
} ViewKeyBinding;

/// the key table (also what the help overlay lists); *count = its length
const ViewKeyBinding* view_keymap(int* count);
/// the binding of a key (ASCII letters in either case), or NULL
const ViewKeyBinding* view_key_lookup(int key);

/// a key from its name: one character ("h", "[", "."), or "tab", "space", "f1", "f12", "esc"
/// (any case); -1 if unknown
int view_key_from_name(const char* name);

/* slow motion: 1 -> 1/4 -> 1/8 -> 1 */
double view_slow_next(double rate);

/// v rounded to `digits` decimals: the mouse's numbers go into the action stream (and recordings,
/// and the scenarios written from them) as short decimals that read back exactly
double view_round(double v, int digits);

/* the spawn palette */
typedef enum ViewPaletteItem { VIEW_PAL_BOX, VIEW_PAL_BALL, VIEW_PAL_GLASS, VIEW_PAL_PLANK, VIEW_PAL_COUNT } ViewPaletteItem;
const char* view_palette_name(ViewPaletteItem item);
/// a body definition for a palette item dropped at (x, y) (m)
SimBodyDef  view_palette_def(ViewPaletteItem item, double x, double y);

/// the body under the world point (px, py) among n states (the topmost: dynamic before static,
/// then the highest id); cups count their open inside too. dynamic_only skips static bodies.
/// Returns the index into bodies, or -1.
int  view_pick(const SimBodyState* bodies, int n, double px, double py, bool dynamic_only);
/// the same over a world's live bodies; returns the body id or -1
int  view_pick_world(const SimWorld* w, double px, double py, bool dynamic_only);

/// the push for a mouse drag from a body: the drag starts at the body point `local` (body
/// coordinates, m) and ends at the world point (ex, ey). The impulse is along the drag with a
/// velocity change of gain * drag length (1/s * m), at most max_dv (m/s). Returns the push
/// (relative application point in world axes) and its start point in world coordinates.
SimPush view_drag_push(const SimBodyState* b, const double local[2], double ex, double ey,
                       double gain, double max_dv, double start[2]);
/// world point -> body coordinates of b
void view_to_body(const SimBodyState* b, double wx, double wy, double local[2]);
/// body coordinates of b -> world point
void view_to_world(const SimBodyState* b, const double local[2], double* wx, double* wy);

#endif
