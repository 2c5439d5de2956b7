/* calicoctl config: global and per-node agent (felix) and BGP settings. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent_config.h"
#include "ctl.h"
#include "model/keys.h"
#include "util/nodename.h"

struct config_target {
	bool node, bgp;
	const char *host; /* node settings */
};

static char *setting_key(char *buf, const struct config_target *t, const char *name)
{
	if (t->bgp)
		return t->node ? key_fmt(buf, KEY_BGP_HOST_PREFIX "%s/%s", t->host, name)
			       : key_fmt(buf, "/calico/bgp/v1/global/%s", name);
	return t->node ? key_host_config(buf, t->host, name) : key_config(buf, name);
}

static bool name_is_sane(const char *name)
{
	size_t n = strlen(name);
	return n > 0 && n <= 64 && strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int config_run(const struct config_target *t, const char *name, const char *value, bool remove, bool force)
{
	char key[KEY_MAX], err[256];
	struct ds *ds;

	if (!name_is_sane(name))
		return ctl_error("Invalid config name \"%s\": names are letters, digits and '_'.", name);
	const struct config_setting *s = t->bgp ? bgp_setting_find(name) : felix_setting_find(name);
	if (!s && !force && (value || remove))
		return ctl_error("Unknown %s config name %s; use --force to set it anyway.", t->bgp ? "BGP" : "felix",
				 name);
	if (value) {
		int rc = s && !force ? config_value_validate(s, value, err, sizeof(err))
				     : config_value_sane(value, err, sizeof(err));
		if (rc < 0)
			return ctl_error("%s", err);
	}
	if (!setting_key(key, t, name))
		return ctl_error("Config name too long: %s", name);
	if (!(ds = ctl_ds()))
		return 1;
	if (value) {
		int rc = ds_put(ds, key, value);
		return rc < 0 ? ctl_ds_error("writing config", rc) : 0;
	}
	if (remove) {
		int rc = ds_delete(ds, key);
		return rc < 0 && rc != -ENOENT ? ctl_ds_error("removing config", rc) : 0;
	}
	struct ds_kv kv = { 0 };
	int rc = ds_get(ds, key, &kv);
	if (rc == -ENOENT) {
		if (s)
			printf("Value is not set (default %s)\n", s->default_value);
		else
			printf("Value is not set\n");
		return 0;
	}
	if (rc < 0)
		return ctl_ds_error("reading config", rc);
	printf("%s\n", kv.value);
	ds_kv_free(&kv);
	return 0;
}

int cmd_config(int argc, char **argv)
{
	struct ctl_option opts[] = { { .spec = "--remove" }, { .spec = "--force" }, { .spec = "--hostname=" } };
	struct config_target t = { 0 };
	char host[HOSTNAME_MAX + 1];

	if (ctl_take_options("config", &argc, argv, opts, 3))
		return 1;
	bool remove = opts[0].present, force = opts[1].present;
	if (argc >= 1 && strcmp(argv[0], "node") == 0) {
		t.node = true;
		argc--;
		argv++;
		if (opts[2].present) {
			if (!hostname_is_valid(opts[2].value))
				return ctl_error("Invalid hostname \"%s\".", opts[2].value);
			t.host = opts[2].value;
		} else {
			if (nodename_get(host, sizeof(host)) < 0)
				return ctl_error("Cannot tell this host's name: set HOSTNAME or use --hostname.");
			t.host = host;
		}
	} else if (opts[2].present) {
		return ctl_usage("config");
	}
	if (argc < 2 || argc > 3 || (argc == 3 && remove))
		return ctl_usage("config");
	if (strcmp(argv[0], "bgp") == 0)
		t.bgp = true;
	else if (strcmp(argv[0], "felix") != 0)
		return ctl_usage("config");
	return config_run(&t, argv[1], argc == 3 ? argv[2] : NULL, remove, force);
}
