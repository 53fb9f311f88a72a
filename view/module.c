/* module: the table the nudge command finds in nudge-view.so (see module.h) */
#include "view/module.h"

__attribute__((visibility("default"))) const ViewModule view_module = {
    VIEW_MODULE_ABI, view_options_default, view_app_run,      view_key_lookup,
    view_key_from_name, view_film_start,   view_film_frames, view_film_finish, view_film_abort,
};
