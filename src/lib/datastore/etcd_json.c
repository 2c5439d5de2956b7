/* etcd v3 JSON gateway: request bodies and response parsing (no I/O). */
#include "datastore/etcd_json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/base64.h"

/* ---- small JSON helpers ---- */

/* int64 fields come as strings ("revision":"4") but are accepted as numbers too;
 * absent means the default, zero. */
static int64_t j_int64(const json_t *obj, const char *name)
{
	const json_t *v = json_object_get(obj, name);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	return 0;
}

static bool j_bool(const json_t *obj, const char *name)
{
	return json_is_true(json_object_get(obj, name));
}

/* Sets obj[name] to base64(data[0..len)); takes care of the allocation. */
static int j_set_b64(json_t *obj, const char *name, const void *data, size_t len)
{
	char *s = b64_encode(data, len);
	int rc = 0;
	if (!s)
		return -ENOMEM;
	if (json_object_set_new(obj, name, json_string(s)) < 0)
		rc = -ENOMEM;
	free(s);
	return rc;
}

static int j_set_i64(json_t *obj, const char *name, int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return json_object_set_new(obj, name, json_string(buf)) < 0 ? -ENOMEM : 0;
}

/* Dumps and frees root; NULL if anything failed along the way (failed = true). */
static char *j_finish(json_t *root, bool failed)
{
	char *s = NULL;
	if (root && !failed)
		s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return s;
}

static json_t *j_load(const char *body)
{
	json_error_t jerr;
	json_t *root = json_loads(body, 0, &jerr);
	if (root && !json_is_object(root)) {
		json_decref(root);
		return NULL;
	}
	return root;
}

static int64_t header_rev(const json_t *root)
{
	return j_int64(json_object_get(root, "header"), "revision");
}

/* ---- builders ---- */

char *etcd_prefix_end_b64(const char *prefix)
{
	size_t len = strlen(prefix);
	char *end = strdup(prefix);
	char *b64;

	if (!end)
		return NULL;
	while (len > 0 && (unsigned char)end[len - 1] == 0xff)
		len--;
	if (len == 0) {
		b64 = b64_encode("", 1); /* "\0": etcd's "every key" */
	} else {
		end[len - 1] = (char)((unsigned char)end[len - 1] + 1);
		b64 = b64_encode(end, len);
	}
	free(end);
	return b64;
}

static int set_prefix_end(json_t *obj, const char *prefix)
{
	char *end = etcd_prefix_end_b64(prefix);
	int rc = 0;
	if (!end)
		return -ENOMEM;
	if (json_object_set_new(obj, "range_end", json_string(end)) < 0)
		rc = -ENOMEM;
	free(end);
	return rc;
}

char *etcd_req_range(const char *key, size_t key_len, const char *prefix_of, int64_t revision, int64_t limit,
		     bool count_only)
{
	json_t *root = json_object();
	bool failed = !root;

	/* etcd refuses an empty key ("key is not provided"); "\0" is the first key there is. */
	if (!failed)
		failed = prefix_of && key_len == 0 ? j_set_b64(root, "key", "", 1) < 0
						   : j_set_b64(root, "key", key, key_len) < 0;
	if (!failed && prefix_of) {
		failed = set_prefix_end(root, prefix_of) < 0;
		/* Sorted by key ascending: the datastore contract, and what paging relies on. */
		failed = failed || json_object_set_new(root, "sort_order", json_string("ASCEND")) < 0;
		failed = failed || json_object_set_new(root, "sort_target", json_string("KEY")) < 0;
	}
	if (!failed && revision > 0)
		failed = j_set_i64(root, "revision", revision) < 0;
	if (!failed && limit > 0)
		failed = j_set_i64(root, "limit", limit) < 0;
	if (!failed && count_only)
		failed = json_object_set_new(root, "count_only", json_true()) < 0;
	return j_finish(root, failed);
}

static bool op_has_compare(const struct ds_op *op)
{
	switch (op->type) {
	case DS_OP_CREATE:
	case DS_OP_CAS:
	case DS_OP_CHECK:
		return true;
	case DS_OP_DELETE:
		return op->mod_rev != 0;
	case DS_OP_PUT:
	case DS_OP_DELETE_PREFIX:
		break;
	}
	return false;
}

static json_t *compare_for(const struct ds_op *op)
{
	json_t *c = json_object();
	bool failed = !c;

	if (!failed)
		failed = j_set_b64(c, "key", op->key, strlen(op->key)) < 0;
	failed = failed || json_object_set_new(c, "result", json_string("EQUAL")) < 0;
	/* "must be absent" is version 0; a revision match is on mod_revision. */
	if (op->type == DS_OP_CREATE || op->mod_rev == 0) {
		failed = failed || json_object_set_new(c, "target", json_string("VERSION")) < 0;
		failed = failed || j_set_i64(c, "version", 0) < 0;
	} else {
		failed = failed || json_object_set_new(c, "target", json_string("MOD")) < 0;
		failed = failed || j_set_i64(c, "mod_revision", op->mod_rev) < 0;
	}
	if (failed) {
		json_decref(c);
		return NULL;
	}
	return c;
}

