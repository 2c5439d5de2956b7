/* na_forge: send one unsolicited ICMPv6 neighbour advertisement, as a workload
 * that claims an address would (RFC 4861 §4.4, §7.2.6), for the anti-spoofing
 * lab tests.
 *
 *   na_forge IFNAME TARGET [DEST]
 *
 * From IFNAME (its link-local address is the source the kernel picks), to
 * DEST (default ff02::1, all nodes), hop limit 255 as receivers require,
 * flags Override, option Target Link-Layer Address = IFNAME's MAC. The kernel
 * fills in the ICMPv6 checksum of a raw ICMPv6 socket. Exit 0 when sent,
 * 1 on failure, 2 on usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

struct na_packet {
	struct nd_neighbor_advert na;
	struct nd_opt_hdr opt;
	uint8_t mac[6];
} __attribute__((packed));

static int if_mac(int fd, const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6 };
	struct na_packet p = { 0 };
	int fd = -1, hops = 255, rc = 1;
	unsigned ifindex;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: na_forge IFNAME TARGET [DEST]\n");
		return 2;
	}
	if (!(ifindex = if_nametoindex(argv[1]))) {
		fprintf(stderr, "na_forge: no interface %s\n", argv[1]);
		return 2;
	}
	if (inet_pton(AF_INET6, argv[2], &p.na.nd_na_target) != 1) {
		fprintf(stderr, "na_forge: %s is not an IPv6 address\n", argv[2]);
		return 2;
	}
	if (inet_pton(AF_INET6, argc == 4 ? argv[3] : "ff02::1", &dst.sin6_addr) != 1) {
		fprintf(stderr, "na_forge: %s is not an IPv6 address\n", argv[3]);
		return 2;
	}
	dst.sin6_scope_id = ifindex;
	p.na.nd_na_type = ND_NEIGHBOR_ADVERT;
	p.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
	p.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
	p.opt.nd_opt_len = 1; /* in units of 8 bytes: header + MAC */

	if ((fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6)) < 0) {
		perror("na_forge: socket");
		goto out;
	}
	if ((rc = if_mac(fd, argv[1], p.mac)) < 0) {
		fprintf(stderr, "na_forge: MAC of %s: %s\n", argv[1], strerror(-rc));
		rc = 1;
		goto out;
	}
	rc = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, argv[1], (socklen_t)strlen(argv[1])) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) < 0) {
		perror("na_forge: setsockopt");
		goto out;
	}
	if (sendto(fd, &p, sizeof(p), 0, (struct sockaddr *)&dst, sizeof(dst)) != (ssize_t)sizeof(p)) {
		perror("na_forge: sendto");
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}
