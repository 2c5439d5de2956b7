/* FelixConfiguration from the 2016 Felix settings (resource.h): which v3
 * field each setting is (the confignamev1 names of Calico's
 * FelixConfigurationSpec, as its upgrade maps them), and the value in the
 * form Calico's v3 API takes it. Pure: the view that reads the keys is
 * store/view_store.c. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "resource/resource.h"

/* How a stored value is read: as it is, one of a set of words (written back
 * in Calico's spelling), a boolean, or a whole number. */
enum felix_conv { CONV_TEXT, CONV_LEVEL, CONV_ACTION, CONV_BOOL, CONV_UINT };

static const struct felix_field {
	struct v3_felix_field_info info;
	enum felix_conv conv;
	uint32_t max; /* CONV_UINT */
} fields[V3_FELIX_FIELD_COUNT] = {
	[V3_FELIX_INTERFACE_PREFIX] = { { "interfacePrefix", "InterfacePrefix", V3_FELIX_STRING }, CONV_TEXT, 0 },
	[V3_FELIX_DEFAULT_ENDPOINT_TO_HOST_ACTION] = { { "defaultEndpointToHostAction", "DefaultEndpointToHostAction",
							 V3_FELIX_STRING },
						       CONV_ACTION,
						       0 },
	[V3_FELIX_LOG_FILE_PATH] = { { "logFilePath", "LogFilePath", V3_FELIX_STRING }, CONV_TEXT, 0 },
	[V3_FELIX_LOG_SEVERITY_FILE] = { { "logSeverityFile", "LogSeverityFile", V3_FELIX_STRING }, CONV_LEVEL, 0 },
	[V3_FELIX_LOG_SEVERITY_SCREEN] = { { "logSeverityScreen", "LogSeverityScreen", V3_FELIX_STRING }, CONV_LEVEL, 0 },
	[V3_FELIX_LOG_SEVERITY_SYS] = { { "logSeveritySys", "LogSeveritySys", V3_FELIX_STRING }, CONV_LEVEL, 0 },
	[V3_FELIX_IPIP_ENABLED] = { { "ipipEnabled", "IpInIpEnabled", V3_FELIX_BOOL }, CONV_BOOL, 0 },
	[V3_FELIX_IPIP_MTU] = { { "ipipMTU", "IpInIpMtu", V3_FELIX_INT }, CONV_UINT, 65535 },
	[V3_FELIX_REPORTING_INTERVAL] = { { "reportingInterval", "ReportingIntervalSecs", V3_FELIX_DURATION }, CONV_UINT,
					  UINT32_MAX },
	[V3_FELIX_REPORTING_TTL] = { { "reportingTTL", "ReportingTTLSecs", V3_FELIX_DURATION }, CONV_UINT, UINT32_MAX },
	[V3_FELIX_ENDPOINT_REPORTING_ENABLED] = { { "endpointReportingEnabled", "EndpointReportingEnabled",
						    V3_FELIX_BOOL },
						  CONV_BOOL,
						  0 },
	[V3_FELIX_HEALTH_PORT] = { { "healthPort", "HealthPort", V3_FELIX_INT }, CONV_UINT, 65535 },
	[V3_FELIX_PROMETHEUS_METRICS_ENABLED] = { { "prometheusMetricsEnabled", "PrometheusMetricsEnabled",
						    V3_FELIX_BOOL },
						  CONV_BOOL,
						  0 },
	[V3_FELIX_PROMETHEUS_METRICS_PORT] = { { "prometheusMetricsPort", "PrometheusMetricsPort", V3_FELIX_INT },
					       CONV_UINT,
					       65535 },
	[V3_FELIX_FLOW_LOGS_FLUSH_INTERVAL] = { { "flowLogsFlushInterval", "FlowLogsFlushInterval", V3_FELIX_DURATION },
						CONV_UINT,
						UINT32_MAX },
};

const struct v3_felix_field_info *v3_felix_field_info(enum v3_felix_field field)
{
	return (unsigned)field < V3_FELIX_FIELD_COUNT ? &fields[field].info : NULL;
}

