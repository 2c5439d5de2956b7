/* calicoctl status, BGP part: the sessions of this host's BIRD per address
 * family, as Calico printed them (peer address, peer type, state, since,
 * info), read from BIRD's control socket with `show protocols all`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bird_conf.h"
#include "bgp/bird_conf_file.h"
#include "bgp/bird_ctl.h"
#include "ctl.h"
#include "table.h"

int status_bgp_print(void);

/* The peer's address from BIRD's details, else from the protocol's name
 * (Mesh_172_30_0_12, Global_fd00__1). family 0 when neither tells. */
static struct ip_addr peer_addr(const struct bird_proto *p)
{
	struct ip_addr ip = p->neighbor;
	const char *us = strchr(p->name, '_');
	if (ip.family || !us)
		return ip;
	char text[IP_STR_MAX + 1];
	for (int sep = 0; sep < 2; sep++) {
		snprintf(text, sizeof(text), "%s", us + 1);
		for (char *s = text; *s; s++)
			if (*s == '_')
				*s = sep ? ':' : '.';
		if (ip_parse(text, &ip) == 0)
			return ip;
	}
	memset(&ip, 0, sizeof(ip));
	return ip;
}

/* BIRD pads its info column: one space between words reads better. */
static void squeeze(const char *in, char *out, size_t len)
{
	size_t o = 0;
	for (const char *s = in; *s && o + 1 < len; s++)
		if (*s != ' ' || (o > 0 && out[o - 1] != ' '))
			out[o++] = *s;
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

static int print_family(const struct bird_proto *p, size_t n, int family)
{
	static const char *const headers[] = { "Peer address", "Peer type", "State", "Since", "Info" };
	struct table *t = NULL;
	size_t rows = 0;
	int rc = 0;

	printf("IPv%d BGP status\n", family);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct ip_addr ip = peer_addr(&p[i]);
		if (strcmp(p[i].proto, "BGP") != 0 || ip.family != family)
			continue;
		if (!t && !(t = table_new(5, headers))) {
			rc = -ENOMEM;
			break;
		}
		char addr[IP_STR_MAX], info[sizeof(p[i].info)];
		const char *type = bird_conf_peer_type(p[i].name);
		squeeze(p[i].info, info, sizeof(info));
		const char *cells[] = { ip_format(&ip, addr), type ? type : p[i].name, p[i].state, p[i].since, info };
		rc = table_add_row(t, cells);
		rows++;
	}
	if (rc == 0 && rows)
		table_print(t, stdout);
	else if (rc == 0)
		printf("No IPv%d peers found.\n", family);
	table_free(t);
	return rc;
}

/* 0 after printing; 1 when BIRD cannot be asked (said in one line). */
int status_bgp_print(void)
{
	char sock[4200];
	struct bird_ctl b;
	struct bird_reply r = { 0 };
	struct bird_proto *p = NULL;
	size_t n = 0;
	int rc;

	bird_path(sock, sizeof(sock), "bird.ctl");
	if ((rc = bird_ctl_open(&b, sock, 5000)) < 0) {
		if (rc == -ENOENT || rc == -ECONNREFUSED)
			printf("BIRD is not running.\n");
		else
			printf("BIRD did not answer on %s: %s\n", sock, strerror(-rc));
		return 1;
	}
	rc = bird_ctl_cmd(&b, "show protocols all", &r);
	bird_ctl_close(&b);
	if (rc == 0)
		rc = bird_protocols_parse(&r, &p, &n);
	if (rc < 0)
		printf("BIRD's list of protocols could not be read: %s\n", strerror(-rc));
	if (rc == 0)
		rc = print_family(p, n, 4);
	if (rc == 0) {
		printf("\n");
		rc = print_family(p, n, 6);
	}
	free(p);
	bird_reply_free(&r);
	return rc < 0 ? 1 : 0;
}
