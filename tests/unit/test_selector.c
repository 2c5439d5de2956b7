/* Calico's label selectors (src/lib/selector): a conformance table of selector
 * × labels → match, taken from Calico's documented meaning and its own parser
 * tests; refusals with their message; normalised text and ids. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* model.h too: the endpoint model and the selectors meet in one file later,
 * so their names must not collide (model.h has a struct label) */
#include "model/model.h"
#include "selector/selector.h"
#include "util/sha256.h"
#include "tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct match_case {
	const char *selector;
	const char *labels[9]; /* key, value, key, value, ..., NULL */
	bool want;
};

static const struct match_case matches[] = {
	/* equality; an absent label is never equal */
	{"a == \"b\"", {"a", "b"}, true},
	{"a == \"b\"", {"a", "b", "c", "d"}, true},
	{"a == \"b\"", {NULL}, false},
	{"a == \"b\"", {"a", "c"}, false},
	{"a == \"b\"", {"c", "d"}, false},
	{"a == 'a'", {"a", "a"}, true},
	{"a == 'a'", {"a", "b"}, false},
	{"a == 'a'", {NULL}, false},
	{"a == ''", {"a", ""}, true},
	{"a == ''", {NULL}, false},
	/* inequality: true where the label is absent */
	{"a != \"b\"", {"a", "a"}, true},
	{"a != \"a\"", {NULL}, true},
	{"a != \"a\"", {"a", "a"}, false},
	{"a != 'a'", {"b", "a"}, true},
	/* && binds tighter than || */
	{"a == \"b\" && c == \"d\"", {"a", "b", "c", "d"}, true},
	{"a == \"b\" && c == \"d\"", {NULL}, false},
	{"a == \"b\" && c == \"d\"", {"a", "b", "c", "e"}, false},
	{"a == \"b\" && c == \"d\"", {"a", "c", "c", "d"}, false},
	{"a == \"b\" && c == \"d\"", {"a", "b"}, false},
	{"a == \"b\" || c == \"d\"", {"a", "b", "c", "d"}, true},
	{"a == \"b\" || c == \"d\"", {"a", "b"}, true},
	{"a == \"b\" || c == \"d\"", {"c", "d"}, true},
	{"a == \"b\" || c == \"d\"", {"a", "e", "c", "e"}, false},
	{"a == \"b\" || c == \"d\"", {NULL}, false},
	{"a == 'x' || b == 'y' && c == 'z'", {"a", "x"}, true},
	{"a == 'x' || b == 'y' && c == 'z'", {"b", "y"}, false},
	{"a == 'x' || b == 'y' && c == 'z'", {"b", "y", "c", "z"}, true},
	{"(a == 'x' || b == 'y') && c == 'z'", {"a", "x"}, false},
	{"(a == 'x' || b == 'y') && c == 'z'", {"a", "x", "c", "z"}, true},
	{"b == 'y' && c == 'z' || a == 'x'", {"a", "x"}, true},
	/* sets; quotes of either kind inside them */
	{"a in {\"'\", '\"', \"c\"}", {"a", "c"}, true},
	{"a in {\"'\", '\"', \"c\"}", {"a", "\""}, true},
	{"a in {\"'\", '\"', \"c\"}", {"a", "'"}, true},
	{"a in {\"'\", '\"', \"c\"}", {NULL}, false},
	{"a in {\"'\", '\"', \"c\"}", {"a", "e"}, false},
	{"a not in {\"'\", '\"', \"c\"}", {NULL}, true},
	{"a not in {\"'\", '\"', \"c\"}", {"a", "e"}, true},
	{"a not in {\"'\", '\"', \"c\"}", {"a", "c"}, false},
	{"a not in {\"'\", '\"', \"c\"}", {"a", "\""}, false},
	{"a in {\"a\"}", {"a", "a"}, true},
	{"a in {\"a\"}", {"a", "b"}, false},
	{"a in {\"a\", \"b\"}", {"a", "b"}, true},
	{"a in {\"a\", \"b\"}", {"a", "c"}, false},
	{"a not in {\"d\", \"e\"}", {"a", "a"}, true},
	{"a not in {\"a\"}", {"a", "a"}, false},
	{"a in {}", {"a", ""}, false},
	{"a in {}", {NULL}, false},
	{"a not in {}", {NULL}, true},
	{"a not in {}", {"a", "x"}, true},
	{"a in {'x',}", {"a", "x"}, true},
	{"!a in {\"a\"}", {"a", "b"}, true},
	{"!a in {\"a\"}", {"a", "a"}, false},
	/* contains, starts with, ends with: false where absent */
	{"a contains \"a\"", {"a", "a"}, true},
	{"a contains \"a\"", {"a", "bab"}, true},
	{"a contains \"a\"", {"a", "aaa", "b", "c"}, true},
	{"a contains \"a\"", {NULL}, false},
	{"a contains \"a\"", {"a", "b"}, false},
	{"a contains \"a\"", {"b", "aaa"}, false},
	{"a contains ''", {"a", ""}, true},
	{"a contains ''", {NULL}, false},
	{"a starts with \"a\"", {"a", "abb"}, true},
	{"a starts with \"a\"", {"a", "baa"}, false},
	{"a starts with \"a\"", {"b", "aaa"}, false},
	{"a startswith 'ab'", {"a", "ab"}, true},
	{"a starts with 'abc'", {"a", "ab"}, false},
	{"a ends with \"a\"", {"a", "bba"}, true},
	{"a ends with \"a\"", {"a", "aab"}, false},
	{"a ends with \"a\"", {NULL}, false},
	{"a endswith 'ba'", {"a", "a"}, false},
	/* has and negation; a run of ! is one or none */
	{"has(a)", {"a", "b"}, true},
	{"has(a)", {"a", ""}, true},
	{"has(b)", {"a", "b"}, false},
	{"!has(a)", {"b", "b"}, true},
	{"!has(a)", {"a", "b"}, false},
	{"!!has(b)", {"a", "b"}, false},
	{"! has(a)", {"a", "b"}, false},
	{"!!! has(a)", {"a", "b"}, false},
	{"!! ! has(a)", {"a", "b"}, false},
	{"! !!has(a)", {"a", "b"}, false},
	{"!!has(a)", {"a", "b"}, true},
	{"has( a )", {"a", "b"}, true},
	/* the empty selector, all() and global() match everything */
	{"", {NULL}, true},
	{" ", {NULL}, true},
	{"", {"a", "b"}, true},
	{"all()", {NULL}, true},
	{" all( ) ", {"a", "b"}, true},
	{"global()", {NULL}, true},
	{" global()", {"a", "b"}, true},
	{"!all()", {"a", "b"}, false},
	/* boolean expressions of Calico's tests */
	{"a == 'a1' && b == 'b1'", {"a", "a1", "b", "b1"}, true},
	{"a == 'a1' && b != 'b1'", {"a", "a1", "b", "b1"}, false},
	{"a != 'a1' && b == 'b1'", {"a", "a1", "b", "b1"}, false},
	{"a != 'a1' && b != 'b1'", {"a", "a1", "b", "b1"}, false},
	{"a != 'a1' && !b == 'b1'", {"a", "a1", "b", "b1"}, false},
	{"!a == 'a1' && b == 'b1'", {"a", "a1", "b", "b1"}, false},
	{"has(a) && !has(b)", {"a", "a"}, true},
	{"!has(b) && has(a)", {"a", "a"}, true},
	{"!(!has(a) || has(b))", {"a", "a"}, true},
	{"!(has(b) || !has(a))", {"a", "a"}, true},
	{"a == 'a1' || b == 'b1'", {"a", "a1", "b", "b1"}, true},
	{"a == 'a1' || b != 'b1'", {"a", "a1", "b", "b1"}, true},
	{"a != 'a1' || b == 'b1'", {"a", "a1", "b", "b1"}, true},
	{"a != 'a1' || b != 'b1'", {"a", "a1", "b", "b1"}, false},
	{"! a == 'a1' || ! b == 'b1'", {"a", "a1", "b", "b1"}, false},
	/* Kubernetes-style keys; keywords are labels where a label is expected */
	{"projectcalico.org/namespace == 'prod'", {"projectcalico.org/namespace", "prod"}, true},
	{"app.kubernetes.io/name in {'web', 'db'}", {"app.kubernetes.io/name", "db"}, true},
	{"my_key-1 == 'v'", {"my_key-1", "v"}, true},
	{"in == 'x'", {"in", "x"}, true},
	{"has == 'x' && contains != 'y'", {"has", "x"}, true},
	{"a=='b'&&c=='d'", {"a", "b", "c", "d"}, true},
	{"\ta == 'b'\t", {"a", "b"}, true},
	/* a value is compared whole, byte for byte */
	{"a == 'B'", {"a", "b"}, false},
	{"a == 'b '", {"a", "b"}, false},
	{"a in {'b'}", {"a", "bb"}, false},
};

