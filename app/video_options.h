/* video_options: the flags of the commands that film headless (run, replay): --video OUT.mp4,
 * --fps N, --size WxH (view/film.h draws, render/video.h encodes through ffmpeg) */
#ifndef NUDGE_APP_VIDEO_OPTIONS_H
#define NUDGE_APP_VIDEO_OPTIONS_H
#include <stdbool.h>
#include <stdint.h>

#include "agent/episode.h"
#include "view/film.h"

typedef struct VideoOptions {
    const char* path;      /* NULL = no film */
    int64_t     fps;
    const char* size;      /* "WxH" or NULL */
    int         w, h;
} VideoOptions;

#define VIDEO_OPTION_SPECS(v)                                                                               \
    {"video", ARG_STRING, &(v).path, 1, 0, "OUT.mp4: film it headless (the world, the model's predictions with --model), through ffmpeg", false}, \
    {"fps", ARG_INT, &(v).fps, 1, 240, "N: frames per second of the film (default 30)", false},          \
    {"size", ARG_STRING, &(v).size, 1, 0, "WxH: the film's size in pixels, even numbers (default 1280x720)", false}

void video_options_init(VideoOptions* v);
/// checks --size; false + one line on stderr ("nudge CMD: --size: ...")
bool video_options_check(VideoOptions* v, const char* cmd);
/// starts the film of e when --video was given (NULL otherwise, and on failure with *failed set and
/// one line on stderr); model may be NULL
ViewFilm* video_options_start(const VideoOptions* v, const char* cmd, Episode* e, const WmModel* model,
                              const char* caption, bool* failed);
/// the file name of a path (a film's caption)
const char* scn_label(const char* path);
/// finishes it: false + one line on stderr; says where the film went on stderr. NULL-safe
bool video_options_finish(ViewFilm* f, const VideoOptions* v, const char* cmd);

#endif
