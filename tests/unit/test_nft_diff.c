/* Incremental rendering: the diff between two compiled states touches only
 * what changed, in an order the kernel accepts in one transaction. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/dp_state.h"
#include "policy/nft_compile.h"
#include "policy/nft_model.h"
#include "tap.h"

#define EP_A "{\"state\":\"active\",\"name\":\"cali1111111111a\",\"profile_ids\":[\"web\"],\"ipv4_nets\":[\"10.65.0.2/32\"]}"
#define EP_B "{\"state\":\"active\",\"name\":\"cali2222222222b\",\"profile_ids\":[\"web\"],\"ipv4_nets\":[\"10.65.0.3/32\"]}"
#define EP_C "{\"state\":\"active\",\"name\":\"cali3333333333c\",\"profile_ids\":[\"db\"],\"ipv4_nets\":[\"10.65.0.4/32\"]}"
#define WEB(in) "{\"name\":\"web\",\"rules\":{\"id\":\"web\",\"inbound_rules\":[" in "],\"outbound_rules\":[{\"action\":\"allow\"}]}}"
#define DB "{\"name\":\"db\",\"rules\":{\"id\":\"db\",\"inbound_rules\":[{\"action\":\"allow\",\"src_tag\":\"db\"}],\"outbound_rules\":[]}}"
#define WEB_RULES "{\"action\":\"allow\",\"src_tag\":\"web\"},{\"action\":\"allow\",\"protocol\":\"tcp\",\"dst_ports\":[80]}"

static const char *base_state = "{\"endpoints\":[" EP_A "],\"profiles\":[" WEB(WEB_RULES) "," DB
				"],\"tags\":{\"web\":[\"10.65.0.2\",\"10.65.1.1\"],\"db\":[\"10.65.0.4\"]},"
				"\"pools\":[{\"cidr\":\"10.65.0.0/16\",\"masquerade\":true}]}";

/* Compile both states and diff them; NULL on any failure (reported). */
static char *diff_states(const char *old_json, const char *new_json, int *rc_out)
{
	struct dp_state a, b;
	struct nft_model ma, mb;
	char err[MODEL_ERR_MAX], *out = NULL;
	int rc;

	if ((rc = dp_state_from_json(old_json, &a, err, sizeof(err))) < 0) {
		printf("# old state: %s\n", err);
		return NULL;
	}
	if ((rc = dp_state_from_json(new_json, &b, err, sizeof(err))) < 0) {
		printf("# new state: %s\n", err);
		dp_state_free(&a);
		return NULL;
	}
	rc = nft_compile(&a, &ma, NULL);
	if (rc == 0)
		rc = nft_compile(&b, &mb, NULL);
	else
		nft_model_init(&mb, "inet", "calico");
	if (rc == 0)
		rc = nft_render_diff(&ma, &mb, &out);
	if (rc_out)
		*rc_out = rc;
	nft_model_free(&ma);
	nft_model_free(&mb);
	dp_state_free(&a);
	dp_state_free(&b);
	return out;
}

/* Replace the first occurrence of from with to in a copy of s. */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	if (!at)
		return strdup(s);
	char *r = malloc(strlen(s) - strlen(from) + strlen(to) + 1);
	if (!r)
		return NULL;
	sprintf(r, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	return r;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* Every line but "add table" mentions needle. */
static bool all_lines_mention(const char *script, const char *needle)
{
	char *copy = strdup(script), *save = NULL;
	bool ok = copy != NULL;
	for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save))
		if (strcmp(l, "add table inet calico") != 0 && !strstr(l, needle))
			ok = false;
	free(copy);
	return ok;
}

static size_t pos(const char *s, const char *needle)
{
	const char *p = s ? strstr(s, needle) : NULL;
	return p ? (size_t)(p - s) : (size_t)-1;
}

static void test_no_change(void)
{
	char *d = diff_states(base_state, base_state, NULL);
	CHECK_STR(d, "", "no change: the diff is empty");
	free(d);
}

