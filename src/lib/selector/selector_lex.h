/* The selector's tokens. Context-sensitive as Calico's: right after a label
 * the words contains, starts with, ends with, in and not in are operators;
 * anywhere else a word is a label (so a label may be called "in"). */
#ifndef CALICO_POLICY_SELECTOR_LEX_H
#define CALICO_POLICY_SELECTOR_LEX_H

#include <stddef.h>

enum sel_tok {
	TOK_NONE, /* before the first token */
	TOK_EOF,
	TOK_LABEL,
	TOK_STRING,
	TOK_HAS, /* has(KEY): text is KEY */
	TOK_ALL,
	TOK_GLOBAL,
	TOK_LPAREN,
	TOK_RPAREN,
	TOK_LBRACE,
	TOK_RBRACE,
	TOK_COMMA,
	TOK_EQ,
	TOK_NE,
	TOK_NOT,
	TOK_AND,
	TOK_OR,
	TOK_IN,
	TOK_NOT_IN,
	TOK_CONTAINS,
	TOK_STARTS_WITH,
	TOK_ENDS_WITH,
};

struct sel_token {
	enum sel_tok kind;
	const char *text; /* label, string contents, has()'s label: not NUL-terminated */
	size_t len;
	size_t pos;       /* 0-based offset of the token in the input */
};

struct sel_lexer {
	const char *in;
	size_t len, at;
	enum sel_tok prev;
	/* on failure: what was expected, and where (0-based) */
	const char *expected;
	size_t err_pos;
};

void sel_lex_init(struct sel_lexer *lx, const char *text);
/* 0, or -EINVAL with lx->expected and lx->err_pos set. */
int sel_lex_next(struct sel_lexer *lx, struct sel_token *t);

#endif
