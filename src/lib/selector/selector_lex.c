/* Splits a selector into tokens, one at a time. Calico's tokenizer, in
 * behaviour: white space is blanks and tabs only, strings have no escapes,
 * and operator words are matched as prefixes ("a in{'x'}" and
 * "a startswith 'x'" are accepted, as Calico accepts them). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "selector/selector_lex.h"

void sel_lex_init(struct sel_lexer *lx, const char *text)
{
	memset(lx, 0, sizeof(*lx));
	lx->in = text ? text : "";
	lx->len = strlen(lx->in);
	lx->prev = TOK_NONE;
}

static bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '/' || c == '-';
}

static void skip_blanks(struct sel_lexer *lx)
{
	while (lx->at < lx->len && (lx->in[lx->at] == ' ' || lx->in[lx->at] == '\t'))
		lx->at++;
}

static bool take(struct sel_lexer *lx, const char *word)
{
	size_t n = strlen(word);
	if (lx->len - lx->at < n || memcmp(lx->in + lx->at, word, n) != 0)
		return false;
	lx->at += n;
	return true;
}

static size_t key_span(const struct sel_lexer *lx)
{
	size_t n = 0;
	while (lx->at + n < lx->len && is_key_char(lx->in[lx->at + n]))
		n++;
	return n;
}

static int fail(struct sel_lexer *lx, const char *expected, size_t pos)
{
	lx->expected = expected;
	lx->err_pos = pos;
	return -EINVAL;
}

/* "starts" and "ends" need "with", "not" needs "in", blanks allowed between. */
static int second_word(struct sel_lexer *lx, const char *word, const char *expected)
{
	skip_blanks(lx);
	return take(lx, word) ? 0 : fail(lx, expected, lx->at);
}

static int lex_operator_word(struct sel_lexer *lx, struct sel_token *t)
{
	if (take(lx, "contains")) {
		t->kind = TOK_CONTAINS;
		return 0;
	}
	if (take(lx, "starts")) {
		t->kind = TOK_STARTS_WITH;
		return second_word(lx, "with", "'with' after 'starts'");
	}
	if (take(lx, "ends")) {
		t->kind = TOK_ENDS_WITH;
		return second_word(lx, "with", "'with' after 'ends'");
	}
	if (take(lx, "not")) {
		t->kind = TOK_NOT_IN;
		return second_word(lx, "in", "'in' after 'not'");
	}
	if (take(lx, "in")) {
		t->kind = TOK_IN;
		return 0;
	}
	return fail(lx, "an operator (==, !=, in, not in, contains, starts with, ends with)", lx->at);
}

/* all( ) and global( ): blanks allowed inside. */
static int lex_empty_call(struct sel_lexer *lx, struct sel_token *t, enum sel_tok kind)
{
	skip_blanks(lx);
	if (!take(lx, ")"))
		return fail(lx, "')'", lx->at);
	t->kind = kind;
	return 0;
}

static int lex_has(struct sel_lexer *lx, struct sel_token *t)
{
	skip_blanks(lx);
	size_t n = key_span(lx);
	if (n == 0)
		return fail(lx, "a label name in has()", lx->at);
	t->text = lx->in + lx->at;
	t->len = n;
	lx->at += n;
	skip_blanks(lx);
	if (!take(lx, ")"))
		return fail(lx, "')' to close has(", lx->at);
	t->kind = TOK_HAS;
	return 0;
}

static int lex_string(struct sel_lexer *lx, struct sel_token *t)
{
	char quote = lx->in[lx->at];
	const char *end = memchr(lx->in + lx->at + 1, quote, lx->len - lx->at - 1);
	if (!end)
		return fail(lx, quote == '"' ? "a closing \" for the string opened" : "a closing ' for the string opened",
			    lx->at);
	t->kind = TOK_STRING;
	t->text = lx->in + lx->at + 1;
	t->len = (size_t)(end - t->text);
	lx->at = (size_t)(end - lx->in) + 1;
	return 0;
}

/* '==', '&&', '||': the second character is required; '!' may stand alone. */
static int lex_pair(struct sel_lexer *lx, struct sel_token *t, enum sel_tok kind, const char *expected)
{
	if (lx->at + 1 < lx->len && lx->in[lx->at + 1] == lx->in[lx->at]) {
		lx->at += 2;
		t->kind = kind;
		return 0;
	}
	return fail(lx, expected, lx->at);
}

static int lex_one(struct sel_lexer *lx, struct sel_token *t)
{
	static const char singles[] = "(){},";
	static const enum sel_tok single_kinds[] = {TOK_LPAREN, TOK_RPAREN, TOK_LBRACE, TOK_RBRACE, TOK_COMMA};

	if (lx->at == lx->len) {
		t->kind = TOK_EOF;
		return 0;
	}
	char c = lx->in[lx->at];
	const char *single = strchr(singles, c);
	if (single) {
		lx->at++;
		t->kind = single_kinds[single - singles];
		return 0;
	}
	switch (c) {
	case '"':
	case '\'':
		return lex_string(lx, t);
	case '=':
		return lex_pair(lx, t, TOK_EQ, "'=='");
	case '&':
		return lex_pair(lx, t, TOK_AND, "'&&'");
	case '|':
		return lex_pair(lx, t, TOK_OR, "'||'");
	case '!':
		if (lx->at + 1 < lx->len && lx->in[lx->at + 1] == '=') {
			lx->at += 2;
			t->kind = TOK_NE;
		} else {
			lx->at++;
			t->kind = TOK_NOT;
		}
		return 0;
	}
	if (lx->prev == TOK_LABEL)
		return lex_operator_word(lx, t);
	if (take(lx, "has("))
		return lex_has(lx, t);
	if (take(lx, "all("))
		return lex_empty_call(lx, t, TOK_ALL);
	if (take(lx, "global("))
		return lex_empty_call(lx, t, TOK_GLOBAL);
	size_t n = key_span(lx);
	if (n == 0)
		return fail(lx, "a label, a quoted string or an operator", lx->at);
	t->kind = TOK_LABEL;
	t->text = lx->in + lx->at;
	t->len = n;
	lx->at += n;
	return 0;
}

int sel_lex_next(struct sel_lexer *lx, struct sel_token *t)
{
	memset(t, 0, sizeof(*t));
	skip_blanks(lx);
	t->pos = lx->at;
	int rc = lex_one(lx, t);
	if (rc == 0)
		lx->prev = t->kind;
	return rc;
}
