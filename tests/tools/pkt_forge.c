/* pkt_forge: send one forged packet from a workload, for the security lab
 * tests (tests/lab/security.sh).
 *
 *   pkt_forge arp IFNAME request|reply SENDER_IP TARGET_IP
 *       one ARP frame out of IFNAME (AF_PACKET) that claims SENDER_IP is at
 *       IFNAME's MAC: a request broadcast for TARGET_IP (gratuitous when
 *       SENDER_IP = TARGET_IP), or an unsolicited reply to the broadcast
 *       address "answering" for SENDER_IP
 *   pkt_forge vxlan DST INNER_DST_MAC INNER_SRC INNER_DST PORT
 *       a UDP datagram to DST:4789 whose payload is a VXLAN header (VNI 4096,
 *       Calico's) and an Ethernet frame to INNER_DST_MAC carrying an IPv4 UDP
 *       datagram INNER_SRC -> INNER_DST:PORT, as a host's VTEP would send it
 *   pkt_forge ipip DST INNER_SRC INNER_DST PORT
 *       an IPv4 packet of protocol 4 (IP-in-IP) to DST carrying the same
 *       inner datagram
 *
 * The inner datagram's payload is "forged". Exit 0 when sent, 1 on failure,
 * 2 on usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define VXLAN_PORT 4789
#define VXLAN_VNI  4096
#define PAYLOAD    "forged"

struct arp_frame {
	struct ether_header eth;
	struct arphdr arp;
	uint8_t sha[6], spa[4], tha[6], tpa[4];
} __attribute__((packed));

struct inner_udp {
	struct iphdr ip;
	struct udphdr udp;
	char data[sizeof(PAYLOAD) - 1];
} __attribute__((packed));

struct vxlan_frame {
	uint8_t flags, reserved1[3], vni[3], reserved2;
	struct ether_header eth;
	struct inner_udp inner;
} __attribute__((packed));

static int usage(void)
{
	fprintf(stderr, "usage: pkt_forge arp IFNAME request|reply SENDER_IP TARGET_IP\n"
			"       pkt_forge vxlan DST INNER_DST_MAC INNER_SRC INNER_DST PORT\n"
			"       pkt_forge ipip DST INNER_SRC INNER_DST PORT\n");
	return 2;
}

static int parse_ip4(const char *s, void *out)
{
	if (inet_pton(AF_INET, s, out) == 1)
		return 0;
	fprintf(stderr, "pkt_forge: %s is not an IPv4 address\n", s);
	return -EINVAL;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char end;
	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6) {
		fprintf(stderr, "pkt_forge: %s is not a MAC address\n", s);
		return -EINVAL;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static uint16_t ip_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* An IPv4 UDP datagram src -> dst:port; UDP checksum 0 (none), as IPv4 allows. */
static int build_inner(struct inner_udp *in, const char *src, const char *dst, const char *port)
{
	unsigned p;
	char end;
	memset(in, 0, sizeof(*in));
	if (parse_ip4(src, &in->ip.saddr) < 0 || parse_ip4(dst, &in->ip.daddr) < 0)
		return -EINVAL;
	if (sscanf(port, "%u%c", &p, &end) != 1 || p == 0 || p > 65535) {
		fprintf(stderr, "pkt_forge: %s is not a port\n", port);
		return -EINVAL;
	}
	in->ip.version = 4;
	in->ip.ihl = 5;
	in->ip.ttl = 64;
	in->ip.protocol = IPPROTO_UDP;
	in->ip.tot_len = htons(sizeof(*in));
	in->ip.check = ip_checksum(&in->ip, sizeof(in->ip));
	in->udp.source = htons(40000);
	in->udp.dest = htons((uint16_t)p);
	in->udp.len = htons(sizeof(in->udp) + sizeof(in->data));
	memcpy(in->data, PAYLOAD, sizeof(in->data));
	return 0;
}

static int send_arp(char **argv)
{
	struct arp_frame f = { 0 };
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_halen = 6 };
	struct ifreq ifr = { 0 };
	bool reply;
	int fd = -1, rc = 1;

	if (strcmp(argv[1], "request") && strcmp(argv[1], "reply"))
		return usage();
	reply = strcmp(argv[1], "reply") == 0;
	if (!(to.sll_ifindex = (int)if_nametoindex(argv[0]))) {
		fprintf(stderr, "pkt_forge: no interface %s\n", argv[0]);
		return 2;
	}
	if (parse_ip4(argv[2], f.spa) < 0 || parse_ip4(argv[3], f.tpa) < 0)
		return 2;
	if ((fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ARP))) < 0) {
		perror("pkt_forge: socket");
		goto out;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[0]);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror("pkt_forge: MAC of the interface");
		goto out;
	}
	memcpy(f.sha, ifr.ifr_hwaddr.sa_data, 6);
	memset(f.eth.ether_dhost, 0xff, 6);
	memcpy(f.eth.ether_shost, f.sha, 6);
	f.eth.ether_type = htons(ETHERTYPE_ARP);
	f.arp.ar_hrd = htons(ARPHRD_ETHER);
	f.arp.ar_pro = htons(ETHERTYPE_IP);
	f.arp.ar_hln = 6;
	f.arp.ar_pln = 4;
	f.arp.ar_op = htons(reply ? ARPOP_REPLY : ARPOP_REQUEST);
	if (reply)
		memset(f.tha, 0xff, 6);
	memset(to.sll_addr, 0xff, 6);
	to.sll_protocol = htons(ETH_P_ARP);
	if (sendto(fd, &f, sizeof(f), 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)sizeof(f)) {
		perror("pkt_forge: sendto");
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int send_vxlan(char **argv)
{
	struct vxlan_frame f = { 0 };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(VXLAN_PORT) };
	int fd = -1, rc = 1;

	if (parse_ip4(argv[0], &to.sin_addr) < 0 || parse_mac(argv[1], f.eth.ether_dhost) < 0 ||
	    build_inner(&f.inner, argv[2], argv[3], argv[4]) < 0)
		return 2;
	f.flags = 0x08; /* the VNI is valid (RFC 7348) */
	f.vni[0] = (VXLAN_VNI >> 16) & 0xff;
	f.vni[1] = (VXLAN_VNI >> 8) & 0xff;
	f.vni[2] = VXLAN_VNI & 0xff;
	memcpy(f.eth.ether_shost, (uint8_t[]){ 0x0e, 0xca, 0, 0, 0, 1 }, 6);
	f.eth.ether_type = htons(ETHERTYPE_IP);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		perror("pkt_forge: socket");
		goto out;
	}
	if (sendto(fd, &f, sizeof(f), 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)sizeof(f)) {
		perror("pkt_forge: sendto");
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static int send_ipip(char **argv)
{
	struct inner_udp in;
	struct sockaddr_in to = { .sin_family = AF_INET };
	int fd = -1, rc = 1;

	if (parse_ip4(argv[0], &to.sin_addr) < 0 || build_inner(&in, argv[1], argv[2], argv[3]) < 0)
		return 2;
	/* the kernel writes the outer header of a raw socket of protocol 4 */
	if ((fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_IPIP)) < 0) {
		perror("pkt_forge: socket");
		goto out;
	}
	if (sendto(fd, &in, sizeof(in), 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)sizeof(in)) {
		perror("pkt_forge: sendto");
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "arp") == 0)
		return send_arp(argv + 2);
	if (argc == 7 && strcmp(argv[1], "vxlan") == 0)
		return send_vxlan(argv + 2);
	if (argc == 6 && strcmp(argv[1], "ipip") == 0)
		return send_ipip(argv + 2);
	return usage();
}
