/* calico-stars pure logic: argument parsing, a probe's /status, and the
 * collector's graph (who reaches whom) from one round of answers. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fetch.h"
#include "flows.h"
#include "graph.h"
#include "opts.h"
#include "probe.h"
#include "tap.h"

/* The graph's edges as "a->b a->c ..." in its order, and its shown nodes as "a b ...". */
static void summary(const json_t *g, char *edges, size_t el, char *nodes, size_t nl)
{
	size_t i;
	const json_t *v;

	edges[0] = nodes[0] = '\0';
	json_array_foreach (json_object_get(g, "edges"), i, v) {
		size_t l = strlen(edges);
		snprintf(edges + l, el - l, "%s%s->%s", l ? " " : "", json_string_value(json_object_get(v, "from")),
			 json_string_value(json_object_get(v, "to")));
	}
	json_array_foreach (json_object_get(g, "nodes"), i, v) {
		size_t l = strlen(nodes);
		if (json_is_true(json_object_get(v, "reachable")))
			snprintf(nodes + l, nl - l, "%s%s", l ? " " : "", json_string_value(json_object_get(v, "id")));
	}
}

static json_t *status(const char *name, const char *targets_json)
{
	json_t *t = json_loads(targets_json, 0, NULL);
	return json_pack("{s:s,s:o,s:i}", "name", name, "targets", t, "updated", 1);
}

static void test_opts(void)
{
	struct listen_addr a;
	double d;
	char *name;
	const char *url;

	CHECK(opts_listen("0.0.0.0:9000", &a) == 0 && !a.ipv6, "listen 0.0.0.0:9000");
	CHECK(opts_listen("[::1]:9001", &a) == 0 && a.ipv6, "listen [::1]:9001");
	CHECK(opts_listen("10.0.0.1", &a) < 0, "listen without a port refused");
	CHECK(opts_listen("10.0.0.1:0", &a) < 0, "listen port 0 refused");
	CHECK(opts_listen("10.0.0.1:70000", &a) < 0, "listen port 70000 refused");
	CHECK(opts_listen("host:80", &a) < 0, "listen on a name refused");
	CHECK(opts_listen(":80", &a) < 0, "listen with no address refused");
	CHECK(opts_interval("0.5", &d) == 0 && d == 0.5, "interval 0.5");
	CHECK(opts_interval("0", &d) < 0 && opts_interval("x", &d) < 0 && opts_interval("2s", &d) < 0,
	      "intervals 0, x, 2s refused");
	CHECK(opts_http_url("http://10.65.0.3:9000/status") == 0, "target url with port");
	CHECK(opts_http_url("http://backend/status") == 0, "target url with a name");
	CHECK(opts_http_url("http://[fd00::1]:9000/status") == 0, "target url IPv6");
	CHECK(opts_http_url("https://x/") < 0 && opts_http_url("http:///status") < 0 &&
		      opts_http_url("http://x:/") < 0 && opts_http_url("http://x:99999/") < 0 &&
		      opts_http_url("10.0.0.1:9000") < 0,
	      "bad target urls refused");
	CHECK(opts_service("client=http://10.65.1.2:9000/status", &name, &url) == 0 && strcmp(name, "client") == 0 &&
		      strcmp(url, "http://10.65.1.2:9000/status") == 0,
	      "service NAME=URL");
	free(name);
	CHECK(opts_service("client", &name, &url) < 0 && !name, "service without '=' refused");
	CHECK(opts_service("=http://x/", &name, &url) < 0, "service without a name refused");
	CHECK(opts_service("a b=http://x/", &name, &url) < 0, "service name with a space refused");
	CHECK(opts_service("client=ftp://x/", &name, &url) < 0, "service with a non-http url refused");
}

static void test_hostport(void)
{
	char b[64];

	CHECK(graph_url_hostport("http://10.65.0.3:9000/status", b, sizeof(b)) == 0 && strcmp(b, "10.65.0.3:9000") == 0,
	      "host:port of a url");
	CHECK(graph_url_hostport("http://10.65.0.3/status", b, sizeof(b)) == 0 && strcmp(b, "10.65.0.3:80") == 0,
	      "default port 80");
	CHECK(graph_url_hostport("http://[fd00::3]:9000/", b, sizeof(b)) == 0 && strcmp(b, "[fd00::3]:9000") == 0,
	      "IPv6 host:port");
	CHECK(graph_url_hostport("http:///x", b, sizeof(b)) < 0, "no host refused");
}

