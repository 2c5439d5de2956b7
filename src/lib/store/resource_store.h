/* Calico's v3 resources in the datastore (DESIGN §11), laid out as Calico's
 * own etcdv3 datastore lays them out:
 *
 *   /calico/resources/v3/projectcalico.org/<plural>/[<namespace>/]<name>
 *
 * holding the resource's canonical JSON (resource.h) with its uid and
 * creationTimestamp; resourceVersion is not stored: on reading, it is the
 * key's mod revision. Two exceptions:
 *   - Profile is the 2016 profile itself: its keys are
 *     /calico/v1/policy/profile/<name>/tags and /rules, plus /labels (a JSON
 *     object) for the labelsToApply that are not tags; its resourceVersion is
 *     the newest mod revision of those keys (resource/profile_v1.h);
 *   - the tier "default" always exists (order 1000000, defaultAction Deny)
 *     whether or not it is stored;
 *   - WorkloadEndpoint, IPPool, BGPPeer, BGPConfiguration and Node are views
 *     of the 2016 keys (view_store.h), read here and refused by writes.
 *
 * Writes are all or nothing: every resource of one call is checked first,
 * then written in one transaction whose conditions are the revisions read,
 * so a change made meanwhile by anyone else writes nothing. A resource whose
 * stored value would not change is not written at all (applying what `get`
 * printed is a no-op, not a new revision). */
#ifndef CALICO_RESOURCE_STORE_H
#define CALICO_RESOURCE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datastore/datastore.h"
#include "resource/resource.h"

#define V3_KEY_PREFIX "/calico/resources/v3/projectcalico.org/"
#define V3_DEFAULT_TIER "default"
#define V3_DEFAULT_TIER_ORDER 1000000.0
#define V3_DEFAULT_NAMESPACE "default"

/* "GlobalNetworkPolicy(allow-db)", "NetworkPolicy(ns/name)": how Calico names a
 * resource in its messages. */
void v3_ident(const struct v3_resource *r, char *buf, size_t len);

/* One resource; -ENOENT when absent, -EINVAL (err) when what is stored does
 * not decode. ns is ignored for global kinds and defaults to "default". */
int v3_store_get(struct ds *ds, enum v3_kind kind, const char *ns, const char *name, struct v3_resource *out,
		 char *err, size_t errlen);

struct v3_resource_list {
	struct v3_resource *items;
	size_t n;
	int64_t rev; /* the store revision it was read at */
};

/* Every resource of a kind (of one namespace, or of all when ns is NULL),
 * sorted by namespace and name. */
int v3_store_list(struct ds *ds, enum v3_kind kind, const char *ns, struct v3_resource_list *out, char *err,
		  size_t errlen);
void v3_resource_list_free(struct v3_resource_list *l);

enum v3_write_mode {
	V3_WRITE_CREATE,  /* each must be absent: "resource already exists: ..." */
	V3_WRITE_REPLACE, /* each must exist: "resource does not exist: ..." */
	V3_WRITE_APPLY,   /* create or replace */
	V3_WRITE_DELETE,  /* each must exist */
};

struct v3_write_result {
	size_t bad;     /* on -EINVAL/-EEXIST/-ENOENT/-ECANCELED: index of the resource at fault, or n when none is */
	size_t written; /* resources whose keys changed */
	int64_t rev;    /* the store revision after the write (unchanged when nothing was written) */
};

/* Checks and writes items[0..n) (namespaces defaulted in place). With a
 * metadata.resourceVersion, a replace, apply or delete is a compare-and-swap
 * on it: a stale one fails with "update conflict: ...". A policy may name only
 * a tier that exists, in the datastore or earlier in items; a tier that
 * policies still use cannot be deleted. dry_run checks everything and writes
 * nothing. 0, or -errno with one line in err (without the resource's index). */
int v3_store_write(struct ds *ds, enum v3_write_mode mode, struct v3_resource *items, size_t n, bool dry_run,
		   struct v3_write_result *res, char *err, size_t errlen);

#endif
