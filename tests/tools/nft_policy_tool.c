/* Driver of the policy compiler for the lab tests (tests/lab/nft_load.sh):
 *
 *   nft_policy_tool render STATE.json            full script for a state
 *   nft_policy_tool diff OLD.json NEW.json       incremental script between two states
 *   nft_policy_tool sync KERNEL.json STATE.json  script that turns the kernel's table
 *                                                (`nft -j list table inet calico`) into the state's
 *   nft_policy_tool canon KERNEL.json            the kernel's table in a canonical text form
 *                                                (no handles, sorted sets/chains/elements), so two
 *                                                kernels' tables can be compared with cmp
 *   nft_policy_tool bench N                      compile N endpoints and N profiles, print ms as JSON
 *   nft_policy_tool bench-script N               the full script of that state
 *
 * Scripts go to stdout. Exit 0 on success, 1 with a message on stderr. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/dp_state.h"
#include "policy/nft_compile.h"
#include "util/file_read.h"
#include "policy/nft_model.h"

/* The whole file (or "-" for stdin); NULL when it cannot be read. */
static char *read_path_all(const char *path)
{
	return read_path(path, 256u << 20, NULL);
}

static int compile_file(const char *path, struct nft_model *m)
{
	char err[MODEL_ERR_MAX];
	struct dp_state st;
	char *json = read_path_all(path);
	int rc;

	if (!json) {
		fprintf(stderr, "cannot read %s\n", path);
		return -EIO;
	}
	rc = dp_state_from_json(json, &st, err, sizeof(err));
	free(json);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		return rc;
	}
	rc = nft_compile(&st, m, NULL);
	dp_state_free(&st);
	if (rc < 0)
		fprintf(stderr, "%s: compile failed: %s\n", path, strerror(-rc));
	return rc;
}

static int print_and_free(int rc, char *script)
{
	if (rc == 0)
		fputs(script, stdout);
	free(script);
	return rc;
}

static int cmd_render(const char *state)
{
	struct nft_model m;
	char *script = NULL;
	int rc = compile_file(state, &m);
	if (rc == 0)
		rc = nft_render_full(&m, &script);
	nft_model_free(&m);
	return print_and_free(rc, script);
}

static int cmd_diff(const char *old_state, const char *new_state)
{
	struct nft_model a, b;
	char *script = NULL;
	int rc = compile_file(old_state, &a);
	if (rc == 0) {
		rc = compile_file(new_state, &b);
		if (rc == 0)
			rc = nft_render_diff(&a, &b, &script);
		nft_model_free(&b);
	}
	nft_model_free(&a);
	return print_and_free(rc, script);
}

static int cmd_sync(const char *kernel, const char *state)
{
	struct nft_model k, want;
	char err[256], *script = NULL, *json = read_path_all(kernel);
	int rc;

	if (!json)
		return -EIO;
	rc = nft_model_from_json(json, "inet", "calico", &k, err, sizeof(err));
	free(json);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", kernel, err);
		nft_model_free(&k);
		return rc;
	}
	rc = compile_file(state, &want);
	if (rc == 0) {
		rc = nft_render_diff(&k, &want, &script);
		if (rc == -ESTALE)
			rc = nft_render_full(&want, &script);
	}
	nft_model_free(&want);
	nft_model_free(&k);
	return print_and_free(rc, script);
}