static void fill(struct label_set *ls, const char *const *kv)
{
	for (size_t i = 0; kv[i]; i += 2)
		if (label_set_put(ls, kv[i], kv[i + 1]) < 0)
			abort();
}

static void test_matches(void)
{
	for (size_t i = 0; i < N(matches); i++) {
		const struct match_case *c = &matches[i];
		struct label_set ls = LABEL_SET_INIT;
		struct selector *sel = NULL, *again = NULL;
		char err[256] = "", labels[256] = "";
		int rc;

		fill(&ls, c->labels);
		for (size_t k = 0; c->labels[k]; k += 2)
			snprintf(labels + strlen(labels), sizeof(labels) - strlen(labels), "%s%s=%s", k ? "," : "",
				 c->labels[k], c->labels[k + 1]);
		rc = selector_parse(c->selector, &sel, err, sizeof(err));
		CHECK(rc == 0 && selector_match(sel, &ls) == c->want, "%s {%s} -> %s", c->selector, labels,
		      c->want ? "match" : "no match");
		if (rc < 0)
			printf("#   %s\n", err);
		/* the normalised text means the same */
		if (rc == 0 && selector_parse(selector_text(sel), &again, err, sizeof(err)) == 0) {
			if (selector_match(again, &ls) != c->want)
				CHECK(0, "normalised %s means the same", selector_text(sel));
			selector_free(again);
		} else if (rc == 0) {
			CHECK(0, "normalised %s parses: %s", selector_text(sel), err);
		}
		selector_free(sel);
		label_set_free(&ls);
	}
}

