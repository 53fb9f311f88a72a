/* module: the view as a module the nudge command loads only when it is used (nudge-view.so, beside
 * the command in the build folder, PREFIX/lib/nudge/ when installed). Only the window needs SDL2,
 * SDL2_ttf and the ~55 libraries they bring; every other command (gen above all, run once per
 * dataset task) starts without them (app/view_lazy.c). The module holds view/'s objects alone and
 * takes everything else from the command that loads it, so there is one copy of every other
 * folder's state. Its one exported symbol is the table below. */
#ifndef NUDGE_VIEW_MODULE_H
#define NUDGE_VIEW_MODULE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "view/app.h"
#include "view/film.h"
#include "view/input.h"

/// what the nudge command calls in the view
typedef struct ViewModule {
    unsigned              abi;   /* VIEW_MODULE_ABI of the build that made the module */
    ViewOptions           (*options_default)(void);
    int                   (*app_run)(const ViewOptions* o);
    const ViewKeyBinding* (*key_lookup)(int key);
    int                   (*key_from_name)(const char* name);
    ViewFilm*             (*film_start)(const ViewFilmDef* d, Episode* e, char* err, size_t err_size);
    int64_t               (*film_frames)(const ViewFilm* f);
    bool                  (*film_finish)(ViewFilm* f, char* err, size_t err_size);
    void                  (*film_abort)(ViewFilm* f);
} ViewModule;

/// the sizes of what crosses between the command and the module: a module of another build is refused
#define VIEW_MODULE_ABI \
    ((unsigned)(sizeof(ViewModule) * 1000003u + sizeof(ViewOptions) * 1009u + sizeof(ViewFilmDef) * 31u + 5u))
#define VIEW_MODULE_FILE "nudge-view.so"
#define VIEW_MODULE_SYMBOL "view_module"

extern const ViewModule view_module;

#endif
