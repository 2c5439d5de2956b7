/* Read-back of the kernel's table: tests/golden/<case>/kernel.json is the
 * real `nft -j list table inet calico` of nftables 1.0.6 after loading that
 * case's expected.nft (captured by tests/lab/nft_load.sh with
 * GOLDEN_CAPTURE=1). Reading it back and diffing against the compiled state
 * must give an empty script; a change must give only that change. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/dp_state.h"
#include "policy/nft_compile.h"
#include "policy/nft_model.h"
#include "util/file_read.h"
#include "tap.h"

/* The whole file (or "-" for stdin); NULL when it cannot be read. */
static char *read_path_all(const char *path)
{
	return read_path(path, 256u << 20, NULL);
}

static char dir[1024];

static char *case_file(const char *name, const char *file)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/%s/%s", dir, name, file);
	return read_path_all(path);
}

static int compile_case(const char *name, struct nft_model *m)
{
	char err[MODEL_ERR_MAX];
	struct dp_state st;
	char *json = case_file(name, "state.json");
	int rc = json ? dp_state_from_json(json, &st, err, sizeof(err)) : -EIO;
	free(json);
	if (rc < 0) {
		nft_model_init(m, "inet", "calico");
		return rc;
	}
	rc = nft_compile(&st, m, NULL);
	dp_state_free(&st);
	return rc;
}

/* Diff from the kernel JSON text to the compiled state of a case. */
static char *sync_script(const char *kernel_json, const char *state_case, int *rc_out)
{
	struct nft_model k, want;
	char err[256] = "", *script = NULL;
	int rc = nft_model_from_json(kernel_json, "inet", "calico", &k, err, sizeof(err));
	if (rc < 0)
		printf("# read-back: %s\n", err);
	if (rc == 0 && (rc = compile_case(state_case, &want)) == 0)
		rc = nft_render_diff(&k, &want, &script);
	else if (rc == 0)
		nft_model_init(&want, "inet", "calico");
	if (rc_out)
		*rc_out = rc;
	nft_model_free(&k);
	if (rc == 0 || rc == -ESTALE)
		nft_model_free(&want);
	return script;
}

static void test_round_trip(const char *name)
{
	char *kernel = case_file(name, "kernel.json");
	int rc = -1;
	CHECK(kernel != NULL, "%s: kernel.json present", name);
	if (!kernel)
		return;
	char *script = sync_script(kernel, name, &rc);
	CHECK_INT(rc, 0, "%s: read back and diffed", name);
	CHECK_STR(script, "", "%s: the kernel's table equals the compiled state", name);
	free(script);
	free(kernel);
}

static void test_contents(void)
{
	struct nft_model k, c;
	char err[256] = "", *kernel = case_file("default-profile", "kernel.json");
	int rc = kernel ? nft_model_from_json(kernel, "inet", "calico", &k, err, sizeof(err)) : -EIO;
	CHECK_INT(rc, 0, "default-profile: read back %s", err);
	free(kernel);
	if (rc < 0)
		return;
	CHECK(k.table_present, "the table is there");
	const struct nft_set *tag = nft_model_find_set(&k, "tag4-p1");
	CHECK(tag && tag->n_elems == 2 && strcmp(tag->elems[0].key, "192.168.0.1") == 0 &&
		      strcmp(tag->elems[1].key, "192.168.1.7") == 0 && !tag->elems[0].value,
	      "tag4-p1 holds the tag's IPv4 members");
	const struct nft_set *v6 = nft_model_find_set(&k, "tag6-p1");
	CHECK(v6 && v6->n_elems == 1 && strcmp(v6->elems[0].key, "fd80:24e2:f998:72d6::1") == 0,
	      "tag6-p1 holds the IPv6 member");
	const struct nft_set *map = nft_model_find_set(&k, "from-wl");
	CHECK(map && strcmp(map->value_type, "verdict") == 0 && strcmp(map->key_type, "ifname") == 0 &&
		      map->n_elems == 1 && strcmp(map->elems[0].key, "cali0ef24b0e6a2") == 0 &&
		      strcmp(map->elems[0].value, "goto wl-from-cali0ef24b0e6a2") == 0,
	      "from-wl maps the interface to its chain");
	const struct nft_set *pools = nft_model_find_set(&k, "pools4");
	CHECK(pools && pools->interval, "pools4 is an interval set");
	CHECK_INT(compile_case("default-profile", &c), 0, "default-profile compiles");
	const struct nft_chain *kc = nft_model_find_chain(&k, "wl-from-cali0ef24b0e6a2"),
			       *cc = nft_model_find_chain(&c, "wl-from-cali0ef24b0e6a2");
	CHECK(kc && cc && kc->hash == cc->hash && kc->n_rules == cc->n_rules && !kc->rules,
	      "chain hash and rule count come back, rule texts do not");
	const struct nft_chain *base = nft_model_find_chain(&k, "cali-forward");
	CHECK(base && base->base_spec, "base chains are recognised");
	CHECK_INT(k.n_chains, c.n_chains, "as many chains as compiled");
	CHECK_INT(k.n_sets, c.n_sets, "as many sets as compiled");
	nft_model_free(&c);
	nft_model_free(&k);
}

