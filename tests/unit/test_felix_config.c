/* FelixConfiguration from the 2016 Felix settings (resource/felix_config.c):
 * each setting lands in Calico's field with Calico's spelling of its value,
 * durations read as Go writes them, a value that does not convert is refused
 * with a message and leaves the field as it was, a setting with no v3 field
 * is not one, and the spec is written in Calico's field order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "resource/resource.h"
#include "tap.h"

/* The spec a resource of these settings encodes to, compact. */
static char *spec_of(const struct v3_resource *r)
{
	json_t *t = v3_encode(r);
	char *s = t ? json_dumps(json_object_get(t, "spec"), JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(t);
	return s;
}

/* One setting alone: the spec it gives. */
static void check_converts(const char *setting, const char *value, const char *want_spec)
{
	struct v3_resource r = { .kind = V3_FELIX_CONFIGURATION };
	char err[256] = "";
	int rc = v3_felix_set(&r.spec.felix, setting, value, err, sizeof(err));
	CHECK(rc == 0, "%s=%s converts", setting, value);
	if (rc != 0)
		printf("#   rc=%d %s\n", rc, err);
	char *spec = spec_of(&r);
	CHECK_STR(spec, want_spec, "%s=%s: spec", setting, value);
	free(spec);
	v3_resource_free(&r);
}

static void check_refused(const char *setting, const char *value, const char *want_err)
{
	struct v3_felix_configuration c = { 0 };
	char err[256] = "";
	CHECK_INT(v3_felix_set(&c, setting, value, err, sizeof(err)), -EINVAL, "%s=\"%s\" refused", setting, value);
	CHECK_STR(err, want_err, "%s=\"%s\": the message", setting, value);
	bool any = false;
	for (size_t i = 0; i < V3_FELIX_FIELD_COUNT; i++)
		any = any || c.fields[i].set;
	CHECK(!any, "%s=\"%s\": no field set", setting, value);
}

static void check_duration(uint32_t seconds, const char *want)
{
	char buf[32];
	v3_duration_format(seconds, buf, sizeof(buf));
	CHECK_STR(buf, want, "%u seconds as Go writes them", seconds);
}

int main(void)
{
	/* every setting with a v3 field, its value as Calico's upgrade converts it */
	check_converts("InterfacePrefix", "tap", "{\"interfacePrefix\":\"tap\"}");
	check_converts("DefaultEndpointToHostAction", "DROP", "{\"defaultEndpointToHostAction\":\"Drop\"}");
	check_converts("DefaultEndpointToHostAction", "return", "{\"defaultEndpointToHostAction\":\"Return\"}");
	check_converts("DefaultEndpointToHostAction", "Accept", "{\"defaultEndpointToHostAction\":\"Accept\"}");
	check_converts("LogFilePath", "none", "{\"logFilePath\":\"none\"}");
	check_converts("LogSeverityFile", "debug", "{\"logSeverityFile\":\"Debug\"}");
	check_converts("LogSeverityScreen", "INFO", "{\"logSeverityScreen\":\"Info\"}");
	check_converts("LogSeveritySys", "warning", "{\"logSeveritySys\":\"Warning\"}");
	check_converts("LogSeverityScreen", "error", "{\"logSeverityScreen\":\"Error\"}");
	check_converts("LogSeverityScreen", "critical", "{\"logSeverityScreen\":\"Fatal\"}");
	check_converts("IpInIpEnabled", "true", "{\"ipipEnabled\":true}");
	check_converts("IpInIpEnabled", "FALSE", "{\"ipipEnabled\":false}");
	check_converts("IpInIpMtu", "1400", "{\"ipipMTU\":1400}");
	check_converts("ReportingIntervalSecs", "30", "{\"reportingInterval\":\"30s\"}");
	check_converts("ReportingTTLSecs", "90", "{\"reportingTTL\":\"1m30s\"}");
	check_converts("EndpointReportingEnabled", "false", "{\"endpointReportingEnabled\":false}");
	check_converts("HealthPort", "9199", "{\"healthPort\":9199}");
	check_converts("PrometheusMetricsEnabled", "true", "{\"prometheusMetricsEnabled\":true}");
	check_converts("PrometheusMetricsPort", "9091", "{\"prometheusMetricsPort\":9091}");
	check_converts("FlowLogsFlushInterval", "15", "{\"flowLogsFlushInterval\":\"15s\"}");
	check_converts("ReportingIntervalSecs", "0", "{\"reportingInterval\":\"0s\"}");

	/* durations: Go's time.Duration.String for whole seconds */
	check_duration(0, "0s");
	check_duration(59, "59s");
	check_duration(60, "1m0s");
	check_duration(120, "2m0s");
	check_duration(3600, "1h0m0s");
	check_duration(3661, "1h1m1s");
	check_duration(86400, "24h0m0s");
	check_duration(UINT32_MAX, "1193046h28m15s");

	/* values that do not convert */
	check_refused("IpInIpMtu", "big", "\"big\" is not a whole number from 0 to 65535");
	check_refused("IpInIpMtu", "65536", "\"65536\" is not a whole number from 0 to 65535");
	check_refused("HealthPort", "-1", "\"-1\" is not a whole number from 0 to 65535");
	check_refused("HealthPort", "+80", "\"+80\" is not a whole number from 0 to 65535");
	check_refused("ReportingIntervalSecs", "1.5", "\"1.5\" is not a whole number of seconds");
	check_refused("ReportingTTLSecs", "4294967296", "\"4294967296\" is not a whole number of seconds");
	check_refused("FlowLogsFlushInterval", "99999999999", "\"99999999999\" is not a whole number of seconds");
	check_refused("IpInIpEnabled", "yes", "\"yes\" is not true or false");
	check_refused("DefaultEndpointToHostAction", "DENY", "\"DENY\" is not one of DROP, RETURN, ACCEPT");
	check_refused("LogSeverityScreen", "loud", "\"loud\" is not one of debug, info, warning, error, critical");
	check_refused("LogSeveritySys", "none", "\"none\" has no v3 value (Calico leaves the field empty to log nothing)");
	check_refused("InterfacePrefix", "", "the value is empty");
	check_refused("IpInIpMtu", "1\x01", "\"1?\" is not a whole number from 0 to 65535");

	/* settings without a v3 field, and names in another case, are not fields */
	static const char *const none[] = { "VethMtu",	       "StartupCleanupDelay", "DatastoreRetryMaxSecs",
					    "FlowLogsEnabled", "FlowLogsFileMaxSize", "FlowLogsFileMaxFiles",
					    "ipipMTU",	       "logseverityscreen",   "Nope" };
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		struct v3_felix_configuration c = { 0 };
		char err[64];
		CHECK_INT(v3_felix_set(&c, none[i], "1", err, sizeof(err)), -ENOENT, "%s has no v3 field", none[i]);
	}

	/* a bad value leaves the field as it was; a good one replaces it */
	struct v3_resource r = { .kind = V3_FELIX_CONFIGURATION };
	char err[256];
	v3_felix_set(&r.spec.felix, "InterfacePrefix", "cali", err, sizeof(err));
	CHECK_INT(v3_felix_set(&r.spec.felix, "IpInIpMtu", "1440", err, sizeof(err)), 0, "IpInIpMtu set");
	CHECK_INT(v3_felix_set(&r.spec.felix, "IpInIpMtu", "x", err, sizeof(err)), -EINVAL, "a bad IpInIpMtu refused");
	CHECK_INT(v3_felix_set(&r.spec.felix, "InterfacePrefix", "tap", err, sizeof(err)), 0, "InterfacePrefix replaced");
	char *spec = spec_of(&r);
	CHECK_STR(spec, "{\"interfacePrefix\":\"tap\",\"ipipMTU\":1440}", "the earlier MTU kept, the prefix replaced");
	free(spec);
	v3_resource_free(&r);

	/* set in the reverse order, written in Calico's field order */
	static const char *const settings[][2] = {
		{ "FlowLogsFlushInterval", "15" },	{ "PrometheusMetricsPort", "9091" },
		{ "PrometheusMetricsEnabled", "true" }, { "HealthPort", "9099" },
		{ "EndpointReportingEnabled", "true" }, { "ReportingTTLSecs", "90" },
		{ "ReportingIntervalSecs", "30" },	{ "IpInIpMtu", "1440" },
		{ "IpInIpEnabled", "true" },		{ "LogSeveritySys", "error" },
		{ "LogSeverityScreen", "info" },	{ "LogSeverityFile", "debug" },
		{ "LogFilePath", "/var/log/felix.log" }, { "DefaultEndpointToHostAction", "ACCEPT" },
		{ "InterfacePrefix", "cali" },
	};
	r = (struct v3_resource){ .kind = V3_FELIX_CONFIGURATION };
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		v3_felix_set(&r.spec.felix, settings[i][0], settings[i][1], err, sizeof(err));
	spec = spec_of(&r);
	CHECK_STR(spec,
		  "{\"interfacePrefix\":\"cali\",\"defaultEndpointToHostAction\":\"Accept\",\"logFilePath\":\"/var/log/"
		  "felix.log\",\"logSeverityFile\":\"Debug\",\"logSeverityScreen\":\"Info\",\"logSeveritySys\":\"Error\","
		  "\"ipipEnabled\":true,\"ipipMTU\":1440,\"reportingInterval\":\"30s\",\"reportingTTL\":\"1m30s\","
		  "\"endpointReportingEnabled\":true,\"healthPort\":9099,\"prometheusMetricsEnabled\":true,"
		  "\"prometheusMetricsPort\":9091,\"flowLogsFlushInterval\":\"15s\"}",
		  "every field, in Calico's order");
	free(spec);
	v3_resource_free(&r);

	/* the table names each field once, and each setting once */
	bool unique = true;
	for (size_t i = 0; i < V3_FELIX_FIELD_COUNT; i++)
		for (size_t j = i + 1; j < V3_FELIX_FIELD_COUNT; j++)
			unique = unique &&
				 strcmp(v3_felix_field_info((enum v3_felix_field)i)->name,
					v3_felix_field_info((enum v3_felix_field)j)->name) != 0 &&
				 strcmp(v3_felix_field_info((enum v3_felix_field)i)->setting,
					v3_felix_field_info((enum v3_felix_field)j)->setting) != 0;
	CHECK(unique, "no field or setting twice in the table");
	CHECK(v3_felix_field_info(V3_FELIX_FIELD_COUNT) == NULL, "no field past the last");
	return tap_done();
}
