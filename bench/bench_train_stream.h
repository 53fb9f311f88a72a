/* bench_train's streaming part: training samples/s streaming a dataset through a small --memory
 * cap against the same dataset held in memory (bench/bench_train_stream.c) */
#ifndef NUDGE_BENCH_TRAIN_STREAM_H
#define NUDGE_BENCH_TRAIN_STREAM_H

/// generates a dataset with NUDGE gen (SCENARIO, 64 episodes of 8 s) in a temporary folder and
/// prints streaming (32 MiB cap) against in-memory training throughput, interleaved rounds of
/// seconds CPU seconds each; returns 0, or 1 when the dataset could not be made
int bench_train_stream(const char* nudge, const char* scenario, double seconds);

/// the same dataset (made the same way) for the trainer's own step: where a step's time goes
/// (wm_trainer_profile) and the throughput of the default trainer against itself with one
/// message-passing round, without pushforward, and both; seconds CPU seconds per trainer
int bench_train_parts(const char* nudge, const char* scenario, double seconds);

#endif
