/* Verdict points in the compiled ruleset (policy/nft_flow.h): ids stable and
 * deterministic, collisions resolved the same way every time, every logged
 * prefix named in the registry and every registered point logged, and
 * nothing at all with flow logs off. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/dp_state.h"
#include "policy/nft_compile.h"
#include "policy/nft_flow.h"
#include "util/file_read.h"
#include "golden.h"
#include "tap.h"

static int load(const char *dir, const char *name, struct dp_state *st)
{
	char path[1024], err[MODEL_ERR_MAX];
	snprintf(path, sizeof(path), "%s/%s/state.json", dir, name);
	char *json = read_path(path, 1 << 24, NULL);
	int rc = json ? dp_state_from_json(json, st, err, sizeof(err)) : -ENOENT;
	free(json);
	return rc;
}

/* Each `log group 2 prefix "X|Y|id"` of the script: its point is registered
 * with that action and direction. Counts the distinct ids seen. */
static bool prefixes_registered(const char *script, const struct nft_flows *f, size_t *distinct)
{
	uint32_t *seen = calloc(f->reg.n + 1, sizeof(*seen));
	size_t n_seen = 0;
	bool ok = seen != NULL;
	for (const char *p = script; ok && (p = strstr(p, "log group 2 prefix \"")); p++) {
		char prefix[FLOW_PREFIX_MAX];
		enum flow_action a;
		enum flow_dir d;
		uint32_t id;
		const char *start = p + strlen("log group 2 prefix \""), *end = strchr(start, '"');
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(end - start), start);
		const struct flow_point *pt = flow_prefix_parse(prefix, &a, &d, &id) == 0 ? flow_registry_get(&f->reg, id) : NULL;
		if (!pt || pt->action != a || pt->dir != d) {
			fprintf(stderr, "# prefix %s: %s\n", prefix, pt ? "action or direction differ" : "not registered");
			ok = false;
			break;
		}
		size_t k = 0;
		while (k < n_seen && seen[k] != id)
			k++;
		if (k == n_seen && n_seen <= f->reg.n)
			seen[n_seen++] = id;
	}
	free(seen);
	*distinct = n_seen;
	return ok;
}

static size_t count(const char *text, const char *what)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* Every rule "add rule T C <match> ct state new limit ... prefix "..."[ comment ...]"
 * has a rule "add rule T C <match> drop" in the script. */
static bool denies_dropped(const char *script)
{
	const char *limit = "ct state new " NFT_FLOW_DENY_LIMIT " log group 2";
	for (const char *line = script; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *eol = strchr(line, '\n'), *at = strstr(line, limit);
		if (!at || (eol && at > eol))
			continue;
		char want[4096];
		snprintf(want, sizeof(want), "%.*sdrop\n", (int)(at - line), line);
		if (!strstr(script, want)) {
			fprintf(stderr, "# no drop after: %.*s\n", (int)(eol ? eol - line : (long)strlen(line)), line);
			return false;
		}
	}
	return true;
}

static const struct flow_point *find(const struct nft_flows *f, enum flow_kind kind, enum flow_dir dir,
				     const char *name, int rule)
{
	for (size_t i = 0; i < f->reg.n; i++) {
		const struct flow_point *p = &f->reg.points[i];
		if (p->name && p->kind == kind && p->dir == dir && strcmp(p->name, name) == 0 && p->rule == rule)
			return p;
	}
	return NULL;
}

