/* labnet: traffic probes for lab tests, each a clear yes/no within a timeout.
 *
 *   labnet tcp-serve PORT [READY_FILE]   accept forever; send "ok\n" and close
 *   labnet udp-echo PORT [READY_FILE]    echo every datagram back forever
 *   labnet tcp-probe IP PORT TIMEOUT_MS  exit 0 when the server said "ok"
 *   labnet udp-probe IP PORT TIMEOUT_MS  exit 0 when the datagram came back
 *
 * Servers listen on [::] (IPv4 too) and create READY_FILE once bound, so a
 * test waits for the file instead of sleeping. Exit 1 = no, 2 = usage. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int listen_socket(int type, const char *port_text, const char *ready_file)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	int fd, zero = 0, one = 1, port = atoi(port_text);

	if (port <= 0 || port > 65535)
		return -EINVAL;
	sa.sin6_port = htons((uint16_t)port);
	if ((fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	if (ready_file) {
		int r = open(ready_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (r >= 0)
			close(r);
	}
	return fd;
}

static _Noreturn void tcp_serve(int fd)
{
	for (;;) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		ssize_t w = write(c, "ok\n", 3);
		(void)w;
		close(c);
	}
}

static _Noreturn void udp_echo(int fd)
{
	char buf[2048];
	struct sockaddr_storage from;

	for (;;) {
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
		if (n >= 0)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
	}
}

static int wait_for(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, timeout_ms);
	return n == 1 ? 0 : -ETIMEDOUT;
}

static int probe(int type, const char *ip, const char *port, int timeout_ms)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = type };
	struct addrinfo *ai = NULL;
	char buf[64], nonce[32];
	int fd = -1, rc = -EINVAL, err = 0;
	socklen_t elen = sizeof(err);

	if (getaddrinfo(ip, port, &hints, &ai) != 0)
		return -EINVAL;
	if ((fd = socket(ai->ai_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
		rc = -errno;
		goto out;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		rc = -errno;
		goto out;
	}
	if (type == SOCK_STREAM) {
		if ((rc = wait_for(fd, POLLOUT, timeout_ms)) < 0)
			goto out;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
		if (err) {
			rc = -err;
			goto out;
		}
		if ((rc = wait_for(fd, POLLIN, timeout_ms)) < 0)
			goto out;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		rc = n >= 2 && !memcmp(buf, "ok", 2) ? 0 : -EPROTO;
	} else {
		snprintf(nonce, sizeof(nonce), "labnet-%ld-%d", (long)time(NULL), getpid());
		if (send(fd, nonce, strlen(nonce), 0) < 0) {
			rc = -errno;
			goto out;
		}
		if ((rc = wait_for(fd, POLLIN, timeout_ms)) < 0)
			goto out;
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		rc = n == (ssize_t)strlen(nonce) && !memcmp(buf, nonce, (size_t)n) ? 0 : -EPROTO;
	}
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && argc <= 4 && (!strcmp(argv[1], "tcp-serve") || !strcmp(argv[1], "udp-echo"))) {
		bool tcp = argv[1][0] == 't';
		int fd = listen_socket(tcp ? SOCK_STREAM : SOCK_DGRAM, argv[2], argc == 4 ? argv[3] : NULL);
		if (fd < 0) {
			fprintf(stderr, "labnet: cannot listen on %s: %s\n", argv[2], strerror(-fd));
			return 1;
		}
		if (tcp)
			tcp_serve(fd);
		udp_echo(fd);
	}
	if (argc == 5 && (!strcmp(argv[1], "tcp-probe") || !strcmp(argv[1], "udp-probe"))) {
		int rc = probe(argv[1][0] == 't' ? SOCK_STREAM : SOCK_DGRAM, argv[2], argv[3], atoi(argv[4]));
		return rc == 0 ? 0 : 1;
	}
	fprintf(stderr, "usage: labnet (tcp-serve|udp-echo) PORT [READY_FILE] | (tcp-probe|udp-probe) IP PORT TIMEOUT_MS\n");
	return 2;
}
