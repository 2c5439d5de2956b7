#include "endpoint_edit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "model/keys.h"
#include "profile_edit.h"
#include "store/profile_store.h"
#include "table.h"

#define ENDPOINT_TRIES 10

int ctl_endpoint_edit(const struct endpoint_ref *ref, endpoint_edit_fn edit, void *arg, int *edit_result)
{
	char key[KEY_MAX], err[MODEL_ERR_MAX];
	struct ds *ds = ctl_ds();
	if (!ds)
		return 1;
	if (!key_endpoint(key, ref->host, ref->orch, ref->workload, ref->id))
		return ctl_error("Error: endpoint key too long");
	for (int attempt = 0; attempt < ENDPOINT_TRIES; attempt++) {
		struct ds_kv kv = { 0 };
		struct endpoint e = { 0 };
		int rc = ds_get(ds, key, &kv);
		if (rc == -ENOENT)
			return ctl_error("Endpoint %s not found.", ref->id);
		if (rc < 0)
			return ctl_ds_error("reading endpoint", rc);
		if ((rc = endpoint_decode(kv.value, &e, err, sizeof(err))) < 0) {
			ds_kv_free(&kv);
			return ctl_error("Error: endpoint %s: %s", ref->id, err);
		}
		int result = edit(&e, arg);
		char *json = result == EDIT_WRITE ? endpoint_encode(&e) : NULL;
		if (result == EDIT_WRITE && !json)
			rc = -ENOMEM;
		else if (result == EDIT_WRITE)
			rc = ds_cas(ds, key, json, kv.mod_rev);
		free(json);
		endpoint_free(&e);
		ds_kv_free(&kv);
		if (result < 0)
			return 1;
		if (edit_result)
			*edit_result = result;
		if (rc == -ECANCELED)
			continue; /* changed meanwhile: read again */
		return rc < 0 ? ctl_ds_error("writing endpoint", rc) : 0;
	}
	return ctl_error("Error: endpoint %s is being changed by others too often; gave up after %d tries", ref->id,
			 ENDPOINT_TRIES);
}

void endpoint_entry_take(struct endpoint_entry *out, struct endpoint_entry *e)
{
	*out = *e;
	memset(&e->ep, 0, sizeof(e->ep));
}

int ctl_endpoint_find_id(const char *id, struct endpoint_entry *out)
{
	struct endpoint_entry *eps = NULL;
	size_t n = 0, found = 0;
	struct ds *ds = ctl_ds();
	if (!ds)
		return 1;
	int rc = endpoint_list(ds, NULL, &eps, &n);
	if (rc < 0)
		return ctl_ds_error("listing endpoints", rc);
	for (size_t i = 0; i < n; i++)
		if (strcmp(eps[i].ref.id, id) == 0 && found++ == 0)
			endpoint_entry_take(out, &eps[i]);
	endpoint_entries_free(eps, n);
	if (found == 0)
		return ctl_error("Endpoint %s not found.", id);
	if (found > 1) {
		endpoint_free(&out->ep);
		return ctl_error("Multiple endpoints found with ID %s; they are on several hosts.", id);
	}
	return 0;
}

/* ---- profile lists ---- */

int profile_op_parse(const char *word)
{
	if (strcmp(word, "append") == 0)
		return PROFILE_APPEND;
	if (strcmp(word, "remove") == 0)
		return PROFILE_REMOVE;
	if (strcmp(word, "set") == 0)
		return PROFILE_SET;
	return -1;
}

struct profile_edit {
	enum profile_op op;
	char **names;
	int n;
};

static long index_of(char **list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return (long)i;
	return -1;
}

static int profiles_apply(struct endpoint *e, void *arg)
{
	struct profile_edit *pe = arg;
	if (pe->op == PROFILE_REMOVE) {
		for (int i = 0; i < pe->n; i++) {
			long at = index_of(e->profile_ids, e->n_profile_ids, pe->names[i]);
			if (at < 0) {
				ctl_error("Profile %s is not in endpoint profile list.", pe->names[i]);
				return -EINVAL;
			}
			free(e->profile_ids[at]);
			memmove(&e->profile_ids[at], &e->profile_ids[at + 1],
				(e->n_profile_ids - (size_t)at - 1) * sizeof(char *));
			e->n_profile_ids--;
		}
		return EDIT_WRITE;
	}
	if (pe->op == PROFILE_SET) {
		for (size_t i = 0; i < e->n_profile_ids; i++)
			free(e->profile_ids[i]);
		e->n_profile_ids = 0;
	}
	for (int i = 0; i < pe->n; i++) {
		if (index_of(e->profile_ids, e->n_profile_ids, pe->names[i]) >= 0) {
			if (pe->op == PROFILE_SET)
				continue; /* "set a a" means a once */
			ctl_error("Profile %s is already in endpoint profile list.", pe->names[i]);
			return -EEXIST;
		}
		char **ids = realloc(e->profile_ids, (e->n_profile_ids + 1) * sizeof(*ids));
		if (!ids || !(ids[e->n_profile_ids] = strdup(pe->names[i]))) {
			if (ids)
				e->profile_ids = ids;
			ctl_error("Error: out of memory");
			return -ENOMEM;
		}
		e->profile_ids = ids;
		e->n_profile_ids++;
	}
	return EDIT_WRITE;
}

