#include "app/video_options.h"

#include <stdio.h>
#include <string.h>

#include "app/args.h"

void video_options_init(VideoOptions* v) {
    v->path = NULL;
    v->fps = 30;
    v->size = NULL;
    v->w = 1280, v->h = 720;
}

bool video_options_check(VideoOptions* v, const char* cmd) {
    if (v->size && (!args_parse_size(v->size, 16, 8192, &v->w, &v->h) || (v->w & 1) || (v->h & 1))) {
        args_fail(cmd, "--size: expected WxH, even numbers between 16 and 8192, got '%s'", v->size);
        return false;
    }
    return true;
}

ViewFilm* video_options_start(const VideoOptions* v, const char* cmd, Episode* e, const WmModel* model,
                              const char* caption, bool* failed) {
    *failed = false;
    if (!v->path) return NULL;
    ViewFilmDef d = {v->path, v->w, v->h, (int)v->fps, model, caption};
    char err[600];
    ViewFilm* f = view_film_start(&d, e, err, sizeof err);
    if (!f) {
        fprintf(stderr, "nudge %s: %s\n", cmd, err);
        *failed = true;
    }
    return f;
}

bool video_options_finish(ViewFilm* f, const VideoOptions* v, const char* cmd) {
    if (!f) return true;
    int64_t frames = view_film_frames(f);
    char err[600];
    if (!view_film_finish(f, err, sizeof err)) {
        fprintf(stderr, "nudge %s: %s\n", cmd, err);
        return false;
    }
    fprintf(stderr, "nudge %s: filmed %lld frames (%dx%d, %lld fps) to %s\n", cmd, (long long)frames, v->w, v->h,
            (long long)v->fps, v->path);
    return true;
}

const char* scn_label(const char* path) {
    const char* slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}
