/* Helpers for the strict model decoders (jansson): every refusal is -EINVAL
 * with one line in err naming the key and the offending value. Internal to
 * the model codec (model_*.c). */
#ifndef CALICO_JSON_STRICT_H
#define CALICO_JSON_STRICT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Messages quote what they refuse, and refused input may hold newlines or
 * escape sequences: control characters and invalid UTF-8 become '?', so every
 * message stays one line, fits in a JSON string, and cannot forge a log line
 * or drive a terminal. */
void js_one_line(char *msg);
/* Writes the message (one line) and returns -EINVAL, so callers can `return js_fail(...)`. */
int js_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A short compact rendering of v for messages ("70000", "\"x\"", "[1,2]"), truncated. */
const char *js_show(const json_t *v, char *buf, size_t len);
/* "a string", "an integer", ... for "must be X, not Y" messages. */
const char *js_kind(const json_t *v);

/* Parses text as one JSON object (duplicate keys refused). NULL with a message. */
json_t *js_load_object(const char *text, char *err, size_t errlen);
/* Refuses any key of obj that is not in allowed (NULL-terminated); what names
 * the object in the message: `unknown key "foo" in rule`. */
int js_only_keys(const json_t *obj, const char *const *allowed, const char *what, char *err, size_t errlen);

/* Typed getters. A missing key: -ENOENT when optional (nothing written),
 * -EINVAL with `missing "key" in what` when required. */
int js_get_string(const json_t *obj, const char *key, bool required, const char *what, const char **out,
		  char *err, size_t errlen);
int js_get_bool(const json_t *obj, const char *key, bool required, const char *what, bool *out, char *err,
		size_t errlen);
/* Integers min..max: `"key" 255 is out of range 0-254`. */
int js_get_int(const json_t *obj, const char *key, bool required, const char *what, long long min,
	       long long max, long long *out, char *err, size_t errlen);
int js_get_array(const json_t *obj, const char *key, bool required, const char *what, json_t **out, char *err,
		 size_t errlen);

/* Encoding: dumps compactly with the insertion order kept; NULL on ENOMEM.
 * Steals the reference to v. */
char *js_dump(json_t *v);
/* json_object_set_new that remembers a failure in *ok instead of returning it. */
void js_set(json_t *obj, const char *key, json_t *v, bool *ok);
void js_append(json_t *arr, json_t *v, bool *ok);

#endif
