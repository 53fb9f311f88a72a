/* episode_feed: streams an episode's ticks into a world-model trainer, as a hook on the episode
 * loop (the live view's learning). Every tick gives the trainer one transition: the observation
 * from the start of the tick with its contacts, the pushes the tick applied, and the events that
 * led to that observation (they label breaks and falls). A tick in which a hand moved a body, a
 * body was spawned or the hand let go is an intervention no push explains: it is not fed, and the
 * trainer starts a new episode, as it does at a reset. */
#ifndef NUDGE_AGENT_EPISODE_FEED_H
#define NUDGE_AGENT_EPISODE_FEED_H
#include <stdbool.h>

#include "agent/episode.h"
#include "model/trainer.h"

typedef struct EpisodeFeed {
    WmTrainer* tr;          /* not owned */
    int        K;           /* slots: the episode's */
    float*     rows;        /* [K * 4] the pushes of the tick */
    SimEvent*  events;      /* the last tick's events (they led to the next observation) */
    int        nevents, capevents;
    bool       interrupted; /* the last tick was an intervention */
    int64_t    fed;         /* transitions given to the trainer */
} EpisodeFeed;

/// attaches f to e: from the next tick on, e's ticks feed tr (which starts a new episode now).
/// f must outlive e's ticks; false + one line when e has no room for another hook or its slots are
/// not the model's. It does not check the model's step against e's control tick: the view's live
/// model learns the ticks of whatever scene it is shown; a caller that needs the two to agree (the
/// library's nudge_trainer_watch) checks with episode_model_check first
bool episode_feed_attach(EpisodeFeed* f, Episode* e, WmTrainer* tr, char* err, size_t err_size);
void episode_feed_free(EpisodeFeed* f);   /* frees f's buffers; safe on a zeroed feed */
/// the episode jumped (a rewind in the history): the trainer starts a new episode, and the next
/// tick's observation is not joined to what came before
void episode_feed_interrupt(EpisodeFeed* f);

#endif
