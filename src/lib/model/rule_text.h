/* The calicoctl rule grammar of DESIGN §7, parsed into struct rule and printed
 * back in Calico's order. Pure logic.
 *
 *   (allow|deny) [ipv4|ipv6] [
 *       (tcp|udp) [from [ports P] [tag T] [cidr C]] [to [ports P] [tag T] [cidr C]]
 *     | (icmp|icmpv6) [type N [code M]] [from [tag T] [cidr C]] [to [tag T] [cidr C]]
 *     | [from [tag T] [cidr C]] [to [tag T] [cidr C]] ]
 *
 * Ports: comma list of ports and ranges "a:b", e.g. "80,443,8000:8080".
 * Printing: "allow tcp from ports 1:1024 tag A cidr 10.0.0.0/8 to ports 80,443 tag B cidr 10.1.0.0/16".
 * "ipv4"/"ipv6" is printed only when ip_version is set and not implied by a CIDR or icmpv6. */
#ifndef CALICO_RULE_TEXT_H
#define CALICO_RULE_TEXT_H

#include <stddef.h>

#include "model/model.h"

/* words: the rule as separate words, starting at the action. 0 or -EINVAL with
 * a one-line message naming the offending word. */
int rule_text_parse(int nwords, char *const words[], struct rule *out, char *err, size_t errlen);
/* The same from one string, split on white space. */
int rule_text_parse_str(const char *text, struct rule *out, char *err, size_t errlen);
/* Writes the canonical text; returns buf, or NULL if len is too small. */
char *rule_text_format(const struct rule *r, char *buf, size_t len);
/* A profile's rules as `calicoctl profile P rule show` prints them:
 * "Inbound rules:\n" then "   1 <rule>\n" per rule, the same for "Outbound".
 * malloc'd; NULL when memory runs out. */
char *rule_lists_show(const struct rule_list *in, const struct rule_list *out);
/* "80,443,8000:8080" <-> list. Ports 0..65535; a range needs first < last... see .c */
int ports_parse(const char *text, struct port_range *out, size_t max, size_t *n, char *err, size_t errlen);
char *ports_format(const struct port_range *p, size_t n, char *buf, size_t len);

#define RULE_TEXT_MAX 4096

#endif