struct refusal {
	const char *selector, *message;
};

static const struct refusal refusals[] = {
	{"a ==", "selector \"a ==\": expected a quoted string at 5"},
	{"b == b", "selector \"b == b\": expected a quoted string at 6"},
	{"b contains b", "selector \"b contains b\": expected a quoted string at 12"},
	{"b starts with b", "selector \"b starts with b\": expected a quoted string at 15"},
	{"b ends with b", "selector \"b ends with b\": expected a quoted string at 13"},
	{"'b1' == b", "selector \"'b1' == b\": expected a label, has(), all(), global(), '!' or '(' at 1"},
	{"b", "selector \"b\": expected an operator (==, !=, in, not in, contains, starts with, ends with) at 2"},
	{"a b", "selector \"a b\": expected an operator (==, !=, in, not in, contains, starts with, ends with) at 3"},
	{"!", "selector \"!\": expected a label, has(), all(), global(), '!' or '(' at 2"},
	{"foo == \"bar\" &", "selector \"foo == \\\"bar\\\" &\": expected '&&' at 14"},
	{"foo == \"bar\" |", "selector \"foo == \\\"bar\\\" |\": expected '||' at 14"},
	{"foo != ||", "selector \"foo != ||\": expected a quoted string at 8"},
	{"foo in {\"\", ||", "selector \"foo in {\\\"\\\", ||\": expected a quoted string or '}' at 13"},
	{"foo in \"\"", "selector \"foo in \\\"\\\"\": expected '{' at 8"},
	{"foo in {'a' 'b'}", "selector \"foo in {'a' 'b'}\": expected ',' or '}' at 13"},
	{"foo in {,}", "selector \"foo in {,}\": expected a quoted string or '}' at 9"},
	{"\"FOO", "selector \"\\\"FOO\": expected a closing \" for the string opened at 1"},
	{"\"FOO'", "selector \"\\\"FOO'\": expected a closing \" for the string opened at 1"},
	{"a == 'FOO", "selector \"a == 'FOO\": expected a closing ' for the string opened at 6"},
	{"(", "selector \"(\": expected a label, has(), all(), global(), '!' or '(' at 2"},
	{"(a == \"foo\"", "selector \"(a == \\\"foo\\\"\": expected '&&', '||' or ')' at 12"},
	{")", "selector \")\": expected a label, has(), all(), global(), '!' or '(' at 1"},
	{"()", "selector \"()\": expected a label, has(), all(), global(), '!' or '(' at 2"},
	{"%", "selector \"%\": expected a label, a quoted string or an operator at 1"},
	{"a == \"b\" && %", "selector \"a == \\\"b\\\" && %\": expected a label, a quoted string or an operator at 13"},
	{"a == \"b\" || %", "selector \"a == \\\"b\\\" || %\": expected a label, a quoted string or an operator at 13"},
	{"a ", "selector \"a \": expected an operator (==, !=, in, not in, contains, starts with, ends with) at 3"},
	{"has(foo) &&", "selector \"has(foo) &&\": expected a label, has(), all(), global(), '!' or '(' at 12"},
	{"has(foo", "selector \"has(foo\": expected ')' to close has( at 8"},
	{"has()", "selector \"has()\": expected a label name in has() at 5"},
	{"has (a)", "selector \"has (a)\": expected an operator (==, !=, in, not in, contains, starts with, ends with) at 5"},
	{"all(x)", "selector \"all(x)\": expected ')' at 5"},
	{"a = 'b'", "selector \"a = 'b'\": expected '==' at 3"},
	{"a starts 'b'", "selector \"a starts 'b'\": expected 'with' after 'starts' at 10"},
	{"a not 'b'", "selector \"a not 'b'\": expected 'in' after 'not' at 7"},
	{"a == 'b' c == 'd'", "selector \"a == 'b' c == 'd'\": expected '&&', '||' or the end at 10"},
	{"has(a) has(b)", "selector \"has(a) has(b)\": expected '&&', '||' or the end at 8"},
	{"a == 'b'\n", "selector \"a == 'b'\\x0a\": expected a label, a quoted string or an operator at 9"},
	{"a\xc3\xa9 == 'b'", "selector \"a\\xc3\\xa9 == 'b'\": expected an operator (==, !=, in, not in, contains, starts with, ends with) at 2"},
};

