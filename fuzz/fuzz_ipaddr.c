/* Addresses and CIDRs as users and datastore keys give them: a parse either
 * fails or prints back to text that parses to the same value. */
#include "fuzz.h"
#include "util/ipaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), buf[CIDR_STR_MAX + 8];
	struct ip_addr ip, ip2;
	struct cidr c, c2;

	if (ip_parse(text, &ip) == 0) {
		FUZZ_ASSERT(ip_parse(ip_format(&ip, buf), &ip2) == 0 && ip_cmp(&ip, &ip2) == 0);
	}
	for (int bare = 0; bare < 2; bare++)
		for (int host_bits = 0; host_bits < 2; host_bits++)
			if (cidr_parse(text, bare, host_bits, &c) == 0) {
				FUZZ_ASSERT(cidr_parse(cidr_format(&c, buf), false, true, &c2) == 0);
				FUZZ_ASSERT(ip_cmp(&c.addr, &c2.addr) == 0 && c.prefix == c2.prefix);
			}
	if (cidr_from_key(text, &c) == 0)
		FUZZ_ASSERT(cidr_from_key(cidr_to_key(&c, buf), &c2) == 0 && c.prefix == c2.prefix);
	free(text);
	return 0;
}
