/* The agent's configuration names (Felix's, as Calico users set them with
 * `calicoctl config felix`), their defaults and their validation. Pure logic. */
#ifndef CALICO_AGENT_CONFIG_H
#define CALICO_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

enum config_kind { CFG_LOGLEVEL, CFG_ENDPOINT_ACTION, CFG_BOOL, CFG_UINT, CFG_PATH, CFG_IFPREFIX };

struct config_setting {
	const char *name;
	enum config_kind kind;
	unsigned long min, max; /* CFG_UINT */
	const char *default_value;
};

/* NULL when the name is unknown (names are case-sensitive, as in Calico). */
const struct config_setting *felix_setting_find(const char *name);
const struct config_setting *bgp_setting_find(const char *name);
/* 0, or -EINVAL with a one-line message naming the setting and the value. */
int config_value_validate(const struct config_setting *s, const char *value, char *err, size_t errlen);
/* Rejects values no setting may hold (empty, control characters, over 1024 bytes). */
int config_value_sane(const char *value, char *err, size_t errlen);

#endif
