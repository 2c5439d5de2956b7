/* v3 resources in the datastore (resource_store.h). */
#include "store/resource_store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "model/keys.h"
#include "resource/profile_v1.h"
#include "store/profile_store.h"
#include "store/view_store.h"
#include "util/json_strict.h"

#define PROFILE_KEYS 3 /* tags, rules, labels */

void v3_ident(const struct v3_resource *r, char *buf, size_t len)
{
	const struct v3_kind_info *k = v3_kind_info(r->kind);
	if (r->meta.namespace_ && k && k->namespaced)
		snprintf(buf, len, "%s(%s/%s)", k->name, r->meta.namespace_, r->meta.name);
	else
		snprintf(buf, len, "%s(%s)", k ? k->name : "?", r->meta.name);
}

static char *v3_key(char buf[KEY_MAX], enum v3_kind kind, const char *ns, const char *name)
{
	const struct v3_kind_info *k = v3_kind_info(kind);
	if (k->namespaced)
		return key_fmt(buf, V3_KEY_PREFIX "%s/%s/%s", k->plural, ns ? ns : V3_DEFAULT_NAMESPACE, name);
	return key_fmt(buf, V3_KEY_PREFIX "%s/%s", k->plural, name);
}

static char *profile_labels_key(char buf[KEY_MAX], const char *name)
{
	return key_fmt(buf, KEY_PROFILE_PREFIX "%s/labels", name);
}

static char *rev_text(int64_t rev)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRId64, rev);
	return strdup(buf);
}

/* The tier every policy without one is in; it exists whether stored or not. */
static int default_tier(struct v3_resource *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = V3_TIER;
	out->spec.tier.has_order = true;
	out->spec.tier.order = V3_DEFAULT_TIER_ORDER;
	out->spec.tier.default_action_given = true;
	out->spec.tier.default_action = V3_DEFAULT_DENY;
	return (out->meta.name = strdup(V3_DEFAULT_TIER)) ? 0 : -ENOMEM;
}

/* ---------- profiles: the 2016 keys ---------- */

/* A profile's labels key: a JSON object of strings. */
static int labels_decode(const char *text, struct v3_map *m, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	const char *k;
	json_t *v;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	if (!json_is_object(o)) {
		json_decref(o);
		return js_fail(err, errlen, "profile labels: not a JSON object of strings");
	}
	json_object_foreach(o, k, v) {
		if (!json_is_string(v)) {
			rc = js_fail(err, errlen, "profile labels: the value of \"%.64s\" is not a string", k);
			break;
		}
		if ((rc = v3_map_set(m, k, json_string_value(v))) < 0)
			break;
	}
	json_decref(o);
	if (rc < 0)
		v3_map_free(m);
	return rc;
}

static char *labels_encode(const struct v3_map *m)
{
	json_t *o = json_object();
	bool ok = o != NULL;
	for (size_t i = 0; ok && i < m->n; i++)
		js_set(o, m->keys[i], json_string(m->values[i]), &ok);
	char *s = ok ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	return s;
}

/* What is stored of a profile: the v1 profile, its extra labels, and the
 * revisions of its three keys (0 = absent). -ENOENT when none exists. */
struct stored_profile {
	struct profile p;
	struct v3_map labels;
	int64_t rev[PROFILE_KEYS];
	char *value[PROFILE_KEYS];
};

static void stored_profile_free(struct stored_profile *s)
{
	profile_free(&s->p);
	v3_map_free(&s->labels);
	for (int i = 0; i < PROFILE_KEYS; i++)
		free(s->value[i]);
	memset(s, 0, sizeof(*s));
}

static int profile_keys(const char *name, char keys[PROFILE_KEYS][KEY_MAX])
{
	if (!name_is_valid(name) || !key_profile_tags(keys[0], name) || !key_profile_rules(keys[1], name) ||
	    !profile_labels_key(keys[2], name))
		return -ENOENT;
	return 0;
}

