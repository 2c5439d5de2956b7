/* Evaluates a parsed selector over a label set: Calico's meaning, where an
 * absent label fails every positive test and passes != and not in. One
 * lookup per leaf (a binary search on the key's hash), no allocation. */
#include <string.h>

#include "selector/selector_ast.h"

static bool in_set(const struct sel_node *n, const char *value, uint32_t len)
{
	struct sel_str v = {(char *)value, len};
	size_t lo = 0, hi = n->n_set;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = sel_str_cmp(&n->set[mid], &v);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool match_label(const struct sel_node *n, const struct label_set *ls, const struct label_slot *l)
{
	const char *value = l ? label_value(ls, l) : NULL;
	uint32_t len = l ? l->value_len : 0;

	switch (n->op) {
	case SEL_HAS:
		return l;
	case SEL_EQ:
		return l && len == n->value.len && memcmp(value, n->value.s, len) == 0;
	case SEL_NE:
		return !l || len != n->value.len || memcmp(value, n->value.s, len) != 0;
	case SEL_CONTAINS:
		return l && memmem(value, len, n->value.s, n->value.len);
	case SEL_STARTS_WITH:
		return l && len >= n->value.len && memcmp(value, n->value.s, n->value.len) == 0;
	case SEL_ENDS_WITH:
		return l && len >= n->value.len && memcmp(value + len - n->value.len, n->value.s, n->value.len) == 0;
	case SEL_IN:
		return l && in_set(n, value, len);
	case SEL_NOT_IN:
		return !l || !in_set(n, value, len);
	default:
		return false;
	}
}

static bool eval(const struct sel_node *n, const struct label_set *ls)
{
	switch (n->op) {
	case SEL_ALL:
	case SEL_GLOBAL:
		return true;
	case SEL_NOT:
		return !eval(n->kids[0], ls);
	case SEL_AND:
		for (size_t i = 0; i < n->n_kids; i++)
			if (!eval(n->kids[i], ls))
				return false;
		return true;
	case SEL_OR:
		for (size_t i = 0; i < n->n_kids; i++)
			if (eval(n->kids[i], ls))
				return true;
		return false;
	default:
		return match_label(n, ls, label_set_find(ls, n->key.s, n->key.len, n->key_hash));
	}
}

bool selector_match(const struct selector *sel, const struct label_set *ls)
{
	return eval(sel->root, ls);
}

bool selector_is_all(const struct selector *sel)
{
	return sel->root->op == SEL_ALL;
}

bool selector_is_global(const struct selector *sel)
{
	return sel->root->op == SEL_GLOBAL;
}
