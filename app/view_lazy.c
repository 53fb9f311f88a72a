/* view_lazy: the view's functions the commands call, loading nudge-view.so on first use
 * (view/module.h). Hidden, so that the module's own calls among its functions stay inside it. A
 * module that cannot be loaded is one line and exit 2: `nudge view` and --video need it. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "view/module.h"

static const ViewModule* loaded;
static char why[4096 + 512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(why, sizeof why, "cannot read /proc/self/exe to find %s", VIEW_MODULE_FILE);
        return;
    }
    exe[n] = '\0';
    char* slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    /* beside the command (the build folder), then PREFIX/lib/nudge (installed: PREFIX/bin/nudge) */
    const char* places[] = {"%s/" VIEW_MODULE_FILE, "%s/../lib/nudge/" VIEW_MODULE_FILE};
    char path[4096 + 64];
    void* h = NULL;
    for (size_t i = 0; i < sizeof places / sizeof places[0] && !h; i++) {
        snprintf(path, sizeof path, places[i], exe);
        if (access(path, F_OK) != 0) continue;
        h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            snprintf(why, sizeof why, "cannot load the view: %s", dlerror());
            return;
        }
    }
    if (!h) {
        snprintf(why, sizeof why, "cannot find the view's module %s beside %.1500s or in %.1500s/../lib/nudge", VIEW_MODULE_FILE,
                 exe, exe);
        return;
    }
    const ViewModule* m = dlsym(h, VIEW_MODULE_SYMBOL);
    if (!m || m->abi != VIEW_MODULE_ABI) {
        snprintf(why, sizeof why, "%s: %s", path, m ? "built from other sources than this nudge" : "not nudge's view module");
        return;
    }
    loaded = m;
}

static const ViewModule* view(void) {
    pthread_once(&once, load);
    if (!loaded) {
        fprintf(stderr, "nudge: %s\n", why);
        exit(2);
    }
    return loaded;
}

#pragma GCC visibility push(hidden)
ViewOptions view_options_default(void) { return view()->options_default(); }
int view_app_run(const ViewOptions* o) { return view()->app_run(o); }
const ViewKeyBinding* view_key_lookup(int key) { return view()->key_lookup(key); }
int view_key_from_name(const char* name) { return view()->key_from_name(name); }
ViewFilm* view_film_start(const ViewFilmDef* d, Episode* e, char* err, size_t err_size) {
    return view()->film_start(d, e, err, err_size);
}
int64_t view_film_frames(const ViewFilm* f) { return view()->film_frames(f); }
bool view_film_finish(ViewFilm* f, char* err, size_t err_size) { return view()->film_finish(f, err, err_size); }
void view_film_abort(ViewFilm* f) { view()->film_abort(f); }
#pragma GCC visibility pop
