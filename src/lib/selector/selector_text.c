/* The normalised text of a selector and the list of label keys it reads,
 * both made once when it is parsed. The text is Calico's canonical form
 * (its String()), so it parses back to the same tree. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "selector/selector_ast.h"
#include "util/array.h"

struct text {
	char *s;
	size_t n, cap;
	int rc;
};

static void put_n(struct text *t, const char *s, size_t n)
{
	if (t->rc)
		return;
	if (array_reserve((void **)&t->s, &t->cap, t->n + n + 1, 1) < 0) {
		t->rc = -ENOMEM;
		return;
	}
	memcpy(t->s + t->n, s, n);
	t->n += n;
	t->s[t->n] = '\0';
}

static void put(struct text *t, const char *s)
{
	put_n(t, s, strlen(s));
}

/* Double quotes, unless the value holds one (a value never holds both: the
 * grammar has no escapes). */
static void put_quoted(struct text *t, const struct sel_str *v)
{
	const char *q = memchr(v->s, '"', v->len) ? "'" : "\"";
	put(t, q);
	put_n(t, v->s, v->len);
	put(t, q);
}

static const char *const op_words[] = {
	[SEL_EQ] = " == ",
	[SEL_NE] = " != ",
	[SEL_CONTAINS] = " contains ",
	[SEL_STARTS_WITH] = " starts with ",
	[SEL_ENDS_WITH] = " ends with ",
	[SEL_IN] = " in {",
	[SEL_NOT_IN] = " not in {",
	[SEL_AND] = " && ",
	[SEL_OR] = " || ",
};

static void render(struct text *t, const struct sel_node *n)
{
	switch (n->op) {
	case SEL_ALL:
		put(t, "all()");
		break;
	case SEL_GLOBAL:
		put(t, "global()");
		break;
	case SEL_HAS:
		put(t, "has(");
		put_n(t, n->key.s, n->key.len);
		put(t, ")");
		break;
	case SEL_NOT:
		put(t, "!");
		render(t, n->kids[0]);
		break;
	case SEL_AND:
	case SEL_OR:
		put(t, "(");
		for (size_t i = 0; i < n->n_kids; i++) {
			if (i)
				put(t, op_words[n->op]);
			render(t, n->kids[i]);
		}
		put(t, ")");
		break;
	case SEL_IN:
	case SEL_NOT_IN:
		put_n(t, n->key.s, n->key.len);
		put(t, op_words[n->op]);
		for (size_t i = 0; i < n->n_set; i++) {
			if (i)
				put(t, ", ");
			put_quoted(t, &n->set[i]);
		}
		put(t, "}");
		break;
	default:
		put_n(t, n->key.s, n->key.len);
		put(t, op_words[n->op]);
		put_quoted(t, &n->value);
		break;
	}
}

struct keys {
	const char **k;
	size_t n, cap;
	int rc;
};

static void collect_keys(struct keys *ks, const struct sel_node *n)
{
	for (size_t i = 0; i < n->n_kids; i++)
		collect_keys(ks, n->kids[i]);
	if (!n->key.s || ks->rc)
		return;
	if (array_reserve((void **)&ks->k, &ks->cap, ks->n + 1, sizeof(*ks->k)) < 0) {
		ks->rc = -ENOMEM;
		return;
	}
	ks->k[ks->n++] = n->key.s;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int sel_render(struct selector *sel)
{
	struct text t = {0};
	struct keys ks = {0};

	render(&t, sel->root);
	collect_keys(&ks, sel->root);
	if (t.rc || ks.rc) {
		free(t.s);
		free(ks.k);
		return -ENOMEM;
	}
	if (ks.n) {
		qsort(ks.k, ks.n, sizeof(*ks.k), key_cmp);
		size_t w = 1;
		for (size_t r = 1; r < ks.n; r++)
			if (strcmp(ks.k[r], ks.k[w - 1]) != 0)
				ks.k[w++] = ks.k[r];
		ks.n = w;
	}
	sel->text = t.s;
	sel->keys = ks.k;
	sel->n_keys = ks.n;
	return 0;
}

const char *selector_text(const struct selector *sel)
{
	return sel->text;
}

size_t selector_keys(const struct selector *sel, const char *const **keys)
{
	*keys = sel->keys;
	return sel->n_keys;
}