static void test_refusals(void)
{
	for (size_t i = 0; i < N(refusals); i++) {
		struct selector *sel = NULL;
		char err[512] = "";
		int rc = selector_parse(refusals[i].selector, &sel, err, sizeof(err));
		CHECK(rc == -EINVAL && sel == NULL, "refused: %s", refusals[i].message);
		CHECK_STR(err, refusals[i].message, "message for refusal %zu", i);
		selector_free(sel);
	}
	/* too deep */
	char deep[300];
	memset(deep, '(', 70);
	strcpy(deep + 70, "has(a)");
	memset(deep + 76, ')', 70);
	deep[146] = '\0';
	struct selector *sel = NULL;
	char err[512];
	CHECK(selector_parse(deep, &sel, err, sizeof(err)) == -EINVAL && strstr(err, "expected at most 64 nested '(' at 65"),
	      "70 nested parentheses are refused: %s", err);
	deep[6] = '\0';
	memset(deep, '(', 64);
	strcpy(deep + 64, "has(a)");
	memset(deep + 70, ')', 64);
	deep[134] = '\0';
	CHECK(selector_parse(deep, &sel, err, sizeof(err)) == 0 && strcmp(selector_text(sel), "has(a)") == 0,
	      "64 nested parentheses are not");
	selector_free(sel);
}

