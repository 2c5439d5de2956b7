#include "cni_error.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>

#include "util/json_strict.h"

int cni_err(struct cni_error *e, int code, const char *fmt, ...)
{
	va_list ap;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	js_one_line(e->msg);
	e->details[0] = '\0';
	return -EINVAL;
}

void cni_err_details(struct cni_error *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->details, sizeof(e->details), fmt, ap);
	va_end(ap);
	js_one_line(e->details);
}

char *cni_error_encode(const struct cni_error *e, const char *version)
{
	json_t *o = json_object();
	bool ok = o != NULL;
	if (!o)
		return NULL;
	js_set(o, "cniVersion", json_string(version), &ok);
	js_set(o, "code", json_integer(e->code ? e->code : CNI_ERR_INTERNAL), &ok);
	js_set(o, "msg", json_string(e->msg[0] ? e->msg : "unknown error"), &ok);
	js_set(o, "details", json_string(e->details), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return js_dump(o);
}
