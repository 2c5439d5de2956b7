/* calicoctl flows [--follow] [--action=allow|deny] [--policy=NAME] [--since=D] [-o json|wide]
 *
 * This host's flow records (DESIGN §12), from the local calico-node over its
 * root-only socket CALICO_RUN_DIR/flows.sock (line protocol in
 * flow/flow_query.h). -o json prints the records as the agent gives them,
 * one JSON object a line; the default is a table, -o wide adds labels and
 * the whole enforced trace. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "flow/flow_client.h"
#include "util/nodename.h"

enum out_format { OUT_TABLE, OUT_WIDE, OUT_JSON };

/* "90", "90s", "5m", "2h", "1d" -> seconds */
static int parse_duration(const char *text, long long *out)
{
	char *end;
	long long v = strtoll(text, &end, 10), mult = 1;
	if (!*text || end == text || v < 0)
		return -EINVAL;
	if (*end) {
		if (end[1])
			return -EINVAL;
		switch (*end) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		default: return -EINVAL;
		}
	}
	if (v > 100LL * 365 * 86400 / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

static const char *js_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static long long js_num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* "wep shop/client", "net pub" */
static void ep_text(json_t *ep, char *buf, size_t len)
{
	const char *ns = js_str(ep, "namespace");
	snprintf(buf, len, "%s %s%s%s", js_str(ep, "kind"), ns, *ns ? "/" : "", js_str(ep, "name"));
}

/* the deciding point ("tier/name#rule" or the id), or the whole trace */
static void trace_text(json_t *rec, bool all, char *buf, size_t len)
{
	json_t *enf = json_object_get(json_object_get(rec, "policies"), "enforced"), *p;
	size_t i, o = 0, n = json_array_size(enf);
	buf[0] = '\0';
	if (!n) {
		snprintf(buf, len, "-");
		return;
	}
	json_array_foreach(enf, i, p)
	{
		if (!all && i + 1 < n)
			continue;
		const char *kind = js_str(p, "kind"), *tier = js_str(p, "tier"), *name = js_str(p, "name");
		int w;
		if (strcmp(kind, "unknown") == 0)
			w = snprintf(buf + o, len - o, "%sid:%s(%s)", o ? "," : "", js_str(p, "id"), js_str(p, "action"));
		else if (json_integer_value(json_object_get(p, "rule")) >= 0)
			w = snprintf(buf + o, len - o, "%s%s%s%s#%lld(%s)", o ? "," : "", tier, *tier ? "/" : "", name,
				     js_num(p, "rule"), js_str(p, "action"));
		else
			w = snprintf(buf + o, len - o, "%s%s:%s%s%s%s(%s)", o ? "," : "", kind, tier, *tier ? "/" : "",
				     *js_str(p, "trigger") ? js_str(p, "trigger") : name, "", js_str(p, "action"));
		if (w < 0 || (size_t)w >= len - o)
			break;
		o += (size_t)w;
	}
}

static void print_row(const char *line, enum out_format fmt)
{
	json_t *rec = json_loads(line, 0, NULL);
	char when[32], src[600], dst[600], trace[2048], proto[32];
	time_t start;

	if (!json_is_object(rec)) {
		json_decref(rec);
		return;
	}
	start = (time_t)js_num(rec, "start");
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", localtime(&start));
	ep_text(json_object_get(rec, "source"), src, sizeof(src));
	ep_text(json_object_get(rec, "dest"), dst, sizeof(dst));
	trace_text(rec, fmt == OUT_WIDE, trace, sizeof(trace));
	snprintf(proto, sizeof(proto), "%s/%lld", js_str(rec, "proto"), js_num(rec, "dest_port"));
	printf("%-19s %-3s %-28s %-28s %-10s %-5s %7lld/%-7lld %10lld/%-10lld %5lld/%lld/%lld  %s", when,
	       js_str(rec, "reporter"), src, dst, proto, js_str(rec, "action"), js_num(rec, "packets_in"),
	       js_num(rec, "packets_out"), js_num(rec, "bytes_in"), js_num(rec, "bytes_out"),
	       js_num(rec, "connections_started"), js_num(rec, "connections_completed"),
	       js_num(rec, "connections_live"), trace);
	if (fmt == OUT_WIDE) {
		char *sl = json_dumps(json_object_get(json_object_get(rec, "source"), "labels"), JSON_COMPACT);
		char *dl = json_dumps(json_object_get(json_object_get(rec, "dest"), "labels"), JSON_COMPACT);
		printf("  %s %s", sl ? sl : "{}", dl ? dl : "{}");
		free(sl);
		free(dl);
	}
	printf("\n");
	fflush(stdout);
	json_decref(rec);
}

static int take_value(int argc, char **argv, int *i, const char *name, const char **out)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
		*out = argv[*i] + n + 1;
		return 1;
	}
	if (strcmp(argv[*i], name) != 0)
		return 0;
	if (*i + 1 >= argc) {
		ctl_error("Option %s needs a value", name);
		return -1;
	}
	*out = argv[++*i];
	return 1;
}

