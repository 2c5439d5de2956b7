#include "cni_env.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool cni_container_id_is_valid(const char *id)
{
	if (!id || !isalnum((unsigned char)id[0]))
		return false;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return false;
	return strlen(id) <= 255; /* it becomes a datastore key segment */
}

bool cni_ifname_is_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 15 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) || !isprint((unsigned char)*p))
			return false;
	return true;
}

static const char *nonempty(cni_getenv_fn get, const char *name)
{
	const char *v = get(name);
	return v && v[0] ? v : NULL;
}

int cni_env_parse(cni_getenv_fn get, struct cni_env *env, struct cni_error *e)
{
	const char *cmd = nonempty(get, "CNI_COMMAND");

	memset(env, 0, sizeof(*env));
	if (!cmd)
		return cni_err(e, CNI_ERR_INVALID_ENV, "CNI_COMMAND is not set");
	if (cni_cmd_parse(cmd, &env->cmd) < 0)
		return cni_err(e, CNI_ERR_INVALID_ENV, "unknown CNI_COMMAND '%.32s' (ADD, DEL, CHECK, VERSION, GC, STATUS)",
			       cmd);
	env->container_id = nonempty(get, "CNI_CONTAINERID");
	env->netns = nonempty(get, "CNI_NETNS");
	env->ifname = nonempty(get, "CNI_IFNAME");
	env->args = nonempty(get, "CNI_ARGS");
	env->path = nonempty(get, "CNI_PATH");

	if (env->cmd != CNI_CMD_ADD && env->cmd != CNI_CMD_DEL && env->cmd != CNI_CMD_CHECK)
		return 0;
	if (!env->container_id)
		return cni_err(e, CNI_ERR_INVALID_ENV, "CNI_CONTAINERID is not set");
	if (!cni_container_id_is_valid(env->container_id))
		return cni_err(e, CNI_ERR_INVALID_ENV,
			       "CNI_CONTAINERID '%.64s' is not a container id (letters, digits, '_', '.', '-')",
			       env->container_id);
	if (!env->ifname)
		return cni_err(e, CNI_ERR_INVALID_ENV, "CNI_IFNAME is not set");
	if (!cni_ifname_is_valid(env->ifname))
		return cni_err(e, CNI_ERR_INVALID_ENV, "CNI_IFNAME '%.32s' is not an interface name", env->ifname);
	if (!env->netns && env->cmd != CNI_CMD_DEL)
		return cni_err(e, CNI_ERR_INVALID_ENV, "CNI_NETNS is not set (%s needs the container's namespace)",
			       cni_cmd_name(env->cmd));
	return 0;
}

static int args_add(struct cni_args *a, const char *k, size_t kn, const char *v, size_t vn)
{
	struct cni_arg *grown = realloc(a->items, (a->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	a->items = grown;
	grown[a->n].key = strndup(k, kn);
	grown[a->n].value = strndup(v, vn);
	if (!grown[a->n].key || !grown[a->n].value) {
		free(grown[a->n].key);
		free(grown[a->n].value);
		return -ENOMEM;
	}
	a->n++;
	return 0;
}

static bool is_known(const char *const *known, const char *key)
{
	for (; known && *known; known++)
		if (strcmp(*known, key) == 0)
			return true;
	return false;
}

int cni_args_parse(const char *text, const char *const *known, struct cni_args *out, struct cni_error *e)
{
	struct cni_args a = { 0 };
	const char *p = text ? text : "";
	int rc = 0;

	while (*p) {
		size_t len = strcspn(p, ";");
		const char *eq = memchr(p, '=', len);
		if (len == 0) { /* "A=1;;B=2" or a trailing ';' */
			p++;
			continue;
		}
		if (!eq || eq == p) {
			rc = cni_err(e, CNI_ERR_INVALID_ENV, "CNI_ARGS: '%.*s' is not KEY=VALUE", (int)(len > 64 ? 64 : len), p);
			goto out;
		}
		if (args_add(&a, p, (size_t)(eq - p), eq + 1, len - (size_t)(eq - p) - 1) < 0) {
			rc = cni_err(e, CNI_ERR_INTERNAL, "out of memory");
			goto out;
		}
		p += len;
		if (*p == ';')
			p++;
	}
	const char *ign = cni_args_get(&a, "IgnoreUnknown");
	a.ignore_unknown = ign && (strcmp(ign, "1") == 0 || strcasecmp(ign, "true") == 0);
	for (size_t i = 0; i < a.n && !a.ignore_unknown; i++)
		if (strcmp(a.items[i].key, "IgnoreUnknown") != 0 && !is_known(known, a.items[i].key)) {
			rc = cni_err(e, CNI_ERR_INVALID_ENV, "CNI_ARGS: unknown key '%.64s' (add IgnoreUnknown=1 to allow it)",
				     a.items[i].key);
			goto out;
		}
	*out = a;
	memset(&a, 0, sizeof(a));
out:
	cni_args_free(&a);
	return rc;
}

const char *cni_args_get(const struct cni_args *a, const char *key)
{
	for (size_t i = a->n; i-- > 0;)
		if (strcmp(a->items[i].key, key) == 0)
			return a->items[i].value;
	return NULL;
}

void cni_args_free(struct cni_args *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->items[i].key);
		free(a->items[i].value);
	}
	free(a->items);
	memset(a, 0, sizeof(*a));
}
