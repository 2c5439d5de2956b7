/* Calico's v3 label selectors (DESIGN §11): parse, evaluate over a label set,
 * normalise, name. Pure logic, no I/O.
 *
 *   expr  := and ( '||' and )*
 *   and   := op ( '&&' op )*
 *   op    := '!'* ( 'all()' | 'global()' | 'has(' KEY ')' | '(' expr ')'
 *                 | KEY ( '==' | '!=' | 'contains' | 'starts with' | 'ends with' ) STR
 *                 | KEY ( 'in' | 'not in' ) '{' [ STR ( ',' STR )* [','] ] '}' )
 *   KEY   := [A-Za-z0-9_./-]+      STR := '...' | "..." (no escapes)
 *
 * '&&' binds tighter than '||'; a run of '!' applies to the one operation after
 * it; white space is blanks and tabs; the empty selector is all(). A label
 * that is absent makes ==, in, contains, starts with, ends with false and
 * != and not in true. All allocation happens in selector_parse and
 * label_set_put; selector_match allocates nothing. */
#ifndef CALICO_POLICY_SELECTOR_H
#define CALICO_POLICY_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------- label sets ---------- */

/* 16 bytes, four to a cache line: a lookup reads the hashes of two or three of
 * them and then one string of the set's text. */
struct label_slot {
	uint32_t key_hash;
	uint32_t key_len, value_len;
	uint32_t key_off; /* "key\0value\0" at text + key_off */
};

/* One block per set: the labels, sorted by (key_hash, key) so a lookup is a
 * binary search on integers, then their text; an endpoint's labels are one
 * allocation to fetch when 100,000 of them are scanned. */
struct label_set {
	void *mem;
	size_t n, cap;            /* labels */
	size_t text_len, text_cap; /* bytes after the labels */
};

#define LABEL_SET_INIT {NULL, 0, 0, 0, 0}

/* Sets key to value, replacing an earlier value of the same key (so a later
 * put wins). 0, -ENOMEM, or -E2BIG for a set over 2 GiB; on failure the set
 * is unchanged. Pointers from label_set_get and label_set_at stay valid only
 * until the next put. */
int label_set_put(struct label_set *ls, const char *key, const char *value);
/* The value of key, or NULL when the set has no such label. */
const char *label_set_get(const struct label_set *ls, const char *key);
/* The i-th label (i < ls->n), in the set's own order (by key hash). */
void label_set_at(const struct label_set *ls, size_t i, const char **key, const char **value);
void label_set_free(struct label_set *ls);

/* ---------- selectors ---------- */

struct selector;

#define SELECTOR_MAX_DEPTH 64 /* nested '(' — bounds the parser's and evaluator's recursion */

/* 0, -EINVAL with a one-line message naming the position (1-based, in bytes)
 * and what was expected, e.g. `selector "a ==": expected a quoted string at 5`,
 * or -ENOMEM. NULL text is the empty selector. *out is set only on success. */
int selector_parse(const char *text, struct selector **out, char *err, size_t errlen);
void selector_free(struct selector *sel);

/* Whether the labels match. No allocation, no side effects. */
bool selector_match(const struct selector *sel, const struct label_set *ls);

/* The normalised text, Calico's canonical form: `a == "b"` (double quotes
 * unless the value holds one), `has(k)`, `!` glued to its operand, every
 * '&&' / '||' group in parentheses — `(a == "b" && has(c))` — with nested
 * groups of the same operator flattened, '!!' dropped, and the values of
 * in / not in sorted and without duplicates. Selectors that differ only in
 * spelling share it; parsing it gives it back. */
const char *selector_text(const struct selector *sel);

/* A short stable name from the normalised text: "s-" and 26 base32 letters
 * (a-z, 2-7) of its SHA-256, 130 bits; usable as (part of) an nftables set
 * name as is. */
#define SELECTOR_ID_LEN 28
const char *selector_id(const struct selector *sel);

/* The label keys the selector reads, sorted (strcmp) and unique: only a change
 * of one of these keys can change its answer for an endpoint. */
size_t selector_keys(const struct selector *sel, const char *const **keys);

/* all() or the empty selector (not global(): that one has a meaning of its
 * own for namespace selectors). */
bool selector_is_all(const struct selector *sel);
bool selector_is_global(const struct selector *sel);

#endif