int cmd_flows(int argc, char **argv)
{
	struct flow_query q = { 0 };
	enum out_format fmt = OUT_TABLE;
	const char *action = NULL, *policy = NULL, *since = NULL, *output = NULL;
	char req[FLOW_QUERY_LINE_MAX], path[4200];
	FILE *in;
	char *line = NULL;
	size_t cap = 0;
	bool header = false;
	int fd, rc = 0;

	for (int i = 0; i < argc; i++) {
		int r;
		if (strcmp(argv[i], "--follow") == 0 || strcmp(argv[i], "-f") == 0) {
			q.follow = true;
			continue;
		}
		if ((r = take_value(argc, argv, &i, "--action", &action)) ||
		    (r = take_value(argc, argv, &i, "--policy", &policy)) ||
		    (r = take_value(argc, argv, &i, "--since", &since)) ||
		    (r = take_value(argc, argv, &i, "--output", &output)) || (r = take_value(argc, argv, &i, "-o", &output))) {
			if (r < 0)
				return ctl_usage("flows");
			continue;
		}
		ctl_error("Unknown argument %s", argv[i]);
		return ctl_usage("flows");
	}
	if (action) {
		if (strcmp(action, "allow") == 0)
			q.action = FLOW_ALLOW;
		else if (strcmp(action, "deny") == 0)
			q.action = FLOW_DENY;
		else
			return ctl_error("Invalid --action %s: expected allow or deny", action);
		q.has_action = true;
	}
	if (policy) {
		if (!*policy || strlen(policy) >= sizeof(q.policy) || strpbrk(policy, " \n\t"))
			return ctl_error("Invalid --policy \"%.64s\": a policy or profile name, tier/name or namespace/name",
					 policy);
		strcpy(q.policy, policy);
	}
	if (since) {
		long long secs;
		if (parse_duration(since, &secs) < 0)
			return ctl_error("Invalid --since %s: expected a duration such as 90s, 15m, 2h or 1d", since);
		q.since = (int64_t)time(NULL) - secs;
	}
	if (output) {
		if (strcmp(output, "json") == 0)
			fmt = OUT_JSON;
		else if (strcmp(output, "wide") == 0)
			fmt = OUT_WIDE;
		else
			return ctl_error("Invalid output format %s: expected json or wide", output);
	}
	if (flow_query_format(&q, req, sizeof(req)) < 0)
		return ctl_error("Invalid query");
	snprintf(path, sizeof(path), "%s/flows.sock", calico_run_dir());
	if ((fd = flow_client_connect(path, 0)) == -ENAMETOOLONG)
		return ctl_error("The flows socket path %s is too long", path);
	if (fd < 0)
		return ctl_error("Cannot reach calico-node's flows socket %s: %s (is calico-node running here, with "
				 "FlowLogsEnabled, and are you root?)",
				 path, strerror(-fd));
	if ((rc = flow_client_send(fd, &q)) < 0 || !(in = fdopen(fd, "r"))) {
		int e = rc < 0 ? -rc : errno;
		close(fd);
		return ctl_error("Cannot send the query to %s: %s", path, strerror(e));
	}
	while (getline(&line, &cap, in) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "error: ", 7) == 0) {
			rc = ctl_error("calico-node refused the query: %s", line + 7);
			break;
		}
		if (fmt == OUT_JSON) {
			printf("%s\n", line);
			fflush(stdout);
			continue;
		}
		if (!header) {
			printf("%-19s %-3s %-28s %-28s %-10s %-5s %15s %21s %s  %s%s\n", "START", "REP", "SOURCE", "DEST",
			       "PROTO/PORT", "ACT", "PKTS IN/OUT", "BYTES IN/OUT", "CONNS S/C/L", "POLICY",
			       fmt == OUT_WIDE ? "  LABELS" : "");
			header = true;
		}
		print_row(line, fmt);
	}
	free(line);
	fclose(in);
	return rc;
}
