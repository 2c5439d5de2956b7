#include "agent/agent_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct config_setting felix_settings[] = {
	{ "LogSeverityScreen", CFG_LOGLEVEL, 0, 0, "info" },
	{ "LogSeverityFile", CFG_LOGLEVEL, 0, 0, "info" },
	{ "LogSeveritySys", CFG_LOGLEVEL, 0, 0, "none" },
	{ "LogFilePath", CFG_PATH, 0, 0, "/var/log/calico/felix.log" },
	{ "DefaultEndpointToHostAction", CFG_ENDPOINT_ACTION, 0, 0, "DROP" },
	{ "InterfacePrefix", CFG_IFPREFIX, 0, 0, "cali" },
	{ "IpInIpEnabled", CFG_BOOL, 0, 0, "false" },
	{ "IpInIpMtu", CFG_UINT, 576, 65535, "1440" },
	{ "VethMtu", CFG_UINT, 576, 65535, "0" }, /* 0: derive from the host's MTU */
	{ "ReportingIntervalSecs", CFG_UINT, 0, 86400, "30" },
	{ "ReportingTTLSecs", CFG_UINT, 0, 86400, "90" },
	{ "EndpointReportingEnabled", CFG_BOOL, 0, 0, "true" },
	{ "StartupCleanupDelay", CFG_UINT, 0, 86400, "30" },
	{ "PrometheusMetricsEnabled", CFG_BOOL, 0, 0, "true" },
	{ "PrometheusMetricsPort", CFG_UINT, 1, 65535, "9099" },
	{ "HealthPort", CFG_UINT, 1, 65535, "9099" },
	{ "DatastoreRetryMaxSecs", CFG_UINT, 1, 3600, "30" },
	/* flow logs (DESIGN §12): on by default, the files bounded to 5 x 100 MiB */
	{ "FlowLogsEnabled", CFG_BOOL, 0, 0, "true" },
	{ "FlowLogsFlushInterval", CFG_UINT, 1, 3600, "15" },
	{ "FlowLogsFileMaxSize", CFG_UINT, 4096, 1073741824, "104857600" },
	{ "FlowLogsFileMaxFiles", CFG_UINT, 1, 100, "5" },
};

static const struct config_setting bgp_settings[] = {
	{ "loglevel", CFG_LOGLEVEL, 0, 0, "none" },
};

static const struct config_setting *find(const struct config_setting *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

const struct config_setting *felix_setting_find(const char *name)
{
	return find(felix_settings, sizeof(felix_settings) / sizeof(felix_settings[0]), name);
}

const struct config_setting *bgp_setting_find(const char *name)
{
	return find(bgp_settings, sizeof(bgp_settings) / sizeof(bgp_settings[0]), name);
}

int config_value_sane(const char *value, char *err, size_t errlen)
{
	size_t n = strlen(value);
	if (n == 0 || n > 1024) {
		snprintf(err, errlen, "config values are 1-1024 characters");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (iscntrl((unsigned char)value[i])) {
			snprintf(err, errlen, "config values may not contain control characters");
			return -EINVAL;
		}
	return 0;
}

static bool one_of(const char *value, const char *const *words)
{
	for (; *words; words++)
		if (strcasecmp(value, *words) == 0)
			return true;
	return false;
}

/* The value as a message quotes it: at most 64 bytes, anything but printable
 * ASCII as \xNN, so the message stays one line whatever was stored. */
static const char *shown(const char *value, char *buf, size_t len)
{
	size_t o = 0, i;
	for (i = 0; value[i] && i < 64 && o + 5 < len; i++) {
		unsigned char c = (unsigned char)value[i];
		o += (size_t)snprintf(buf + o, len - o, c < 0x20 || c >= 0x7f ? "\\x%02x" : "%c", c);
	}
	if (value[i] && o + 4 < len)
		o += (size_t)snprintf(buf + o, len - o, "...");
	buf[o] = '\0';
	return buf;
}

int config_value_validate(const struct config_setting *s, const char *value, char *err, size_t errlen)
{
	static const char *const levels[] = { "debug", "info", "warning", "error", "critical", "none", NULL };
	static const char *const actions[] = { "DROP", "RETURN", "ACCEPT", NULL };
	static const char *const bools[] = { "true", "false", NULL };
	const char *want = NULL;
	char why[128], show[300];

	if (config_value_sane(value, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "invalid value \"%s\" for %s: %s", shown(value, show, sizeof(show)), s->name, why);
		return -EINVAL;
	}
	switch (s->kind) {
	case CFG_LOGLEVEL:
		if (!one_of(value, levels))
			want = "one of debug, info, warning, error, critical, none";
		break;
	case CFG_ENDPOINT_ACTION:
		if (!one_of(value, actions))
			want = "one of DROP, RETURN, ACCEPT";
		break;
	case CFG_BOOL:
		if (!one_of(value, bools))
			want = "true or false";
		break;
	case CFG_UINT: {
		char *end;
		unsigned long v = strtoul(value, &end, 10);
		if (!isdigit((unsigned char)value[0]) || *end || v > s->max || (v < s->min && v != 0) ||
		    (v == 0 && s->min > 0 && strcmp(s->default_value, "0") != 0)) {
			snprintf(err, errlen, "invalid value \"%s\" for %s: expected a whole number from %lu to %lu",
				 shown(value, show, sizeof(show)), s->name, s->min, s->max);
			return -EINVAL;
		}
		break;
	}
	case CFG_PATH:
		if (value[0] != '/' && strcasecmp(value, "none") != 0)
			want = "an absolute path or none";
		break;
	case CFG_IFPREFIX:
		if (strlen(value) > 8 || strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(value))
			want = "1-8 lower-case letters or digits";
		break;
	}
	if (want) {
		snprintf(err, errlen, "invalid value \"%s\" for %s: expected %s", shown(value, show, sizeof(show)), s->name,
			 want);
		return -EINVAL;
	}
	return 0;
}
