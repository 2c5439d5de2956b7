/* Recursive descent over the tokens of selector_lex.c, into the tree of
 * selector_ast.h; Calico's precedence: '!' binds to one operation, then
 * '&&', then '||'. The tree comes out simplified only where the meaning is
 * certainly the same: '!!x' is x, '(a && b) && c' is one group of three. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selector/selector_ast.h"
#include "selector/selector_lex.h"
#include "util/array.h"

#define SEL_STRINGIFY_(x) #x
#define SEL_STRINGIFY(x) SEL_STRINGIFY_(x)

struct parser {
	struct sel_lexer lx;
	struct sel_token cur;
	int depth;
	const char *expected; /* on -EINVAL */
	size_t err_pos;
};

static int advance(struct parser *p)
{
	int rc = sel_lex_next(&p->lx, &p->cur);
	if (rc < 0) {
		p->expected = p->lx.expected;
		p->err_pos = p->lx.err_pos;
	}
	return rc;
}

static int expect(struct parser *p, const char *what)
{
	p->expected = what;
	p->err_pos = p->cur.pos;
	return -EINVAL;
}

static int parse_or(struct parser *p, struct sel_node **out);

static int set_value_cmp(const void *a, const void *b)
{
	return sel_str_cmp(a, b);
}

/* '{' [ STR ( ',' STR )* [','] ] '}': a trailing comma is allowed, as Calico allows it. */
static int parse_set(struct parser *p, struct sel_node *n)
{
	size_t cap = 0;
	bool want_string = true; /* after '{' or ',' */
	int rc;

	if (p->cur.kind != TOK_LBRACE)
		return expect(p, "'{'");
	if ((rc = advance(p)) < 0)
		return rc;
	while (p->cur.kind == TOK_STRING) {
		if (array_reserve((void **)&n->set, &cap, n->n_set + 1, sizeof(*n->set)) < 0)
			return -ENOMEM;
		if ((rc = sel_str_copy(&n->set[n->n_set], p->cur.text, p->cur.len)) < 0)
			return rc;
		n->n_set++;
		if ((rc = advance(p)) < 0)
			return rc;
		want_string = p->cur.kind == TOK_COMMA;
		if (!want_string)
			break;
		if ((rc = advance(p)) < 0)
			return rc;
	}
	if (p->cur.kind != TOK_RBRACE)
		return expect(p, want_string ? "a quoted string or '}'" : "',' or '}'");
	if (n->n_set) {
		qsort(n->set, n->n_set, sizeof(*n->set), set_value_cmp);
		size_t w = 1;
		for (size_t r = 1; r < n->n_set; r++) {
			if (sel_str_cmp(&n->set[r], &n->set[w - 1]) == 0)
				free(n->set[r].s);
			else
				n->set[w++] = n->set[r];
		}
		n->n_set = w;
	}
	return advance(p);
}

static enum sel_op label_op(enum sel_tok t)
{
	switch (t) {
	case TOK_EQ: return SEL_EQ;
	case TOK_NE: return SEL_NE;
	case TOK_CONTAINS: return SEL_CONTAINS;
	case TOK_STARTS_WITH: return SEL_STARTS_WITH;
	case TOK_ENDS_WITH: return SEL_ENDS_WITH;
	case TOK_IN: return SEL_IN;
	case TOK_NOT_IN: return SEL_NOT_IN;
	default: return SEL_ALL; /* not a label operator */
	}
}

/* KEY op STR | KEY (in | not in) SET; cur is the KEY. */
static int parse_comparison(struct parser *p, struct sel_node **out)
{
	struct sel_node *n = sel_node_new(SEL_ALL);
	int rc;

	if (!n)
		return -ENOMEM;
	if ((rc = sel_str_copy(&n->key, p->cur.text, p->cur.len)) < 0)
		goto fail;
	n->key_hash = label_key_hash(n->key.s, n->key.len);
	if ((rc = advance(p)) < 0)
		goto fail;
	n->op = label_op(p->cur.kind);
	if (n->op == SEL_ALL) {
		rc = expect(p, "an operator (==, !=, in, not in, contains, starts with, ends with)");
		goto fail;
	}
	if ((rc = advance(p)) < 0)
		goto fail;
	if (n->op == SEL_IN || n->op == SEL_NOT_IN) {
		rc = parse_set(p, n);
	} else if (p->cur.kind != TOK_STRING) {
		rc = expect(p, "a quoted string");
	} else if ((rc = sel_str_copy(&n->value, p->cur.text, p->cur.len)) == 0) {
		rc = advance(p);
	}
	if (rc < 0)
		goto fail;
	*out = n;
	return 0;
fail:
	sel_node_free(n);
	return rc;
}

