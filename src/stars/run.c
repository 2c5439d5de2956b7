/* Stop flag and interruptible sleep (run.h). */
#include "run.h"

#include <time.h>

volatile sig_atomic_t stars_stop;

static void on_stop(int sig)
{
	(void)sig;
	stars_stop = 1;
}

void stars_signals_install(void)
{
	struct sigaction stop = { .sa_handler = on_stop }, ign = { .sa_handler = SIG_IGN };

	sigemptyset(&stop.sa_mask);
	sigaction(SIGTERM, &stop, NULL);
	sigaction(SIGINT, &stop, NULL);
	sigaction(SIGPIPE, &ign, NULL);
}

double stars_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void stars_sleep_until(double until)
{
	while (!stars_stop) {
		double left = until - stars_now();
		struct timespec ts;

		if (left <= 0)
			return;
		if (left > 0.1)
			left = 0.1;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		nanosleep(&ts, NULL); /* EINTR: the loop looks at the flag */
	}
}