static void test_probe_status(void)
{
	struct probe_target t[2] = { { .url = "http://a/status" }, { .url = "http://b/status" } };
	struct fetch_result ok = { 200, "{\"name\":\"frontend\",\"targets\":[]}", 0 };
	struct fetch_result notjson = { 200, "hello", 5 };
	struct fetch_result e503 = { 503, "{\"name\":\"x\"}", 0 };
	struct fetch_result none = { 0, NULL, 0 };
	json_t *j;
	char *s;

	ok.len = strlen(ok.body);
	e503.len = strlen(e503.body);
	CHECK(probe_target_update(&t[0], &ok) == 0 && t[0].reachable && t[0].name && !strcmp(t[0].name, "frontend"),
	      "HTTP 200 with a name: reachable, named");
	CHECK(probe_target_update(&t[1], &e503) == 0 && !t[1].reachable && !t[1].name, "HTTP 503: not reachable");
	j = probe_status_json("client", t, 2, 42);
	s = json_dumps(j, JSON_COMPACT);
	CHECK_STR(s,
		  "{\"name\":\"client\",\"targets\":[{\"url\":\"http://a/status\",\"reachable\":true,\"name\":\"frontend\"},"
		  "{\"url\":\"http://b/status\",\"reachable\":false,\"name\":null}],\"updated\":42}",
		  "status JSON");
	free(s);
	json_decref(j);
	CHECK(probe_target_update(&t[0], &notjson) == 0 && t[0].reachable && !t[0].name,
	      "HTTP 200, not JSON: reachable, no name");
	CHECK(probe_target_update(&t[0], &none) == 0 && !t[0].reachable && !t[0].name, "no answer: not reachable");
	j = probe_status_json("client", t, 0, 1);
	s = json_dumps(j, JSON_COMPACT);
	CHECK_STR(s, "{\"name\":\"client\",\"targets\":[],\"updated\":1}", "status with no targets");
	free(s);
	json_decref(j);
}

static void test_graph(void)
{
	json_t *sc = status("client", "[{\"url\":\"http://10.0.0.3:9000/status\",\"reachable\":true,\"name\":\"frontend\"},"
				      "{\"url\":\"http://10.0.0.4:9000/status\",\"reachable\":false,\"name\":null}]");
	/* no names reported: matched by host:port */
	json_t *sf = status("frontend", "[{\"url\":\"http://10.0.0.4:9000/x\",\"reachable\":true,\"name\":null},"
					"{\"url\":\"http://10.0.0.2:9000/status\",\"reachable\":true},"
					"{\"url\":\"http://10.0.0.9:9000/status\",\"reachable\":true,\"name\":\"unknown\"},"
					"{\"url\":\"http://10.0.0.3:9000/status\",\"reachable\":true,\"name\":\"frontend\"}]");
	json_t *sb = status("backend", "[{\"url\":\"http://10.0.0.3:9000/status\",\"reachable\":true,\"name\":\"frontend\"},"
				       "{\"url\":\"http://10.0.0.3:9000/status\",\"reachable\":true,\"name\":\"frontend\"}]");
	struct graph_service s[3] = {
		{ "client", "http://10.0.0.2:9000/status", true, sc },
		{ "frontend", "http://10.0.0.3:9000/status", true, sf },
		{ "backend", "http://10.0.0.4:9000/status", true, sb },
	};
	json_t *rules = json_loads("{\"client\":\"inbound allow tcp from tag management-ui to ports 9000\","
				   "\"backend\":[\"a\",\"b\"],\"frontend\":7}",
				   0, NULL);
	char e[1024], n[256];
	json_t *g;

	g = graph_build(s, 3, rules, 99);
	summary(g, e, sizeof(e), n, sizeof(n));
	CHECK_STR(n, "management-ui client frontend backend", "all reached: every node shown");
	CHECK_STR(e,
		  "management-ui->client management-ui->frontend management-ui->backend client->frontend "
		  "frontend->backend frontend->client backend->frontend",
		  "edges: by reported name, by host:port, no self-loop, no duplicate, unknown names ignored");
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(g, "nodes"), 1), "rules")),
		  "inbound allow tcp from tag management-ui to ports 9000", "rules of client");
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(g, "nodes"), 3), "rules")), "a\nb",
		  "rules as an array are joined");
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(g, "nodes"), 2), "rules")), "",
		  "rules of the wrong type: empty");
	CHECK_INT(json_integer_value(json_object_get(g, "updated")), 99, "updated");
	json_decref(g);

	s[1].reached = false; /* the collector cannot reach frontend */
	g = graph_build(s, 3, NULL, 1);
	summary(g, e, sizeof(e), n, sizeof(n));
	CHECK_STR(n, "management-ui client backend", "unreached frontend: not shown");
	CHECK_STR(e, "management-ui->client management-ui->backend", "no edges to or from an unreached node");
	CHECK_INT(json_array_size(json_object_get(g, "nodes")), 4, "unreached nodes are listed, reachable false");
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(g, "nodes"), 0), "rules")), "",
		  "no rules (collect without --show-rules): empty rules");
	json_decref(g);

	g = graph_build(NULL, 0, NULL, 5);
	s[0].name = NULL;
	summary(g, e, sizeof(e), n, sizeof(n));
	CHECK_STR(n, "management-ui", "no services: only management-ui");
	CHECK_STR(e, "", "no services: no edges");
	json_decref(g);

	/* a service named management-ui merges into the collector's node */
	{
		json_t *sm = status("management-ui",
				    "[{\"url\":\"http://10.0.0.2:9000/status\",\"reachable\":true,\"name\":\"client\"}]");
		json_t *sc2 = status("client",
				     "[{\"url\":\"http://10.0.0.1:9000/status\",\"reachable\":true,\"name\":\"management-ui\"}]");
		struct graph_service m[2] = {
			{ "management-ui", "http://10.0.0.1:9000/status", true, sm },
			{ "client", "http://10.0.0.2:9000/status", true, sc2 },
		};
		g = graph_build(m, 2, NULL, 1);
		summary(g, e, sizeof(e), n, sizeof(n));
		CHECK_STR(n, "management-ui client", "management-ui as a service: one node");
		CHECK_STR(e, "management-ui->client client->management-ui", "edges to and from management-ui");
		json_decref(g);
		json_decref(sm);
		json_decref(sc2);
	}
	json_decref(rules);
	json_decref(sc);
	json_decref(sf);
	json_decref(sb);
}

