/* The v3 Profile is the 2016 profile (DESIGN §11: one model, two grammars).
 * Its labelsToApply are the profile's tags (keys with empty values) plus the
 * labels kept beside them in the profile's "labels" key; its ingress and
 * egress rules are the inbound and outbound rules. Pure: no I/O.
 *
 *   v1 rule                 v3 rule
 *   action allow|deny       action Allow|Deny
 *   protocol tcp|udp|...    protocol TCP|UDP|ICMP|ICMPv6|number
 *   src_tag T               source.selector "has(T)"
 *   src_net N               source.nets [N]
 *   src_ports P             source.ports P
 *   icmp_type/icmp_code     icmp {type, code}
 *   ip_version              ipVersion
 * and the same for dst_* / destination. A v3 rule that the 2016 rule cannot
 * hold (Pass, Log, the not* fields, two nets, a selector other than has(T),
 * namespaceSelector, rule annotations) is refused with the field's path. */
#ifndef CALICO_RESOURCE_PROFILE_V1_H
#define CALICO_RESOURCE_PROFILE_V1_H

#include <stddef.h>

#include "model/model.h"
#include "resource/resource.h"

/* The v3 view of profile p; labels (may be NULL) are the labels that are not
 * tags. out is a V3_PROFILE owned by the caller. 0 or -ENOMEM. */
int v3_profile_from_v1(const struct profile *p, const struct v3_map *labels, struct v3_resource *out);

/* The 2016 profile that r (a V3_PROFILE) stands for, and in *labels the
 * labelsToApply that are not tags (a non-empty value, or a key that is not a
 * tag name). Tags that prev (may be NULL) already had keep their order, so
 * writing back what was read changes nothing; new tags follow in key order.
 * -EINVAL with the field's path in err, or -ENOMEM. */
int v3_profile_to_v1(const struct v3_resource *r, const struct profile *prev, struct profile *p,
		     struct v3_map *labels, char *err, size_t errlen);

#endif