/* ---------- canon ---------- */

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *dump_sorted(json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

/* The set without its handle, elements sorted. */
static char *canon_set(const char *kind, json_t *o)
{
	json_t *copy = json_deep_copy(o), *elems = json_object_get(o, "elem");
	char **texts = NULL, *line = NULL;
	size_t n = json_array_size(elems);

	json_object_del(copy, "handle");
	json_object_del(copy, "elem");
	if (n && !(texts = calloc(n, sizeof(*texts))))
		goto out;
	for (size_t i = 0; i < n; i++)
		texts[i] = dump_sorted(json_array_get(elems, i));
	for (size_t i = 0; i < n; i++)
		if (!texts[i] && !(texts[i] = strdup("(out of memory)")))
			goto out_texts;
	if (n > 1)
		qsort(texts, n, sizeof(*texts), str_cmp);
	char *head = dump_sorted(copy);
	size_t len = strlen(kind) + strlen(head ? head : "") + 8;
	for (size_t i = 0; i < n; i++)
		len += strlen(texts[i] ? texts[i] : "") + 2;
	if ((line = malloc(len))) {
		size_t at = (size_t)sprintf(line, "%s %s", kind, head ? head : "");
		for (size_t i = 0; i < n; i++)
			at += (size_t)sprintf(line + at, "%s%s", i ? ", " : " = ", texts[i] ? texts[i] : "");
	}
	free(head);
out_texts:
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
out:
	free(texts);
	json_decref(copy);
	return line;
}

/* The chain without its handle, then its rules (expr and comment) in order. */
static char *canon_chain(json_t *o, json_t *items)
{
	json_t *copy = json_deep_copy(o), *item;
	const char *name = json_string_value(json_object_get(o, "name"));
	size_t i, len, cap = 4096;
	char *line = malloc(cap), *head;

	json_object_del(copy, "handle");
	head = dump_sorted(copy);
	json_decref(copy);
	if (!line || !head) {
		free(line);
		free(head);
		return NULL;
	}
	len = (size_t)snprintf(line, cap, "chain %s", head);
	free(head);
	json_array_foreach(items, i, item) {
		json_t *r = json_object_get(item, "rule");
		if (!r || strcmp(json_string_value(json_object_get(r, "chain")), name) != 0)
			continue;
		json_t *rc = json_pack("{sOsO?}", "expr", json_object_get(r, "expr"), "comment", json_object_get(r, "comment"));
		char *t = dump_sorted(rc);
		json_decref(rc);
		if (!t)
			continue;
		while (len + strlen(t) + 8 > cap) {
			char *p = realloc(line, cap *= 2);
			if (!p) {
				free(t);
				free(line);
				return NULL;
			}
			line = p;
		}
		len += (size_t)sprintf(line + len, "\n  %s", t);
		free(t);
	}
	return line;
}

static int cmd_canon(const char *kernel)
{
	json_error_t jerr;
	char *json = read_path_all(kernel);
	json_t *root = json ? json_loads(json, 0, &jerr) : NULL, *items, *item;
	char **lines = NULL;
	size_t n = 0, i;

	free(json);
	if (!root || !json_is_array(items = json_object_get(root, "nftables"))) {
		fprintf(stderr, "%s: not nft JSON\n", kernel);
		json_decref(root);
		return -EINVAL;
	}
	lines = calloc(json_array_size(items) + 1, sizeof(*lines));
	json_array_foreach(items, i, item) {
		json_t *o;
		if (!lines)
			break;
		if ((o = json_object_get(item, "set")))
			lines[n++] = canon_set("set", o);
		else if ((o = json_object_get(item, "map")))
			lines[n++] = canon_set("map", o);
		else if ((o = json_object_get(item, "chain")))
			lines[n++] = canon_chain(o, items);
	}
	for (i = 0; i < n; i++)
		if (!lines[i])
			lines[i] = strdup("(out of memory)");
	if (lines && n > 1)
		qsort(lines, n, sizeof(*lines), str_cmp);
	for (i = 0; i < n; i++) {
		printf("%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
	json_decref(root);
	return 0;
}

/* ---------- bench ---------- */

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* N endpoints with two profiles each, N profiles of 10 rules (tags, ports,
 * nets), N tags of 100 members. */
static int build_bench_state(struct dp_state *s, size_t n)
{
	dp_state_init(s);
	if (!(s->endpoints = calloc(n, sizeof(*s->endpoints))) || !(s->profiles = calloc(n, sizeof(*s->profiles))) ||
	    !(s->tags = calloc(n, sizeof(*s->tags))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct endpoint *e = &s->endpoints[s->n_endpoints++];
		strcpy(e->state, "active");
		snprintf(e->name, sizeof(e->name), "cali%011x", (unsigned)(i & 0xffffffu));
		if (!(e->profile_ids = calloc(2, sizeof(char *))) || !(e->ipv4_nets = calloc(1, sizeof(struct cidr))))
			return -ENOMEM;
		for (int k = 0; k < 2; k++) {
			char name[32];
			snprintf(name, sizeof(name), "profile-%zu", (i + (size_t)k * 7) % n);
			if (!(e->profile_ids[e->n_profile_ids++] = strdup(name)))
				return -ENOMEM;
		}
		e->n_ipv4_nets = 1;
		e->ipv4_nets[0].addr.family = 4;
		e->ipv4_nets[0].addr.bytes[0] = 10;
		e->ipv4_nets[0].addr.bytes[1] = 65;
		e->ipv4_nets[0].addr.bytes[2] = (uint8_t)(i >> 8);
		e->ipv4_nets[0].addr.bytes[3] = (uint8_t)i;
		e->ipv4_nets[0].prefix = 32;

		struct profile *p = &s->profiles[s->n_profiles++];
		snprintf(p->name, sizeof(p->name), "profile-%zu", i);
		for (int r = 0; r < 10; r++) {
			struct rule rule;
			rule_init(&rule, r == 0 ? RULE_DENY : RULE_ALLOW);
			snprintf(rule.src_tag, sizeof(rule.src_tag), "tag-%zu", (i + (size_t)r) % n);
			if (r % 2) {
				rule.protocol = PROTO_TCP;
				rule.n_dst_ports = 2;
				rule.dst_ports[0] = (struct port_range){ 80, 80 };
				rule.dst_ports[1] = (struct port_range){ 8000, (uint16_t)(8000 + r) };
			}
			if (rule_list_insert(&p->inbound, p->inbound.n, &rule) < 0)
				return -ENOMEM;
		}
		struct rule out;
		rule_init(&out, RULE_ALLOW);
		if (rule_list_insert(&p->outbound, 0, &out) < 0)
			return -ENOMEM;

		struct dp_tag *t = &s->tags[s->n_tags++];
		snprintf(t->name, sizeof(t->name), "tag-%zu", i);
		if (!(t->members = calloc(100, sizeof(*t->members))))
			return -ENOMEM;
		for (size_t k = 0; k < 100; k++) {
			size_t a = (i * 100 + k) % 65536;
			t->members[t->n_members++] = (struct ip_addr){ .family = 4, .bytes = { 10, 65, (uint8_t)(a >> 8), (uint8_t)a } };
		}
	}
	return 0;
}

/* The full script of the bench state, to time the kernel's load of it. */
static int cmd_bench_script(size_t n)
{
	struct dp_state s;
	struct nft_model m;
	char *full = NULL;
	int rc = build_bench_state(&s, n);
	if (rc == 0) {
		rc = nft_compile(&s, &m, NULL);
		if (rc == 0)
			rc = nft_render_full(&m, &full);
		nft_model_free(&m);
	}
	dp_state_free(&s);
	return print_and_free(rc, full);
}

static int cmd_bench(size_t n)
{
	struct dp_state s;
	struct nft_model m, m2;
	struct nft_compile_report rep;
	char *full = NULL, *diff = NULL;
	int rc = build_bench_state(&s, n);

	if (rc < 0)
		goto out_state;
	double t0 = now_ms();
	rc = nft_compile(&s, &m, &rep);
	double t1 = now_ms();
	if (rc < 0)
		goto out_model;
	rc = nft_render_full(&m, &full);
	double t2 = now_ms();
	if (rc == 0)
		rc = nft_compile(&s, &m2, NULL);
	double t3 = now_ms();
	if (rc == 0)
		rc = nft_render_diff(&m, &m2, &diff);
	double t4 = now_ms();
	if (rc == 0)
		printf("{\"endpoints\":%zu,\"profiles\":%zu,\"rules\":%zu,\"tag_sets\":%zu,\"tag_members\":%zu,"
		       "\"compile_ms\":%.2f,\"render_full_ms\":%.2f,\"script_bytes\":%zu,\"diff_ms\":%.2f,"
		       "\"diff_bytes\":%zu}\n",
		       rep.endpoints, rep.profiles, rep.rules, rep.tag_sets, rep.tag_members, t1 - t0, t2 - t1,
		       strlen(full), t4 - t3, strlen(diff));
	nft_model_free(&m2);
out_model:
	nft_model_free(&m);
out_state:
	free(full);
	free(diff);
	dp_state_free(&s);
	return rc;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc == 3 && strcmp(argv[1], "render") == 0)
		rc = cmd_render(argv[2]);
	else if (argc == 4 && strcmp(argv[1], "diff") == 0)
		rc = cmd_diff(argv[2], argv[3]);
	else if (argc == 4 && strcmp(argv[1], "sync") == 0)
		rc = cmd_sync(argv[2], argv[3]);
	else if (argc == 3 && strcmp(argv[1], "canon") == 0)
		rc = cmd_canon(argv[2]);
	else if (argc == 3 && strcmp(argv[1], "bench-script") == 0)
		rc = cmd_bench_script(strtoul(argv[2], NULL, 10));
	else if (argc == 3 && strcmp(argv[1], "bench") == 0)
		rc = cmd_bench(strtoul(argv[2], NULL, 10));
	else {
		fprintf(stderr, "usage: nft_policy_tool render STATE | diff OLD NEW | sync KERNEL STATE | canon KERNEL | bench N | bench-script N\n");
		return 2;
	}
	if (rc < 0)
		fprintf(stderr, "nft_policy_tool: %s\n", strerror(-rc));
	return rc < 0 ? 1 : 0;
}