static json_t *request_for(const struct ds_op *op)
{
	json_t *req = json_object(), *wrap = json_object();
	bool failed = !req || !wrap;
	const char *kind = "request_put";

	if (!failed) /* an empty prefix starts at "\0": etcd refuses an empty key */
		failed = op->type == DS_OP_DELETE_PREFIX && !op->key[0] ? j_set_b64(req, "key", "", 1) < 0
									  : j_set_b64(req, "key", op->key, strlen(op->key)) < 0;
	switch (op->type) {
	case DS_OP_PUT:
	case DS_OP_CREATE:
	case DS_OP_CAS:
		failed = failed || j_set_b64(req, "value", op->value ? op->value : "",
					     op->value ? strlen(op->value) : 0) < 0;
		if (op->lease)
			failed = failed || j_set_i64(req, "lease", op->lease) < 0;
		break;
	case DS_OP_DELETE:
		kind = "request_delete_range";
		break;
	case DS_OP_DELETE_PREFIX:
		kind = "request_delete_range";
		failed = failed || set_prefix_end(req, op->key) < 0;
		break;
	case DS_OP_CHECK:
		break;
	}
	if (failed) {
		json_decref(req);
		json_decref(wrap);
		return NULL;
	}
	/* json_object_set_new steals req even when it fails. */
	if (json_object_set_new(wrap, kind, req) < 0) {
		json_decref(wrap);
		return NULL;
	}
	return wrap;
}

char *etcd_req_put(const struct ds_op *op)
{
	json_t *wrap = request_for(op);
	json_t *req = json_incref(json_object_get(wrap, "request_put"));
	json_decref(wrap);
	return j_finish(req, !req);
}

char *etcd_req_txn(const struct ds_op *ops, size_t n)
{
	json_t *root = json_object();
	json_t *compare = json_array(), *success = json_array(), *failure = json_array();
	bool failed = !root || !compare || !success || !failure;

	for (size_t i = 0; i < n && !failed; i++) {
		const struct ds_op *op = &ops[i];
		if (op_has_compare(op)) {
			json_t *c = compare_for(op);
			failed = !c || json_array_append_new(compare, c) < 0;
			/* Read the key back on failure: tells -EEXIST from -ECANCELED in one round trip. */
			json_t *rr = json_object(), *wrap = json_object();
			failed = failed || !rr || !wrap || j_set_b64(rr, "key", op->key, strlen(op->key)) < 0;
			if (failed) {
				json_decref(rr);
				json_decref(wrap);
				break;
			}
			if (json_object_set_new(wrap, "request_range", rr) < 0) {
				json_decref(wrap);
				failed = true;
				break;
			}
			failed = json_array_append_new(failure, wrap) < 0;
		}
		if (!failed && op->type != DS_OP_CHECK) {
			json_t *r = request_for(op);
			failed = !r || json_array_append_new(success, r) < 0;
		}
	}
	if (!failed) {
		failed = json_object_set_new(root, "compare", compare) < 0;
		failed = json_object_set_new(root, "success", success) < 0 || failed;
		failed = json_object_set_new(root, "failure", failure) < 0 || failed;
		compare = success = failure = NULL;
	}
	json_decref(compare);
	json_decref(success);
	json_decref(failure);
	return j_finish(root, failed);
}

char *etcd_req_read_many(const struct ds_read *reads, size_t n)
{
	json_t *root = json_object(), *success = json_array();
	bool failed = !root || !success;

	for (size_t i = 0; i < n && !failed; i++) {
		char *one = etcd_req_range(reads[i].key, strlen(reads[i].key), reads[i].prefix ? reads[i].key : NULL, 0,
					   0, false);
		json_t *rr = one ? json_loads(one, 0, NULL) : NULL, *wrap = json_object();
		free(one);
		if (!rr || !wrap) {
			json_decref(rr);
			json_decref(wrap);
			failed = true;
			break;
		}
		/* Both _new calls take their reference even when they fail. */
		if (json_object_set_new(wrap, "request_range", rr) < 0) {
			json_decref(wrap);
			failed = true;
			break;
		}
		failed = json_array_append_new(success, wrap) < 0;
	}
	/* No compare: the success branch always runs, every range at one revision. */
	if (!failed) {
		failed = json_object_set_new(root, "success", success) < 0;
		success = NULL;
	}
	json_decref(success);
	return j_finish(root, failed);
}

