/* The flows socket's line protocol, shared by the agent and `calicoctl
 * flows`. Pure logic.
 *
 * The client sends one line: "flows" then any of, space-separated,
 *   follow=1          keep the connection and send each new record
 *   action=allow|deny only records with this action
 *   policy=NAME       only records whose trace names NAME (a policy or
 *                     profile name, tier/name, namespace/name, or the
 *                     policy that triggered an end-of-tier verdict)
 *   since=UNIX        only records whose interval ends at or after it
 * The agent answers with one JSON record a line (flow_record_json), or with
 * one line "error: <reason>" and closes; without follow=1 it closes after the
 * records it holds. */
#ifndef CALICO_FLOW_QUERY_H
#define CALICO_FLOW_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow_agg.h"

#define FLOW_QUERY_LINE_MAX 600

struct flow_query {
	bool follow;
	bool has_action;
	enum flow_action action;
	char policy[FLOW_NAME_MAX * 2 + 2]; /* "" = any */
	int64_t since;                      /* 0 = all */
};

/* The request line (without its newline) into q. 0, or -EINVAL with a
 * one-line reason in err. */
int flow_query_parse(const char *line, struct flow_query *q, char *err, size_t errlen);
/* The request line for q, with its newline, into buf (FLOW_QUERY_LINE_MAX). */
int flow_query_format(const struct flow_query *q, char *buf, size_t len);

/* What a held record keeps for matching: the names of its trace, each
 * between newlines ("\nweb\ndefault/web\nshop/web\n"). malloc'd, NULL on ENOMEM. */
char *flow_record_policy_names(const struct flow_record *r, const struct flow_registry *reg);
bool flow_query_match(const struct flow_query *q, int64_t end, enum flow_action action, const char *names);

#endif