/* A flow record as calico-node's flows socket gives it (DESIGN §12). src/dst:
 * "wep:SERVICE" (a workload labelled role=SERVICE) or "net:pvt". */
static json_t *record(const char *reporter, const char *src, const char *dst, int port, const char *action,
		      const char *enforced, long long end)
{
	json_t *ep[2];
	const char *side[2] = { src, dst };
	for (int i = 0; i < 2; i++) {
		const char *name = strchr(side[i], ':') + 1;
		if (strncmp(side[i], "wep:", 4) == 0)
			ep[i] = json_pack("{s:s,s:s+,s:s,s:{s:s,s:s}}", "kind", "wep", "name", "demo-", name, "namespace",
					  "mesos", "labels", "role", name, "app", name);
		else
			ep[i] = json_pack("{s:s,s:s,s:s,s:{}}", "kind", "net", "name", name, "namespace", "", "labels");
	}
	return json_pack("{s:I,s:I,s:s,s:o,s:o,s:s,s:i,s:s,s:{s:o},s:i}", "start", (json_int_t)(end - 5), "end",
			 (json_int_t)end, "reporter", reporter, "source", ep[0], "dest", ep[1], "proto", "tcp", "dest_port",
			 port, "action", action, "policies", "enforced", json_loads(enforced, 0, NULL),
			 "connections_started", 3);
}

/* "from->to label|..." of g's denied edges, in order */
static void denied_summary(const json_t *g, char *buf, size_t len)
{
	size_t i;
	const json_t *v;
	buf[0] = '\0';
	json_array_foreach (json_object_get(g, "denied"), i, v) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%s%s->%s %s", l ? "|" : "", json_string_value(json_object_get(v, "from")),
			 json_string_value(json_object_get(v, "to")), json_string_value(json_object_get(v, "label")));
	}
}

/* node id's flows as "dir peer port action policy|..." */
static void flows_summary(const json_t *g, const char *id, char *buf, size_t len)
{
	size_t i, k;
	const json_t *v, *f;
	buf[0] = '\0';
	json_array_foreach (json_object_get(g, "nodes"), i, v) {
		if (strcmp(json_string_value(json_object_get(v, "id")), id) != 0)
			continue;
		json_array_foreach (json_object_get(v, "flows"), k, f) {
			size_t l = strlen(buf);
			snprintf(buf + l, len - l, "%s%s %s %lld %s %s", l ? "|" : "", json_string_value(json_object_get(f, "dir")),
				 json_string_value(json_object_get(f, "peer")),
				 (long long)json_integer_value(json_object_get(f, "port")),
				 json_string_value(json_object_get(f, "action")),
				 json_string_value(json_object_get(f, "policy")));
		}
	}
}