int main(void)
{
	char dir[1024], out[NFT_FLOW_TEXT_MAX], again[NFT_FLOW_TEXT_MAX];
	struct dp_state st;
	struct nft_model m1, m2;
	struct nft_flows f1, f2;
	char *s1 = NULL, *s2 = NULL;

	golden_dir(dir, sizeof(dir), __FILE__, "golden");

	/* ---- the statement and the id ---- */
	nft_flows_init(&f1);
	struct flow_point p = nft_flow_point(FLOW_KIND_POLICY, FLOW_ALLOW, FLOW_INGRESS);
	p.tier = "default";
	p.name = "web-in";
	p.namespace = "shop";
	p.rule = 0;
	char want[NFT_FLOW_TEXT_MAX];
	snprintf(want, sizeof(want), "ct state new log group 2 prefix \"A|I|%x\"", (unsigned)flow_point_hash(&p));
	CHECK_INT(nft_flow_log(&f1, &p, out), 0, "an allow registers");
	CHECK_STR(out, want, "allow: the log statement of flow_id.h, id = flow_point_hash");
	CHECK_INT((long)f1.n_fresh, 1L, "the new point is fresh");
	CHECK_INT(nft_flow_log(&f1, &p, again), 0, "the same point again");
	CHECK_STR(again, out, "the same point keeps its id");
	CHECK_INT((long)f1.n_fresh, 1L, "and is not fresh twice");
	struct flow_point q = p;
	q.action = FLOW_DENY;
	snprintf(want, sizeof(want), "ct state new limit rate 50/second burst 100 packets log group 2 prefix \"D|I|%x\"",
		 (unsigned)flow_point_hash(&q));
	CHECK_INT(nft_flow_log(&f1, &q, out), 0, "a deny registers");
	CHECK_STR(out, want, "deny: the rate-limited log of flow_id.h");
	CHECK_INT(nft_flow_log(NULL, &q, out), 0, "flow logs off");
	CHECK_STR(out, "", "off: no statement");
	nft_flows_free(&f1);

	/* ---- collisions: the next free id, the same way each time ---- */
	for (int round = 0; round < 2; round++) {
		struct flow_point squatter = nft_flow_point(FLOW_KIND_PROFILE, FLOW_ALLOW, FLOW_EGRESS);
		squatter.name = "other";
		squatter.id = flow_point_hash(&p);
		nft_flows_init(&f1);
		CHECK_INT(flow_registry_put(&f1.reg, &squatter), 0, "round %d: another point holds the hash's id", round);
		CHECK_INT(nft_flow_log(&f1, &p, out), 0, "round %d: the colliding point registers", round);
		snprintf(want, sizeof(want), "ct state new log group 2 prefix \"A|I|%x\"", (unsigned)flow_point_hash(&p) + 1);
		CHECK_STR(out, want, "round %d: it takes the next id", round);
		CHECK_INT(nft_flow_log(&f1, &p, again), 0, "round %d: again", round);
		CHECK_STR(again, out, "round %d: and keeps it", round);
		CHECK(flow_registry_get(&f1.reg, squatter.id)->kind == FLOW_KIND_PROFILE, "round %d: the first keeps its id",
		      round);
		nft_flows_free(&f1);
	}

	/* ---- a whole compile: deterministic, every point logged and named ---- */
	dp_state_init(&st);
	CHECK_INT(load(dir, "v3-tiers", &st), 0, "v3-tiers state loads");
	nft_flows_init(&f1);
	nft_flows_init(&f2);
	CHECK_INT(nft_compile_flows(&st, &m1, NULL, &f1), 0, "compiles with a registry");
	CHECK_INT(nft_compile_flows(&st, &m2, NULL, &f2), 0, "compiles again");
	nft_render_full(&m1, &s1);
	nft_render_full(&m2, &s2);
	CHECK_STR(s1, s2, "the same state: the same script");
	bool same = f1.reg.n == f2.reg.n && f1.reg.n > 0;
	for (size_t i = 0; same && i < f1.reg.n; i++) {
		const struct flow_point *a = &f1.reg.points[i], *b;
		if (a->name && (!(b = flow_registry_get(&f2.reg, a->id)) || b->kind != a->kind ||
				strcmp(b->name, a->name) != 0 || b->rule != a->rule))
			same = false;
	}
	CHECK(same, "the same state: the same registry (%zu points)", f1.reg.n);
	size_t distinct = 0;
	CHECK(prefixes_registered(s1, &f1, &distinct), "every prefix in the script is a registered point");
	CHECK_INT((long)distinct, (long)f1.reg.n, "and every registered point is logged somewhere");
	/* one rate-limited log per drop that decides a new connection: every
	 * "limit rate" is followed by the drop it logs */
	CHECK(count(s1, "limit rate 50/second burst 100 packets log group 2") > 0, "drops are logged rate-limited");
	CHECK(denies_dropped(s1), "each logged deny has its drop: the same match, then drop");
	const struct flow_point *end = NULL;
	for (size_t i = 0; i < f1.reg.n && !end; i++)
		if (f1.reg.points[i].name && f1.reg.points[i].kind == FLOW_KIND_END_OF_TIER &&
		    f1.reg.points[i].action == FLOW_DENY)
			end = &f1.reg.points[i];
	CHECK(end && end->name[0] && strcmp(end->trigger, end->name) == 0 && end->rule == -1,
	      "a tier's end names the policy that triggered it (%s/%s)", end ? end->tier : "", end ? end->name : "");
	CHECK(find(&f1, FLOW_KIND_FAIL_CLOSED, FLOW_INGRESS, "", -1) && find(&f1, FLOW_KIND_FAIL_CLOSED, FLOW_EGRESS, "", -1),
	      "fail-closed, both directions");
	CHECK(find(&f1, FLOW_KIND_ANTI_SPOOF, FLOW_EGRESS, "", -1), "anti-spoofing");
	CHECK(find(&f1, FLOW_KIND_PROFILE, FLOW_INGRESS, "web", 0), "profile web's inbound rule 0");
	CHECK(find(&f1, FLOW_KIND_END_OF_PROFILES, FLOW_INGRESS, "web", -1), "the profiles' end names the last profile");
	free(s1);
	free(s2);
	s1 = s2 = NULL;
	nft_model_free(&m1);
	nft_model_free(&m2);
	nft_flows_free(&f1);
	nft_flows_free(&f2);

	/* ---- off: no log statement, nothing registered ---- */
	st.flow_logs = false;
	nft_flows_init(&f1);
	CHECK_INT(nft_compile_flows(&st, &m1, NULL, &f1), 0, "compiles with flow logs off");
	nft_render_full(&m1, &s1);
	CHECK(s1 && !strstr(s1, "log group"), "off: no NFLOG statement in the script");
	CHECK_INT((long)f1.reg.n, 0L, "off: nothing registered");
	free(s1);
	nft_model_free(&m1);
	nft_flows_free(&f1);
	dp_state_free(&st);
	return tap_done();
}
