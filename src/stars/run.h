/* calico-stars: the stop flag set by SIGINT/SIGTERM, and sleeping that wakes
 * up for it. */
#ifndef STARS_RUN_H
#define STARS_RUN_H

#include <signal.h>

extern volatile sig_atomic_t stars_stop;

/* SIGINT/SIGTERM set stars_stop (nothing else); SIGPIPE is ignored. */
void stars_signals_install(void);
/* Monotonic clock in seconds. */
double stars_now(void);
/* Sleeps until the monotonic time `until`, in slices of at most 100 ms, and
 * returns early once stars_stop is set. */
void stars_sleep_until(double until);

#endif