static void test_rule_changed(void)
{
	char *changed = replace(base_state, "\"dst_ports\":[80]", "\"dst_ports\":[8080]");
	char *d = diff_states(base_state, changed, NULL);
	CHECK(d && strstr(d, "flush chain inet calico prof-in-web\n"), "rule changed: its chain is flushed");
	CHECK(d && strstr(d, "add rule inet calico prof-in-web tcp dport 8080 "), "rule changed: the new rule is added");
	CHECK(d && all_lines_mention(d, "prof-in-web"), "rule changed: nothing but that chain is touched");
	CHECK_INT(count_lines(d), 1 + 1 + 3, "rule changed: add table, flush, 3 rules (tag rule x2 families + tcp)");
	free(d);
	free(changed);
}

static void test_endpoint_added(void)
{
	char *more = replace(base_state, EP_A "]", EP_A "," EP_B "]");
	char *d = diff_states(base_state, more, NULL);
	CHECK(d && all_lines_mention(d, "cali2222222222b"), "endpoint added: only its chains and map elements");
	CHECK(d && strstr(d, "add chain inet calico wl-from-cali2222222222b\n") &&
		      strstr(d, "add chain inet calico wl-to-cali2222222222b\n"),
	      "endpoint added: both chains created");
	CHECK(d && strstr(d, "add element inet calico from-wl { \"cali2222222222b\" : goto wl-from-cali2222222222b }\n") &&
		      strstr(d, "add element inet calico to-wl { \"cali2222222222b\" : goto wl-to-cali2222222222b }\n"),
	      "endpoint added: map elements added");
	CHECK(pos(d, "add rule inet calico wl-from-cali2222222222b") < pos(d, "add element inet calico from-wl"),
	      "endpoint added: chain filled before the map points at it");
	free(d);
	free(more);
}

static void test_tag_member_added(void)
{
	char *more = replace(base_state, "\"10.65.1.1\"]", "\"10.65.1.1\",\"10.65.9.9\"]");
	char *d = diff_states(base_state, more, NULL);
	CHECK_STR(d, "add table inet calico\nadd element inet calico tag4-web { 10.65.9.9 }\n",
		  "tag member added: one element add");
	free(d);
	free(more);
}

static void test_endpoint_removed(void)
{
	char *more = replace(base_state, EP_A "]", EP_A "," EP_C "]");
	char *d = diff_states(more, base_state, NULL);
	CHECK(d && strstr(d, "delete element inet calico from-wl { \"cali3333333333c\" }\n"),
	      "endpoint removed: map element deleted");
	CHECK(d && strstr(d, "delete chain inet calico wl-from-cali3333333333c\n") &&
		      strstr(d, "delete chain inet calico prof-in-db\n"),
	      "endpoint removed: its chains and its now unused profile's chains deleted");
	CHECK(pos(d, "delete element inet calico from-wl") < pos(d, "delete chain inet calico wl-from-cali3333333333c"),
	      "endpoint removed: map reference goes before the chain");
	CHECK(pos(d, "flush chain inet calico wl-to-cali3333333333c") < pos(d, "delete chain inet calico prof-in-db"),
	      "endpoint removed: jumps flushed before the profile chain goes");
	CHECK(pos(d, "delete chain inet calico prof-in-db") < pos(d, "delete set inet calico tag4-db"),
	      "endpoint removed: the tag set goes after the rule using it");
	CHECK(d && !strstr(d, "web"), "endpoint removed: the other endpoint and profile untouched");
	free(d);
	free(more);
}

static void test_host_action_changed(void)
{
	char *more = replace(base_state, "{\"endpoints\"", "{\"config\":{\"DefaultEndpointToHostAction\":\"RETURN\"},\"endpoints\"");
	char *d = diff_states(base_state, more, NULL);
	CHECK(d && all_lines_mention(d, "cali-input"), "host action changed: only cali-input touched");
	CHECK(d && strstr(d, "add rule inet calico cali-input iifname \"cali*\" accept\n"),
	      "host action changed: RETURN accepts in our chain");
	free(d);
	free(more);
}

