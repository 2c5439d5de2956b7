/* An endpoint's labels, sorted by the hash of the key so that a selector's
 * leaf (whose key hash was computed once, at parse time) finds its label with
 * a binary search on integers and one memcmp. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/selector_ast.h"

/* FNV-1a, 32 bits: only for ordering; equal keys are still compared in full. */
uint32_t label_key_hash(const char *key, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 16777619u;
	}
	return h;
}

static int label_cmp(uint32_t hash, const char *key, size_t len, const struct label *l)
{
	if (hash != l->key_hash)
		return hash < l->key_hash ? -1 : 1;
	int c = memcmp(key, l->key, len < l->key_len ? len : l->key_len);
	return c ? c : (len > l->key_len) - (len < l->key_len);
}

/* The index of key, or where it would go (with *found false). */
static size_t position(const struct label_set *ls, const char *key, size_t len, uint32_t hash, bool *found)
{
	size_t lo = 0, hi = ls->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = label_cmp(hash, key, len, &ls->labels[mid]);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

const struct label *label_set_find(const struct label_set *ls, const char *key, size_t len, uint32_t hash)
{
	bool found;
	size_t i = position(ls, key, len, hash, &found);
	return found ? &ls->labels[i] : NULL;
}

const char *label_set_get(const struct label_set *ls, const char *key)
{
	size_t len = strlen(key);
	const struct label *l = label_set_find(ls, key, len, label_key_hash(key, len));
	return l ? l->value : NULL;
}

int label_set_put(struct label_set *ls, const char *key, const char *value)
{
	size_t klen = strlen(key), vlen = strlen(value);
	uint32_t hash = label_key_hash(key, klen);
	bool found;
	size_t at = position(ls, key, klen, hash, &found);

	if (klen > UINT32_MAX / 2 || vlen > UINT32_MAX / 2)
		return -E2BIG;
	char *block = malloc(klen + vlen + 2);
	if (!block)
		return -ENOMEM;
	memcpy(block, key, klen + 1);
	memcpy(block + klen + 1, value, vlen + 1);
	if (!found && ls->n == ls->cap) {
		size_t ncap = ls->cap ? ls->cap * 2 : 8;
		struct label *l = realloc(ls->labels, ncap * sizeof(*l));
		if (!l) {
			free(block);
			return -ENOMEM;
		}
		ls->labels = l;
		ls->cap = ncap;
	}
	if (found) {
		free(ls->labels[at].key);
	} else {
		memmove(&ls->labels[at + 1], &ls->labels[at], (ls->n - at) * sizeof(*ls->labels));
		ls->n++;
	}
	ls->labels[at] = (struct label){block, block + klen + 1, (uint32_t)klen, (uint32_t)vlen, hash};
	return 0;
}

void label_set_free(struct label_set *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		free(ls->labels[i].key);
	free(ls->labels);
	*ls = (struct label_set)LABEL_SET_INIT;
}
