/* calicoctl profile: add, remove, show, tags; rules are in cmd_profile_rule.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "store/endpoint_store.h"
#include "profile_edit.h"
#include "store/profile_store.h"
#include "table.h"

/* In cmd_profile_rule.c; at is the --at value or NULL. */
int cmd_profile_rule(const char *name, int argc, char **argv, const char *at);

static int profile_add(const char *name)
{
	struct profile p;
	struct ds *ds;

	if (!name_is_valid(name))
		return ctl_bad_profile_name(name);
	if (!(ds = ctl_ds()))
		return 1;
	int rc = profile_init_default(&p, name);
	if (rc < 0)
		return ctl_error("Error: %s", strerror(-rc));
	rc = profile_create(ds, &p);
	profile_free(&p);
	if (rc == -EEXIST)
		return ctl_error("Profile %s already exists.", name);
	if (rc < 0)
		return ctl_ds_error("creating profile", rc);
	printf("Created profile %s\n", name);
	return 0;
}

static size_t endpoints_using(const struct endpoint_entry *e, size_t n, const char *name)
{
	size_t users = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < e[i].ep.n_profile_ids; k++)
			if (strcmp(e[i].ep.profile_ids[k], name) == 0)
				users++;
	return users;
}

static int profile_remove(const char *name, bool no_check)
{
	struct ds *ds;
	struct endpoint_entry *eps = NULL;
	size_t n_eps = 0;
	int rc;

	if (!name_is_valid(name))
		return ctl_bad_profile_name(name);
	if (!(ds = ctl_ds()))
		return 1;
	if (!no_check) {
		rc = endpoint_list(ds, NULL, &eps, &n_eps);
		if (rc < 0)
			return ctl_ds_error("listing endpoints", rc);
		size_t users = endpoints_using(eps, n_eps, name);
		endpoint_entries_free(eps, n_eps);
		if (users)
			return ctl_error("Profile %s is in use by %zu endpoint(s); not removing it "
					 "(use --no-check to remove it anyway).", name, users);
	}
	rc = profile_delete(ds, name);
	if (rc == -ENOENT)
		return ctl_error("Profile %s not found.", name);
	if (rc < 0)
		return ctl_ds_error("removing profile", rc);
	printf("Deleted profile %s\n", name);
	return 0;
}

static int add_detailed_rows(struct table *t, const char *name, const struct endpoint_entry *e, size_t n)
{
	int rows = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < e[i].ep.n_profile_ids; k++) {
			if (strcmp(e[i].ep.profile_ids[k], name) != 0)
				continue;
			const char *cells[] = { name, e[i].ref.host, e[i].ref.orch, e[i].ref.workload, e[i].ref.id,
						e[i].ep.state };
			if (table_add_row(t, cells) < 0)
				return -ENOMEM;
			rows++;
		}
	}
	if (rows == 0) {
		const char *cells[] = { name, "", "", "", "", "" };
		return table_add_row(t, cells);
	}
	return 0;
}

static int profile_show(bool detailed)
{
	static const char *const plain[] = { "Name" };
	static const char *const full[] = { "Name", "Host", "Orchestrator ID", "Workload ID", "Endpoint ID", "State" };
	struct ds *ds;
	char **names = NULL;
	size_t n = 0, n_eps = 0;
	struct endpoint_entry *eps = NULL;
	struct table *t = NULL;
	int rc, status = 1;

	if (!(ds = ctl_ds()))
		return 1;
	rc = profile_list_names(ds, &names, &n);
	if (rc < 0)
		return ctl_ds_error("listing profiles", rc);
	if (detailed && (rc = endpoint_list(ds, NULL, &eps, &n_eps)) < 0) {
		ctl_ds_error("listing endpoints", rc);
		goto out;
	}
	t = detailed ? table_new(6, full) : table_new(1, plain);
	if (!t)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		const char *cells[] = { names[i] };
		if ((detailed ? add_detailed_rows(t, names[i], eps, n_eps) : table_add_row(t, cells)) < 0)
			goto oom;
	}
	table_print(t, stdout);
	status = 0;
	goto out;
