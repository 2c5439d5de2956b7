/* An endpoint's labels in one block, sorted by the hash of the key so that a
 * selector's leaf (whose key hash was computed once, at parse time) finds its
 * label with a binary search on integers and one memcmp. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "selector/selector_ast.h"

/* FNV-1a, 32 bits: only for ordering; equal hashes are still told apart by
 * the keys themselves. */
uint32_t label_key_hash(const char *key, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 16777619u;
	}
	return h;
}

static struct label_slot *labels(const struct label_set *ls)
{
	return ls->mem;
}

static char *text(const struct label_set *ls)
{
	return (char *)ls->mem + ls->cap * sizeof(struct label_slot);
}

static int label_cmp(const struct label_set *ls, uint32_t hash, const char *key, size_t len, const struct label_slot *l)
{
	if (hash != l->key_hash)
		return hash < l->key_hash ? -1 : 1;
	int c = memcmp(key, text(ls) + l->key_off, len < l->key_len ? len : l->key_len);
	return c ? c : (len > l->key_len) - (len < l->key_len);
}

/* The index of key, or where it would go (with *found false). */
static size_t position(const struct label_set *ls, const char *key, size_t len, uint32_t hash, bool *found)
{
	size_t lo = 0, hi = ls->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = label_cmp(ls, hash, key, len, &labels(ls)[mid]);
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

const struct label_slot *label_set_find(const struct label_set *ls, const char *key, size_t len, uint32_t hash)
{
	bool found;
	size_t i = position(ls, key, len, hash, &found);
	return found ? &labels(ls)[i] : NULL;
}

const char *label_value(const struct label_set *ls, const struct label_slot *l)
{
	return text(ls) + l->key_off + l->key_len + 1;
}

const char *label_set_get(const struct label_set *ls, const char *key)
{
	size_t len = strlen(key);
	const struct label_slot *l = label_set_find(ls, key, len, label_key_hash(key, len));
	return l ? label_value(ls, l) : NULL;
}

void label_set_at(const struct label_set *ls, size_t i, const char **key, const char **value)
{
	const struct label_slot *l = &labels(ls)[i];
	*key = text(ls) + l->key_off;
	*value = label_value(ls, l);
}

/* A new block with room for one label and `more` bytes beyond what is live;
 * the text is compacted (replaced values leave dead bytes behind). */
static int regrow(struct label_set *ls, size_t more)
{
	size_t live = 0;
	for (size_t i = 0; i < ls->n; i++)
		live += labels(ls)[i].key_len + labels(ls)[i].value_len + 2;
	size_t cap = ls->n + 1 > ls->cap ? (ls->cap ? ls->cap * 2 : 8) : ls->cap;
	size_t text_cap = (live + more) * 2;
	if (text_cap > UINT32_MAX / 2)
		return -E2BIG;
	char *mem = malloc(cap * sizeof(struct label_slot) + text_cap);
	if (!mem)
		return -ENOMEM;
	struct label_slot *nl = (struct label_slot *)(void *)mem;
	char *nt = mem + cap * sizeof(struct label_slot);
	size_t at = 0;
	for (size_t i = 0; i < ls->n; i++) {
		struct label_slot l = labels(ls)[i];
		size_t bytes = l.key_len + l.value_len + 2;
		memcpy(nt + at, text(ls) + l.key_off, bytes);
		l.key_off = (uint32_t)at;
		nl[i] = l;
		at += bytes;
	}
	free(ls->mem);
	ls->mem = mem;
	ls->cap = cap;
	ls->text_len = at;
	ls->text_cap = text_cap;
	return 0;
}

int label_set_put(struct label_set *ls, const char *key, const char *value)
{
	size_t klen = strlen(key), vlen = strlen(value), bytes = klen + vlen + 2;
	uint32_t hash = label_key_hash(key, klen);
	bool found;
	int rc;

	if (bytes > UINT32_MAX / 4)
		return -E2BIG;
	if ((ls->n == ls->cap || ls->text_len + bytes > ls->text_cap) && (rc = regrow(ls, bytes)) < 0)
		return rc;
	size_t at = position(ls, key, klen, hash, &found);
	struct label_slot *l = labels(ls);
	if (!found) {
		memmove(&l[at + 1], &l[at], (ls->n - at) * sizeof(*l));
		ls->n++;
	}
	memcpy(text(ls) + ls->text_len, key, klen + 1);
	memcpy(text(ls) + ls->text_len + klen + 1, value, vlen + 1);
	l[at] = (struct label_slot){hash, (uint32_t)klen, (uint32_t)vlen, (uint32_t)ls->text_len};
	ls->text_len += bytes;
	return 0;
}

void label_set_free(struct label_set *ls)
{
	free(ls->mem);
	*ls = (struct label_set)LABEL_SET_INIT;
}