static void test_flow_labels(void)
{
	static const struct {
		const char *point, *want;
	} cases[] = {
		{ "{\"kind\":\"policy\",\"tier\":\"demo\",\"name\":\"demo.allow-ui\",\"namespace\":\"\",\"rule\":0}",
		  "policy demo/demo.allow-ui rule 0" },
		{ "{\"kind\":\"policy\",\"tier\":\"default\",\"name\":\"web\",\"namespace\":\"shop\",\"rule\":2}",
		  "policy default/shop/web rule 2" },
		{ "{\"kind\":\"profile\",\"name\":\"backend\",\"rule\":1}", "profile backend rule 1" },
		{ "{\"kind\":\"end-of-tier\",\"tier\":\"demo\",\"name\":\"demo.default-deny\",\"trigger\":\"demo.default-deny\","
		  "\"rule\":-1}",
		  "end of tier demo (demo.default-deny)" },
		{ "{\"kind\":\"end-of-profiles\",\"name\":\"backend\",\"trigger\":\"backend\",\"rule\":-1}",
		  "end of profiles (backend)" },
		{ "{\"kind\":\"end-of-profiles\",\"name\":\"\",\"rule\":-1}", "end of profiles" },
		{ "{\"kind\":\"fail-closed\",\"rule\":-1}", "fail-closed drop" },
		{ "{\"kind\":\"anti-spoof\",\"rule\":-1}", "anti-spoofing drop" },
		{ "{\"kind\":\"unknown\",\"id\":\"1f3a\",\"action\":\"deny\"}", "verdict point 1f3a" },
	};
	char buf[300], enf[600];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* the deciding point is the last of the trace */
		snprintf(enf, sizeof(enf), "[{\"kind\":\"end-of-tier\",\"tier\":\"t0\",\"action\":\"pass\"},%s]", cases[i].point);
		json_t *r = record("dst", "net:pvt", "wep:backend", 9000, "deny", enf, 1);
		flows_decider_label(r, buf, sizeof(buf));
		const char *want = cases[i].want ? cases[i].want : ""; /* never NULL: -O2 cannot tell */
		CHECK_STR(buf, want, "decider label: %s", want);
		json_decref(r);
	}
	json_t *r = record("dst", "net:pvt", "wep:backend", 9000, "allow", "[]", 1);
	flows_decider_label(r, buf, sizeof(buf));
	CHECK_STR(buf, "", "decider label: none for a record without a trace");
	json_decref(r);
}

/* The demo at step 4: management-ui and client on host2, frontend and backend
 * on host1; client -> frontend -> backend allowed, every other probe denied. */
