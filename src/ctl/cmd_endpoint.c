/* calicoctl endpoint: show (Calico's summary, or the detailed table) and the
 * profile list of one endpoint. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "endpoint_edit.h"
#include "table.h"

struct endpoint_filter {
	const char *host, *orch, *workload, *id;
};

static bool matches(const struct endpoint_filter *f, const struct endpoint_ref *r)
{
	return (!f->host || strcmp(f->host, r->host) == 0) && (!f->orch || strcmp(f->orch, r->orch) == 0) &&
	       (!f->workload || strcmp(f->workload, r->workload) == 0) && (!f->id || strcmp(f->id, r->id) == 0);
}

/* One row per (host, orchestrator): how many workloads and endpoints. The
 * list is sorted by key, so each group's entries are adjacent. */
static int print_summary(const struct endpoint_entry *eps, size_t n)
{
	static const char *const headers[] = { "Hostname", "Orchestrator ID", "NumWorkloads", "NumEndpoints" };
	struct table *t = table_new(4, headers);
	int rc = t ? 0 : -ENOMEM;
	for (size_t i = 0; i < n && rc == 0;) {
		size_t workloads = 0, k = i;
		for (; k < n && strcmp(eps[k].ref.host, eps[i].ref.host) == 0 &&
		       strcmp(eps[k].ref.orch, eps[i].ref.orch) == 0; k++)
			if (k == i || strcmp(eps[k].ref.workload, eps[k - 1].ref.workload) != 0)
				workloads++;
		char nw[24], ne[24];
		snprintf(nw, sizeof(nw), "%zu", workloads);
		snprintf(ne, sizeof(ne), "%zu", k - i);
		const char *cells[] = { eps[i].ref.host, eps[i].ref.orch, nw, ne };
		rc = table_add_row(t, cells);
		i = k;
	}
	if (rc == 0)
		table_print(t, stdout);
	table_free(t);
	return rc;
}

static int endpoint_show(const struct endpoint_filter *f, bool detailed)
{
	struct endpoint_entry *eps = NULL;
	size_t n = 0, kept = 0;
	struct ds *ds = ctl_ds();
	if (!ds)
		return 1;
	int rc = endpoint_list(ds, f->host, &eps, &n);
	if (rc < 0)
		return ctl_ds_error("listing endpoints", rc);
	/* Compact the matching entries to the front; free the rest. */
	for (size_t i = 0; i < n; i++) {
		if (!matches(f, &eps[i].ref)) {
			endpoint_free(&eps[i].ep);
			continue;
		}
		if (kept != i)
			endpoint_entry_take(&eps[kept], &eps[i]);
		kept++;
	}
	rc = detailed ? endpoint_table_print(eps, kept, stdout) : print_summary(eps, kept);
	endpoint_entries_free(eps, n);
	return rc < 0 ? ctl_error("Error: out of memory") : 0;
}

static int endpoint_profile(const char *id, int argc, char **argv)
{
	struct endpoint_entry e;
	int op = -1, status;
	if (argc == 1 && strcmp(argv[0], "show") == 0)
		op = -2;
	else if (argc >= 1)
		op = profile_op_parse(argv[0]);
	if (op == -1)
		return ctl_usage("endpoint");
	if (ctl_endpoint_find_id(id, &e))
		return 1;
	if (op == -2)
		status = ctl_endpoint_profiles_show(&e);
	else
		status = ctl_endpoint_profiles(&e.ref, (enum profile_op)op, argv + 1, argc - 1);
	endpoint_free(&e.ep);
	return status;
}

int cmd_endpoint(int argc, char **argv)
{
	struct ctl_option opts[] = { { .spec = "--host=" }, { .spec = "--orchestrator=" }, { .spec = "--workload=" },
				     { .spec = "--endpoint=" }, { .spec = "--detailed" } };
	if (ctl_take_options("endpoint", &argc, argv, opts, 5))
		return 1;
	bool any_opt = false;
	for (size_t i = 0; i < 5; i++)
		any_opt |= opts[i].present;

	if (argc == 1 && strcmp(argv[0], "show") == 0) {
		struct endpoint_filter f = { opts[0].value, opts[1].value, opts[2].value, opts[3].value };
		return endpoint_show(&f, opts[4].present);
	}
	if (argc >= 3 && strcmp(argv[1], "profile") == 0 && !any_opt)
		return endpoint_profile(argv[0], argc - 2, argv + 2);
	return ctl_usage("endpoint");
}