/* input -> normalised text; Calico's canonicalisation tests, and ours */
static const char *const normal[][2] = {
	{"", "all()"},
	{" all() ", "all()"},
	{" (all() )", "all()"},
	{"! (has( b)||! has(a ))", "!(has(b) || !has(a))"},
	{"! (a == \"b\"&&! c != \"d\")", "!(a == \"b\" && !c != \"d\")"},
	{"a == \"'\"", "a == \"'\""},
	{"a == '\"'", "a == '\"'"},
	{"a contains '\"'", "a contains '\"'"},
	{"a contains \"'\"", "a contains \"'\""},
	{"a startswith '\"'", "a starts with '\"'"},
	{"a endswith \"'\"", "a ends with \"'\""},
	{"a!='\"'", "a != '\"'"},
	{"a in {\"d\"}", "a in {\"d\"}"},
	{"a in {\"a\", \"b\"}", "a in {\"a\", \"b\"}"},
	{"a in {\"d\", \"a\", \"b\"}", "a in {\"a\", \"b\", \"d\"}"},
	{"a in {\"z\", \"x\", \"y\", \"a\"}", "a in {\"a\", \"x\", \"y\", \"z\"}"},
	{"a in {\"z\", \"z\", \"x\", \"y\", \"x\", \"a\"}", "a in {\"a\", \"x\", \"y\", \"z\"}"},
	{"a in {'b', 'ab', 'a', ''}", "a in {\"\", \"a\", \"ab\", \"b\"}"},
	{"a not in {'\"', \"'\"}", "a not in {'\"', \"'\"}"},
	{"a in {}", "a in {}"},
	{"a in {'x',}", "a in {\"x\"}"},
	{"k == 'v' && x == 'y'", "(k == \"v\" && x == \"y\")"},
	{"k == 'v' || has(x)", "(k == \"v\" || has(x))"},
	{"!(k == 'v')", "!k == \"v\""},
	{"!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))",
	 "!(!((k == \"v\" && has(t)) || all()) && a in {\"b\", \"c\"})"},
	{"a == 'x' || b == 'y' && c == 'z'", "(a == \"x\" || (b == \"y\" && c == \"z\"))"},
	{"(a == 'x' || b == 'y') && c == 'z'", "((a == \"x\" || b == \"y\") && c == \"z\")"},
	/* beyond Calico's String(): same-operator groups flatten, !! goes */
	{"(a == 'x' && b == 'y') && c == 'z'", "(a == \"x\" && b == \"y\" && c == \"z\")"},
	{"a == 'x' && (b == 'y' && (c == 'z'))", "(a == \"x\" && b == \"y\" && c == \"z\")"},
	{"!(!has(a))", "has(a)"},
	{"!!has(a)", "has(a)"},
	{"!(!(!has(a)))", "!has(a)"},
	{"global( )", "global()"},
	{"  has(projectcalico.org/orchestrator)", "has(projectcalico.org/orchestrator)"},
};

/* pairs that must share a normalised text (and id), and pairs that must not */
static const char *const same[][2] = {
	{"", "all()"},
	{"a == 'b'", "a==\"b\""},
	{"a in {'y', 'x', 'x'}", "a in {\"x\",\"y\"}"},
	{"(a == 'b') && (has(c))", "a == 'b' && has(c)"},
	{"a == 'x' && (b == 'y' && c == 'z')", "(a == 'x' && b == 'y') && c == 'z'"},
	{"!(!has(a))", "has(a)"},
	{"a startswith 'x'", "a starts  with 'x'"},
	{"a notin {'x'}", "a not in {'x'}"},
};

