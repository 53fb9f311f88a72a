/* interrupt: the process-wide signal settings every command shares, and how a long command learns
 * that the user asked it to stop (Ctrl-C or SIGTERM), so that it saves what it has and exits 130
 * instead of dying with nothing saved. */
#ifndef NUDGE_BASE_INTERRUPT_H
#define NUDGE_BASE_INTERRUPT_H
#include <signal.h>
#include <stdbool.h>

/// the exit status of a command stopped by SIGINT or SIGTERM after saving its work (128 + SIGINT)
#define INTERRUPT_EXIT_STATUS 130

/// at start, for every command: SIGXFSZ ignored, so a write beyond the file-size limit
/// (`ulimit -f`) fails with EFBIG and is reported as one line like a full disk, instead of killing
/// the process without a word and leaving its temporary files behind
void interrupt_setup_process(void);
/// from now on SIGINT and SIGTERM set the flag instead of killing the process (SA_RESTART: system
/// calls in progress go on); the command polls interrupt_requested() and stops at a safe point
void interrupt_catch(void);
/// SIGINT and SIGTERM kill the process again (the default)
void interrupt_release(void);
/// true once SIGINT or SIGTERM arrived after interrupt_catch
bool interrupt_requested(void);
/// the flag itself, for code that polls a `volatile sig_atomic_t*` (gen's workers)
volatile sig_atomic_t* interrupt_flag(void);

#endif
