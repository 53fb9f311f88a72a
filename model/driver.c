#include "model/driver.h"

#include <string.h>
#include <time.h>

WmDriverDef wm_driver_def_default(void) {
    WmDriverDef d;
    d.publish_every = 5;
    d.validate_every = 200;
    d.validate_batches = 4;
    return d;
}

void wm_driver_init(WmDriver* d, WmTrainer* tr, const WmDriverDef* def, bool on) {
    memset(d, 0, sizeof *d);
    d->tr = tr;
    d->def = def ? *def : wm_driver_def_default();
    if (d->def.publish_every < 1) d->def.publish_every = 1;
    atomic_init(&d->on, on);
    atomic_init(&d->quit, false);
}

bool wm_driver_step(WmDriver* d) {
    if (!wm_trainer_step(d->tr)) return false;
    d->steps++;
    if (++d->unpublished >= d->def.publish_every) wm_driver_flush(d);
    if (d->def.validate_every > 0 && d->steps % d->def.validate_every == 0)
        wm_trainer_validate(d->tr, d->def.validate_batches);
    return true;
}

void wm_driver_flush(WmDriver* d) {
    if (d->unpublished == 0) return;
    wm_trainer_publish(d->tr);
    d->unpublished = 0;
}

static void nap(double seconds) {
    struct timespec ts = {0, (long)(seconds * 1e9)};
    nanosleep(&ts, NULL);
}

static void* driver_main(void* arg) {
    WmDriver* d = arg;
    while (!atomic_load(&d->quit)) {
        /* off, or not enough data yet: wait without spinning */
        if (!atomic_load(&d->on)) nap(0.005);
        else if (!wm_driver_step(d)) nap(0.002);
    }
    wm_driver_flush(d);
    return NULL;
}

bool wm_driver_start(WmDriver* d) {
    if (d->started) return true;
    atomic_store(&d->quit, false);
    if (pthread_create(&d->thread, NULL, driver_main, d) != 0) return false;
    d->started = true;
    return true;
}

void wm_driver_stop(WmDriver* d) {
    if (d->started) {
        atomic_store(&d->quit, true);
        pthread_join(d->thread, NULL);
        d->started = false;
    }
    wm_driver_flush(d);
}

void wm_driver_set_on(WmDriver* d, bool on) { atomic_store(&d->on, on); }

bool wm_driver_is_on(const WmDriver* d) { return atomic_load(&d->on); }
