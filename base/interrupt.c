#include "base/interrupt.h"

#include <string.h>

static volatile sig_atomic_t requested = 0;

static void on_signal(int sig) {
    (void)sig;
    requested = 1;
}

void interrupt_setup_process(void) {
    signal(SIGXFSZ, SIG_IGN);
}

void interrupt_catch(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void interrupt_release(void) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}

bool interrupt_requested(void) { return requested != 0; }

volatile sig_atomic_t* interrupt_flag(void) { return &requested; }