static int stored_profile_load(struct ds *ds, const char *name, struct stored_profile *s, char *err,
			       size_t errlen)
{
	char keys[PROFILE_KEYS][KEY_MAX];
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = profile_keys(name, keys)) < 0)
		return rc;
	for (int i = 0; i < PROFILE_KEYS; i++) {
		struct ds_kv kv = { 0 };
		rc = ds_get(ds, keys[i], &kv);
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			goto fail;
		s->rev[i] = kv.mod_rev;
		s->value[i] = kv.value;
		kv.value = NULL;
		ds_kv_free(&kv);
	}
	if (!s->rev[0] && !s->rev[1] && !s->rev[2]) {
		rc = -ENOENT;
		goto fail;
	}
	snprintf(s->p.name, sizeof(s->p.name), "%s", name);
	if (s->value[0] && (rc = tags_decode(s->value[0], &s->p.tags, &s->p.n_tags, err, errlen)) < 0)
		goto fail;
	if (s->value[1] && (rc = rules_decode(s->value[1], name, &s->p.inbound, &s->p.outbound, err, errlen)) < 0)
		goto fail;
	if (s->value[2] && (rc = labels_decode(s->value[2], &s->labels, err, errlen)) < 0)
		goto fail;
	return 0;
fail:
	stored_profile_free(s);
	return rc;
}

static int64_t newest(const int64_t *revs, int n)
{
	int64_t m = 0;
	for (int i = 0; i < n; i++)
		if (revs[i] > m)
			m = revs[i];
	return m;
}

static int profile_get(struct ds *ds, const char *name, struct v3_resource *out, char *err, size_t errlen)
{
	struct stored_profile s;
	int rc = stored_profile_load(ds, name, &s, err, errlen);
	if (rc < 0)
		return rc;
	rc = v3_profile_from_v1(&s.p, &s.labels, out);
	if (rc == 0 && !(out->meta.resource_version = rev_text(newest(s.rev, PROFILE_KEYS)))) {
		v3_resource_free(out);
		rc = -ENOMEM;
	}
	stored_profile_free(&s);
	return rc;
}

/* ---------- reading ---------- */

static int decode_stored(const struct ds_kv *kv, enum v3_kind kind, struct v3_resource *out, char *err,
			 size_t errlen)
{
	json_error_t jerr;
	char why[512];
	json_t *tree = json_loads(kv->value, JSON_REJECT_DUPLICATES, &jerr);
	int rc = tree ? v3_decode(tree, out, why, sizeof(why)) : js_fail(why, sizeof(why), "not JSON: %s", jerr.text);
	json_decref(tree);
	if (rc == 0 && out->kind != kind) {
		v3_resource_free(out);
		rc = js_fail(why, sizeof(why), "holds a %s", v3_kind_info(out->kind)->name);
	}
	if (rc < 0)
		return rc == -ENOMEM ? rc : js_fail(err, errlen, "%s: %s", kv->key, why);
	if (!(out->meta.resource_version = rev_text(kv->mod_rev))) {
		v3_resource_free(out);
		return -ENOMEM;
	}
	return 0;
}

int v3_store_get(struct ds *ds, enum v3_kind kind, const char *ns, const char *name, struct v3_resource *out,
		 char *err, size_t errlen)
{
	char key[KEY_MAX];
	struct ds_kv kv = { 0 };

	memset(out, 0, sizeof(*out));
	if (kind == V3_PROFILE)
		return profile_get(ds, name, out, err, errlen);
	if (v3_kind_info(kind)->view)
		return v3_view_get(ds, kind, ns, name, out, err, errlen);
	if (!v3_key(key, kind, ns, name))
		return -ENOENT;
	int rc = ds_get(ds, key, &kv);
	if (rc == -ENOENT && kind == V3_TIER && strcmp(name, V3_DEFAULT_TIER) == 0)
		return default_tier(out);
	if (rc < 0)
		return rc;
	rc = decode_stored(&kv, kind, out, err, errlen);
	ds_kv_free(&kv);
	return rc;
}