static void test_flow_join(void)
{
	json_t *sc = status("client", "[{\"url\":\"http://10.65.1.3:9000/status\",\"reachable\":true,\"name\":\"frontend\"},"
				      "{\"url\":\"http://10.65.1.4:9000/status\",\"reachable\":false,\"name\":null}]");
	json_t *sf = status("frontend", "[{\"url\":\"http://10.65.2.2:9000/status\",\"reachable\":false,\"name\":null},"
					"{\"url\":\"http://10.65.1.4:9000/status\",\"reachable\":true,\"name\":\"backend\"}]");
	json_t *sb = status("backend", "[{\"url\":\"http://10.65.2.2:9000/status\",\"reachable\":false,\"name\":null},"
				       "{\"url\":\"http://10.65.1.3:9000/status\",\"reachable\":false,\"name\":null}]");
	struct graph_service s[3] = {
		{ "client", "http://10.65.2.2:9000/status", true, sc },
		{ "frontend", "http://10.65.1.3:9000/status", true, sf },
		{ "backend", "http://10.65.1.4:9000/status", true, sb },
	};
	const char *eop_backend = "[{\"kind\":\"end-of-profiles\",\"name\":\"backend\",\"trigger\":\"backend\",\"rule\":-1,"
				  "\"action\":\"deny\",\"id\":\"20\"}]";
	const char *eop_frontend = "[{\"kind\":\"end-of-profiles\",\"name\":\"frontend\",\"rule\":-1,\"action\":\"deny\"}]";
	const char *eop_client = "[{\"kind\":\"end-of-profiles\",\"name\":\"client\",\"rule\":-1,\"action\":\"deny\"}]";
	const char *allow_fb = "[{\"kind\":\"profile\",\"name\":\"backend\",\"rule\":2,\"action\":\"allow\"}]";
	json_t *host1 = json_array(), *host2 = json_array(), *g;
	char buf[2048];

	/* host1 names its own workloads; the client, on host2, is a network */
	json_array_append_new(host1, record("dst", "net:pvt", "wep:backend", 9000, "deny", eop_backend, 90));
	json_array_append_new(host1, record("dst", "wep:frontend", "wep:backend", 9000, "allow", allow_fb, 100));
	json_array_append_new(host1, record("dst", "wep:backend", "wep:frontend", 9000, "deny", eop_frontend, 100));
	json_array_append_new(host1, record("dst", "net:pvt", "wep:backend", 22, "deny", eop_backend, 100));
	/* a newer deny of the same pair names the rule */
	json_array_append_new(host1, record("dst", "net:pvt", "wep:backend", 9000, "deny",
					    "[{\"kind\":\"profile\",\"name\":\"backend\",\"rule\":4,\"action\":\"deny\"}]", 95));
	json_array_append_new(host2, record("dst", "net:pvt", "wep:client", 9000, "deny", eop_client, 95));
	json_array_append_new(host2, record("src", "wep:client", "net:pvt", 9000, "allow", "[]", 100));
	/* the forwarder's connection into the UI: from no service */
	json_array_append_new(host2, record("dst", "net:pvt", "wep:management-ui", 9001, "deny", "[]", 100));
	json_array_append_new(host2, json_string("not a record"));
	const json_t *hosts[2] = { host1, host2 };

	g = graph_build(s, 3, NULL, 100);
	CHECK(flows_join(g, s, 3, hosts, 2, "role", FLOWS_LAST_DEFAULT) == 0, "join: 0");
	denied_summary(g, buf, sizeof(buf));
	CHECK_STR(buf,
		  "client->backend profile backend rule 4|frontend->client end of profiles (client)|"
		  "backend->client end of profiles (client)|backend->frontend end of profiles (frontend)",
		  "denied edges: each probe that failed and a deny on its port names the rule, the newest record winning; "
		  "a network source stands for the services of other hosts; no edge for a port no one probes");
	CHECK_STR(json_string_value(json_object_get(
			  json_object_get(json_array_get(json_object_get(g, "denied"), 0), "by"), "kind")),
		  "profile", "a denied edge carries the deciding point as the record has it");
	flows_summary(g, "client", buf, sizeof(buf));
	CHECK_STR(buf, "out pvt 9000 allow |in pvt 9000 deny end of profiles (client)",
		  "client's flows, newest first: peers of other hosts as the record names them");
	flows_summary(g, "backend", buf, sizeof(buf));
	CHECK_STR(buf,
		  "in frontend 9000 allow profile backend rule 2|out frontend 9000 deny end of profiles (frontend)|"
		  "in pvt 22 deny end of profiles (backend)|in pvt 9000 deny profile backend rule 4|"
		  "in pvt 9000 deny end of profiles (backend)",
		  "backend's flows: both directions, peers of its host by service name");
	flows_summary(g, "management-ui", buf, sizeof(buf));
	CHECK_STR(buf, "in pvt 9001 deny ", "management-ui's flows (it is a workload too)");
	json_decref(g);

	/* a green edge wins: client reached backend this round */
	json_array_set_new(json_object_get(sc, "targets"), 1,
			   json_pack("{s:s,s:b,s:s}", "url", "http://10.65.1.4:9000/status", "reachable", 1, "name", "backend"));
	g = graph_build(s, 3, NULL, 100);
	CHECK(flows_join(g, s, 3, hosts, 2, "role", 2) == 0, "join again");
	denied_summary(g, buf, sizeof(buf));
	CHECK(strstr(buf, "client->backend") == NULL, "no red edge where the probe got through this round");
	flows_summary(g, "backend", buf, sizeof(buf));
	CHECK_STR(buf, "in frontend 9000 allow profile backend rule 2|out frontend 9000 deny end of profiles (frontend)",
		  "last_n keeps the newest");
	json_decref(g);

	/* another label key: no workload is a service, so nothing joins */
	g = graph_build(s, 3, NULL, 100);
	CHECK(flows_join(g, s, 3, hosts, 2, "tier", FLOWS_LAST_DEFAULT) == 0 &&
		      json_array_size(json_object_get(g, "denied")) == 0,
	      "--flow-label names the label: no match, no red edge");
	json_decref(g);

	json_decref(host1);
	json_decref(host2);
	json_decref(sc);
	json_decref(sf);
	json_decref(sb);
}

int main(void)
{
	test_opts();
	test_hostport();
	test_probe_status();
	test_graph();
	test_flow_labels();
	test_flow_join();
	return tap_done();
}