static void test_port_list_changed(void)
{
	char *a = replace(base_state, "\"dst_ports\":[80]", "\"dst_ports\":[80,443]");
	char *b = replace(base_state, "\"dst_ports\":[80]", "\"dst_ports\":[80,8443]");
	char *d = diff_states(a, b, NULL);
	CHECK(d && strstr(d, "add set inet calico ports-") && strstr(d, "{ type inet_service; flags interval; }\n"),
	      "port list changed: a named port set is added");
	CHECK(d && strstr(d, "add element inet calico ports-") && strstr(d, "{ 80, 8443 }\n"),
	      "port list changed: with the new ports");
	CHECK(pos(d, "add set inet calico ports-") < pos(d, "flush chain inet calico prof-in-web"),
	      "port list changed: set before the rule using it");
	CHECK(pos(d, "flush chain inet calico prof-in-web") < pos(d, "delete set inet calico ports-"),
	      "port list changed: old set deleted after the rule using it");
	free(d);
	/* the same list in two rules is one set */
	char *c = replace(base_state, "{\"action\":\"allow\",\"src_tag\":\"web\"}",
			  "{\"action\":\"allow\",\"protocol\":\"udp\",\"dst_ports\":[443,80]}");
	char *c2 = replace(c, "\"dst_ports\":[80]", "\"dst_ports\":[80,443]");
	d = diff_states(base_state, c2, NULL);
	const char *first = d ? strstr(d, "add set inet calico ports-") : NULL;
	CHECK(first && !strstr(first + 1, "add set inet calico ports-"), "one port set for one list used twice");
	free(d);
	free(c);
	free(c2);
	free(a);
	free(b);
}

static void test_stale_set_type(void)
{
	struct nft_model a, b;
	char *out = NULL;
	nft_model_init(&a, "inet", "calico");
	nft_model_init(&b, "inet", "calico");
	/* CHECK evaluates its condition twice: side effects go first */
	bool added = nft_model_add_set(&a, "s", "ipv4_addr", NULL, false) && nft_model_add_set(&b, "s", "ipv4_addr", NULL, true);
	CHECK(added, "stale: sets added");
	int rc_a = nft_model_finish(&a), rc_b = nft_model_finish(&b);
	CHECK_INT(rc_a, 0, "stale: old finished");
	CHECK_INT(rc_b, 0, "stale: new finished");
	int rc = nft_render_diff(&a, &b, &out);
	CHECK_INT(rc, -ESTALE, "a set that changed flags needs a full render");
	CHECK(out == NULL, "stale: no script");
	nft_model_free(&a);
	nft_model_free(&b);
}

static void test_model_rules(void)
{
	struct nft_model m;
	nft_model_init(&m, "inet", "calico");
	struct nft_set *s = nft_model_add_set(&m, "s", "ipv4_addr", NULL, false);
	bool added = s && nft_set_add_elem(s, "10.0.0.2", NULL) == 0 && nft_set_add_elem(s, "10.0.0.1", NULL) == 0 &&
		     nft_set_add_elem(s, "10.0.0.2", NULL) == 0;
	CHECK(added, "model: elements added");
	added = nft_model_add_chain(&m, "c", NULL) && nft_model_add_chain(&m, "c", NULL);
	CHECK(added, "model: two chains of one name added");
	int rc = nft_model_finish(&m);
	CHECK_INT(rc, -EEXIST, "model: a duplicate chain name is refused");
	CHECK_INT(m.sets[0].n_elems, 2, "model: duplicate elements merged");
	CHECK_STR(m.sets[0].elems[0].key, "10.0.0.1", "model: elements sorted");
	nft_model_free(&m);
}

int main(void)
{
	test_no_change();
	test_rule_changed();
	test_endpoint_added();
	test_tag_member_added();
	test_endpoint_removed();
	test_host_action_changed();
	test_port_list_changed();
	test_stale_set_type();
	test_model_rules();
	return tap_done();
}
