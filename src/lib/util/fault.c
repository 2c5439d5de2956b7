/* CALICO_FAULT_AT=<point>:<n>: SIGKILL at the n-th pass through point (fault.h). */
#include "util/fault.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static int armed = -1; /* -1 not read yet, 0 off, 1 on */
static char point[64];
static long remaining;

static void arm(void)
{
	const char *spec = getenv("CALICO_FAULT_AT");
	const char *colon = spec ? strrchr(spec, ':') : NULL;
	char *end = NULL;
	armed = 0;
	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(point))
		return;
	remaining = strtol(colon + 1, &end, 10);
	if (!end || *end || remaining < 1)
		return;
	memcpy(point, spec, (size_t)(colon - spec));
	point[colon - spec] = '\0';
	armed = 1;
}

void fault_point(const char *name)
{
	if (__builtin_expect(armed == 0, 1))
		return;
	if (armed < 0)
		arm();
	if (armed && strcmp(name, point) == 0 && --remaining == 0)
		raise(SIGKILL);
}
