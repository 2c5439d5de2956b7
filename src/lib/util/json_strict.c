#include "util/json_strict.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p, 0 if there is none. */
static size_t utf8_seq(const unsigned char *p)
{
	size_t len = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] < 0xe0 ? 2 : 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

void js_one_line(char *msg)
{
	/* invalid UTF-8 becomes '?' too: a message must fit in a JSON string */
	for (unsigned char *p = (unsigned char *)msg; p && *p; p++) {
		size_t u = *p >= 0x80 ? utf8_seq(p) : 0;
		if (u)
			p += u - 1;
		else if (*p < 0x20 || *p >= 0x7f)
			*p = '?';
	}
}

int js_fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		js_one_line(err);
	}
	return -EINVAL;
}

const char *js_show(const json_t *v, char *buf, size_t len)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s) {
		snprintf(buf, len, "?");
		return buf;
	}
	/* messages stay one short line whatever the input holds */
	if (strlen(s) >= len && len > 4)
		snprintf(buf, len, "%.*s...", (int)(len - 4), s);
	else
		snprintf(buf, len, "%s", s);
	free(s);
	return buf;
}

const char *js_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

json_t *js_load_object(const char *text, char *err, size_t errlen)
{
	json_error_t je;
	if (!text || !text[strspn(text, " \t\r\n")]) {
		js_fail(err, errlen, "empty input: expected a JSON object");
		return NULL;
	}
	json_t *v = json_loads(text ? text : "", JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!v) {
		js_fail(err, errlen, "not valid JSON (line %d, column %d): %s", je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		js_fail(err, errlen, "expected a JSON object, not %s", js_kind(v));
		json_decref(v);
		return NULL;
	}
	return v;
}

int js_only_keys(const json_t *obj, const char *const *allowed, const char *what, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v) {
		const char *const *a = allowed;
		while (*a && strcmp(*a, key) != 0)
			a++;
		if (!*a) {
			char k[64];
			json_t *ks = json_string(key);
			js_show(ks, k, sizeof(k));
			json_decref(ks);
			return js_fail(err, errlen, "unknown key %s in %s", k, what);
		}
	}
	return 0;
}

static int get(const json_t *obj, const char *key, bool required, const char *what, json_t **v, char *err,
	       size_t errlen)
{
	*v = json_object_get(obj, key);
	if (*v)
		return 0;
	if (required)
		return js_fail(err, errlen, "missing \"%s\" in %s", key, what);
	return -ENOENT;
}

static int wrong_type(const char *key, const char *want, const json_t *v, char *err, size_t errlen)
{
	char s[64];
	if (json_is_null(v))
		return js_fail(err, errlen, "\"%s\" must be %s, not null", key, want);
	return js_fail(err, errlen, "\"%s\" must be %s, not %s %s", key, want, js_kind(v), js_show(v, s, sizeof(s)));
}

int js_get_string(const json_t *obj, const char *key, bool required, const char *what, const char **out,
		  char *err, size_t errlen)
{
	json_t *v;
	int rc = get(obj, key, required, what, &v, err, errlen);
	if (rc < 0)
		return rc;
	if (!json_is_string(v))
		return wrong_type(key, "a string", v, err, errlen);
	*out = json_string_value(v);
	if (strlen(*out) != json_string_length(v))
		return js_fail(err, errlen, "\"%s\" contains a NUL character", key);
	return 0;
}

int js_get_bool(const json_t *obj, const char *key, bool required, const char *what, bool *out, char *err,
		size_t errlen)
{
	json_t *v;
	int rc = get(obj, key, required, what, &v, err, errlen);
	if (rc < 0)
		return rc;
	if (!json_is_boolean(v))
		return wrong_type(key, "true or false", v, err, errlen);
	*out = json_is_true(v);
	return 0;
}

int js_get_int(const json_t *obj, const char *key, bool required, const char *what, long long min,
	       long long max, long long *out, char *err, size_t errlen)
{
	json_t *v;
	int rc = get(obj, key, required, what, &v, err, errlen);
	if (rc < 0)
		return rc;
	if (!json_is_integer(v))
		return wrong_type(key, "an integer", v, err, errlen);
	long long n = (long long)json_integer_value(v);
	if (n < min || n > max)
		return js_fail(err, errlen, "\"%s\" %lld is out of range %lld-%lld", key, n, min, max);
	*out = n;
	return 0;
}

int js_get_array(const json_t *obj, const char *key, bool required, const char *what, json_t **out, char *err,
		 size_t errlen)
{
	json_t *v;
	int rc = get(obj, key, required, what, &v, err, errlen);
	if (rc < 0)
		return rc;
	if (!json_is_array(v))
		return wrong_type(key, "a list", v, err, errlen);
	*out = v;
	return 0;
}

char *js_dump(json_t *v)
{
	if (!v)
		return NULL;
	char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(v);
	return s;
}

void js_set(json_t *obj, const char *key, json_t *v, bool *ok)
{
	if (!obj) {
		json_decref(v);
		*ok = false;
	} else if (!v || json_object_set_new(obj, key, v) < 0) { /* set_new drops v on failure */
		*ok = false;
	}
}

void js_append(json_t *arr, json_t *v, bool *ok)
{
	if (!arr) {
		json_decref(v);
		*ok = false;
	} else if (!v || json_array_append_new(arr, v) < 0) {
		*ok = false;
	}
}
