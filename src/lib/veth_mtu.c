/* workload_mtu: the MTU new workload veths get. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "workload.h"

/* VethMtu from /calico/v1/host/<host>/config, then /calico/v1/config; 0 when unset. */
static int configured_mtu(struct ds *ds, const char *host, unsigned *mtu)
{
	char key[KEY_MAX];
	const char *keys[2] = { key_host_config(key, host, "VethMtu"), NULL };
	char gkey[KEY_MAX];
	keys[1] = key_config(gkey, "VethMtu");
	*mtu = 0;
	for (int i = 0; i < 2; i++) {
		struct ds_kv kv;
		int rc = keys[i] ? ds_get(ds, keys[i], &kv) : -ENOENT;
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
		char *end;
		unsigned long v = strtoul(kv.value, &end, 10);
		bool ok = *kv.value && !*end && v <= 65535;
		ds_kv_free(&kv);
		if (ok) {
			*mtu = (unsigned)v;
			return 0;
		}
	}
	return 0;
}

int workload_mtu(struct ds *ds, const char *host, unsigned *mtu)
{
	return configured_mtu(ds, host, mtu);
}
