/* YAML <-> JSON trees (resource/yaml_json.h): scalar resolution, documents,
 * refusals, and writing that reads back as the same tree. */
#include <stdlib.h>
#include <string.h>

#include "resource/yaml_json.h"
#include "tap.h"

/* The documents of yaml as compact JSON ("ERR: message" on failure). */
static char *docs(const char *yaml)
{
	char err[256];
	json_t *d = yaml_to_json_docs(yaml, strlen(yaml), err, sizeof(err));
	if (!d) {
		char *s = malloc(strlen(err) + 6);
		sprintf(s, "ERR: %s", err);
		return s;
	}
	char *s = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	json_decref(d);
	return s;
}

static void check_docs(const char *yaml, const char *want, const char *name)
{
	char *got = docs(yaml);
	CHECK_STR(got, want, "%s", name);
	free(got);
}

/* JSON text -> YAML -> JSON text must give the JSON back. */
static void check_round_trip(const char *json, const char *name)
{
	json_error_t jerr;
	json_t *v = json_loads(json, JSON_DECODE_ANY, &jerr);
	char *yaml = v ? json_to_yaml(v, 0) : NULL;
	char *back = yaml ? docs(yaml) : NULL;
	char want[1024];
	snprintf(want, sizeof(want), "[%s]", json);
	CHECK_STR(back, want, "round trip: %s", name);
	if (back && strcmp(back, want) != 0)
		printf("#   yaml:\n%s\n", yaml);
	free(back);
	free(yaml);
	json_decref(v);
}

int main(void)
{
	/* scalars */
	check_docs("a: 80\nb: \"80\"\nc: '80'\n", "[{\"a\":80,\"b\":\"80\",\"c\":\"80\"}]", "quoted digits stay strings");
	check_docs("ports: [80, \"443\", 1000:2000, '3000:4000']\n",
		   "[{\"ports\":[80,\"443\",\"1000:2000\",\"3000:4000\"]}]",
		   "an unquoted a:b stays the range text, not YAML 1.1's base-60 number");
	check_docs("order: 100.5\nx: -3\ny: 1e3\nz: .5\n", "[{\"order\":100.5,\"x\":-3,\"y\":1000.0,\"z\":0.5}]",
		   "numbers");
	check_docs("a: true\nb: False\nc: yes\nd: on\n", "[{\"a\":true,\"b\":false,\"c\":\"yes\",\"d\":\"on\"}]",
		   "true/false are booleans; YAML 1.1's yes/on stay strings");
	check_docs("a: ~\nb: null\nc:\nd: \"\"\n", "[{\"a\":null,\"b\":null,\"c\":null,\"d\":\"\"}]", "nulls");
	check_docs("v: v1.10\nw: 1.10.3\nx: 0x1f\n", "[{\"v\":\"v1.10\",\"w\":\"1.10.3\",\"x\":\"0x1f\"}]",
		   "version-like text stays a string");
	check_docs("selector: role == 'web' && has(tier)\n", "[{\"selector\":\"role == 'web' && has(tier)\"}]",
		   "a selector with quotes inside a plain scalar");
	check_docs("big: 123456789012345678901234567890\n", "[{\"big\":\"123456789012345678901234567890\"}]",
		   "an integer beyond 64 bits is kept as written");
	check_docs("80: http\n", "[{\"80\":\"http\"}]", "a numeric key is a string key");

	/* documents */
	check_docs("a: 1\n---\nb: 2\n", "[{\"a\":1},{\"b\":2}]", "two documents");
	check_docs("---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n", "[{\"a\":1},{\"b\":2}]",
		   "an empty document is left out");
	check_docs("", "[]", "an empty file has no document");
	check_docs("- a: 1\n- b: 2\n", "[[{\"a\":1},{\"b\":2}]]", "a bare list is one document");
	check_docs("{\"kind\": \"Tier\", \"spec\": {\"order\": 10}}", "[{\"kind\":\"Tier\",\"spec\":{\"order\":10}}]",
		   "JSON is YAML");
	check_docs("base: &b {x: 1}\nuse: *b\n", "[{\"base\":{\"x\":1},\"use\":{\"x\":1}}]", "anchors and aliases");

	/* refusals: one line naming where */
	check_docs("a: 1\na: 2\n", "ERR: line 2 column 4: duplicate key \"a\"", "a duplicate key");
	check_docs("a: [1, 2\n", "ERR: line 2 column 1: did not find expected ',' or ']'", "unclosed flow list");
	check_docs("a: b: c\n", "ERR: line 1 column 5: mapping values are not allowed in this context",
		   "a mapping value where none may be");
	check_docs("? [a]\n: 1\n", "ERR: line 1 column 3: a mapping key must be a plain value, not a list or a mapping",
		   "a list as key");
	check_docs("a: *nope\n", "ERR: line 1 column 4: alias to an unknown anchor", "an unknown alias");
	{
		char deep[400] = "";
		for (int i = 0; i < 70; i++)
			strcat(deep, "[");
		char *got = docs(deep);
		CHECK(got && strstr(got, "nested too deeply"), "nesting is bounded: %s", got ? got : "(null)");
		free(got);
	}
	{
		const char nul[] = "a: \"x\\0y\"\n";
		char *got = docs(nul);
		CHECK(got && strstr(got, "NUL"), "a NUL in a value is refused: %s", got ? got : "(null)");
		free(got);
	}

	/* writing reads back as the same tree */
	check_round_trip("{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"GlobalNetworkPolicy\",\"metadata\":{\"name\":\"a\"},"
			 "\"spec\":{\"order\":100,\"selector\":\"role == 'db'\",\"ingress\":[{\"action\":\"Allow\",\"protocol\":\"TCP\","
			 "\"destination\":{\"ports\":[80,\"443\",\"1000:2000\"]}}],\"types\":[\"Ingress\"]}}",
			 "a policy");
	check_round_trip("{\"a\":\"yes\",\"b\":\"on\",\"c\":\"null\",\"d\":\"\",\"e\":\"1_000\",\"f\":\".inf\",\"g\":\"~\","
			 "\"h\":\"true\",\"i\":\"12\",\"j\":\"-1.5\",\"k\":\"0x10\"}",
			 "strings a reader could mistake are quoted");
	check_round_trip("{\"x\":1.25,\"y\":-7,\"z\":false,\"n\":null,\"e\":{},\"l\":[]}", "numbers, booleans, null, empty");
	check_round_trip("{\"s\":\"line1\\nline2\",\"u\":\"café\",\"q\":\"it's \\\"quoted\\\"\"}",
			 "newlines, UTF-8 and quotes");
	{
		json_t *v = json_pack("{s:s}", "kind", "Tier");
		char *y = json_to_yaml(v, 1);
		CHECK(y && strncmp(y, "---\n", 4) == 0, "a document start on request");
		free(y);
		y = json_to_yaml(v, 0);
		CHECK_STR(y, "kind: Tier\n", "block style, no start marker");
		free(y);
		json_decref(v);
	}
	{
		/* a YAML 1.1 reader (Calico's own calicoctl, PyYAML) takes a plain
		 * 2024-01-31T10:00:00Z for a timestamp, not a string */
		json_t *v = json_pack("{s:s}", "creationTimestamp", "2024-01-31T10:00:00Z");
		char *y = json_to_yaml(v, 0);
		CHECK_STR(y, "creationTimestamp: \"2024-01-31T10:00:00Z\"\n", "a timestamp-like string is quoted");
		free(y);
		json_decref(v);
	}
	return tap_done();
}
