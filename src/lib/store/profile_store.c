#include "store/profile_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/keys.h"

int profile_load(struct ds *ds, const char *name, struct profile *p, struct profile_revs *revs, char *err,
		 size_t errlen)
{
	char tkey[KEY_MAX], rkey[KEY_MAX];
	struct ds_kv tags = { 0 }, rules = { 0 };
	int rc;

	memset(p, 0, sizeof(*p));
	memset(revs, 0, sizeof(*revs));
	if (!name_is_valid(name) || !key_profile_tags(tkey, name) || !key_profile_rules(rkey, name))
		return -ENOENT;
	snprintf(p->name, sizeof(p->name), "%s", name);

	rc = ds_get(ds, tkey, &tags);
	if (rc < 0 && rc != -ENOENT)
		goto out;
	int have_tags = rc == 0;
	rc = ds_get(ds, rkey, &rules);
	if (rc < 0 && rc != -ENOENT)
		goto out;
	int have_rules = rc == 0;
	if (!have_tags && !have_rules) {
		rc = -ENOENT;
		goto out;
	}
	if (have_tags) {
		revs->tags_rev = tags.mod_rev;
		rc = tags_decode(tags.value, &p->tags, &p->n_tags, err, errlen);
		if (rc < 0)
			goto out;
	}
	if (have_rules) {
		revs->rules_rev = rules.mod_rev;
		rc = rules_decode(rules.value, name, &p->inbound, &p->outbound, err, errlen);
		if (rc < 0)
			goto out;
	}
	rc = 0;
out:
	ds_kv_free(&tags);
	ds_kv_free(&rules);
	if (rc < 0)
		profile_free(p);
	return rc;
}

/* Builds the two write ops for p; type and revisions decide create vs CAS. */
static int profile_write(struct ds *ds, const struct profile *p, enum ds_op_type type,
			 const struct profile_revs *revs)
{
	char tkey[KEY_MAX], rkey[KEY_MAX];
	char *tags = NULL, *rules = NULL;
	int rc = -ENOMEM;

	if (!key_profile_tags(tkey, p->name) || !key_profile_rules(rkey, p->name))
		return -ENAMETOOLONG;
	tags = tags_encode(p->tags, p->n_tags);
	rules = rules_encode(p->name, &p->inbound, &p->outbound);
	if (!tags || !rules)
		goto out;
	struct ds_op ops[2] = {
		{ .type = type, .key = tkey, .value = tags, .mod_rev = revs ? revs->tags_rev : 0 },
		{ .type = type, .key = rkey, .value = rules, .mod_rev = revs ? revs->rules_rev : 0 },
	};
	rc = ds_txn(ds, ops, 2, NULL);
out:
	free(tags);
	free(rules);
	return rc;
}

int profile_create(struct ds *ds, const struct profile *p)
{
	return profile_write(ds, p, DS_OP_CREATE, NULL);
}

int profile_store(struct ds *ds, const struct profile *p, const struct profile_revs *revs)
{
	return profile_write(ds, p, DS_OP_CAS, revs);
}

int profile_ensure(struct ds *ds, const char *name)
{
	struct profile p;
	int rc = profile_init_default(&p, name);
	if (rc < 0)
		return rc;
	rc = profile_create(ds, &p);
	profile_free(&p);
	return rc == -EEXIST ? 0 : rc;
}

int profile_delete(struct ds *ds, const char *name)
{
	char dir[KEY_MAX];
	struct ds_kv_list l = { 0 };

	if (!name_is_valid(name) || !key_profile_dir(dir, name))
		return -ENOENT;
	int rc = ds_list(ds, dir, &l);
	if (rc < 0)
		return rc;
	size_t n = l.n;
	ds_kv_list_free(&l);
	if (n == 0)
		return -ENOENT;
	return ds_delete_prefix(ds, dir);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int profile_list_names(struct ds *ds, char ***names, size_t *n)
{
	struct ds_kv_list l = { 0 };
	char **out = NULL;
	size_t count = 0;
	const size_t plen = strlen(KEY_PROFILE_PREFIX);

	*names = NULL;
	*n = 0;
	int rc = ds_list(ds, KEY_PROFILE_PREFIX, &l);
	if (rc < 0)
		return rc;
	out = calloc(l.n ? l.n : 1, sizeof(*out));
	if (!out) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		const char *rest = l.items[i].key + plen;
		const char *slash = strchr(rest, '/');
		if (!slash)
			continue;
		size_t len = (size_t)(slash - rest);
		/* keys are sorted, so one profile's keys are adjacent */
		if (count && strlen(out[count - 1]) == len && strncmp(out[count - 1], rest, len) == 0)
			continue;
		out[count] = strndup(rest, len);
		if (!out[count]) {
			rc = -ENOMEM;
			goto out;
		}
		count++;
	}
	qsort(out, count, sizeof(*out), cmp_str);
	*names = out;
	*n = count;
	out = NULL;
	rc = 0;
out:
	if (out)
		profile_names_free(out, count);
	ds_kv_list_free(&l);
	return rc;
}

void profile_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
