/* film: an episode filmed headless, for `nudge run --video` and `nudge replay --video`: the world
 * drawn as the view draws it (render/), framed by the following camera (render/follow.h, every live
 * dynamic body and ghost in view), with the model's predictions over it when a model is given
 * (ghosts at the horizon, predicted and actual paths, event labels) and a caption with the time.
 * Frame k shows the world at k / fps seconds of the film (resets included: the clock does not
 * start again), so a film of T simulated seconds has floor(T * fps) + 1 frames. Frames go to
 * render/video.h. A hook on the episode does it all. */
#ifndef NUDGE_VIEW_FILM_H
#define NUDGE_VIEW_FILM_H
#include <stdbool.h>
#include <stddef.h>

#include "agent/episode.h"
#include "model/wm.h"

typedef struct ViewFilmDef {
    const char*    path;     /* the MP4 to write */
    int            w, h;     /* pixels (even) */
    int            fps;      /* frames per second of the film (1..240) */
    const WmModel* model;    /* predictions drawn over the world, or NULL; not owned */
    const char*    caption;  /* a title at the top left (the scenario's name), or NULL */
} ViewFilmDef;

typedef struct ViewFilm ViewFilm;

/// starts the film of e (its first frame: e's state now) and attaches itself to e; NULL + one line
/// when the video cannot be made (no ffmpeg, an unwritable folder, a bad size) or the model's slots
/// are not e's
ViewFilm* view_film_start(const ViewFilmDef* d, Episode* e, char* err, size_t err_size);
/// frames written so far
int64_t   view_film_frames(const ViewFilm* f);
/// finishes the file (the video appears under its name only now); false + one line. NULL-safe
bool      view_film_finish(ViewFilm* f, char* err, size_t err_size);
/// stops without a file (NULL-safe)
void      view_film_abort(ViewFilm* f);

#endif
