/* The engine's model edits and the batch's script (nft_engine_delta.h). */
#include "agent/nft_engine_delta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/name_table.h"
#include "util/array.h"

struct touched_set {
	long old_index;        /* in before.sets; -1: the set did not exist before the batch */
	bool whole;            /* before holds all of the old set: render the whole new one */
	struct name_table keys; /* touched elements (when not whole) */
};

struct nft_engine_delta {
	struct nft_model before; /* touched chains and sets as they were; unsorted until rendered */
	struct name_table chains; /* touched chain names */
	struct name_table sets;   /* touched set names; id = index in tsets */
	struct touched_set *tsets;
	size_t n_tsets, cap_tsets;
};

int engine_delta_new(struct nft_engine_delta **out)
{
	struct nft_engine_delta *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	nft_model_init(&d->before, "inet", "calico");
	*out = d;
	return 0;
}

void engine_delta_free(struct nft_engine_delta *d)
{
	if (!d)
		return;
	nft_model_free(&d->before);
	name_table_free(&d->chains);
	name_table_free(&d->sets);
	for (size_t i = 0; i < d->n_tsets; i++)
		name_table_free(&d->tsets[i].keys);
	free(d->tsets);
	free(d);
}

/* ---------- lookups that work sorted (an edit) or not (a rebuild) ---------- */

static long find_set(const struct nft_model *m, const struct nft_engine_delta *d, const char *name, size_t *pos)
{
	bool found;
	if (!d) {
		for (size_t i = 0; i < m->n_sets; i++)
			if (strcmp(m->sets[i].name, name) == 0)
				return (long)i;
		*pos = m->n_sets;
		return -1;
	}
	*pos = nft_model_set_pos(m, name, &found);
	return found ? (long)*pos : -1;
}

static long find_chain(const struct nft_model *m, const struct nft_engine_delta *d, const char *name, size_t *pos)
{
	bool found;
	if (!d) {
		/* a rebuild puts each chain once */
		*pos = m->n_chains;
		return -1;
	}
	*pos = nft_model_chain_pos(m, name, &found);
	return found ? (long)*pos : -1;
}

/* ---------- remembering ---------- */

static int touch_chain(const struct nft_model *m, struct nft_engine_delta *d, const char *name, long at)
{
	uint32_t id;
	int rc;
	if (!d || name_table_find(&d->chains, name) >= 0)
		return 0;
	if ((rc = name_table_intern(&d->chains, name, &id)) < 0)
		return rc;
	if (at < 0)
		return 0;
	struct nft_chain *c = nft_model_add_chain(&d->before, name, NULL);
	if (!c)
		return -ENOMEM;
	nft_chain_release(c);
	return nft_chain_copy(&m->chains[at], c);
}

static int touch_set(const struct nft_model *m, struct nft_engine_delta *d, const char *name, long at,
		     struct touched_set **out)
{
	uint32_t id;
	long known = name_table_find(&d->sets, name);
	int rc;

	if (known >= 0) {
		*out = &d->tsets[known];
		return 0;
	}
	if (array_reserve((void **)&d->tsets, &d->cap_tsets, d->n_tsets + 1, sizeof(*d->tsets)) < 0)
		return -ENOMEM;
	if ((rc = name_table_intern(&d->sets, name, &id)) < 0)
		return rc;
	struct touched_set *t = &d->tsets[d->n_tsets++];
	memset(t, 0, sizeof(*t));
	t->old_index = -1;
	t->whole = at < 0;
	if (at >= 0) {
		struct nft_set *s = nft_model_add_set(&d->before, name, "x", NULL, false);
		if (!s)
			return -ENOMEM;
		if ((rc = nft_set_copy(&m->sets[at], s, false)) < 0)
			return rc;
		t->old_index = (long)d->before.n_sets - 1;
	}
	*out = t;
	return 0;
}

/* Remember element key of set `at` as it was, the first time it is touched. */
static int touch_elem(const struct nft_model *m, struct nft_engine_delta *d, long at, const char *key)
{
	struct touched_set *t;
	uint32_t id;
	bool found;
	int rc;

	if (!d)
		return 0;
	if ((rc = touch_set(m, d, m->sets[at].name, at, &t)) < 0)
		return rc;
	if (t->whole || name_table_find(&t->keys, key) >= 0)
		return 0;
	if ((rc = name_table_intern(&t->keys, key, &id)) < 0)
		return rc;
	size_t pos = nft_set_elem_pos(&m->sets[at], key, &found);
	if (!found)
		return 0;
	const struct nft_elem *e = &m->sets[at].elems[pos];
	return nft_set_add_elem(&d->before.sets[t->old_index], e->key, e->value);
}

/* ---------- edits ---------- */

int edit_put_chain(struct nft_model *m, struct nft_engine_delta *d, struct nft_chain *built)
{
	size_t pos;
	long at = find_chain(m, d, built->name, &pos);
	int rc;

	if ((rc = touch_chain(m, d, built->name, at)) < 0)
		return rc;
	if (at >= 0)
		nft_model_remove_chain(m, (size_t)at);
	return nft_model_insert_chain(m, pos, built);
}

