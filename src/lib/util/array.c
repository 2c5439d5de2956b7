/* Growing a malloc'd array. */
#include "util/array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { ARRAY_FIRST_CAP = 8 };

int array_reserve(void **items, size_t *cap, size_t want, size_t size)
{
	if (want <= *cap)
		return 0;
	if (size == 0 || want > SIZE_MAX / size)
		return -ENOMEM;
	size_t ncap = *cap ? *cap : ARRAY_FIRST_CAP;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 / size ? want : ncap * 2;
	char *p = realloc(*items, ncap * size);
	if (!p)
		return -ENOMEM;
	memset(p + *cap * size, 0, (ncap - *cap) * size);
	*items = p;
	*cap = ncap;
	return 0;
}

int array_push_u32(uint32_t **v, size_t *n, size_t *cap, uint32_t x)
{
	if (array_reserve((void **)v, cap, *n + 1, sizeof(**v)) < 0)
		return -ENOMEM;
	(*v)[(*n)++] = x;
	return 0;
}