static int parse_term(struct parser *p, struct sel_node **out)
{
	struct sel_node *n = NULL;
	int rc;

	switch (p->cur.kind) {
	case TOK_ALL:
	case TOK_GLOBAL:
		if (!(n = sel_node_new(p->cur.kind == TOK_ALL ? SEL_ALL : SEL_GLOBAL)))
			return -ENOMEM;
		break;
	case TOK_HAS:
		if (!(n = sel_node_new(SEL_HAS)))
			return -ENOMEM;
		if ((rc = sel_str_copy(&n->key, p->cur.text, p->cur.len)) < 0) {
			sel_node_free(n);
			return rc;
		}
		n->key_hash = label_key_hash(n->key.s, n->key.len);
		break;
	case TOK_LABEL:
		return parse_comparison(p, out);
	case TOK_LPAREN:
		if (++p->depth > SELECTOR_MAX_DEPTH)
			return expect(p, "at most " SEL_STRINGIFY(SELECTOR_MAX_DEPTH) " nested '('");
		if ((rc = advance(p)) < 0 || (rc = parse_or(p, &n)) < 0)
			return rc;
		p->depth--;
		if (p->cur.kind != TOK_RPAREN) {
			sel_node_free(n);
			return expect(p, "'&&', '||' or ')'");
		}
		break;
	default:
		return expect(p, "a label, has(), all(), global(), '!' or '('");
	}
	if ((rc = advance(p)) < 0) {
		sel_node_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

/* '!'* term: an odd run of '!' negates the term once; !!x is x. */
static int parse_unary(struct parser *p, struct sel_node **out)
{
	bool negate = false;
	struct sel_node *n;
	int rc;

	while (p->cur.kind == TOK_NOT) {
		negate = !negate;
		if ((rc = advance(p)) < 0)
			return rc;
	}
	if ((rc = parse_term(p, &n)) < 0)
		return rc;
	if (negate && (rc = sel_negate(&n)) < 0)
		return rc;
	*out = n;
	return 0;
}

/* first (sep next)*: one node, or a group of op holding them all. */
static int parse_list(struct parser *p, enum sel_tok sep, enum sel_op op,
		      int (*next)(struct parser *, struct sel_node **), struct sel_node **out)
{
	struct sel_node *first, *g = NULL, *kid;
	size_t cap = 0;
	int rc;

	if ((rc = next(p, &first)) < 0)
		return rc;
	if (p->cur.kind != sep) {
		*out = first;
		return 0;
	}
	if (!(g = sel_node_new(op))) {
		sel_node_free(first);
		return -ENOMEM;
	}
	if ((rc = sel_group_add(g, first, &cap)) < 0)
		goto fail;
	while (p->cur.kind == sep) {
		if ((rc = advance(p)) < 0 || (rc = next(p, &kid)) < 0 || (rc = sel_group_add(g, kid, &cap)) < 0)
			goto fail;
	}
	*out = g;
	return 0;
fail:
	sel_node_free(g);
	return rc;
}

static int parse_and(struct parser *p, struct sel_node **out)
{
	return parse_list(p, TOK_AND, SEL_AND, parse_unary, out);
}

static int parse_or(struct parser *p, struct sel_node **out)
{
	return parse_list(p, TOK_OR, SEL_OR, parse_and, out);
}

/* The selector as it was written, for the message: quoted, one line, bounded. */
static void quote_input(const char *in, char *buf, size_t len)
{
	size_t w = 0, i;
	for (i = 0; in[i] && w + 8 < len && i < 120; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '"' || c == '\\')
			w += (size_t)snprintf(buf + w, len - w, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			w += (size_t)snprintf(buf + w, len - w, "\\x%02x", c);
		else
			buf[w++] = (char)c;
	}
	if (in[i] && w + 4 <= len)
		w += (size_t)snprintf(buf + w, len - w, "...");
	buf[w < len ? w : len - 1] = '\0';
}

int selector_parse(const char *text, struct selector **out, char *err, size_t errlen)
{
	struct parser p = {0};
	struct selector *sel = calloc(1, sizeof(*sel));
	int rc;

	if (!sel)
		return -ENOMEM;
	sel_lex_init(&p.lx, text);
	if ((rc = advance(&p)) < 0)
		goto fail;
	if (p.cur.kind == TOK_EOF) {
		if (!(sel->root = sel_node_new(SEL_ALL))) {
			rc = -ENOMEM;
			goto fail;
		}
	} else if ((rc = parse_or(&p, &sel->root)) < 0) {
		goto fail;
	} else if (p.cur.kind != TOK_EOF) {
		rc = expect(&p, "'&&', '||' or the end");
		goto fail;
	}
	if ((rc = sel_render(sel)) < 0)
		goto fail;
	sel_make_id(sel);
	*out = sel;
	return 0;
fail:
	if (rc == -EINVAL && err && errlen) {
		char quoted[512];
		quote_input(p.lx.in, quoted, sizeof(quoted));
		snprintf(err, errlen, "selector \"%s\": expected %s at %zu", quoted, p.expected, p.err_pos + 1);
	} else if (err && errlen) {
		snprintf(err, errlen, "selector: out of memory");
	}
	selector_free(sel);
	return rc;
}
