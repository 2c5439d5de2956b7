/* The parsed form of a selector, shared by the parser, the evaluator and the
 * printer of this folder; not for use outside it (selector.h is the API). */
#ifndef CALICO_POLICY_SELECTOR_AST_H
#define CALICO_POLICY_SELECTOR_AST_H

#include <stddef.h>
#include <stdint.h>

#include "selector/selector.h"

enum sel_op {
	SEL_ALL,
	SEL_GLOBAL,
	SEL_HAS,
	SEL_EQ,
	SEL_NE,
	SEL_CONTAINS,
	SEL_STARTS_WITH,
	SEL_ENDS_WITH,
	SEL_IN,
	SEL_NOT_IN,
	SEL_NOT,
	SEL_AND,
	SEL_OR,
};

struct sel_str {
	char *s; /* NUL-terminated copy; len saves the evaluator a strlen */
	uint32_t len;
};

struct sel_node {
	enum sel_op op;
	uint32_t key_hash;    /* label_key_hash of key: what label_set_find wants */
	struct sel_str key;   /* the label ops */
	struct sel_str value; /* ==, !=, contains, starts with, ends with */
	struct sel_str *set;  /* in, not in: sorted by sel_str_cmp, no duplicates */
	size_t n_set;
	struct sel_node **kids; /* not: 1; and, or: 2 or more, none of their own op */
	size_t n_kids;
};

struct selector {
	struct sel_node *root;
	char *text;                    /* normalised */
	char id[SELECTOR_ID_LEN + 1];  /* from text */
	const char **keys;             /* point into the tree's keys */
	size_t n_keys;
};

/* selector_ast.c */
struct sel_node *sel_node_new(enum sel_op op);
void sel_node_free(struct sel_node *n);
/* A NUL-terminated copy of s[0..len). 0 or -ENOMEM. */
int sel_str_copy(struct sel_str *out, const char *s, size_t len);
/* Adds kid to the and/or group g (*cap: room in g->kids), splicing in its
 * kids when it is a group of the same operator. Takes kid, also on -ENOMEM. */
int sel_group_add(struct sel_node *g, struct sel_node *kid, size_t *cap);
/* Replaces *n by its negation; !!x becomes x. Takes *n, also on -ENOMEM. */
int sel_negate(struct sel_node **n);
/* Byte order, shorter first on a common prefix (the order Go sorts strings in). */
int sel_str_cmp(const struct sel_str *a, const struct sel_str *b);

/* selector_text.c: fill text and keys of a freshly parsed selector. 0 or -ENOMEM. */
int sel_render(struct selector *sel);
/* selector_id.c: fill id from text. */
void sel_make_id(struct selector *sel);

/* label_set.c */
uint32_t label_key_hash(const char *key, size_t len);
const struct label_slot *label_set_find(const struct label_set *ls, const char *key, size_t len, uint32_t hash);
const char *label_value(const struct label_set *ls, const struct label_slot *l);

#endif
