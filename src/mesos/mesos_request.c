/* Parsing and validating net-modules requests (mesos_request.h). */
#include "mesos_request.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_strict.h"
#include "ipam/ipam_handle.h"
#include "util/nodename.h"
#include "workload/endpoint_labels.h"

static const char *const command_names[] = {
	[MESOS_ALLOCATE] = "allocate", [MESOS_RESERVE] = "reserve", [MESOS_RELEASE] = "release",
	[MESOS_ISOLATE] = "isolate",   [MESOS_CLEANUP] = "cleanup",
};

const char *mesos_command_name(enum mesos_command c)
{
	return command_names[c];
}

/* A value as it appeared, for messages: strings bare, the rest as compact JSON. */
static const char *shown(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v)) {
		snprintf(buf, len, "%s", json_string_value(v));
		return buf;
	}
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(buf, len, "%s", s ? s : "?");
	free(s);
	return buf;
}

/* args[key], with JSON null counted as absent. */
static json_t *arg(const json_t *args, const char *key)
{
	json_t *v = json_object_get(args, key);
	return json_is_null(v) ? NULL : v;
}

static int get_string(const json_t *args, const char *key, const char **out, char *err, size_t errlen)
{
	json_t *v = arg(args, key);
	if (!v)
		return js_fail(err, errlen, "Missing %s", key);
	if (!json_is_string(v))
		return js_fail(err, errlen, "%s must be a string", key);
	*out = json_string_value(v);
	return 0;
}

static bool container_id_is_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 255)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._:-", *s))
			return false;
	return true;
}

static int get_hostname(const json_t *args, struct mesos_request *r, char *err, size_t errlen)
{
	int rc = get_string(args, "hostname", &r->hostname, err, errlen);
	if (rc == 0 && !hostname_is_valid(r->hostname))
		return js_fail(err, errlen, "Invalid hostname '%.64s': use 1-253 letters, digits, '.', '-' and '_'",
			      r->hostname);
	return rc;
}

static int get_uid(const json_t *args, struct mesos_request *r, char *err, size_t errlen)
{
	int rc = get_string(args, "uid", &r->uid, err, errlen);
	if (rc == 0 && !ipam_handle_id_is_valid(r->uid))
		return js_fail(err, errlen, "Invalid uid '%.64s': use 1-%d printable characters without '/'", r->uid,
			      IPAM_HANDLE_MAX);
	return rc;
}

static int get_container_id(const json_t *args, struct mesos_request *r, char *err, size_t errlen)
{
	int rc = get_string(args, "container_id", &r->container_id, err, errlen);
	if (rc == 0 && !container_id_is_valid(r->container_id))
		return js_fail(err, errlen,
			      "Invalid container_id '%.64s': use 1-255 letters, digits, '.', '_', ':' and '-'",
			      r->container_id);
	return rc;
}