static const char *const different[][2] = {
	{"all()", "global()"},
	{"a == 'b'", "a == 'B'"},
	{"a == 'b' && has(c)", "has(c) && a == 'b'"},
	{"a == 'x' || b == 'y' && c == 'z'", "(a == 'x' || b == 'y') && c == 'z'"},
	{"a != 'b'", "!a == 'b'"},
	{"a not in {'b'}", "!a in {'b'}"},
	{"a in {'b'}", "a == 'b'"},
	{"has(a)", "a != ''"},
};

static void test_normal(void)
{
	char err[512];
	for (size_t i = 0; i < N(normal); i++) {
		struct selector *sel = NULL, *again = NULL;
		int rc = selector_parse(normal[i][0], &sel, err, sizeof(err));
		CHECK_STR(rc == 0 ? selector_text(sel) : err, normal[i][1], "normalise %s", normal[i][0]);
		if (rc == 0) {
			rc = selector_parse(selector_text(sel), &again, err, sizeof(err));
			CHECK(rc == 0 && strcmp(selector_text(again), selector_text(sel)) == 0 &&
				      strcmp(selector_id(again), selector_id(sel)) == 0,
			      "%s normalises to itself, same id", normal[i][1]);
			selector_free(again);
		}
		selector_free(sel);
	}
	for (int want_same = 1; want_same >= 0; want_same--) {
		const char *const(*pairs)[2] = want_same ? same : different;
		size_t n = want_same ? N(same) : N(different);
		for (size_t i = 0; i < n; i++) {
			struct selector *a = NULL, *b = NULL;
			int rc = selector_parse(pairs[i][0], &a, err, sizeof(err)) |
				 selector_parse(pairs[i][1], &b, err, sizeof(err));
			bool eq = rc == 0 && strcmp(selector_text(a), selector_text(b)) == 0;
			bool id_eq = rc == 0 && strcmp(selector_id(a), selector_id(b)) == 0;
			CHECK(rc == 0 && eq == want_same && id_eq == want_same, "%s %s %s", pairs[i][0],
			      want_same ? "==" : "!=", pairs[i][1]);
			selector_free(a);
			selector_free(b);
		}
	}
}

static void test_id(void)
{
	struct selector *sel = NULL;
	char err[256];
	CHECK(selector_parse("a == 'b'", &sel, err, sizeof(err)) == 0, "parse for id");
	const char *id = selector_id(sel);
	bool shape = strlen(id) == SELECTOR_ID_LEN && strncmp(id, "s-", 2) == 0 &&
		     strspn(id + 2, "abcdefghijklmnopqrstuvwxyz234567") == SELECTOR_ID_LEN - 2;
	CHECK(shape, "id %s is s- and 26 base32 letters", id);
	/* pinned: SHA-256("a == \"b\"") starts a162c10f; a change of the id changes
	 * every set name in a running ruleset, so it must be deliberate */
	CHECK_STR(id, "s-ufrmcd6qovkmqg4wwefqcsxwhi", "id of a == \"b\" is stable");
	selector_free(sel);
}

