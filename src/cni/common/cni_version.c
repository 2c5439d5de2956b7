#include "cni_version.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "util/json_strict.h"

const char *const cni_supported_versions[] = { "0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL };

static const char *const cmd_names[] = {
	[CNI_CMD_ADD] = "ADD", [CNI_CMD_DEL] = "DEL", [CNI_CMD_CHECK] = "CHECK",
	[CNI_CMD_VERSION] = "VERSION", [CNI_CMD_GC] = "GC", [CNI_CMD_STATUS] = "STATUS",
};

bool cni_version_supported(const char *v)
{
	for (const char *const *s = cni_supported_versions; v && *s; s++)
		if (strcmp(*s, v) == 0)
			return true;
	return false;
}

/* "x.y.z" with each part 0..9999; -1 parts when it does not parse. */
static void version_parts(const char *v, int p[3])
{
	int n = 0, a, b, c;
	p[0] = p[1] = p[2] = -1;
	if (v && sscanf(v, "%4d.%4d.%4d%n", &a, &b, &c, &n) == 3 && v[n] == '\0' && a >= 0 && b >= 0 && c >= 0) {
		p[0] = a;
		p[1] = b;
		p[2] = c;
	}
}

int cni_version_cmp(const char *a, const char *b)
{
	int pa[3], pb[3];
	version_parts(a, pa);
	version_parts(b, pb);
	for (int i = 0; i < 3; i++)
		if (pa[i] != pb[i])
			return pa[i] < pb[i] ? -1 : 1;
	return 0;
}

enum cni_shape cni_version_shape(const char *v)
{
	if (cni_version_cmp(v, "0.3.0") < 0)
		return CNI_SHAPE_020;
	if (cni_version_cmp(v, "1.0.0") < 0)
		return CNI_SHAPE_040;
	return CNI_SHAPE_100;
}

int cni_cmd_parse(const char *text, enum cni_cmd *out)
{
	for (size_t i = 0; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++)
		if (text && strcmp(text, cmd_names[i]) == 0) {
			*out = (enum cni_cmd)i;
			return 0;
		}
	return -EINVAL;
}

const char *cni_cmd_name(enum cni_cmd cmd)
{
	return (unsigned)cmd < sizeof(cmd_names) / sizeof(cmd_names[0]) ? cmd_names[cmd] : "?";
}

int cni_cmd_allowed(enum cni_cmd cmd, const char *version, struct cni_error *e)
{
	const char *since = cmd == CNI_CMD_CHECK ? "0.4.0" : (cmd == CNI_CMD_GC || cmd == CNI_CMD_STATUS) ? "1.1.0" : NULL;
	if (since && cni_version_cmp(version, since) < 0)
		return cni_err(e, CNI_ERR_INCOMPATIBLE_VERSION, "config version %s does not allow %s (it needs %s or later)",
			       version, cni_cmd_name(cmd), since);
	return 0;
}

char *cni_version_info(const char *requested)
{
	json_t *o = json_object(), *list = json_array();
	bool ok = o && list;
	for (const char *const *s = cni_supported_versions; *s; s++)
		js_append(list, json_string(*s), &ok);
	js_set(o, "cniVersion", json_string(cni_version_supported(requested) ? requested : CNI_VERSION_LATEST), &ok);
	js_set(o, "supportedVersions", list, &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return js_dump(o);
}
