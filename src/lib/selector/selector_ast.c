/* Building and freeing the tree of selector_ast.h: every node owns its
 * strings and its kids, and the selector owns its root. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "selector/selector_ast.h"
#include "util/array.h"

void sel_node_free(struct sel_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_kids; i++)
		sel_node_free(n->kids[i]);
	free(n->kids);
	for (size_t i = 0; i < n->n_set; i++)
		free(n->set[i].s);
	free(n->set);
	free(n->key.s);
	free(n->value.s);
	free(n);
}

int sel_str_cmp(const struct sel_str *a, const struct sel_str *b)
{
	int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

int sel_str_copy(struct sel_str *out, const char *s, size_t len)
{
	out->s = strndup(s, len);
	out->len = (uint32_t)len;
	return out->s ? 0 : -ENOMEM;
}

struct sel_node *sel_node_new(enum sel_op op)
{
	struct sel_node *n = calloc(1, sizeof(*n));
	if (n)
		n->op = op;
	return n;
}

int sel_group_add(struct sel_node *g, struct sel_node *kid, size_t *cap)
{
	size_t more = kid->op == g->op ? kid->n_kids : 1;
	if (array_reserve((void **)&g->kids, cap, g->n_kids + more, sizeof(*g->kids)) < 0) {
		sel_node_free(kid);
		return -ENOMEM;
	}
	if (kid->op == g->op) {
		memcpy(g->kids + g->n_kids, kid->kids, kid->n_kids * sizeof(*kid->kids));
		g->n_kids += kid->n_kids;
		kid->n_kids = 0;
		sel_node_free(kid);
	} else {
		g->kids[g->n_kids++] = kid;
	}
	return 0;
}

int sel_negate(struct sel_node **n)
{
	if ((*n)->op == SEL_NOT) {
		struct sel_node *inner = (*n)->kids[0];
		(*n)->n_kids = 0;
		sel_node_free(*n);
		*n = inner;
		return 0;
	}
	struct sel_node *not = sel_node_new(SEL_NOT);
	if (not && !(not->kids = malloc(sizeof(*not->kids)))) {
		free(not);
		not = NULL;
	}
	if (!not) {
		sel_node_free(*n);
		*n = NULL;
		return -ENOMEM;
	}
	not->kids[0] = *n;
	not->n_kids = 1;
	*n = not;
	return 0;
}

void selector_free(struct selector *sel)
{
	if (!sel)
		return;
	sel_node_free(sel->root);
	free(sel->text);
	free(sel->keys);
	free(sel);
}