/* the id's hash against known digests, across the padding's block edges */
static void test_sha256(void)
{
	static const struct {
		size_t n;
		const char *hex;
	} known[] = {
		{0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
		{56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
		{63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
		{64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
		{119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
		{1000, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"},
	};
	char in[1000], hex[65];
	uint8_t d[32];

	memset(in, 'a', sizeof(in));
	for (size_t i = 0; i < N(known); i++) {
		sha256(in, known[i].n, d);
		for (int b = 0; b < 32; b++)
			snprintf(hex + 2 * b, 3, "%02x", d[b]);
		CHECK_STR(hex, known[i].hex, "sha256 of %zu 'a's", known[i].n);
	}
}

static void test_keys_and_all(void)
{
	struct selector *sel = NULL;
	const char *const *keys;
	char err[256];

	CHECK(selector_parse("b == 'x' || !has(a) && c in {'1'} || b != 'y' || all()", &sel, err, sizeof(err)) == 0,
	      "parse for keys");
	size_t n = selector_keys(sel, &keys);
	CHECK(n == 3 && strcmp(keys[0], "a") == 0 && strcmp(keys[1], "b") == 0 && strcmp(keys[2], "c") == 0,
	      "keys are a, b, c, sorted and once each (%zu)", n);
	CHECK(!selector_is_all(sel), "a selector with labels is not all()");
	selector_free(sel);

	const char *alls[] = {"", "   ", "all()", "(all())", "!!all()"};
	for (size_t i = 0; i < N(alls); i++) {
		CHECK(selector_parse(alls[i], &sel, err, sizeof(err)) == 0 && selector_is_all(sel) &&
			      !selector_is_global(sel) && selector_keys(sel, &keys) == 0,
		      "\"%s\" is all() and reads no label", alls[i]);
		selector_free(sel);
	}
	CHECK(selector_parse("global()", &sel, err, sizeof(err)) == 0 && selector_is_global(sel) && !selector_is_all(sel),
	      "global() is global(), not all()");
	selector_free(sel);
	CHECK(selector_parse(NULL, &sel, err, sizeof(err)) == 0 && selector_is_all(sel), "NULL is the empty selector");
	selector_free(sel);
}

static void test_label_set(void)
{
	struct label_set ls = LABEL_SET_INIT;
	char key[32], value[32];
	bool all = true;

	for (int i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		snprintf(value, sizeof(value), "v%d", i);
		all = all && label_set_put(&ls, key, value) == 0;
	}
	CHECK(all && ls.n == 200, "200 labels put");
	for (int i = 0; i < 200 && all; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		snprintf(value, sizeof(value), "v%d", i);
		const char *got = label_set_get(&ls, key);
		all = got && strcmp(got, value) == 0;
	}
	CHECK(all, "each is found with its value");
	CHECK(label_set_get(&ls, "k200") == NULL && label_set_get(&ls, "") == NULL && label_set_get(&ls, "k") == NULL,
	      "absent keys are not found");
	CHECK(label_set_put(&ls, "k7", "new") == 0 && ls.n == 200, "a second put of a key replaces");
	CHECK_STR(label_set_get(&ls, "k7"), "new", "the later value wins");
	bool seen[200] = {false};
	all = true;
	for (size_t i = 0; i < ls.n; i++) {
		const char *k, *v;
		label_set_at(&ls, i, &k, &v);
		int num = atoi(k + 1);
		snprintf(value, sizeof(value), "v%d", num);
		all = all && k[0] == 'k' && num >= 0 && num < 200 && !seen[num] &&
		      strcmp(v, num == 7 ? "new" : value) == 0;
		if (num >= 0 && num < 200)
			seen[num] = true;
	}
	for (int i = 0; i < 200; i++)
		all = all && seen[i];
	CHECK(all, "label_set_at lists each key once");
	/* replacing a value leaves dead text behind; growth compacts it */
	char big[1000];
	all = true;
	for (int i = 0; i < 2000; i++) {
		memset(big, 'a' + i % 26, sizeof(big) - 1);
		big[(size_t)i % (sizeof(big) - 1) + 1] = '\0';
		all = all && label_set_put(&ls, "k7", big) == 0;
	}
	CHECK(all && ls.n == 200 && strcmp(label_set_get(&ls, "k7"), big) == 0, "2000 replacements keep the last value");
	CHECK(ls.text_cap < 64 * 1024, "and the text does not grow without bound (%zu bytes)", ls.text_cap);
	CHECK_STR(label_set_get(&ls, "k199"), "v199", "other labels survive the compactions");
	label_set_free(&ls);
	CHECK(ls.n == 0 && ls.mem == NULL, "freed set is empty");
}

int main(void)
{
	test_matches();
	test_refusals();
	test_normal();
	test_id();
	test_sha256();
	test_keys_and_all();
	test_label_set();
	return tap_done();
}