int edit_del_chain(struct nft_model *m, struct nft_engine_delta *d, const char *name)
{
	size_t pos;
	long at = find_chain(m, d, name, &pos);
	int rc;

	if (at < 0)
		return 0;
	if ((rc = touch_chain(m, d, name, at)) < 0)
		return rc;
	nft_model_remove_chain(m, (size_t)at);
	return 0;
}

int edit_put_set(struct nft_model *m, struct nft_engine_delta *d, struct nft_set *built)
{
	struct touched_set *t;
	size_t pos;
	long at = find_set(m, d, built->name, &pos);
	int rc;

	if (at >= 0)
		return -EEXIST;
	if (d && (rc = touch_set(m, d, built->name, -1, &t)) < 0)
		return rc;
	return nft_model_insert_set(m, pos, built);
}

int edit_del_set(struct nft_model *m, struct nft_engine_delta *d, const char *name)
{
	struct touched_set *t;
	size_t pos;
	long at = find_set(m, d, name, &pos);
	int rc;

	if (at < 0)
		return 0;
	if (d) {
		if ((rc = touch_set(m, d, name, at, &t)) < 0)
			return rc;
		if (!t->whole) {
			/* before must hold the whole old set: the untouched elements are still as they were */
			const struct nft_set *s = &m->sets[at];
			for (size_t i = 0; i < s->n_elems; i++)
				if (name_table_find(&t->keys, s->elems[i].key) < 0 &&
				    (rc = nft_set_add_elem(&d->before.sets[t->old_index], s->elems[i].key,
							   s->elems[i].value)) < 0)
					return rc;
			t->whole = true;
		}
	}
	nft_model_remove_set(m, (size_t)at);
	return 0;
}

int edit_put_elem(struct nft_model *m, struct nft_engine_delta *d, const char *set, const char *key,
		  const char *value)
{
	size_t pos;
	long at = find_set(m, d, set, &pos);
	bool found;
	int rc;

	if (at < 0)
		return -ENOENT;
	struct nft_set *s = &m->sets[at];
	if (!d)
		return nft_set_add_elem(s, key, value);
	pos = nft_set_elem_pos(s, key, &found);
	if (found && ((!value && !s->elems[pos].value) ||
		      (value && s->elems[pos].value && strcmp(value, s->elems[pos].value) == 0)))
		return 0;
	if ((rc = touch_elem(m, d, at, key)) < 0)
		return rc;
	if (found)
		nft_set_remove_elem(s, pos);
	return nft_set_insert_elem(s, pos, key, value);
}

int edit_del_elem(struct nft_model *m, struct nft_engine_delta *d, const char *set, const char *key)
{
	size_t pos;
	long at = find_set(m, d, set, &pos);
	bool found;
	int rc;

	if (at < 0)
		return 0;
	pos = nft_set_elem_pos(&m->sets[at], key, &found);
	if (!found)
		return 0;
	if ((rc = touch_elem(m, d, at, key)) < 0)
		return rc;
	nft_set_remove_elem(&m->sets[at], pos);
	return 0;
}

/* ---------- the script ---------- */

static int after_part(const struct nft_model *m, const struct nft_engine_delta *d, struct nft_model *after)
{
	bool found;
	int rc;

	for (size_t i = 0; i < d->chains.n; i++) {
		size_t pos = nft_model_chain_pos(m, d->chains.names[i], &found);
		if (!found)
			continue;
		struct nft_chain *c = nft_model_add_chain(after, d->chains.names[i], NULL);
		if (!c)
			return -ENOMEM;
		nft_chain_release(c);
		if ((rc = nft_chain_copy(&m->chains[pos], c)) < 0)
			return rc;
	}
	for (size_t i = 0; i < d->n_tsets; i++) {
		const struct touched_set *t = &d->tsets[i];
		size_t pos = nft_model_set_pos(m, d->sets.names[i], &found);
		if (!found)
			continue;
		const struct nft_set *src = &m->sets[pos];
		struct nft_set *s = nft_model_add_set(after, src->name, "x", NULL, false);
		if (!s)
			return -ENOMEM;
		if ((rc = nft_set_copy(src, s, t->whole)) < 0)
			return rc;
		for (size_t k = 0; !t->whole && k < t->keys.n; k++) {
			size_t ep = nft_set_elem_pos(src, t->keys.names[k], &found);
			if (found && (rc = nft_set_add_elem(s, src->elems[ep].key, src->elems[ep].value)) < 0)
				return rc;
		}
	}
	return 0;
}

int engine_delta_render(const struct nft_model *m, struct nft_engine_delta *d, char **script)
{
	struct nft_model after;
	int rc;

	*script = NULL;
	nft_model_init(&after, m->family, m->table);
	if ((rc = after_part(m, d, &after)) < 0 || (rc = nft_model_finish(&after)) < 0 ||
	    (rc = nft_model_finish(&d->before)) < 0)
		goto out;
	rc = nft_render_diff(&d->before, &after, script);
out:
	nft_model_free(&after);
	return rc;
}
