#include "model/keys.h"

#include <stdarg.h>
#include <stdio.h>

char *key_fmt(char *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, KEY_MAX, fmt, ap);
	va_end(ap);
	return (n < 0 || n >= KEY_MAX) ? NULL : buf;
}

char *key_profile_dir(char *buf, const char *profile)
{
	return key_fmt(buf, KEY_PROFILE_PREFIX "%s/", profile);
}

char *key_profile_tags(char *buf, const char *profile)
{
	return key_fmt(buf, KEY_PROFILE_PREFIX "%s/tags", profile);
}

char *key_profile_rules(char *buf, const char *profile)
{
	return key_fmt(buf, KEY_PROFILE_PREFIX "%s/rules", profile);
}

char *key_config(char *buf, const char *name)
{
	return key_fmt(buf, KEY_CONFIG_PREFIX "%s", name);
}

char *key_host_config(char *buf, const char *host, const char *name)
{
	return key_fmt(buf, KEY_HOST_PREFIX "%s/config/%s", host, name);
}

char *key_endpoint(char *buf, const char *host, const char *orch, const char *workload, const char *id)
{
	return key_fmt(buf, KEY_HOST_PREFIX "%s/workload/%s/%s/endpoint/%s", host, orch, workload, id);
}

char *key_pool(char *buf, int family, const char *cidr_key)
{
	return key_fmt(buf, "%s%s", family == 6 ? KEY_POOL_V6_PREFIX : KEY_POOL_V4_PREFIX, cidr_key);
}

char *key_bgp_peer(char *buf, int family, const char *ip)
{
	return key_fmt(buf, "%s%s", family == 6 ? KEY_BGP_PEER_V6_PREFIX : KEY_BGP_PEER_V4_PREFIX, ip);
}

char *key_bgp_host(char *buf, const char *host, const char *leaf)
{
	return key_fmt(buf, KEY_BGP_HOST_PREFIX "%s/%s", host, leaf);
}

char *key_bgp_host_peer(char *buf, const char *host, int family, const char *ip)
{
	return key_fmt(buf, KEY_BGP_HOST_PREFIX "%s/peer_v%d/%s", host, family == 6 ? 6 : 4, ip);
}
