/* The flows socket's request line and record matching (flow_query.h). */
#include "flow/flow_query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int flow_query_parse(const char *line, struct flow_query *q, char *err, size_t errlen)
{
	char buf[FLOW_QUERY_LINE_MAX], *save = NULL, *w;

	memset(q, 0, sizeof(*q));
	if (strlen(line) >= sizeof(buf)) {
		snprintf(err, errlen, "request longer than %d bytes", FLOW_QUERY_LINE_MAX - 1);
		return -EINVAL;
	}
	strcpy(buf, line);
	w = strtok_r(buf, " ", &save);
	if (!w || strcmp(w, "flows") != 0) {
		snprintf(err, errlen, "unknown request (expected \"flows ...\")");
		return -EINVAL;
	}
	while ((w = strtok_r(NULL, " ", &save))) {
		char *v = strchr(w, '=');
		if (!v)
			goto bad;
		*v++ = '\0';
		if (strcmp(w, "follow") == 0 && strcmp(v, "1") == 0) {
			q->follow = true;
		} else if (strcmp(w, "action") == 0) {
			if (flow_action_parse(v, &q->action) < 0 || q->action == FLOW_PASS) {
				snprintf(err, errlen, "action must be allow or deny, not \"%.32s\"", v);
				return -EINVAL;
			}
			q->has_action = true;
		} else if (strcmp(w, "policy") == 0 && *v && strlen(v) < sizeof(q->policy) && !strchr(v, '\n')) {
			strcpy(q->policy, v);
		} else if (strcmp(w, "since") == 0) {
			char *end;
			long long s = strtoll(v, &end, 10);
			if (!*v || *end || s < 0) {
				snprintf(err, errlen, "since must be unix seconds, not \"%.32s\"", v);
				return -EINVAL;
			}
			q->since = s;
		} else {
			v[-1] = '=';
			goto bad;
		}
	}
	return 0;
bad:
	snprintf(err, errlen, "unknown request word \"%.64s\"", w);
	return -EINVAL;
}

int flow_query_format(const struct flow_query *q, char *buf, size_t len)
{
	int n = snprintf(buf, len, "flows%s%s%s%s%s since=%lld\n", q->follow ? " follow=1" : "",
			 q->has_action ? " action=" : "", q->has_action ? flow_action_name(q->action) : "",
			 q->policy[0] ? " policy=" : "", q->policy, (long long)q->since);
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

static int append(char **buf, size_t *len, const char *a, const char *sep, const char *b)
{
	size_t add = strlen(a) + strlen(sep) + strlen(b) + 1;
	char *p = realloc(*buf, *len + add + 1);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*len += (size_t)sprintf(p + *len, "%s%s%s\n", a, sep, b);
	return 0;
}

char *flow_record_policy_names(const struct flow_record *r, const struct flow_registry *reg)
{
	char *buf = strdup("\n");
	size_t len = 1;
	for (size_t i = 0; buf && i < r->trace.n; i++) {
		const struct flow_point *p = reg ? flow_registry_get(reg, r->trace.id[i]) : NULL;
		int rc = 0;
		if (!p || !p->name[0])
			continue;
		rc = append(&buf, &len, p->name, "", "");
		if (!rc && p->tier[0])
			rc = append(&buf, &len, p->tier, "/", p->name);
		if (!rc && p->namespace[0])
			rc = append(&buf, &len, p->namespace, "/", p->name);
		if (!rc && p->trigger[0])
			rc = append(&buf, &len, p->trigger, "", "");
		if (rc) {
			free(buf);
			return NULL;
		}
	}
	return buf;
}

bool flow_query_match(const struct flow_query *q, int64_t end, enum flow_action action, const char *names)
{
	char want[sizeof(q->policy) + 2];
	if (q->since && end < q->since)
		return false;
	if (q->has_action && action != q->action)
		return false;
	if (q->policy[0]) {
		snprintf(want, sizeof(want), "\n%s\n", q->policy);
		return names && strstr(names, want) != NULL;
	}
	return true;
}
