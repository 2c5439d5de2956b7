/* Verdict point names and the registry (flow_id.h). */
#include "flow/flow_id.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_strict.h"
#include "util/array.h"

static const char *const action_names[] = { "allow", "deny", "pass" };
static const char *const dir_names[] = { "ingress", "egress" };
static const char *const kind_names[] = { "policy",	    "profile",     "end-of-tier",
					  "end-of-profiles", "fail-closed", "anti-spoof" };
#define N_OF(v) (sizeof(v) / sizeof((v)[0]))

const char *flow_action_name(enum flow_action a)
{
	return (size_t)a < N_OF(action_names) ? action_names[a] : "?";
}

const char *flow_dir_name(enum flow_dir d)
{
	return (size_t)d < N_OF(dir_names) ? dir_names[d] : "?";
}

const char *flow_kind_name(enum flow_kind k)
{
	return (size_t)k < N_OF(kind_names) ? kind_names[k] : "?";
}

static int lookup(const char *const *names, size_t n, const char *text)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], text) == 0)
			return (int)i;
	return -EINVAL;
}

int flow_action_parse(const char *text, enum flow_action *out)
{
	int i = lookup(action_names, N_OF(action_names), text);
	if (i < 0)
		return i;
	*out = (enum flow_action)i;
	return 0;
}

int flow_kind_parse(const char *text, enum flow_kind *out)
{
	int i = lookup(kind_names, N_OF(kind_names), text);
	if (i < 0)
		return i;
	*out = (enum flow_kind)i;
	return 0;
}

int flow_dir_parse(const char *text, enum flow_dir *out)
{
	int i = lookup(dir_names, N_OF(dir_names), text);
	if (i < 0)
		return i;
	*out = (enum flow_dir)i;
	return 0;
}

static const char action_letters[] = "ADP", dir_letters[] = "IE";

char *flow_prefix_format(enum flow_action a, enum flow_dir d, uint32_t id, char *buf)
{
	snprintf(buf, FLOW_PREFIX_MAX, "%c|%c|%x", action_letters[(size_t)a < 3 ? a : 0],
		 dir_letters[(size_t)d < 2 ? d : 0], (unsigned)id);
	return buf;
}

int flow_prefix_parse(const char *p, enum flow_action *a, enum flow_dir *d, uint32_t *id)
{
	const char *al, *dl;
	uint32_t v = 0;
	size_t n = 0;

	if (!p[0] || !(al = strchr(action_letters, p[0])) || p[1] != '|' || !p[2] ||
	    !(dl = strchr(dir_letters, p[2])) || p[3] != '|')
		return -EINVAL;
	for (p += 4; *p; p++, n++) {
		int digit = *p >= '0' && *p <= '9' ? *p - '0' : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10 : -1;
		if (digit < 0 || n == 8 || (n == 1 && v == 0))
			return -EINVAL;
		v = v << 4 | (uint32_t)digit;
	}
	if (n == 0)
		return -EINVAL;
	*a = (enum flow_action)(al - action_letters);
	*d = (enum flow_dir)(dl - dir_letters);
	*id = v;
	return 0;
}

