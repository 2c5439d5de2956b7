/* Building, sorting and freeing the compiled nftables model. */
#include "policy/nft_model.h"
#include "util/array.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool copy_name(char dst[NFT_NAME_MAX], const char *src)
{
	size_t n = strlen(src);
	if (n == 0 || n >= NFT_NAME_MAX)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

void nft_model_init(struct nft_model *m, const char *family, const char *table)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->family, sizeof(m->family), "%s", family);
	snprintf(m->table, sizeof(m->table), "%s", table);
	m->table_present = true;
}

static void set_free(struct nft_set *s)
{
	for (size_t i = 0; i < s->n_elems; i++) {
		free(s->elems[i].key);
		free(s->elems[i].value);
	}
	free(s->elems);
}

static void chain_free(struct nft_chain *c)
{
	free(c->base_spec);
	if (c->rules)
		for (size_t i = 0; i < c->n_rules; i++)
			free(c->rules[i]);
	free(c->rules);
}

void nft_model_free(struct nft_model *m)
{
	for (size_t i = 0; i < m->n_sets; i++)
		set_free(&m->sets[i]);
	free(m->sets);
	for (size_t i = 0; i < m->n_chains; i++)
		chain_free(&m->chains[i]);
	free(m->chains);
	memset(m, 0, sizeof(*m));
}

struct nft_set *nft_model_add_set(struct nft_model *m, const char *name, const char *key_type,
				  const char *value_type, bool interval)
{
	if (array_reserve((void **)&m->sets, &m->cap_sets, m->n_sets + 1, sizeof(*m->sets)) < 0)
		return NULL;
	struct nft_set *s = &m->sets[m->n_sets];
	memset(s, 0, sizeof(*s));
	if (!copy_name(s->name, name) || strlen(key_type) >= sizeof(s->key_type) ||
	    strlen(value_type ? value_type : "") >= sizeof(s->value_type))
		return NULL;
	strcpy(s->key_type, key_type);
	strcpy(s->value_type, value_type ? value_type : "");
	s->interval = interval;
	m->n_sets++;
	return s;
}

int nft_set_add_elem(struct nft_set *s, const char *key, const char *value)
{
	if (array_reserve((void **)&s->elems, &s->cap_elems, s->n_elems + 1, sizeof(*s->elems)) < 0)
		return -ENOMEM;
	struct nft_elem *e = &s->elems[s->n_elems];
	e->key = strdup(key);
	e->value = value ? strdup(value) : NULL;
	if (!e->key || (value && !e->value)) {
		free(e->key);
		free(e->value);
		return -ENOMEM;
	}
	s->n_elems++;
	return 0;
}

struct nft_chain *nft_model_add_chain(struct nft_model *m, const char *name, const char *base_spec)
{
	if (array_reserve((void **)&m->chains, &m->cap_chains, m->n_chains + 1, sizeof(*m->chains)) < 0)
		return NULL;
	struct nft_chain *c = &m->chains[m->n_chains];
	memset(c, 0, sizeof(*c));
	if (!copy_name(c->name, name))
		return NULL;
	if (base_spec && !(c->base_spec = strdup(base_spec)))
		return NULL;
	m->n_chains++;
	return c;
}

