/* Restart safety (driver.h): an endpoint whose container died while nobody
 * told us (dockerd killed, the host rebooted with the datastore elsewhere)
 * still has its record, but no cali interface any more. Its record and the
 * driver's state go, and its addresses go back to IPAM. Docker may later
 * release the same addresses; lnw_release_address skips an address that
 * another orchestrator or a live endpoint of ours holds by then, so that late
 * call cannot free someone else's. Docker's own restart cleans up after
 * itself (it calls Leave, DeleteEndpoint and ReleaseAddress for the
 * containers that died with it), so this is for what nobody else will tell
 * us: the driver was down when the container went away. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "ipam/ipam.h"
#include "util/log.h"
#include "netlink/nl.h"
#include "records.h"
#include "workload/workload.h"

/* 1 when the interface exists in our namespace, 0 when not, -errno. */
static int link_exists(struct nl *nl, const char *ifname)
{
	struct nl_link link;
	int rc = nl_link_get(nl, ifname, &link);
	return rc == 0 ? 1 : rc == -ENODEV || rc == -ENOENT ? 0 : rc;
}

int lnw_reconcile(struct lnw *d, size_t *removed, char *err, size_t errlen)
{
	struct endpoint_entry *eps = NULL;
	struct ip_addr *addrs = NULL;
	struct nl *nl = NULL;
	size_t n = 0, n_addrs = 0, gone = 0;
	int rc;

	if (removed)
		*removed = 0;
	if ((rc = workload_find(d->ds, d->host, LNW_ORCH, LNW_WORKLOAD, &eps, &n)) < 0) {
		snprintf(err, errlen, "reading endpoints: %s", ds_strerror(d->ds));
		goto out;
	}
	if ((rc = nl_open(&nl, -1, err, errlen)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if ((rc = link_exists(nl, eps[i].ep.name)) != 0) {
			if (rc < 0) {
				snprintf(err, errlen, "looking up %s: %s", eps[i].ep.name, strerror(-rc));
				goto out;
			}
			continue;
		}
		log_warn("endpoint %s: interface %s is gone; removing the endpoint and releasing its addresses",
			 eps[i].ref.id, eps[i].ep.name);
		if ((rc = lnw_endpoint_unmake(d, eps[i].ref.id, &addrs, &n_addrs, err, errlen)) < 0 ||
		    (rc = lnw_endpoint_forget(d->ds, d->host, eps[i].ref.id, err, errlen)) < 0)
			goto out;
		gone++;
	}
	if (n_addrs && (rc = ipam_release(d->ds, addrs, n_addrs, NULL, err, errlen)) < 0)
		goto out;
	if (removed)
		*removed = gone;
	rc = 0;
out:
	nl_close(nl);
	free(addrs);
	endpoint_entries_free(eps, n);
	return rc;
}