static uint32_t fnv(uint32_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

uint32_t flow_point_hash(const struct flow_point *p)
{
	const char *strs[] = { p->tier, p->name, p->namespace };
	int nums[] = { (int)p->kind, (int)p->dir, (int)p->action, p->rule };
	uint32_t h = 2166136261u;
	h = fnv(h, nums, sizeof(nums));
	for (size_t i = 0; i < N_OF(strs); i++)
		h = fnv(h, strs[i], strlen(strs[i]) + 1); /* the NUL keeps "ab","c" apart from "a","bc" */
	return h;
}

void flow_registry_init(struct flow_registry *r)
{
	memset(r, 0, sizeof(*r));
}

/* Most points have no tier, namespace or trigger: an empty text is this one
 * shared "", not an allocation of its own (three of a point's four texts at
 * 5,000 local endpoints, 50,000 points: 4.8 MB of the agent's heap). */
static const char no_text[] = "";

static const char *text_copy(const char *s)
{
	return s[0] ? strdup(s) : no_text;
}

static void text_free(const char *s)
{
	if (s != no_text)
		free((char *)s);
}

static void point_free(struct flow_point *p)
{
	text_free(p->tier);
	text_free(p->name);
	text_free(p->namespace);
	text_free(p->trigger);
	memset(p, 0, sizeof(*p));
}

void flow_registry_free(struct flow_registry *r)
{
	for (size_t i = 0; i < r->n; i++)
		point_free(&r->points[i]);
	free(r->points);
	free(r->index);
	flow_registry_init(r);
}

/* The index slot of id: where it is, or the empty slot where it would go. */
static size_t slot_of(const struct flow_registry *r, uint32_t id)
{
	size_t i = (size_t)(id * 2654435761u) & (r->cap - 1);
	while (r->index[i] && r->points[r->index[i] - 1].id != id)
		i = (i + 1) & (r->cap - 1);
	return i;
}

const struct flow_point *flow_registry_get(const struct flow_registry *r, uint32_t id)
{
	if (!r->cap)
		return NULL;
	size_t i = slot_of(r, id);
	return r->index[i] ? &r->points[r->index[i] - 1] : NULL;
}

static bool same_point(const struct flow_point *a, const struct flow_point *b)
{
	return a->kind == b->kind && a->action == b->action && a->dir == b->dir && a->rule == b->rule &&
	       strcmp(a->tier, b->tier) == 0 && strcmp(a->name, b->name) == 0 &&
	       strcmp(a->namespace, b->namespace) == 0 && strcmp(a->trigger, b->trigger) == 0;
}

/* Room for one more point: the dense array and the index grow apart. A
 * point is 56 bytes and an index slot 4, so a sparse index costs little
 * (the registry was one table of points at 3/4 load at most: 7 MB for
 * 50,000 points, held twice, by the engine and the flow collector). */
static int grow(struct flow_registry *r)
{
	if (array_reserve((void **)&r->points, &r->cap_points, r->n + 1, sizeof(*r->points)) < 0)
		return -ENOMEM;
	if ((r->n + 1) * 4 > r->cap * 3) {
		size_t ncap = r->cap ? r->cap * 2 : 128;
		uint32_t *ix = calloc(ncap, sizeof(*ix));
		if (!ix)
			return -ENOMEM;
		free(r->index);
		r->index = ix;
		r->cap = ncap;
		for (size_t i = 0; i < r->n; i++)
			r->index[slot_of(r, r->points[i].id)] = (uint32_t)i + 1;
	}
	return 0;
}

static bool text_ok(const char *s)
{
	if (!s || strlen(s) > 253)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int flow_registry_put(struct flow_registry *r, const struct flow_point *p)
{
	const struct flow_point *old = flow_registry_get(r, p->id);
	struct flow_point copy = *p;
	int rc;

	if (!text_ok(p->tier) || !text_ok(p->name) || !text_ok(p->namespace) || !text_ok(p->trigger) ||
	    (size_t)p->kind >= N_OF(kind_names) || (size_t)p->action >= N_OF(action_names) ||
	    (size_t)p->dir >= N_OF(dir_names) || p->rule < -1)
		return -EINVAL;
	if (old)
		return same_point(old, p) ? 0 : -EEXIST;
	if (r->n >= UINT32_MAX - 1)
		return -ENOSPC;
	if ((rc = grow(r)) < 0)
		return rc;
	copy.tier = text_copy(p->tier);
	copy.name = text_copy(p->name);
	copy.namespace = text_copy(p->namespace);
	copy.trigger = text_copy(p->trigger);
	if (!copy.tier || !copy.name || !copy.namespace || !copy.trigger) {
		point_free(&copy);
		return -ENOMEM;
	}
	r->index[slot_of(r, p->id)] = (uint32_t)r->n + 1;
	r->points[r->n++] = copy;
	return 0;
}

static int point_from_json(json_t *o, struct flow_point *p, char *err, size_t errlen)
{
	static const char *const keys[] = { "id",	 "kind", "action",    "direction", "tier",
					    "name", "namespace", "rule", "trigger", NULL };
	const char *kind, *action, *dir;
	long long id, rule = -1;
	int rc;

	if (!json_is_object(o))
		return js_fail(err, errlen, "a verdict point must be an object");
	if ((rc = js_only_keys(o, keys, "verdict point", err, errlen)) < 0 ||
	    (rc = js_get_int(o, "id", true, "verdict point", 0, UINT32_MAX, &id, err, errlen)) < 0 ||
	    (rc = js_get_string(o, "kind", true, "verdict point", &kind, err, errlen)) < 0 ||
	    (rc = js_get_string(o, "action", true, "verdict point", &action, err, errlen)) < 0 ||
	    (rc = js_get_string(o, "direction", true, "verdict point", &dir, err, errlen)) < 0)
		return rc;
	p->id = (uint32_t)id;
	p->tier = p->name = p->namespace = p->trigger = "";
	if (flow_kind_parse(kind, &p->kind) < 0)
		return js_fail(err, errlen, "verdict point %lld: unknown kind \"%.32s\"", id, kind);
	if (flow_action_parse(action, &p->action) < 0)
		return js_fail(err, errlen, "verdict point %lld: unknown action \"%.32s\"", id, action);
	if (flow_dir_parse(dir, &p->dir) < 0)
		return js_fail(err, errlen, "verdict point %lld: unknown direction \"%.32s\"", id, dir);
	if (((rc = js_get_string(o, "tier", false, "verdict point", &p->tier, err, errlen)) < 0 && rc != -ENOENT) ||
	    ((rc = js_get_string(o, "name", false, "verdict point", &p->name, err, errlen)) < 0 && rc != -ENOENT) ||
	    ((rc = js_get_string(o, "namespace", false, "verdict point", &p->namespace, err, errlen)) < 0 &&
	     rc != -ENOENT) ||
	    ((rc = js_get_string(o, "trigger", false, "verdict point", &p->trigger, err, errlen)) < 0 &&
	     rc != -ENOENT) ||
	    ((rc = js_get_int(o, "rule", false, "verdict point", -1, 1000000, &rule, err, errlen)) < 0 &&
	     rc != -ENOENT))
		return rc;
	p->rule = (int)rule;
	return 0;
}

int flow_registry_load_json(struct flow_registry *r, const char *json, char *err, size_t errlen)
{
	struct flow_registry next;
	json_error_t jerr;
	json_t *arr = json_loads(json, JSON_REJECT_DUPLICATES, &jerr), *o;
	size_t i;
	int rc = 0;

	if (!json_is_array(arr)) {
		json_decref(arr);
		return js_fail(err, errlen, "verdict points must be a JSON array");
	}
	flow_registry_init(&next);
	for (i = 0; i < r->n && rc == 0; i++)
		rc = flow_registry_put(&next, &r->points[i]);
	json_array_foreach(arr, i, o)
	{
		struct flow_point p;
		if (rc < 0)
			break;
		if ((rc = point_from_json(o, &p, err, errlen)) < 0)
			break;
		if ((rc = flow_registry_put(&next, &p)) == -EEXIST)
			snprintf(err, errlen, "verdict point %u is given twice, differently", (unsigned)p.id);
		else if (rc == -EINVAL)
			snprintf(err, errlen, "verdict point %u: names must be 0-253 printable characters", (unsigned)p.id);
		else if (rc < 0)
			snprintf(err, errlen, "out of memory");
	}
	json_decref(arr);
	if (rc < 0) {
		flow_registry_free(&next);
		return rc;
	}
	flow_registry_free(r);
	*r = next;
	return 0;
}