char *etcd_req_watch(const char *prefix, int64_t start_rev)
{
	json_t *root = json_object(), *cr = json_object();
	bool failed = !root || !cr;

	failed = failed || j_set_b64(cr, "key", prefix, strlen(prefix)) < 0;
	failed = failed || set_prefix_end(cr, prefix) < 0;
	if (start_rev > 0)
		failed = failed || j_set_i64(cr, "start_revision", start_rev) < 0;
	if (failed) {
		json_decref(cr);
		json_decref(root);
		return NULL;
	}
	failed = json_object_set_new(root, "create_request", cr) < 0;
	return j_finish(root, failed);
}

char *etcd_req_lease_grant(int ttl_seconds)
{
	json_t *root = json_object();
	return j_finish(root, !root || j_set_i64(root, "TTL", ttl_seconds) < 0);
}

char *etcd_req_lease_id(int64_t id)
{
	json_t *root = json_object();
	return j_finish(root, !root || j_set_i64(root, "ID", id) < 0);
}

char *etcd_req_compact(int64_t rev)
{
	json_t *root = json_object();
	bool failed = !root || j_set_i64(root, "revision", rev) < 0;
	failed = failed || json_object_set_new(root, "physical", json_true()) < 0;
	return j_finish(root, failed);
}

/* ---- parsers ---- */

int etcd_parse_header_rev(const char *body, int64_t *rev)
{
	json_t *root = j_load(body);
	if (!root)
		return -EPROTO;
	*rev = header_rev(root);
	json_decref(root);
	return 0;
}

/* Decodes a base64 field into a new string; absent = "" (the gateway omits empty values). */
static int b64_field(const json_t *obj, const char *name, char **out)
{
	const char *s = json_string_value(json_object_get(obj, name));
	if (!s)
		s = "";
	return b64_decode(s, out, NULL);
}

static int parse_kv(const json_t *j, struct ds_kv *kv)
{
	int rc;
	memset(kv, 0, sizeof(*kv));
	if (!json_is_object(j))
		return -EPROTO;
	if ((rc = b64_field(j, "key", &kv->key)) < 0)
		goto fail;
	if ((rc = b64_field(j, "value", &kv->value)) < 0)
		goto fail;
	kv->create_rev = j_int64(j, "create_revision");
	kv->mod_rev = j_int64(j, "mod_revision");
	kv->lease = j_int64(j, "lease");
	return 0;
fail:
	ds_kv_free(kv);
	return rc == -EINVAL ? -EPROTO : rc;
}

