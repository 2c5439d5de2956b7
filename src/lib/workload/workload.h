/* One workload's endpoint, made and unmade whole: the veth with its addresses
 * and routes (workload_net.h) plus the endpoint record in the datastore. What
 * the Mesos hook, the CNI plugin, the libnetwork driver and `calicoctl
 * container` share, so each orchestrator path gets the same rollback rules:
 * a failure leaves neither an interface nor a record behind.
 *
 * Addresses are assigned by the caller (IPAM is per orchestrator: a Mesos
 * uid, a CNI IPAM plugin, a Docker IPAM call), and released by the caller. */
#ifndef CALICO_WORKLOAD_H
#define CALICO_WORKLOAD_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "datastore/datastore.h"
#include "store/endpoint_store.h"
#include "util/ipaddr.h"
#include "model/model.h"

struct workload_spec {
	const char *host;        /* the datastore's host name (not necessarily the OS one) */
	const char *orch;        /* "mesos", "cni", "libnetwork", "calicoctl" */
	const char *workload;    /* container id; [A-Za-z0-9._:-], ≤ 255 */
	const char *endpoint_id; /* NULL: a random 32-hex id (Calico's uuid hex) */
	/* The container's network namespace (/proc/PID/ns/net, /var/run/netns/X),
	 * where the peer is born as ifname with its addresses and routes. NULL:
	 * the peer stays in the caller's namespace named ifname, unconfigured,
	 * for a runtime that moves and configures it itself (Docker). */
	const char *netns_path;
	const char *ifname;      /* container side: "eth0", or Docker's "tmp…" */
	const struct ip_addr *addrs;
	size_t n_addrs;
	char *const *profiles;   /* profile ids, in order; the caller makes sure they exist */
	size_t n_profiles;
	/* The runtime's labels, already checked (endpoint_labels.h); the
	 * record gets them plus projectcalico.org/orchestrator = orch and
	 * projectcalico.org/namespace = namespace (NULL: the runtime's label of
	 * that key, else "default"), which override a runtime label. */
	const struct label *labels;
	size_t n_labels;
	const char *namespace;
	unsigned mtu;            /* 0: the kernel's default */
	/* Docker's libnetwork: every endpoint is workload "libnetwork", told
	 * apart by endpoint_id (each its own container, so no route clash);
	 * only the same endpoint id is refused. false: one endpoint per
	 * workload and host. */
	bool shared_workload;
};

struct workload_made {
	struct endpoint_ref ref;
	char host_ifname[IFNAMSIZ];
	char mac[18];            /* the container side's MAC ("" when unknown) */
	int64_t rev;             /* mod revision of the endpoint record */
};

/* A fresh endpoint id: 32 hex characters (Calico's uuid hex). 0 or -EIO. */
int workload_endpoint_id_new(char out[33]);

/* Makes the endpoint: -EEXIST ("... already has an endpoint on host H") when
 * the workload has one on this host already (with shared_workload: when this
 * endpoint id exists; no change made either way), -EINVAL for a
 * bad spec, or the interface's / datastore's error. All or nothing. 0 or
 * -errno with a one-line reason in err. */
int workload_create(struct ds *ds, const struct workload_spec *spec, struct workload_made *made, char *err,
		    size_t errlen);

/* Every endpoint of workload on host (sorted; *n may be 0). */
int workload_find(struct ds *ds, const char *host, const char *orch, const char *workload,
		  struct endpoint_entry **out, size_t *n);

/* Removes every endpoint of the workload on host: the host interface (one
 * already gone, e.g. with its namespace, is fine) and the record. The
 * addresses the records held are appended to *addrs (malloc'd; may be NULL)
 * so that the caller can release them. -ENOENT when the workload has no
 * endpoint (nothing done); otherwise 0 or -errno with err. */
int workload_remove(struct ds *ds, const char *host, const char *orch, const char *workload,
		    struct ip_addr **addrs, size_t *n_addrs, char *err, size_t errlen);

/* The MTU for new workload veths on host: VethMTU (per-host, then global
 * config) when set; else the host's MTU minus the encapsulation overhead of
 * the pools in use (VXLAN 50); 0 when nothing is known (kernel default). */
int workload_mtu(struct ds *ds, const char *host, unsigned *mtu);

#endif