static int get_count(const json_t *args, const char *key, size_t *out, char *err, size_t errlen)
{
	json_t *v = arg(args, key);
	if (!v)
		return js_fail(err, errlen, "Missing %s", key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return js_fail(err, errlen, "%s must be a non-negative integer", key);
	if (json_integer_value(v) > MESOS_MAX_ADDRS)
		return js_fail(err, errlen, "%s must be at most %d", key, MESOS_MAX_ADDRS);
	*out = (size_t)json_integer_value(v);
	return 0;
}

static int get_pid(const json_t *args, struct mesos_request *r, char *err, size_t errlen)
{
	json_t *v = arg(args, "pid");
	if (!v)
		return js_fail(err, errlen, "Missing pid");
	/* Linux pids stop at 2^22; anything above is not a process. */
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return js_fail(err, errlen, "pid must be a positive integer");
	if (json_integer_value(v) > 4194304)
		return js_fail(err, errlen, "pid %" JSON_INTEGER_FORMAT " is not a Linux process id (at most 4194304)",
			      json_integer_value(v));
	r->pid = json_integer_value(v);
	return 0;
}

/* A list of addresses; family 4 or 6 for a per-family field, 0 for "ips".
 * Absent is the empty list: Mesos serialises its protobuf messages with stout's
 * JSON::protobuf, which leaves out every repeated field that has no members,
 * so an IPv4-only task's isolate has no ipv6_addrs at all. */
static int get_addrs(const json_t *args, const char *key, int family, struct mesos_addrs *out, char *err,
		     size_t errlen)
{
	json_t *list = arg(args, key), *v;
	char buf[80];
	size_t i;

	if (!list)
		return 0;
	if (!json_is_array(list))
		return js_fail(err, errlen, "%s must be a list of IP addresses", key);
	if (json_array_size(list) > (family ? MESOS_MAX_ADDRS : 2 * MESOS_MAX_ADDRS))
		return js_fail(err, errlen, "%s lists more than %d addresses", key,
			      family ? MESOS_MAX_ADDRS : 2 * MESOS_MAX_ADDRS);
	if (!(out->items = calloc(json_array_size(list) + 1, sizeof(*out->items))))
		return js_fail(err, errlen, "out of memory");
	json_array_foreach(list, i, v)
	{
		struct ip_addr *ip = &out->items[out->n];
		if (!json_is_string(v) || ip_parse(json_string_value(v), ip) < 0)
			return js_fail(err, errlen, "IP address could not be parsed: %s", shown(v, buf, sizeof(buf)));
		if (family == 4 && ip->family == 6)
			return js_fail(err, errlen, "IPv6 address must not be placed in IPv4 address field.");
		if (family == 6 && ip->family == 4)
			return js_fail(err, errlen, "IPv4 address must not be placed in IPv6 address field.");
		for (size_t k = 0; k < out->n; k++)
			if (ip_cmp(&out->items[k], ip) == 0)
				return js_fail(err, errlen, "IP address %s is listed twice in %s", ip_format(ip, buf),
					      key);
		out->n++;
	}
	return 0;
}

static int get_netgroups(const json_t *args, struct mesos_request *r, char *err, size_t errlen)
{
	json_t *list = arg(args, "netgroups"), *v;
	char buf[80];
	size_t i;

	if (!list)
		return 0; /* no netgroup (absent, as Mesos sends none): only the host's default profile */
	if (!json_is_array(list))
		return js_fail(err, errlen, "netgroups must be a list of strings");
	if (!(r->netgroups = calloc(json_array_size(list) + 1, sizeof(*r->netgroups))))
		return js_fail(err, errlen, "out of memory");
	json_array_foreach(list, i, v)
	{
		if (!json_is_string(v))
			return js_fail(err, errlen, "netgroups must be a list of strings, not containing %s",
				      shown(v, buf, sizeof(buf)));
		const char *name = json_string_value(v);
		/* A netgroup is a profile (and its tag). */
		if (!name_is_valid(name))
			return js_fail(err, errlen,
				      "Invalid netgroup '%.64s': use 1-%d letters, digits, '.', '_' and '-'", name,
				      CALICO_NAME_MAX);
		/* default_<host> profiles admit a host's traffic; a netgroup must not
		 * be able to claim one. */
		if (strncmp(name, "default_", 8) == 0)
			return js_fail(err, errlen, "Invalid netgroup '%s': names starting with default_ are reserved",
				      name);
		bool seen = false;
		for (size_t k = 0; k < r->n_netgroups && !seen; k++)
			seen = strcmp(r->netgroups[k], name) == 0;
		if (!seen)
			r->netgroups[r->n_netgroups++] = name;
	}
	return 0;
}

static int label_string(const json_t *o, const char *field, size_t i, const char **out, char *err, size_t errlen)
{
	json_t *v = arg(o, field);
	*out = "";
	if (!v)
		return 0;
	if (!json_is_string(v))
		return js_fail(err, errlen, "labels[%zu].%s must be a string", i, field);
	*out = json_string_value(v);
	return 0;
}

/* labels: [{"key": k, "value": v}, ...] (or Mesos' {"labels": [...]} around it).
 * A list that is not one, or an entry without a key, is refused; a label
 * Calico cannot hold (endpoint_labels.h) is skipped with a warning, and a key
 * given again replaces the earlier value, so a task is never stopped by
 * labels it carries for other tools. */
static int get_labels(const json_t *args, struct mesos_request *r, char *err, size_t errlen)
{
	json_t *list = arg(args, "labels"), *v;
	struct endpoint_labels labels = { 0 };
	char where[32];
	size_t i;
	int rc = 0;

	if (json_is_object(list))
		list = arg(list, "labels");
	if (!list)
		return 0;
	if (!json_is_array(list))
		return js_fail(err, errlen, "labels must be a list of {\"key\", \"value\"} objects");
	json_array_foreach(list, i, v)
	{
		const char *k, *val;
		if (!json_is_object(v)) {
			rc = js_fail(err, errlen, "labels[%zu] must be an object with key and value", i);
			goto out;
		}
		if ((rc = label_string(v, "key", i, &k, err, errlen)) < 0 ||
		    (rc = label_string(v, "value", i, &val, err, errlen)) < 0)
			goto out;
		if (!*k) {
			rc = js_fail(err, errlen, "Missing key in labels[%zu]", i);
			goto out;
		}
		snprintf(where, sizeof(where), "labels[%zu]", i);
		if ((rc = endpoint_labels_add(&labels, where, k, val)) < 0) {
			js_fail(err, errlen, "out of memory");
			goto out;
		}
	}
	rc = 0;
	r->labels = labels.items;
	r->n_labels = labels.n;
	labels = (struct endpoint_labels){ 0 };
out:
	endpoint_labels_free(&labels);
	return rc;
}

/* ipv4_addrs and ipv6_addrs for reserve and isolate: either list may be
 * absent or empty, but together they must name an address. */
static int get_family_addrs(const json_t *a, struct mesos_request *r, char *err, size_t errlen)
{
	int rc;
	if ((rc = get_addrs(a, "ipv4_addrs", 4, &r->ipv4, err, errlen)) < 0 ||
	    (rc = get_addrs(a, "ipv6_addrs", 6, &r->ipv6, err, errlen)) < 0)
		return rc;
	if (r->ipv4.n + r->ipv6.n == 0)
		return js_fail(err, errlen, "Must provide at least one IPv4 or IPv6 address.");
	return 0;
}

/* Every argument is checked here, before the command touches the datastore or
 * the kernel: a request that is wrong gets its own message, never the error of
 * a step it should not have reached (a pid whose namespace cannot be opened). */
static int parse_args(const json_t *a, struct mesos_request *r, char *err, size_t errlen)
{
	int rc = 0;
	switch (r->command) {
	case MESOS_ALLOCATE:
		/* netgroups and labels mean nothing to IPAM, but a bad one is
		 * better refused now than at isolate, after addresses were taken. */
		if ((rc = get_hostname(a, r, err, errlen)) < 0 || (rc = get_uid(a, r, err, errlen)) < 0 ||
		    (rc = get_count(a, "num_ipv4", &r->num_ipv4, err, errlen)) < 0 ||
		    (rc = get_count(a, "num_ipv6", &r->num_ipv6, err, errlen)) < 0 ||
		    (rc = get_netgroups(a, r, err, errlen)) < 0 || (rc = get_labels(a, r, err, errlen)) < 0)
			return rc;
		break;
	case MESOS_RESERVE:
		if ((rc = get_hostname(a, r, err, errlen)) < 0 || (rc = get_uid(a, r, err, errlen)) < 0 ||
		    (rc = get_family_addrs(a, r, err, errlen)) < 0)
			return rc;
		break;
	case MESOS_RELEASE: {
		bool has_uid = arg(a, "uid") != NULL, has_ips = arg(a, "ips") != NULL;
		if (!has_uid && !has_ips)
			return js_fail(err, errlen, "Must supply either uid or ips.");
		if (has_uid && has_ips)
			return js_fail(err, errlen, "Supply either uid or ips, not both.");
		return has_uid ? get_uid(a, r, err, errlen) : get_addrs(a, "ips", 0, &r->ips, err, errlen);
	}
	case MESOS_ISOLATE:
		if ((rc = get_hostname(a, r, err, errlen)) < 0 || (rc = get_container_id(a, r, err, errlen)) < 0 ||
		    (rc = get_pid(a, r, err, errlen)) < 0 || (rc = get_family_addrs(a, r, err, errlen)) < 0 ||
		    (rc = get_netgroups(a, r, err, errlen)) < 0 || (rc = get_labels(a, r, err, errlen)) < 0)
			return rc;
		break;
	case MESOS_CLEANUP:
		if ((rc = get_hostname(a, r, err, errlen)) < 0 || (rc = get_container_id(a, r, err, errlen)) < 0)
			return rc;
		break;
	}
	return 0;
}

int mesos_request_parse(const char *text, struct mesos_request *r, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *cmd, *args;
	char buf[80];
	size_t c;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!(r->root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr))) {
		rc = js_fail(err, errlen, "Malformed JSON request: %s (line %d, column %d)", jerr.text, jerr.line,
			    jerr.column);
		goto out;
	}
	if (!json_is_object(r->root)) {
		rc = js_fail(err, errlen, "Request must be a JSON object");
		goto out;
	}
	if (!(cmd = arg(r->root, "command"))) {
		rc = js_fail(err, errlen, "Missing command");
		goto out;
	}
	if (!json_is_string(cmd)) {
		rc = js_fail(err, errlen, "command must be a string");
		goto out;
	}
	for (c = 0; c < sizeof(command_names) / sizeof(command_names[0]); c++)
		if (strcmp(json_string_value(cmd), command_names[c]) == 0)
			break;
	if (c == sizeof(command_names) / sizeof(command_names[0])) {
		rc = js_fail(err, errlen, "Unknown command: %s", shown(cmd, buf, sizeof(buf)));
		goto out;
	}
	r->command = (enum mesos_command)c;
	if (!(args = arg(r->root, "args"))) {
		rc = js_fail(err, errlen, "Missing args");
		goto out;
	}
	if (!json_is_object(args)) {
		rc = js_fail(err, errlen, "args must be a JSON object");
		goto out;
	}
	rc = parse_args(args, r, err, errlen);
out:
	if (rc < 0)
		mesos_request_free(r);
	return rc;
}

void mesos_request_free(struct mesos_request *r)
{
	free(r->ipv4.items);
	free(r->ipv6.items);
	free(r->ips.items);
	free(r->netgroups);
	for (size_t i = 0; i < r->n_labels; i++) {
		free(r->labels[i].key);
		free(r->labels[i].value);
	}
	free(r->labels);
	json_decref(r->root);
	memset(r, 0, sizeof(*r));
}