static int append_kvs(const json_t *kvs, struct ds_kv_list *out)
{
	size_t n = json_array_size(kvs);
	struct ds_kv *items;
	int rc;

	if (n == 0)
		return 0;
	items = realloc(out->items, (out->n + n) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	out->items = items;
	for (size_t i = 0; i < n; i++) {
		if ((rc = parse_kv(json_array_get(kvs, i), &out->items[out->n])) < 0)
			return rc;
		out->n++;
	}
	return 0;
}

int etcd_parse_range(const char *body, struct ds_kv_list *out, bool *more)
{
	json_t *root = j_load(body);
	int rc;

	if (!root)
		return -EPROTO;
	out->rev = header_rev(root);
	if (more)
		*more = j_bool(root, "more");
	rc = append_kvs(json_object_get(root, "kvs"), out);
	json_decref(root);
	return rc;
}

int etcd_parse_txn(const char *body, const struct ds_op *ops, size_t n, int64_t *rev)
{
	json_t *root = j_load(body);
	json_t *responses;
	size_t ri = 0;
	int rc = -ECANCELED;

	if (!root)
		return -EPROTO;
	if (rev)
		*rev = header_rev(root);
	if (j_bool(root, "succeeded")) {
		rc = 0;
		goto out;
	}
	/* Failure branch: one response_range per conditional op, in op order. */
	responses = json_object_get(root, "responses");
	for (size_t i = 0; i < n; i++) {
		if (!op_has_compare(&ops[i]))
			continue;
		json_t *rr = json_object_get(json_array_get(responses, ri++), "response_range");
		if (ops[i].type == DS_OP_CREATE && json_array_size(json_object_get(rr, "kvs")) > 0) {
			rc = -EEXIST;
			break;
		}
	}
out:
	json_decref(root);
	return rc;
}

int etcd_parse_read_many(const char *body, size_t n, struct ds_kv_list *out)
{
	json_t *root = j_load(body);
	int rc = 0;

	if (!root)
		return -EPROTO;
	json_t *responses = json_object_get(root, "responses");
	int64_t rev = header_rev(root);
	if (!j_bool(root, "succeeded") || !json_is_array(responses) || json_array_size(responses) != n)
		rc = -EPROTO;
	for (size_t i = 0; i < n && rc == 0; i++) {
		json_t *rr = json_object_get(json_array_get(responses, i), "response_range");
		if (!json_is_object(rr) || j_bool(rr, "more"))
			rc = -EPROTO;
		else
			rc = append_kvs(json_object_get(rr, "kvs"), &out[i]);
		out[i].rev = rev;
	}
	json_decref(root);
	return rc;
}

int etcd_parse_lease_grant(const char *body, int64_t *id)
{
	json_t *root = j_load(body);
	int rc = 0;
	if (!root)
		return -EPROTO;
	*id = j_int64(root, "ID");
	if (*id == 0)
		rc = -EPROTO;
	json_decref(root);
	return rc;
}

int etcd_parse_keepalive(const char *body, int64_t *ttl)
{
	json_t *root = j_load(body);
	json_t *res;
	int rc = 0;

	if (!root)
		return -EPROTO;
	res = json_object_get(root, "result");
	if (!json_is_object(res)) {
		rc = -EPROTO;
		goto out;
	}
	*ttl = j_int64(res, "TTL");
	if (*ttl <= 0)
		rc = -ENOENT;
out:
	json_decref(root);
	return rc;
}

int etcd_parse_error(const char *body, char *msg, size_t msglen)
{
	json_t *root = j_load(body);
	const char *m;
	int code = -1;

	snprintf(msg, msglen, "%s", "");
	if (!root)
		return -1;
	/* Unary errors are flat; streaming ones come wrapped in "error". */
	json_t *e = json_object_get(root, "error");
	json_t *src = json_is_object(e) ? e : root;
	m = json_string_value(json_object_get(src, "message"));
	if (!m || !*m)
		m = json_string_value(json_object_get(src, "error"));
	if (m)
		snprintf(msg, msglen, "%s", m);
	if (json_is_integer(json_object_get(src, "code")))
		code = (int)json_integer_value(json_object_get(src, "code"));
	else if (json_is_integer(json_object_get(src, "grpc_code")))
		code = (int)json_integer_value(json_object_get(src, "grpc_code"));
	json_decref(root);
	return code;
}

static int parse_event(const json_t *j, struct ds_event *ev)
{
	const json_t *kv = json_object_get(j, "kv");
	const char *type = json_string_value(json_object_get(j, "type"));
	int rc;

	memset(ev, 0, sizeof(*ev));
	if (!json_is_object(kv))
		return -EPROTO;
	/* PUT is the default, so the gateway leaves "type" out for it. */
	ev->type = type && strcmp(type, "DELETE") == 0 ? DS_EV_DELETE : DS_EV_PUT;
	ev->mod_rev = j_int64(kv, "mod_revision");
	if ((rc = b64_field(kv, "key", &ev->key)) < 0)
		goto fail;
	if (ev->type == DS_EV_PUT && (rc = b64_field(kv, "value", &ev->value)) < 0)
		goto fail;
	return 0;
fail:
	ds_event_free(ev);
	return rc == -EINVAL ? -EPROTO : rc;
}

int etcd_parse_watch_msg(const char *line, struct etcd_watch_msg *m)
{
	json_t *root = j_load(line);
	json_t *res, *events;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	if (!root)
		return -EPROTO;
	res = json_object_get(root, "result");
	if (!json_is_object(res)) {
		/* The gateway reports a broken stream as {"error":{...}}. */
		if (json_is_object(json_object_get(root, "error"))) {
			json_decref(root);
			etcd_parse_error(line, m->error, sizeof(m->error));
			if (!m->error[0])
				snprintf(m->error, sizeof(m->error), "watch stream error");
			return 0;
		}
		rc = -EPROTO;
		goto out;
	}
	m->created = j_bool(res, "created");
	m->canceled = j_bool(res, "canceled");
	m->compact_revision = j_int64(res, "compact_revision");
	m->rev = header_rev(res);
	const char *reason = json_string_value(json_object_get(res, "cancel_reason"));
	if (reason)
		snprintf(m->error, sizeof(m->error), "%s", reason);
	events = json_object_get(res, "events");
	size_t n = json_array_size(events);
	if (n > 0) {
		m->events = calloc(n, sizeof(*m->events));
		if (!m->events) {
			rc = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			if ((rc = parse_event(json_array_get(events, i), &m->events[i])) < 0) {
				etcd_watch_msg_free(m);
				goto out;
			}
			m->n_events++;
		}
	}
out:
	json_decref(root);
	return rc;
}

void etcd_watch_msg_free(struct etcd_watch_msg *m)
{
	for (size_t i = 0; i < m->n_events; i++)
		ds_event_free(&m->events[i]);
	free(m->events);
	m->events = NULL;
	m->n_events = 0;
}
