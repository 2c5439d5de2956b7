/* calico-stars: parsing of command-line values (pure, no I/O). Each parser
 * returns 0 or -EINVAL; the caller prints the one-line usage error. */
#ifndef STARS_OPTS_H
#define STARS_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct listen_addr {
	struct sockaddr_storage sa;
	socklen_t len;
	bool ipv6;
	char text[64]; /* as given, for messages */
};

/* "ADDR:PORT" with an IPv4 address, or "[ADDR]:PORT" with an IPv6 one; port 1-65535. */
int opts_listen(const char *text, struct listen_addr *out);
/* Seconds, a decimal number from 0.1 to 3600. */
int opts_interval(const char *text, double *out);
/* An http:// URL with a host: "http://HOST[:PORT][/PATH]". */
int opts_http_url(const char *text);
/* "NAME=URL": NAME of letters, digits, '-', '_', '.' (1-63 chars), URL as
 * opts_http_url. *name gets a malloc'd copy of NAME, *url points into text. */
int opts_service(const char *text, char **name, const char **url);
/* Same rule for a probe's --name. */
bool opts_name_valid(const char *name);

#endif