void v3_resource_list_free(struct v3_resource_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		v3_resource_free(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

static int list_grow(struct v3_resource_list *l, size_t more)
{
	struct v3_resource *items = realloc(l->items, (l->n + more + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	l->items = items;
	return 0;
}

static int list_profiles(struct ds *ds, struct v3_resource_list *out, char *err, size_t errlen)
{
	char **names = NULL;
	size_t n = 0;
	int rc = profile_list_names(ds, &names, &n);
	if (rc == 0)
		rc = list_grow(out, n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = profile_get(ds, names[i], &out->items[out->n], err, errlen);
		if (rc == -ENOENT) /* removed meanwhile */
			rc = 0;
		else if (rc == 0)
			out->n++;
	}
	profile_names_free(names, n);
	return rc;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct v3_resource *)a)->meta.name, ((const struct v3_resource *)b)->meta.name);
}

int v3_store_list(struct ds *ds, enum v3_kind kind, const char *ns, struct v3_resource_list *out, char *err,
		  size_t errlen)
{
	const struct v3_kind_info *k = v3_kind_info(kind);
	char prefix[KEY_MAX];
	struct ds_kv_list l = { 0 };
	int rc;

	memset(out, 0, sizeof(*out));
	if (k->view)
		return v3_view_list(ds, kind, ns, out, err, errlen);
	if ((rc = ds_revision(ds, &out->rev)) < 0)
		return rc;
	if (kind == V3_PROFILE) {
		rc = list_profiles(ds, out, err, errlen);
		goto out;
	}
	if (!(k->namespaced && ns ? key_fmt(prefix, V3_KEY_PREFIX "%s/%s/", k->plural, ns)
				  : key_fmt(prefix, V3_KEY_PREFIX "%s/", k->plural)))
		return -ENAMETOOLONG;
	if ((rc = ds_list(ds, prefix, &l)) < 0 || (rc = list_grow(out, l.n + 1)) < 0)
		goto out;
	bool have_default = false;
	for (size_t i = 0; i < l.n; i++) {
		if ((rc = decode_stored(&l.items[i], kind, &out->items[out->n], err, errlen)) < 0)
			goto out;
		if (kind == V3_TIER && strcmp(out->items[out->n].meta.name, V3_DEFAULT_TIER) == 0)
			have_default = true;
		out->n++;
	}
	if (kind == V3_TIER && !have_default) {
		if ((rc = default_tier(&out->items[out->n])) < 0)
			goto out;
		out->n++;
		qsort(out->items, out->n, sizeof(*out->items), cmp_name);
	}
out:
	ds_kv_list_free(&l);
	if (rc < 0)
		v3_resource_list_free(out);
	return rc;
}

/* ---------- writing ---------- */

/* One resource's keys as read, and what is to become of them. */
struct plan {
	int nkeys;
	char key[PROFILE_KEYS][KEY_MAX];
	int64_t rev[PROFILE_KEYS]; /* as read; 0 = absent */
	char *old[PROFILE_KEYS];   /* as read */
	char *new[PROFILE_KEYS];   /* to write; NULL = absent */
	bool exists;
	int64_t version; /* the resourceVersion now */
	struct profile prev; /* a profile's tags as read, for their order */
	char *uid, *created;
};

static void plan_free(struct plan *p)
{
	for (int i = 0; i < PROFILE_KEYS; i++) {
		free(p->old[i]);
		free(p->new[i]);
	}
	profile_free(&p->prev);
	free(p->uid);
	free(p->created);
}

static bool same_resource(const struct v3_resource *a, const struct v3_resource *b)
{
	return a->kind == b->kind && strcmp(a->meta.name, b->meta.name) == 0 &&
	       strcmp(a->meta.namespace_ ? a->meta.namespace_ : "", b->meta.namespace_ ? b->meta.namespace_ : "") == 0;
}

/* A fresh random (version 4) UUID, as Kubernetes and Calico give every object. */
static char *new_uid(void)
{
	unsigned char b[16];
	char text[37];
	size_t got = 0;
	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
		if (n < 0 && errno != EINTR)
			return NULL;
		if (n > 0)
			got += (size_t)n;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(text, sizeof(text), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return strdup(text);
}

static char *now_rfc3339(void)
{
	char text[32];
	struct tm tm;
	time_t t = time(NULL);
	if (!gmtime_r(&t, &tm) || !strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return NULL;
	return strdup(text);
}

/* Reads what is stored of items[i] into pl. */
static int plan_read(struct ds *ds, const struct v3_resource *r, struct plan *pl, char *err, size_t errlen)
{
	int rc;
	if (r->kind == V3_PROFILE) {
		struct stored_profile s;
		pl->nkeys = PROFILE_KEYS;
		if (!name_is_valid(r->meta.name))
			return js_fail(err, errlen,
				       "metadata.name: \"%.64s\" is too long for a profile (profiles are named in at "
				       "most %d characters)",
				       r->meta.name, CALICO_NAME_MAX);
		if ((rc = profile_keys(r->meta.name, pl->key)) < 0)
			return rc;
		rc = stored_profile_load(ds, r->meta.name, &s, err, errlen);
		if (rc == -ENOENT)
			return 0;
		if (rc < 0)
			return rc;
		pl->exists = true;
		for (int i = 0; i < PROFILE_KEYS; i++) {
			pl->rev[i] = s.rev[i];
			pl->old[i] = s.value[i];
			s.value[i] = NULL;
		}
		pl->version = newest(pl->rev, PROFILE_KEYS);
		pl->prev = s.p;
		memset(&s.p, 0, sizeof(s.p));
		stored_profile_free(&s);
		return 0;
	}
	struct ds_kv kv = { 0 };
	pl->nkeys = 1;
	if (!v3_key(pl->key[0], r->kind, r->meta.namespace_, r->meta.name))
		return js_fail(err, errlen, "metadata.name: too long for a datastore key");
	rc = ds_get(ds, pl->key[0], &kv);
	if (rc == -ENOENT) {
		/* the default tier exists even when it is not stored */
		pl->exists = r->kind == V3_TIER && strcmp(r->meta.name, V3_DEFAULT_TIER) == 0;
		return 0;
	}
	if (rc < 0)
		return rc;
	pl->exists = true;
	pl->rev[0] = pl->version = kv.mod_rev;
	pl->old[0] = kv.value;
	kv.value = NULL;
	ds_kv_free(&kv);
	json_t *tree = json_loads(pl->old[0], 0, NULL), *meta = json_object_get(tree, "metadata");
	const char *uid = json_string_value(json_object_get(meta, "uid"));
	const char *created = json_string_value(json_object_get(meta, "creationTimestamp"));
	if ((uid && !(pl->uid = strdup(uid))) || (created && !(pl->created = strdup(created))))
		rc = -ENOMEM;
	json_decref(tree);
	return rc;
}

static int tier_exists(struct ds *ds, const char *tier, const struct v3_resource *items, size_t upto, bool *found)
{
	char key[KEY_MAX];
	struct ds_kv kv = { 0 };

	*found = strcmp(tier, V3_DEFAULT_TIER) == 0;
	for (size_t i = 0; i < upto && !*found; i++)
		*found = items[i].kind == V3_TIER && strcmp(items[i].meta.name, tier) == 0;
	if (*found)
		return 0;
	if (!v3_key(key, V3_TIER, NULL, tier))
		return 0;
	int rc = ds_get(ds, key, &kv);
	ds_kv_free(&kv);
	if (rc == -ENOENT)
		return 0;
	*found = rc == 0;
	return rc;
}

/* Policies (of either kind) in tier that this delete does not also remove. */
static int tier_users(struct ds *ds, const char *tier, const struct v3_resource *items, size_t n, size_t *users,
		      char *err, size_t errlen)
{
	static const enum v3_kind kinds[] = { V3_GLOBAL_NETWORK_POLICY, V3_NETWORK_POLICY };
	*users = 0;
	for (size_t k = 0; k < 2; k++) {
		struct v3_resource_list l;
		int rc = v3_store_list(ds, kinds[k], NULL, &l, err, errlen);
		if (rc < 0)
			return rc;
		for (size_t i = 0; i < l.n; i++) {
			if (strcmp(v3_policy_tier(&l.items[i].spec.policy), tier) != 0)
				continue;
			bool deleted = false;
			for (size_t j = 0; j < n && !deleted; j++)
				deleted = same_resource(&items[j], &l.items[i]);
			if (!deleted)
				(*users)++;
		}
		v3_resource_list_free(&l);
	}
	return 0;
}

/* The new values of a non-profile resource: its canonical JSON, with the uid
 * and creation time it already has. */
static int plan_values(struct v3_resource *r, struct plan *pl, char *err, size_t errlen)
{
	if (r->kind == V3_PROFILE) {
		struct profile p;
		struct v3_map labels;
		int rc = v3_profile_to_v1(r, pl->exists ? &pl->prev : NULL, &p, &labels, err, errlen);
		if (rc < 0)
			return rc;
		pl->new[0] = tags_encode(p.tags, p.n_tags);
		pl->new[1] = rules_encode(p.name, &p.inbound, &p.outbound);
		pl->new[2] = labels.n ? labels_encode(&labels) : NULL;
		rc = !pl->new[0] || !pl->new[1] || (labels.n && !pl->new[2]) ? -ENOMEM : 0;
		profile_free(&p);
		v3_map_free(&labels);
		return rc;
	}
	free(r->meta.uid);
	free(r->meta.creation_timestamp);
	r->meta.uid = pl->uid ? strdup(pl->uid) : new_uid();
	r->meta.creation_timestamp = pl->created ? strdup(pl->created) : now_rfc3339();
	if (!r->meta.uid || !r->meta.creation_timestamp)
		return -ENOMEM;
	char *version = r->meta.resource_version;
	r->meta.resource_version = NULL; /* not stored: it is the key's revision */
	json_t *tree = v3_encode(r);
	r->meta.resource_version = version;
	pl->new[0] = tree ? json_dumps(tree, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(tree);
	return pl->new[0] ? 0 : -ENOMEM;
}

/* Everything about items[i] that can be known before writing. */
static int plan_check(struct ds *ds, enum v3_write_mode mode, struct v3_resource *items, size_t i, struct plan *pl,
		      char *err, size_t errlen)
{
	struct v3_resource *r = &items[i];
	char id[V3_NAME_MAX * 2 + 64];
	int rc;

	v3_ident(r, id, sizeof(id));
	if (v3_kind_info(r->kind)->view)
		return js_fail(err, errlen, "%s is read-only here: %s", id, v3_kind_info(r->kind)->view);
	for (size_t j = 0; j < i; j++)
		if (same_resource(&items[j], r))
			return js_fail(err, errlen, "%s is given twice (also as resource %zu)", id, j + 1);
	if ((rc = plan_read(ds, r, pl, err, errlen)) < 0)
		return rc;
	if (mode == V3_WRITE_CREATE && pl->exists)
		return js_fail(err, errlen, "resource already exists: %s", id), -EEXIST;
	if ((mode == V3_WRITE_REPLACE || mode == V3_WRITE_DELETE) && !pl->exists)
		return js_fail(err, errlen, "resource does not exist: %s", id), -ENOENT;
	if (mode != V3_WRITE_CREATE && r->meta.resource_version) {
		if (!pl->exists)
			return js_fail(err, errlen, "resource does not exist: %s", id), -ENOENT;
		char *end;
		errno = 0;
		long long want = strtoll(r->meta.resource_version, &end, 10);
		if (errno || *end || end == r->meta.resource_version || want != pl->version)
			return js_fail(err, errlen,
				       "update conflict: %s (resourceVersion %.32s is not the stored one, %" PRId64
				       "; get it again)",
				       id, r->meta.resource_version, pl->version),
			       -ECANCELED;
	}
	if (mode == V3_WRITE_DELETE) {
		if (r->kind == V3_TIER) {
			size_t users;
			if (strcmp(r->meta.name, V3_DEFAULT_TIER) == 0)
				return js_fail(err, errlen, "the tier \"default\" cannot be deleted");
			if ((rc = tier_users(ds, r->meta.name, items, i + 1, &users, err, errlen)) < 0)
				return rc;
			if (users)
				return js_fail(err, errlen,
					       "cannot delete %s: %zu polic%s still in it (delete or move them first)",
					       id, users, users == 1 ? "y is" : "ies are");
		}
		return 0;
	}
	if (r->kind == V3_GLOBAL_NETWORK_POLICY || r->kind == V3_NETWORK_POLICY) {
		bool found;
		const char *tier = v3_policy_tier(&r->spec.policy);
		if ((rc = tier_exists(ds, tier, items, i, &found)) < 0)
			return rc;
		if (!found)
			return js_fail(err, errlen,
				       "spec.tier: \"%s\" does not exist (create the Tier first, or earlier in the same "
				       "file)",
				       tier);
	}
	return plan_values(r, pl, err, errlen);
}

static bool same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The operations for one resource; *changed when any of them writes. */
static size_t plan_ops(enum v3_write_mode mode, const struct plan *pl, struct ds_op *ops, bool *changed)
{
	size_t n = 0;
	*changed = false;
	for (int k = 0; k < pl->nkeys; k++) {
		struct ds_op *op = &ops[n++];
		op->key = pl->key[k];
		op->mod_rev = pl->rev[k];
		if (mode == V3_WRITE_DELETE) {
			op->type = pl->rev[k] ? DS_OP_DELETE : DS_OP_CHECK;
		} else if (same_text(pl->old[k], pl->new[k])) {
			op->type = DS_OP_CHECK;
		} else if (!pl->new[k]) {
			op->type = DS_OP_DELETE;
		} else {
			op->type = DS_OP_CAS;
			op->value = pl->new[k];
		}
		if (op->type != DS_OP_CHECK)
			*changed = true;
	}
	return n;
}

int v3_store_write(struct ds *ds, enum v3_write_mode mode, struct v3_resource *items, size_t n, bool dry_run,
		   struct v3_write_result *res, char *err, size_t errlen)
{
	struct plan *plans = calloc(n ? n : 1, sizeof(*plans));
	struct ds_op *ops = calloc(n ? n * PROFILE_KEYS : 1, sizeof(*ops));
	size_t nops = 0;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	res->bad = n;
	if (!plans || !ops) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct v3_resource *r = &items[i];
		if (v3_kind_info(r->kind)->namespaced && !r->meta.namespace_ &&
		    !(r->meta.namespace_ = strdup(V3_DEFAULT_NAMESPACE))) {
			rc = -ENOMEM;
			goto out;
		}
		if ((rc = plan_check(ds, mode, items, i, &plans[i], err, errlen)) < 0) {
			res->bad = i;
			goto out;
		}
	}
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		bool changed;
		nops += plan_ops(mode, &plans[i], ops + nops, &changed);
		if (changed)
			res->written++;
		any = any || changed;
	}
	if ((rc = ds_revision(ds, &res->rev)) < 0 || dry_run || !any)
		goto out;
	rc = ds_txn(ds, ops, nops, &res->rev);
	if (rc == -ECANCELED || rc == -EEXIST) {
		rc = -ECANCELED;
		js_fail(err, errlen, "update conflict: the datastore changed while writing; nothing was written (try again)");
	}
out:
	if (rc == -ENOMEM)
		js_fail(err, errlen, "out of memory");
	for (size_t i = 0; plans && i < n; i++)
		plan_free(&plans[i]);
	free(plans);
	free(ops);
	if (rc < 0)
		res->written = 0;
	return rc;
}