static void test_host_action_change(void)
{
	char *kernel = case_file("host-action-drop", "kernel.json");
	int rc = -1;
	char *script = kernel ? sync_script(kernel, "host-action-accept", &rc) : NULL;
	CHECK_INT(rc, 0, "kernel with DROP, state with ACCEPT: diffed");
	CHECK(script && strstr(script, "flush chain inet calico cali-input\n") &&
		      strstr(script, "add rule inet calico cali-input iifname \"cali*\" accept\n"),
	      "only the input chain is refilled");
	CHECK(script && !strstr(script, "wl-") && !strstr(script, "prof-") && !strstr(script, "element"),
	      "nothing else is touched");
	free(script);
	free(kernel);
}

/* Replace every occurrence of from with to. */
static char *replace_all(const char *s, const char *from, const char *to)
{
	size_t n = 0, lf = strlen(from), lt = strlen(to);
	for (const char *p = s; (p = strstr(p, from)); p += lf)
		n++;
	char *r = malloc(strlen(s) + n * (lt > lf ? lt - lf : 0) + 1), *w = r;
	if (!r)
		return NULL;
	for (const char *p = s, *q; ; p = q + lf) {
		q = strstr(p, from);
		size_t k = q ? (size_t)(q - p) : strlen(p);
		memcpy(w, p, k);
		w += k;
		if (!q)
			break;
		memcpy(w, to, lt);
		w += lt;
	}
	*w = '\0';
	return r;
}

static void test_tampered(void)
{
	char *kernel = case_file("default-profile", "kernel.json");
	int rc = -1;
	if (!kernel) {
		CHECK(0, "default-profile kernel.json present");
		return;
	}
	/* a member went missing, and a chain's hash comment was lost */
	char *t1 = replace_all(kernel, "\"192.168.1.7\"", "\"192.168.1.8\"");
	char *script = t1 ? sync_script(t1, "default-profile", &rc) : NULL;
	CHECK_STR(script,
		  "add table inet calico\n"
		  "delete element inet calico tag4-p1 { 192.168.1.8 }\n"
		  "add element inet calico tag4-p1 { 192.168.1.7 }\n",
		  "a wrong set element is replaced, nothing else");
	free(script);

	char *t2 = replace_all(kernel, "\"comment\": \"h:", "\"comment\": \"x:");
	script = t2 ? sync_script(t2, "default-profile", &rc) : NULL;
	CHECK(script && strstr(script, "flush chain inet calico prof-in-p1\n") && !strstr(script, "element"),
	      "chains without a readable hash are refilled, sets untouched");
	free(script);

	const char *no_table = "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\"}}]}";
	script = sync_script(no_table, "no-endpoints", &rc);
	CHECK(rc == 0 && script && strncmp(script, "add table inet calico\nadd map inet calico from-wl", 48) == 0,
	      "no table in the kernel: the diff creates everything");
	free(script);

	struct nft_model m;
	char err[256] = "";
	rc = nft_model_from_json("{\"nftables\": 3}", "inet", "calico", &m, err, sizeof(err));
	CHECK_INT(rc, -EINVAL, "not nft JSON: refused (%s)", err);
	nft_model_free(&m);
	rc = nft_model_from_json("{\"nftables\": [{\"rule\": {\"family\": \"inet\", \"table\": \"calico\", \"chain\": \"x\"}}]}",
				 "inet", "calico", &m, err, sizeof(err));
	CHECK_INT(rc, -EINVAL, "a rule of an unknown chain: refused (%s)", err);
	nft_model_free(&m);
	free(t1);
	free(t2);
	free(kernel);
}

int main(void)
{
	static const char *const cases[] = { "no-endpoints", "default-profile", "two-endpoints-two-profiles",
					     "rule-kinds", "missing-profile", "host-action-drop", "host-action-return",
					     "host-action-accept", "nat-outgoing", "ipv6-endpoint", "keyword-names" };
	const char *env = getenv("GOLDEN_DIR");
	if (env) {
		snprintf(dir, sizeof(dir), "%s", env);
	} else {
		snprintf(dir, sizeof(dir), "%s", __FILE__);
		*strrchr(dir, '/') = '\0';
		snprintf(strrchr(dir, '/'), sizeof(dir) - (size_t)(strrchr(dir, '/') - dir), "/golden");
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_round_trip(cases[i]);
	test_contents();
	test_host_action_change();
	test_tampered();
	return tap_done();
}