static void print_joined(const char *head, char **names, int n, const char *tail)
{
	fputs(head, stdout);
	for (int i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "", names[i]);
	puts(tail);
}

int ctl_endpoint_profiles(const struct endpoint_ref *ref, enum profile_op op, char **names, int n)
{
	struct ds *ds = ctl_ds();
	if (!ds)
		return 1;
	if (n == 0 && op != PROFILE_SET)
		return ctl_error("Give at least one profile.");
	for (int i = 0; i < n; i++) {
		if (!name_is_valid(names[i]))
			return ctl_bad_profile_name(names[i]);
		/* Removing a profile that no longer exists must stay possible. */
		if (op == PROFILE_REMOVE)
			continue;
		struct profile p;
		struct profile_revs revs;
		char err[MODEL_ERR_MAX];
		int rc = profile_load(ds, names[i], &p, &revs, err, sizeof(err));
		if (rc == -ENOENT)
			return ctl_error("Profile %s not found.", names[i]);
		if (rc < 0 && rc != -EINVAL)
			return ctl_ds_error("reading profile", rc);
		if (rc == 0)
			profile_free(&p);
	}
	struct profile_edit pe = { .op = op, .names = names, .n = n };
	if (ctl_endpoint_edit(ref, profiles_apply, &pe, NULL))
		return 1;
	if (op == PROFILE_APPEND)
		print_joined("Profile(s) ", names, n, " appended.");
	else if (op == PROFILE_REMOVE)
		print_joined("Profile(s) ", names, n, " removed.");
	else if (n == 0)
		puts("Profiles cleared.");
	else
		print_joined("Profile(s) ", names, n, " set.");
	return 0;
}

int ctl_endpoint_profiles_show(const struct endpoint_entry *e)
{
	static const char *const headers[] = { "Name" };
	struct table *t = table_new(1, headers);
	int rc = t ? 0 : -ENOMEM;
	for (size_t i = 0; i < e->ep.n_profile_ids && rc == 0; i++) {
		const char *cells[] = { e->ep.profile_ids[i] };
		rc = table_add_row(t, cells);
	}
	if (rc == 0)
		table_print(t, stdout);
	table_free(t);
	return rc < 0 ? ctl_error("Error: out of memory") : 0;
}

/* ---- table ---- */

static char *join_nets(const struct endpoint *e)
{
	size_t n = e->n_ipv4_nets + e->n_ipv6_nets;
	char *out = calloc(n * (CIDR_STR_MAX + 1) + 1, 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c[CIDR_STR_MAX];
		const struct cidr *net = i < e->n_ipv4_nets ? &e->ipv4_nets[i] : &e->ipv6_nets[i - e->n_ipv4_nets];
		if (i)
			strcat(out, ",");
		strcat(out, cidr_format(net, c));
	}
	return out;
}

static char *join_profiles(const struct endpoint *e)
{
	size_t len = 1;
	for (size_t i = 0; i < e->n_profile_ids; i++)
		len += strlen(e->profile_ids[i]) + 1;
	char *out = calloc(len, 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < e->n_profile_ids; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, e->profile_ids[i]);
	}
	return out;
}

/* "k=v,k=v" (malloc'd): labels the orchestrator gave (Mesos, CNI). */
static char *join_labels(const struct endpoint *e)
{
	size_t len = 1;
	for (size_t i = 0; i < e->n_labels; i++)
		len += strlen(e->labels[i].key) + strlen(e->labels[i].value) + 2;
	char *out = calloc(1, len);
	for (size_t i = 0; out && i < e->n_labels; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, e->labels[i].key);
		strcat(out, "=");
		strcat(out, e->labels[i].value);
	}
	return out;
}

int endpoint_table_print(const struct endpoint_entry *eps, size_t n, FILE *out)
{
	static const char *const headers[] = { "Hostname", "Orchestrator ID", "Workload ID", "Endpoint ID",
					       "Addresses", "MAC", "Profiles", "State", "Labels" };
	struct table *t = table_new(9, headers);
	int rc = t ? 0 : -ENOMEM;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct endpoint_entry *e = &eps[i];
		char *nets = join_nets(&e->ep), *profiles = join_profiles(&e->ep), *labels = join_labels(&e->ep);
		const char *cells[] = { e->ref.host, e->ref.orch, e->ref.workload, e->ref.id,
					nets, e->ep.mac, profiles, e->ep.state, labels };
		rc = nets && profiles && labels ? table_add_row(t, cells) : -ENOMEM;
		free(nets);
		free(profiles);
		free(labels);
	}
	if (rc == 0)
		table_print(t, out);
	table_free(t);
	return rc;
}