/* The 2016 words, in any case as Felix read them, and Calico's v3 spelling.
 * Felix's CRITICAL became FATAL when Felix moved to Go; "none" (no logging)
 * has no v3 value: Calico leaves the field empty for it. */
struct word_map {
	const char *v1, *v3;
};
static const struct word_map levels[] = { { "debug", "Debug" }, { "info", "Info" },	    { "warning", "Warning" },
					  { "error", "Error" }, { "critical", "Fatal" }, { NULL, NULL } };
static const struct word_map actions[] = { { "DROP", "Drop" }, { "RETURN", "Return" }, { "ACCEPT", "Accept" },
					   { NULL, NULL } };

static const char *map_word(const struct word_map *m, const char *value)
{
	for (; m->v1; m++)
		if (strcasecmp(value, m->v1) == 0)
			return m->v3;
	return NULL;
}

/* "30" and the like: digits only, at most max. */
static int parse_uint(const char *value, uint32_t max, uint32_t *out)
{
	unsigned long long v = 0;
	size_t n = strspn(value, "0123456789");
	if (n == 0 || value[n] || n > 10)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(value[i] - '0');
	if (v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* At most 64 bytes of the value, anything but printable ASCII as '?', so a
 * message stays one short line whatever was stored. */
static void quoted(const char *value, char *buf, size_t len)
{
	size_t i;
	for (i = 0; value[i] && i < 64 && i + 1 < len; i++)
		buf[i] = isprint((unsigned char)value[i]) ? value[i] : '?';
	buf[i] = '\0';
}

int v3_felix_set(struct v3_felix_configuration *c, const char *setting, const char *value, char *err,
		 size_t errlen)
{
	const struct felix_field *f = NULL;
	struct v3_felix_value v = { .set = true };
	const char *word = NULL, *want = NULL;
	char show[68];

	for (size_t i = 0; i < V3_FELIX_FIELD_COUNT && !f; i++)
		if (strcmp(fields[i].info.setting, setting) == 0)
			f = &fields[i];
	if (!f)
		return -ENOENT;
	if (!*value) {
		snprintf(err, errlen, "the value is empty");
		return -EINVAL;
	}
	if (f->conv == CONV_LEVEL && strcasecmp(value, "none") == 0) {
		snprintf(err, errlen, "\"%s\" has no v3 value (Calico leaves the field empty to log nothing)", value);
		return -EINVAL;
	}
	switch (f->conv) {
	case CONV_TEXT:
		word = value;
		break;
	case CONV_LEVEL:
		if (!(word = map_word(levels, value)))
			want = "one of debug, info, warning, error, critical";
		break;
	case CONV_ACTION:
		if (!(word = map_word(actions, value)))
			want = "one of DROP, RETURN, ACCEPT";
		break;
	case CONV_BOOL:
		if (strcasecmp(value, "true") == 0 || strcasecmp(value, "false") == 0)
			v.flag = strcasecmp(value, "true") == 0;
		else
			want = "true or false";
		break;
	case CONV_UINT:
		if (parse_uint(value, f->max, &v.number) < 0)
			want = f->max == UINT32_MAX ? "a whole number of seconds" : "a whole number from 0 to 65535";
		break;
	}
	if (want) {
		quoted(value, show, sizeof(show));
		snprintf(err, errlen, "\"%s\" is not %s", show, want);
		return -EINVAL;
	}
	if (word && !(v.text = strdup(word)))
		return -ENOMEM;
	struct v3_felix_value *slot = &c->fields[f - fields];
	free(slot->text);
	*slot = v;
	return 0;
}

void v3_duration_format(uint32_t seconds, char *buf, size_t len)
{
	uint32_t h = seconds / 3600, m = seconds / 60 % 60, s = seconds % 60;
	/* as Go's Duration.String: the largest unit first, every smaller one after it */
	if (h)
		snprintf(buf, len, "%" PRIu32 "h%" PRIu32 "m%" PRIu32 "s", h, m, s);
	else if (m)
		snprintf(buf, len, "%" PRIu32 "m%" PRIu32 "s", m, s);
	else
		snprintf(buf, len, "%" PRIu32 "s", s);
}
