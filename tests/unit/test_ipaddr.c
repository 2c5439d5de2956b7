/* ipaddr: strict parsing, canonical formatting, containment and arithmetic. */
#include <errno.h>
#include <stdint.h>

#include "util/ipaddr.h"
#include "tap.h"

static const char *cidr_round(const char *in, bool bare, bool host, char *buf)
{
	struct cidr c;
	if (cidr_parse(in, bare, host, &c) < 0)
		return "ERR";
	return cidr_format(&c, buf);
}

static struct cidr C(const char *s)
{
	struct cidr c = { 0 };
	if (cidr_parse(s, true, false, &c) < 0)
		printf("# bad test CIDR %s\n", s);
	return c;
}

static struct ip_addr I(const char *s)
{
	struct ip_addr a = { 0 };
	if (ip_parse(s, &a) < 0)
		printf("# bad test IP %s\n", s);
	return a;
}

int main(void)
{
	char buf[CIDR_STR_MAX];
	struct ip_addr ip;
	struct cidr c;

	static const char *const good_ips[][2] = {
		{ "1.2.3.4", "1.2.3.4" },         { "0.0.0.0", "0.0.0.0" },
		{ "255.255.255.255", "255.255.255.255" }, { "10.0.0.10", "10.0.0.10" },
		{ "::", "::" },                   { "::1", "::1" },
		{ "FD80:0:0::1", "fd80::1" },     { "2001:db8:0:0:0:0:0:1", "2001:db8::1" },
		{ "::ffff:1.2.3.4", "::ffff:1.2.3.4" },
	};
	for (size_t i = 0; i < sizeof(good_ips) / sizeof(good_ips[0]); i++) {
		int rc = ip_parse(good_ips[i][0], &ip);
		CHECK_INT(rc, 0, "ip_parse(%s)", good_ips[i][0]);
		CHECK_STR(rc == 0 ? ip_format(&ip, buf) : "ERR", good_ips[i][1], "ip_format(%s)", good_ips[i][0]);
	}
	CHECK_INT((ip_parse("1.2.3.4", &ip), ip.family), 4, "v4 family");
	CHECK_INT((ip_parse("::1", &ip), ip.family), 6, "v6 family");

	static const char *const bad_ips[] = {
		"", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04", "1.2.3.256", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4x",
		"1.2.3.4/32", "+1.2.3.4", "a.b.c.d", ":::", "1::2::3", "fd80::g", "::1 ", "1.2.3.-1", "0x1.2.3.4",
		"::ffff:01.2.3.4", "1.2.3.4.",
	};
	for (size_t i = 0; i < sizeof(bad_ips) / sizeof(bad_ips[0]); i++)
		CHECK_INT(ip_parse(bad_ips[i], &ip), -EINVAL, "ip_parse refuses \"%s\"", bad_ips[i]);
	CHECK_INT(ip_parse(NULL, &ip), -EINVAL, "ip_parse(NULL)");

	/* CIDRs: strict by default */
	static const char *const good_cidrs[][2] = {
		{ "10.0.0.0/8", "10.0.0.0/8" },     { "0.0.0.0/0", "0.0.0.0/0" },
		{ "1.2.3.4/32", "1.2.3.4/32" },     { "192.168.0.0/16", "192.168.0.0/16" },
		{ "fd80::/64", "fd80::/64" },       { "::/0", "::/0" },
		{ "FD00:1::/64", "fd00:1::/64" },   { "::1/128", "::1/128" },
		{ "10.0.0.0/26", "10.0.0.0/26" },   { "10.0.0.64/26", "10.0.0.64/26" },
	};
	for (size_t i = 0; i < sizeof(good_cidrs) / sizeof(good_cidrs[0]); i++)
		CHECK_STR(cidr_round(good_cidrs[i][0], false, false, buf), good_cidrs[i][1], "cidr %s",
			  good_cidrs[i][0]);

	static const char *const bad_cidrs[] = {
		"1.2.3.4/33", "/", "1.2.3.4/", "::/129", "1.2.3.4/2x", "1.2.3.4/+8", "10.0.0.0/08", "10.0.0.0/00",
		"10.0.0.0/-1", "/8", "1.2.3/24", "01.2.3.0/24", "10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0.0//8",
		"10.0.0.0/8/8", "10.0.0.1/8", "fd80::1/64", "1.2.3.4", "fd80::", "", "10.0.0.0/99999999999",
	};
	for (size_t i = 0; i < sizeof(bad_cidrs) / sizeof(bad_cidrs[0]); i++)
		CHECK_INT(cidr_parse(bad_cidrs[i], false, false, &c), -EINVAL, "cidr_parse refuses \"%s\"",
			  bad_cidrs[i]);
	CHECK_INT(cidr_parse(NULL, true, true, &c), -EINVAL, "cidr_parse(NULL)");

	CHECK_STR(cidr_round("1.2.3.4", true, false, buf), "1.2.3.4/32", "bare v4 allowed");
	CHECK_STR(cidr_round("fd80::1", true, false, buf), "fd80::1/128", "bare v6 allowed");
	CHECK_STR(cidr_round("10.0.0.1/8", false, true, buf), "10.0.0.0/8", "host bits masked when allowed");
	CHECK_STR(cidr_round("10.1.2.3/0", false, true, buf), "0.0.0.0/0", "host bits masked /0");
	CHECK_STR(cidr_round("10.1.2.255/25", false, true, buf), "10.1.2.128/25", "host bits masked /25");
	CHECK_STR(cidr_round("fd80::ffff/121", false, true, buf), "fd80::ff80/121", "v6 masked /121");
	CHECK_STR(cidr_round("1.2.3.4/2x", true, true, buf), "ERR", "junk prefix even when lenient");
	CHECK_STR(cidr_round("1.2.3.4/33", true, true, buf), "ERR", "too long prefix even when lenient");

	/* containment */
	struct cidr net8 = C("10.0.0.0/8"), net16 = C("10.1.0.0/16"), other = C("11.0.0.0/8"), v6 = C("fd80::/64");
	CHECK(cidr_contains(&net8, &(struct ip_addr){ 0 }) == false, "zero address not in 10/8");
	ip = I("10.255.255.255");
	CHECK(cidr_contains(&net8, &ip), "10.255.255.255 in 10/8");
	ip = I("11.0.0.0");
	CHECK(!cidr_contains(&net8, &ip), "11.0.0.0 not in 10/8");
	ip = I("::ffff:10.0.0.1");
	CHECK(!cidr_contains(&net8, &ip), "v6 address never in a v4 CIDR");
	ip = I("fd80::1234");
	CHECK(cidr_contains(&v6, &ip), "fd80::1234 in fd80::/64");
	struct cidr all = C("0.0.0.0/0");
	ip = I("1.2.3.4");
	CHECK(cidr_contains(&all, &ip), "/0 contains everything of its family");
	CHECK(cidr_contains_cidr(&net8, &net16), "10/8 contains 10.1/16");
	CHECK(!cidr_contains_cidr(&net16, &net8), "10.1/16 does not contain 10/8");
	CHECK(cidr_contains_cidr(&net8, &net8), "a CIDR contains itself");
	CHECK(cidr_overlaps(&net8, &net16) && cidr_overlaps(&net16, &net8), "overlap is symmetric");
	CHECK(!cidr_overlaps(&net8, &other), "10/8 and 11/8 do not overlap");
	CHECK(!cidr_overlaps(&net8, &v6), "families never overlap");

	/* ordering */
	struct ip_addr a = I("10.0.0.1"), b = I("10.0.0.2"), x6 = I("::1");
	CHECK_INT(ip_cmp(&a, &b), -1, "ip_cmp less");
	CHECK_INT(ip_cmp(&b, &a), 1, "ip_cmp greater");
	CHECK_INT(ip_cmp(&a, &a), 0, "ip_cmp equal");
	CHECK_INT(ip_cmp(&a, &x6), -1, "v4 sorts before v6");

	/* sizes */
	CHECK(cidr_size(&(struct cidr){ I("10.0.0.0"), 26 }) == 64, "/26 holds 64");
	CHECK(cidr_size(&(struct cidr){ I("10.0.0.0"), 32 }) == 1, "/32 holds 1");
	CHECK(cidr_size(&all) == (uint64_t)1 << 32, "/0 v4 holds 2^32");
	CHECK(cidr_size(&(struct cidr){ I("fd80::"), 122 }) == 64, "/122 holds 64");
	CHECK(cidr_size(&v6) == UINT64_MAX, "/64 v6 saturates");
	CHECK(cidr_size(&(struct cidr){ I("fd80::"), 65 }) == (uint64_t)1 << 63, "/65 v6 is 2^63");

	/* arithmetic */
	struct ip_addr r;
	ip = I("10.0.0.250");
	ip_add(&ip, 10, &r);
	CHECK_STR(ip_format(&r, buf), "10.0.1.4", "ip_add carries between octets");
	ip = I("255.255.255.255");
	ip_add(&ip, 1, &r);
	CHECK_STR(ip_format(&r, buf), "0.0.0.0", "ip_add wraps v4");
	ip = I("fd80::ffff:ffff");
	ip_add(&ip, 1, &r);
	CHECK_STR(ip_format(&r, buf), "fd80::1:0:0", "ip_add carries v6");
	ip = I("fd80::");
	ip_add(&ip, UINT64_MAX, &r);
	CHECK_STR(ip_format(&r, buf), "fd80::ffff:ffff:ffff:ffff", "ip_add full 64 bits");
	a = I("10.0.1.4");
	b = I("10.0.0.250");
	CHECK(ip_diff(&a, &b) == 10, "ip_diff v4");
	a = I("fd80::1:0:5");
	b = I("fd80::");
	CHECK(ip_diff(&a, &b) == 0x100000005ULL, "ip_diff v6");
	CHECK(ip_diff(&b, &b) == 0, "ip_diff zero");

	/* keys */
	c = C("10.0.0.0/26");
	CHECK_STR(cidr_to_key(&c, buf), "10.0.0.0-26", "cidr_to_key v4");
	c = C("fd00:1::/64");
	CHECK_STR(cidr_to_key(&c, buf), "fd00:1::-64", "cidr_to_key v6");
	CHECK_INT(cidr_from_key("10.0.0.0-26", &c), 0, "cidr_from_key v4");
	CHECK_STR(cidr_format(&c, buf), "10.0.0.0/26", "cidr_from_key v4 value");
	CHECK_INT(cidr_from_key("fd00:1::-64", &c), 0, "cidr_from_key v6");
	CHECK_STR(cidr_format(&c, buf), "fd00:1::/64", "cidr_from_key v6 value");
	static const char *const bad_keys[] = { "10.0.0.0/26", "10.0.0.0", "10.0.0.1-26", "10.0.0.0-33", "-26",
						"10.0.0.0-", "10.0.0.0-26-1", "" };
	for (size_t i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++)
		CHECK_INT(cidr_from_key(bad_keys[i], &c), -EINVAL, "cidr_from_key refuses \"%s\"", bad_keys[i]);
	return tap_done();
}