int nft_chain_add_rule(struct nft_chain *c, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	if (n == 0) {
		free(text);
		return -EINVAL;
	}
	if (array_reserve((void **)&c->rules, &c->cap_rules, c->n_rules + 1, sizeof(*c->rules)) < 0) {
		free(text);
		return -ENOMEM;
	}
	c->rules[c->n_rules++] = text;
	return 0;
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t nft_chain_hash(const char *base_spec, char *const *rules, size_t n_rules)
{
	if (n_rules == 0)
		return 0;
	uint64_t h = fnv1a(0xcbf29ce484222325ULL, base_spec ? base_spec : "");
	for (size_t i = 0; i < n_rules; i++) {
		h = fnv1a(h, "\n");
		h = fnv1a(h, rules[i]);
	}
	return h ? h : 1;
}

static int set_cmp(const void *a, const void *b)
{
	return strcmp(((const struct nft_set *)a)->name, ((const struct nft_set *)b)->name);
}

static int chain_cmp(const void *a, const void *b)
{
	return strcmp(((const struct nft_chain *)a)->name, ((const struct nft_chain *)b)->name);
}

static int elem_cmp(const void *a, const void *b)
{
	return strcmp(((const struct nft_elem *)a)->key, ((const struct nft_elem *)b)->key);
}

static bool same_value(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int set_sort_unique(struct nft_set *s)
{
	size_t kept = 0;

	if (s->n_elems > 1)
		qsort(s->elems, s->n_elems, sizeof(*s->elems), elem_cmp);
	for (size_t i = 0; i < s->n_elems; i++) {
		if (kept && strcmp(s->elems[kept - 1].key, s->elems[i].key) == 0) {
			bool same = same_value(s->elems[kept - 1].value, s->elems[i].value);
			free(s->elems[i].key);
			free(s->elems[i].value);
			if (!same) {
				/* keep the set consistent for nft_model_free before failing */
				for (size_t j = i + 1; j < s->n_elems; j++)
					s->elems[kept++] = s->elems[j];
				s->n_elems = kept;
				return -EINVAL;
			}
			continue;
		}
		s->elems[kept++] = s->elems[i];
	}
	s->n_elems = kept;
	return 0;
}

int nft_model_finish(struct nft_model *m)
{
	int rc;

	if (m->n_sets > 1)
		qsort(m->sets, m->n_sets, sizeof(*m->sets), set_cmp);
	for (size_t i = 0; i < m->n_sets; i++) {
		if (i && strcmp(m->sets[i - 1].name, m->sets[i].name) == 0)
			return -EEXIST;
		if ((rc = set_sort_unique(&m->sets[i])) < 0)
			return rc;
	}
	if (m->n_chains > 1)
		qsort(m->chains, m->n_chains, sizeof(*m->chains), chain_cmp);
	for (size_t i = 0; i < m->n_chains; i++) {
		struct nft_chain *c = &m->chains[i];
		if (i && strcmp(m->chains[i - 1].name, c->name) == 0)
			return -EEXIST;
		if (c->rules || c->n_rules == 0)
			c->hash = nft_chain_hash(c->base_spec, c->rules, c->n_rules);
	}
	return 0;
}

const struct nft_set *nft_model_find_set(const struct nft_model *m, const char *name)
{
	struct nft_set key;
	if (!copy_name(key.name, name) || !m->n_sets)
		return NULL;
	return bsearch(&key, m->sets, m->n_sets, sizeof(*m->sets), set_cmp);
}

const struct nft_chain *nft_model_find_chain(const struct nft_model *m, const char *name)
{
	struct nft_chain key;
	if (!copy_name(key.name, name) || !m->n_chains)
		return NULL;
	return bsearch(&key, m->chains, m->n_chains, sizeof(*m->chains), chain_cmp);
}

/* ---------- editing in place ---------- */

void nft_set_release(struct nft_set *s)
{
	set_free(s);
	memset(s, 0, sizeof(*s));
}

void nft_chain_release(struct nft_chain *c)
{
	chain_free(c);
	memset(c, 0, sizeof(*c));
}

size_t nft_model_set_pos(const struct nft_model *m, const char *name, bool *found)
{
	size_t lo = 0, hi = m->n_sets;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(m->sets[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < m->n_sets && strcmp(m->sets[lo].name, name) == 0;
	return lo;
}

size_t nft_model_chain_pos(const struct nft_model *m, const char *name, bool *found)
{
	size_t lo = 0, hi = m->n_chains;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(m->chains[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < m->n_chains && strcmp(m->chains[lo].name, name) == 0;
	return lo;
}

int nft_model_insert_set(struct nft_model *m, size_t pos, struct nft_set *src)
{
	if (array_reserve((void **)&m->sets, &m->cap_sets, m->n_sets + 1, sizeof(*m->sets)) < 0)
		return -ENOMEM;
	memmove(&m->sets[pos + 1], &m->sets[pos], (m->n_sets - pos) * sizeof(*m->sets));
	m->sets[pos] = *src;
	m->n_sets++;
	memset(src, 0, sizeof(*src));
	return 0;
}

int nft_model_insert_chain(struct nft_model *m, size_t pos, struct nft_chain *src)
{
	if (array_reserve((void **)&m->chains, &m->cap_chains, m->n_chains + 1, sizeof(*m->chains)) < 0)
		return -ENOMEM;
	memmove(&m->chains[pos + 1], &m->chains[pos], (m->n_chains - pos) * sizeof(*m->chains));
	src->hash = nft_chain_hash(src->base_spec, src->rules, src->n_rules);
	m->chains[pos] = *src;
	m->n_chains++;
	memset(src, 0, sizeof(*src));
	return 0;
}

void nft_model_remove_set(struct nft_model *m, size_t pos)
{
	set_free(&m->sets[pos]);
	memmove(&m->sets[pos], &m->sets[pos + 1], (m->n_sets - pos - 1) * sizeof(*m->sets));
	m->n_sets--;
}

void nft_model_remove_chain(struct nft_model *m, size_t pos)
{
	chain_free(&m->chains[pos]);
	memmove(&m->chains[pos], &m->chains[pos + 1], (m->n_chains - pos - 1) * sizeof(*m->chains));
	m->n_chains--;
}

size_t nft_set_elem_pos(const struct nft_set *s, const char *key, bool *found)
{
	size_t lo = 0, hi = s->n_elems;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(s->elems[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < s->n_elems && strcmp(s->elems[lo].key, key) == 0;
	return lo;
}

int nft_set_insert_elem(struct nft_set *s, size_t pos, const char *key, const char *value)
{
	if (nft_set_add_elem(s, key, value) < 0)
		return -ENOMEM;
	struct nft_elem e = s->elems[s->n_elems - 1];
	memmove(&s->elems[pos + 1], &s->elems[pos], (s->n_elems - 1 - pos) * sizeof(*s->elems));
	s->elems[pos] = e;
	return 0;
}

void nft_set_remove_elem(struct nft_set *s, size_t pos)
{
	free(s->elems[pos].key);
	free(s->elems[pos].value);
	memmove(&s->elems[pos], &s->elems[pos + 1], (s->n_elems - pos - 1) * sizeof(*s->elems));
	s->n_elems--;
}

int nft_set_copy(const struct nft_set *src, struct nft_set *dst, bool elems)
{
	*dst = *src;
	dst->elems = NULL;
	dst->n_elems = dst->cap_elems = 0;
	for (size_t i = 0; elems && i < src->n_elems; i++)
		if (nft_set_add_elem(dst, src->elems[i].key, src->elems[i].value) < 0)
			return -ENOMEM;
	return 0;
}

int nft_chain_copy(const struct nft_chain *src, struct nft_chain *dst)
{
	*dst = *src;
	dst->base_spec = NULL;
	dst->rules = NULL;
	dst->cap_rules = 0;
	if (!src->rules) /* read back: count and hash only */
		return src->base_spec && !(dst->base_spec = strdup(src->base_spec)) ? -ENOMEM : 0;
	dst->n_rules = 0;
	if (src->base_spec && !(dst->base_spec = strdup(src->base_spec)))
		return -ENOMEM;
	for (size_t i = 0; i < src->n_rules; i++)
		if (nft_chain_add_rule(dst, "%s", src->rules[i]) < 0)
			return -ENOMEM;
	return 0;
}
