/* nft scripts from models: the full replacement and the incremental diff.
 *
 * The diff runs in an order that keeps every reference valid inside the one
 * transaction: new sets, set elements, new chains (declared empty, so rules
 * may jump to any of them), new and changed chains' rules, verdict-map
 * elements (which point at chains, now all there), then vanished chains
 * (flushed first, as they may jump to each other), then vanished sets. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/nft_model.h"
#include "util/array.h"

#define ELEMS_PER_COMMAND 512 /* keeps each line of a large set's script short */

struct script {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void emit(struct script *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct script *s, const char *fmt, ...)
{
	va_list ap;
	if (s->oom)
		return;
	for (;;) {
		size_t room = s->cap - s->len;
		va_start(ap, fmt);
		int n = vsnprintf(s->buf ? s->buf + s->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			s->oom = true;
			return;
		}
		if ((size_t)n < room) {
			s->len += (size_t)n;
			return;
		}
		if (array_reserve((void **)&s->buf, &s->cap, s->len + (size_t)n + 1, 1) < 0) {
			s->oom = true;
			return;
		}
	}
}

/* Plain text, no formatting: the hot path for large sets. */
static void emit_str(struct script *s, const char *text)
{
	size_t n = strlen(text);
	if (s->oom)
		return;
	if (s->cap - s->len <= n) {
		if (array_reserve((void **)&s->buf, &s->cap, s->len + n + 1, 1) < 0) {
			s->oom = true;
			return;
		}
	}
	memcpy(s->buf + s->len, text, n + 1);
	s->len += n;
}

static int finish(struct script *s, char **out)
{
	if (!s->oom && !s->buf) {
		s->buf = calloc(1, 1);
		s->oom = !s->buf;
	}
	if (s->oom) {
		free(s->buf);
		*out = NULL;
		return -ENOMEM;
	}
	*out = s->buf;
	return 0;
}

static bool is_map(const struct nft_set *set)
{
	return set->value_type[0] != '\0';
}

static void emit_key(struct script *s, const struct nft_set *set, const struct nft_elem *e)
{
	/* interface names are strings to nft; addresses and prefixes are not */
	bool quoted = strcmp(set->key_type, "ifname") == 0;
	if (quoted)
		emit_str(s, "\"");
	emit_str(s, e->key);
	if (quoted)
		emit_str(s, "\"");
}

/* "add element T s { a, b }" / "delete element ..." over elems[] picked by
 * the caller, ELEMS_PER_COMMAND to a line. */
static void emit_elems(struct script *s, const char *verb, const char *tbl, const struct nft_set *set,
		       const struct nft_elem *const *elems, size_t n, bool with_values)
{
	for (size_t i = 0; i < n; i++) {
		if (i % ELEMS_PER_COMMAND == 0)
			emit(s, "%s element %s %s { ", verb, tbl, set->name);
		else
			emit_str(s, ", ");
		emit_key(s, set, elems[i]);
		if (with_values && elems[i]->value) {
			emit_str(s, " : ");
			emit_str(s, elems[i]->value);
		}
		if (i % ELEMS_PER_COMMAND == ELEMS_PER_COMMAND - 1 || i + 1 == n)
			emit_str(s, " }\n");
	}
}

static bool same_value(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Element changes of one set: deletions (gone, or value changed) then
 * additions (new, or value changed). old may be NULL. */
static int emit_set_diff(struct script *s, const char *tbl, const struct nft_set *old, const struct nft_set *new)
{
	size_t n_old = old ? old->n_elems : 0, n_new = new->n_elems;
	const struct nft_elem **del = NULL, **add = NULL;
	size_t n_del = 0, n_add = 0, i = 0, j = 0;

	if ((n_old && !(del = malloc(n_old * sizeof(*del)))) || (n_new && !(add = malloc(n_new * sizeof(*add))))) {
		free(del);
		return -ENOMEM;
	}
	while (i < n_old || j < n_new) {
		int c = i == n_old ? 1 : j == n_new ? -1 : strcmp(old->elems[i].key, new->elems[j].key);
		if (c < 0) {
			del[n_del++] = &old->elems[i++];
		} else if (c > 0) {
			add[n_add++] = &new->elems[j++];
		} else {
			if (!same_value(old->elems[i].value, new->elems[j].value)) {
				del[n_del++] = &old->elems[i];
				add[n_add++] = &new->elems[j];
			}
			i++;
			j++;
		}
	}
	emit_elems(s, "delete", tbl, new, del, n_del, false);
	emit_elems(s, "add", tbl, new, add, n_add, true);
	free(del);
	free(add);
	return 0;
}

static void emit_set_decl(struct script *s, const char *tbl, const struct nft_set *set)
{
	if (is_map(set))
		emit(s, "add map %s %s { type %s : %s; }\n", tbl, set->name, set->key_type, set->value_type);
	else
		emit(s, "add set %s %s { type %s;%s }\n", tbl, set->name, set->key_type,
		     set->interval ? " flags interval;" : "");
}

static void emit_chain_decl(struct script *s, const char *tbl, const struct nft_chain *c)
{
	if (c->base_spec)
		emit(s, "add chain %s %s { %s }\n", tbl, c->name, c->base_spec);
	else
		emit(s, "add chain %s %s\n", tbl, c->name);
}

static void emit_rules(struct script *s, const char *tbl, const struct nft_chain *c)
{
	for (size_t i = 0; i < c->n_rules; i++) {
		emit(s, "add rule %s %s %s", tbl, c->name, c->rules[i]);
		if (i == 0)
			emit(s, " comment \"h:%016" PRIx64 "\"", c->hash);
		emit(s, "\n");
	}
}

static bool chain_same(const struct nft_chain *a, const struct nft_chain *b)
{
	return a->n_rules == b->n_rules && a->hash == b->hash;
}

static bool set_compatible(const struct nft_set *a, const struct nft_set *b)
{
	return strcmp(a->key_type, b->key_type) == 0 && strcmp(a->value_type, b->value_type) == 0 &&
	       a->interval == b->interval;
}

/* Everything but the leading "add table". */
static int emit_diff_body(struct script *s, const char *tbl, const struct nft_model *old, const struct nft_model *new)
{
	int rc;

	for (size_t i = 0; i < new->n_sets; i++)
		if (!nft_model_find_set(old, new->sets[i].name))
			emit_set_decl(s, tbl, &new->sets[i]);
	for (size_t i = 0; i < new->n_sets; i++)
		if (!is_map(&new->sets[i]) &&
		    (rc = emit_set_diff(s, tbl, nft_model_find_set(old, new->sets[i].name), &new->sets[i])) < 0)
			return rc;
	for (size_t i = 0; i < new->n_chains; i++)
		if (!nft_model_find_chain(old, new->chains[i].name))
			emit_chain_decl(s, tbl, &new->chains[i]);
	for (size_t i = 0; i < new->n_chains; i++) {
		const struct nft_chain *c = &new->chains[i], *was = nft_model_find_chain(old, c->name);
		if (was && chain_same(was, c))
			continue;
		if (was) {
			if (c->base_spec)
				emit_chain_decl(s, tbl, c); /* re-states the policy */
			emit(s, "flush chain %s %s\n", tbl, c->name);
		}
		emit_rules(s, tbl, c);
	}
	for (size_t i = 0; i < new->n_sets; i++)
		if (is_map(&new->sets[i]) &&
		    (rc = emit_set_diff(s, tbl, nft_model_find_set(old, new->sets[i].name), &new->sets[i])) < 0)
			return rc;
	for (size_t i = 0; i < old->n_chains; i++)
		if (!nft_model_find_chain(new, old->chains[i].name) && old->chains[i].n_rules)
			emit(s, "flush chain %s %s\n", tbl, old->chains[i].name);
	for (size_t i = 0; i < old->n_chains; i++)
		if (!nft_model_find_chain(new, old->chains[i].name))
			emit(s, "delete chain %s %s\n", tbl, old->chains[i].name);
	for (size_t i = 0; i < old->n_sets; i++)
		if (!nft_model_find_set(new, old->sets[i].name))
			emit(s, "delete %s %s %s\n", is_map(&old->sets[i]) ? "map" : "set", tbl, old->sets[i].name);
	return 0;
}

static int check_compatible(const struct nft_model *old, const struct nft_model *new)
{
	if (strcmp(old->family, new->family) != 0 || strcmp(old->table, new->table) != 0)
		return -EINVAL;
	for (size_t i = 0; i < new->n_sets; i++) {
		const struct nft_set *was = nft_model_find_set(old, new->sets[i].name);
		if (was && !set_compatible(was, &new->sets[i]))
			return -ESTALE;
	}
	for (size_t i = 0; i < new->n_chains; i++) {
		const struct nft_chain *was = nft_model_find_chain(old, new->chains[i].name);
		if (was && !was->base_spec != !new->chains[i].base_spec)
			return -ESTALE;
	}
	return 0;
}

int nft_render_diff(const struct nft_model *old, const struct nft_model *new, char **out)
{
	struct script body = { 0 }, all = { 0 };
	char tbl[NFT_NAME_MAX + 16];
	int rc;

	*out = NULL;
	if ((rc = check_compatible(old, new)) < 0)
		return rc;
	snprintf(tbl, sizeof(tbl), "%s %s", new->family, new->table);
	if ((rc = emit_diff_body(&body, tbl, old, new)) < 0) {
		free(body.buf);
		return rc;
	}
	if (body.len || !old->table_present)
		emit(&all, "add table %s\n", tbl);
	if (body.len)
		emit_str(&all, body.buf);
	free(body.buf);
	if (body.oom)
		all.oom = true;
	return finish(&all, out);
}

int nft_render_full(const struct nft_model *m, char **out)
{
	struct nft_model empty;
	struct script s = { 0 };
	char tbl[NFT_NAME_MAX + 16], *diff = NULL;
	int rc;

	*out = NULL;
	nft_model_init(&empty, m->family, m->table);
	empty.table_present = false;
	if ((rc = nft_render_diff(&empty, m, &diff)) < 0)
		return rc;
	snprintf(tbl, sizeof(tbl), "%s %s", m->family, m->table);
	/* "add" first so that "delete" cannot fail on a missing table; all in
	 * one transaction, so the kernel never runs without our rules */
	emit(&s, "add table %s\ndelete table %s\n", tbl, tbl);
	emit_str(&s, diff);
	free(diff);
	return finish(&s, out);
}
