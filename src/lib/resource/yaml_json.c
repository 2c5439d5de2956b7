/* YAML <-> JSON trees through libyaml's event API (yaml_json.h). */
#include "resource/yaml_json.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/json_strict.h"
#include "util/array.h"

/* Nesting deeper than this is refused: no resource needs it, and a bound
 * keeps a hostile file from costing more than its length. */
#define YAML_MAX_DEPTH 64

struct anchor {
	char *name;
	json_t *value;
};

struct frame {
	json_t *node;  /* object or array being filled */
	char *key;     /* a mapping's key waiting for its value */
	char *anchor;  /* the anchor this node is to be registered under when it ends */
};

struct reader {
	struct frame stack[YAML_MAX_DEPTH];
	size_t depth;
	struct anchor *anchors;
	size_t n_anchors;
	json_t *docs;
	json_t *doc; /* the finished top node of the current document */
	char *err;
	size_t errlen;
};

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* [-+]?digits */
static bool looks_int(const char *s)
{
	return all_digits(*s == '-' || *s == '+' ? s + 1 : s);
}

/* [-+]?(digits(.digits*)?|.digits)([eE][-+]?digits)? with a dot or an exponent */
static bool looks_float(const char *s)
{
	const char *p = *s == '-' || *s == '+' ? s + 1 : s;
	bool digits = false, dot = false, exp = false;

	for (; isdigit((unsigned char)*p); p++)
		digits = true;
	if (*p == '.') {
		dot = true;
		for (p++; isdigit((unsigned char)*p); p++)
			digits = true;
	}
	if (digits && (*p == 'e' || *p == 'E')) {
		exp = true;
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return digits && (dot || exp) && !*p;
}

static bool one_of(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

static const char *const null_words[] = { "", "~", "null", "Null", "NULL", NULL };
static const char *const true_words[] = { "true", "True", "TRUE", NULL };
static const char *const false_words[] = { "false", "False", "FALSE", NULL };

/* A plain scalar as the JSON value it stands for (see yaml_json.h). */
static json_t *plain_scalar(const char *s)
{
	if (one_of(s, null_words))
		return json_null();
	if (one_of(s, true_words))
		return json_true();
	if (one_of(s, false_words))
		return json_false();
	if (looks_int(s)) {
		errno = 0;
		char *end;
		long long v = strtoll(s, &end, 10);
		if (errno == 0 && !*end)
			return json_integer(v);
		return json_string(s); /* beyond 64 bits: kept as written */
	}
	if (looks_float(s)) {
		double d = strtod(s, NULL);
		if (isfinite(d))
			return json_real(d);
	}
	return json_string(s);
}

static int fail_at(struct reader *r, const yaml_mark_t *m, const char *what)
{
	return js_fail(r->err, r->errlen, "line %zu column %zu: %s", m->line + 1, m->column + 1, what);
}

static void anchors_free(struct reader *r)
{
	for (size_t i = 0; i < r->n_anchors; i++) {
		free(r->anchors[i].name);
		json_decref(r->anchors[i].value);
	}
	free(r->anchors);
	r->anchors = NULL;
	r->n_anchors = 0;
}

static int anchor_add(struct reader *r, const char *name, json_t *v)
{
	struct anchor *a = realloc(r->anchors, (r->n_anchors + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	r->anchors = a;
	if (!(a[r->n_anchors].name = strdup(name)))
		return -ENOMEM;
	a[r->n_anchors++].value = json_incref(v);
	return 0;
}

static json_t *anchor_find(const struct reader *r, const char *name)
{
	/* the latest definition of a name wins, as YAML says */
	for (size_t i = r->n_anchors; i-- > 0;)
		if (strcmp(r->anchors[i].name, name) == 0)
			return r->anchors[i].value;
	return NULL;
}

/* Places a finished node (reference stolen) into its parent, or makes it the
 * document. */
static int place(struct reader *r, json_t *v, const yaml_mark_t *m)
{
	if (!v)
		return -ENOMEM;
	if (r->depth == 0) {
		json_decref(r->doc);
		r->doc = v;
		return 0;
	}
	struct frame *f = &r->stack[r->depth - 1];
	if (json_is_array(f->node))
		return json_array_append_new(f->node, v) == 0 ? 0 : -ENOMEM;
	if (!f->key) {
		/* a mapping key: only a scalar can be one */
		json_decref(v);
		return fail_at(r, m, "a mapping key must be a plain value, not a list or a mapping");
	}
	if (json_object_get(f->node, f->key)) {
		char msg[320];
		snprintf(msg, sizeof(msg), "duplicate key \"%.200s\"", f->key);
		json_decref(v);
		return fail_at(r, m, msg);
	}
	int rc = json_object_set_new(f->node, f->key, v) == 0 ? 0 : -ENOMEM;
	free(f->key);
	f->key = NULL;
	return rc;
}

static int on_scalar(struct reader *r, const yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;
	const char *anchor = (const char *)ev->data.scalar.anchor;
	int rc;

	if (strlen(text) != ev->data.scalar.length)
		return fail_at(r, &ev->start_mark, "a value holds a NUL character");
	if (r->depth > 0) {
		struct frame *f = &r->stack[r->depth - 1];
		if (json_is_object(f->node) && !f->key) {
			if (anchor) {
				json_t *k = json_string(text);
				rc = k ? anchor_add(r, anchor, k) : -ENOMEM;
				json_decref(k);
				if (rc < 0)
					return rc;
			}
			return (f->key = strdup(text)) ? 0 : -ENOMEM;
		}
	}
	json_t *v = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag ? plain_scalar(text)
											   : json_string(text);
	if (!v)
		return -ENOMEM;
	if (anchor && (rc = anchor_add(r, anchor, v)) < 0) {
		json_decref(v);
		return rc;
	}
	return place(r, v, &ev->start_mark);
}

static int on_alias(struct reader *r, const yaml_event_t *ev)
{
	json_t *v = anchor_find(r, (const char *)ev->data.alias.anchor);
	if (!v)
		return fail_at(r, &ev->start_mark, "alias to an unknown anchor");
	if (r->depth > 0) {
		struct frame *f = &r->stack[r->depth - 1];
		if (json_is_object(f->node) && !f->key) {
			if (!json_is_string(v))
				return fail_at(r, &ev->start_mark, "a mapping key must be a plain value, not a list or a mapping");
			return (f->key = strdup(json_string_value(v))) ? 0 : -ENOMEM;
		}
	}
	/* a deep copy: the tree must stay a tree, as the decoder and the
	 * emitter walk it (and an alias of an enclosing node is refused) */
	json_t *copy = json_deep_copy(v);
	return place(r, copy, &ev->start_mark);
}

static int on_start(struct reader *r, const yaml_event_t *ev, bool mapping)
{
	const yaml_char_t *anchor = mapping ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;

	if (r->depth > 0) {
		struct frame *f = &r->stack[r->depth - 1];
		if (json_is_object(f->node) && !f->key)
			return fail_at(r, &ev->start_mark, "a mapping key must be a plain value, not a list or a mapping");
	}
	if (r->depth == YAML_MAX_DEPTH)
		return fail_at(r, &ev->start_mark, "nested too deeply");
	struct frame *f = &r->stack[r->depth];
	memset(f, 0, sizeof(*f));
	if (!(f->node = mapping ? json_object() : json_array()))
		return -ENOMEM;
	if (anchor && !(f->anchor = strdup((const char *)anchor))) {
		json_decref(f->node);
		return -ENOMEM;
	}
	r->depth++;
	return 0;
}

static int on_end(struct reader *r, const yaml_event_t *ev)
{
	struct frame f = r->stack[--r->depth];
	int rc = 0;

	free(f.key);
	if (f.anchor)
		rc = anchor_add(r, f.anchor, f.node);
	free(f.anchor);
	if (rc < 0) {
		json_decref(f.node);
		return rc;
	}
	return place(r, f.node, &ev->start_mark);
}

static void stack_free(struct reader *r)
{
	while (r->depth > 0) {
		struct frame *f = &r->stack[--r->depth];
		json_decref(f->node);
		free(f->key);
		free(f->anchor);
	}
}

static int on_event(struct reader *r, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		json_decref(r->doc);
		r->doc = NULL;
		anchors_free(r); /* anchors do not cross documents */
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		if (r->doc && !json_is_null(r->doc) && json_array_append(r->docs, r->doc) < 0)
			return -ENOMEM;
		json_decref(r->doc);
		r->doc = NULL;
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(r, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(r, ev);
	case YAML_MAPPING_START_EVENT:
		return on_start(r, ev, true);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(r, ev, false);
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		return on_end(r, ev);
	default:
		return 0;
	}
}

json_t *yaml_to_json_docs(const char *text, size_t len, char *err, size_t errlen)
{
	struct reader r = { .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;
	int rc = 0;

	if (!(r.docs = json_array()))
		return NULL;
	if (!yaml_parser_initialize(&parser)) {
		json_decref(r.docs);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			yaml_mark_t m = parser.problem_mark;
			rc = js_fail(err, errlen, "line %zu column %zu: %s", m.line + 1, m.column + 1,
				     parser.problem ? parser.problem : "not valid YAML");
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(&r, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	stack_free(&r);
	anchors_free(&r);
	json_decref(r.doc);
	if (rc < 0) {
		if (rc == -ENOMEM)
			js_fail(err, errlen, "out of memory reading YAML");
		json_decref(r.docs);
		return NULL;
	}
	return r.docs;
}

/* ---------- writing ---------- */

struct out_buf {
	char *p;
	size_t n, cap;
	bool oom;
};

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	struct out_buf *b = data;
	if (array_reserve((void **)&b->p, &b->cap, b->n + size + 1, 1) < 0) {
		b->oom = true;
		return 0;
	}
	memcpy(b->p + b->n, buffer, size);
	b->n += size;
	b->p[b->n] = '\0';
	return 1;
}

/* Would a reader take this string, written plain, for anything but itself?
 * Ours (plain_scalar) or a YAML 1.1 one: booleans like yes/on/y, base-60
 * numbers like 1000:2000, numbers with _ or in 0x/0o/0b form, .inf, .nan, timestamps. */
static bool needs_quotes(const char *s)
{
	static const char *const yaml11_words[] = { "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
						    "on", "On", "ON", "off", "Off", "OFF", NULL };
	json_t *v = plain_scalar(s);
	bool other = !json_is_string(v);
	json_decref(v);
	if (other || one_of(s, yaml11_words))
		return true;
	const char *p = *s == '-' || *s == '+' ? s + 1 : s;
	if (*p == '.')
		return true; /* .inf, .nan, .5 */
	if (isdigit((unsigned char)*p) && strspn(p, "0123456789:._abcdefxoABCDEFXO") == strlen(p))
		return true; /* 1000:2000, 1_000, 0x1f, 1.5e3 */
	if (strlen(s) >= 8 && strspn(s, "0123456789") == 4 && s[4] == '-' && isdigit((unsigned char)s[5]))
		return true; /* a YAML 1.1 timestamp: 2024-01-31, 2024-01-31T10:00:00Z */
	return false;
}

static char *real_text(double d, char buf[32])
{
	if (d == floor(d) && fabs(d) < 1e15) {
		snprintf(buf, 32, "%.0f", d);
		return buf;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, 32, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	return buf;
}

static int emit(yaml_emitter_t *em, yaml_event_t *ev)
{
	return yaml_emitter_emit(em, ev) ? 0 : -ENOMEM;
}

static int emit_scalar(yaml_emitter_t *em, const char *text, bool quote)
{
	yaml_event_t ev;
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1, 1,
					  quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE))
		return -ENOMEM;
	return emit(em, &ev);
}

static int emit_node(yaml_emitter_t *em, const json_t *v, int depth)
{
	yaml_event_t ev;
	char buf[32];
	int rc;

	if (depth > YAML_MAX_DEPTH)
		return -EINVAL;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *child;
		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
		    (rc = emit(em, &ev)) < 0)
			return -ENOMEM;
		json_object_foreach((json_t *)v, key, child)
		{
			if ((rc = emit_scalar(em, key, needs_quotes(key))) < 0 ||
			    (rc = emit_node(em, child, depth + 1)) < 0)
				return rc;
		}
		yaml_mapping_end_event_initialize(&ev);
		return emit(em, &ev);
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *child;
		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
		    (rc = emit(em, &ev)) < 0)
			return -ENOMEM;
		json_array_foreach(v, i, child)
		{
			if ((rc = emit_node(em, child, depth + 1)) < 0)
				return rc;
		}
		yaml_sequence_end_event_initialize(&ev);
		return emit(em, &ev);
	}
	case JSON_STRING:
		return emit_scalar(em, json_string_value(v), needs_quotes(json_string_value(v)));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		return emit_scalar(em, buf, false);
	case JSON_REAL:
		return emit_scalar(em, real_text(json_real_value(v), buf), false);
	case JSON_TRUE:
		return emit_scalar(em, "true", false);
	case JSON_FALSE:
		return emit_scalar(em, "false", false);
	default:
		return emit_scalar(em, "null", false);
	}
}

char *json_to_yaml(const json_t *v, int with_start)
{
	struct out_buf b = { 0 };
	yaml_emitter_t em;
	yaml_event_t ev;
	int rc = -ENOMEM;

	if (!yaml_emitter_initialize(&em))
		return NULL;
	yaml_emitter_set_output(&em, write_handler, &b);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1); /* never fold a long selector over lines */
	yaml_emitter_set_indent(&em, 2);
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || emit(&em, &ev) < 0)
		goto out;
	if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, !with_start) || emit(&em, &ev) < 0)
		goto out;
	if ((rc = emit_node(&em, v, 0)) < 0)
		goto out;
	rc = -ENOMEM;
	if (!yaml_document_end_event_initialize(&ev, 1) || emit(&em, &ev) < 0)
		goto out;
	if (!yaml_stream_end_event_initialize(&ev) || emit(&em, &ev) < 0 || !yaml_emitter_flush(&em))
		goto out;
	rc = b.oom ? -ENOMEM : 0;
out:
	yaml_emitter_delete(&em);
	if (rc < 0) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