oom:
	ctl_error("Error: out of memory");
out:
	table_free(t);
	endpoint_entries_free(eps, n_eps);
	profile_names_free(names, n);
	return status;
}

/* ---- tags ---- */

struct tag_edit {
	const char *tag;
	bool add;
};

static int tag_apply(struct profile *p, void *arg)
{
	struct tag_edit *te = arg;
	size_t at = p->n_tags;
	for (size_t i = 0; i < p->n_tags; i++)
		if (strcmp(p->tags[i], te->tag) == 0)
			at = i;
	if (te->add) {
		if (at < p->n_tags)
			return EDIT_NOCHANGE;
		char **tags = realloc(p->tags, (p->n_tags + 1) * sizeof(*tags));
		if (!tags)
			return -ENOMEM;
		p->tags = tags;
		if (!(tags[p->n_tags] = strdup(te->tag)))
			return -ENOMEM;
		p->n_tags++;
		return EDIT_WRITE;
	}
	if (at == p->n_tags)
		return EDIT_NOCHANGE;
	free(p->tags[at]);
	memmove(&p->tags[at], &p->tags[at + 1], (p->n_tags - at - 1) * sizeof(*p->tags));
	p->n_tags--;
	return EDIT_WRITE;
}

static int profile_tag(const char *name, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "show") == 0) {
		struct profile p;
		if (ctl_profile_load(name, &p))
			return 1;
		for (size_t i = 0; i < p.n_tags; i++)
			printf("%s\n", p.tags[i]);
		profile_free(&p);
		return 0;
	}
	if (argc != 2 || (strcmp(argv[0], "add") != 0 && strcmp(argv[0], "remove") != 0))
		return ctl_usage("profile");
	struct tag_edit te = { .tag = argv[1], .add = strcmp(argv[0], "add") == 0 };
	if (!name_is_valid(te.tag))
		return ctl_error("Invalid tag \"%s\": tags are 1-%d characters of letters, digits, '.', '_' and '-'.",
				 te.tag, CALICO_NAME_MAX);
	int result = EDIT_NOCHANGE;
	if (ctl_profile_edit(name, tag_apply, &te, &result))
		return 1;
	if (te.add)
		printf(result == EDIT_WRITE ? "Tag %s added to profile %s\n" : "Tag %s is already on profile %s\n",
		       te.tag, name);
	else if (result == EDIT_WRITE)
		printf("Tag %s removed from profile %s\n", te.tag, name);
	else
		return ctl_error("Tag %s is not on profile %s", te.tag, name);
	return 0;
}

int cmd_profile(int argc, char **argv)
{
	struct ctl_option opts[] = { { .spec = "--detailed" }, { .spec = "--no-check" }, { .spec = "--at=" } };
	/* Options belong to specific forms; take them all, then check they fit the form. */
	if (ctl_take_options("profile", &argc, argv, opts, 3))
		return 1;
	bool detailed = opts[0].present, no_check = opts[1].present, at = opts[2].present;

	if (argc == 1 && strcmp(argv[0], "show") == 0 && !no_check && !at)
		return profile_show(detailed);
	if (argc == 2 && strcmp(argv[0], "add") == 0 && !detailed && !no_check && !at)
		return profile_add(argv[1]);
	if (argc == 2 && strcmp(argv[0], "remove") == 0 && !detailed && !at)
		return profile_remove(argv[1], no_check);
	if (argc >= 3 && strcmp(argv[1], "tag") == 0 && !detailed && !no_check && !at)
		return profile_tag(argv[0], argc - 2, argv + 2);
	if (argc >= 3 && strcmp(argv[1], "rule") == 0 && !detailed && !no_check)
		return cmd_profile_rule(argv[0], argc - 2, argv + 2, at ? opts[2].value : NULL);
	return ctl_usage("profile");
}
