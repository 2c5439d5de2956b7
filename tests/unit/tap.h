/* Minimal TAP producer for unit tests: every CHECK prints one `ok`/`not ok`
 * line, so the runner counts individual assertions-with-names. */
#ifndef CALICO_TAP_H
#define CALICO_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

/* cond is evaluated exactly once (it may have side effects). */
#define CHECK(cond, ...)                                                  \
	do {                                                              \
		int passed_ = !!(cond);                                   \
		tap_n++;                                                  \
		if (passed_) {                                            \
			printf("ok %d - ", tap_n);                        \
		} else {                                                  \
			tap_failed++;                                     \
			printf("not ok %d - ", tap_n);                    \
		}                                                         \
		printf(__VA_ARGS__);                                      \
		if (!passed_)                                             \
			printf("  (%s:%d: %s)", __FILE__, __LINE__, #cond); \
		printf("\n");                                            \
		fflush(stdout);                                           \
	} while (0)

#define CHECK_STR(got, want, ...)                                         \
	do {                                                              \
		const char *g_ = (got), *w_ = (want);                     \
		int ok_ = g_ && w_ && strcmp(g_, w_) == 0;                \
		CHECK(ok_, __VA_ARGS__);                                  \
		if (!ok_)                                                 \
			printf("#   got:  %s\n#   want: %s\n",            \
			       g_ ? g_ : "(null)", w_ ? w_ : "(null)");    \
	} while (0)

#define CHECK_INT(got, want, ...)                                         \
	do {                                                              \
		long long g_ = (long long)(got), w_ = (long long)(want);  \
		CHECK(g_ == w_, __VA_ARGS__);                             \
		if (g_ != w_)                                             \
			printf("#   got:  %lld\n#   want: %lld\n", g_, w_); \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
