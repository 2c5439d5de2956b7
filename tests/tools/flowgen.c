/* flowgen: connections of a known size, for the flow log lab
 * (tests/lab/flows.sh).
 *
 *   flowgen serve PORT READY_FILE       accept one client at a time, read it to
 *                                       its end, close
 *   flowgen send IP PORT BYTES COUNT    COUNT connections one after another,
 *                                       each sending BYTES then closing its side
 *                                       and waiting for the server's close;
 *                                       prints "connections N bytes B"
 *   flowgen syn IP PORT COUNT           COUNT connection attempts at once (each
 *                                       a new source port), none waited for:
 *                                       a flood of first packets
 *   flowgen udp IP PORT BYTES COUNT     one UDP socket (one connection): COUNT
 *                                       datagrams of BYTES, then the echoes
 *                                       read until 500 ms of silence; prints
 *                                       "datagrams N bytes B echoes E"
 * Exit 0 when everything went as asked, 1 otherwise, 2 on usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int addr_of(const char *ip, const char *port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(port));
	return inet_pton(AF_INET, ip, &sa->sin_addr) == 1 ? 0 : -1;
}

static int serve(const char *port, const char *ready)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	char buf[65536];
	FILE *f;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1024) < 0)
		return 1;
	if (!(f = fopen(ready, "w")))
		return 1;
	fclose(f);
	for (;;) {
		int c = accept(fd, NULL, NULL);
		if (c < 0)
			continue;
		while (read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
	}
}

static int send_all(const char *ip, const char *port, long bytes, long count)
{
	static char buf[65536];
	struct sockaddr_in sa;
	long done = 0, sent = 0;

	if (addr_of(ip, port, &sa) < 0)
		return 2;
	for (long i = 0; i < count; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		long left = bytes;
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "flowgen: connection %ld: %s\n", i, strerror(errno));
			if (fd >= 0)
				close(fd);
			break;
		}
		while (left > 0) {
			ssize_t n = write(fd, buf, left < (long)sizeof(buf) ? (size_t)left : sizeof(buf));
			if (n <= 0)
				break;
			left -= n;
			sent += n;
		}
		shutdown(fd, SHUT_WR);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		if (left == 0)
			done++;
	}
	printf("connections %ld bytes %ld\n", done, sent);
	return done == count ? 0 : 1;
}

static int syn_flood(const char *ip, const char *port, long count)
{
	struct sockaddr_in sa;
	int *fds = calloc((size_t)count, sizeof(int));
	long made = 0;

	if (!fds || addr_of(ip, port, &sa) < 0)
		return 2;
	for (long i = 0; i < count; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0)
			break;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
			close(fd);
			break;
		}
		fds[made++] = fd;
	}
	usleep(200000); /* let the first packets leave */
	for (long i = 0; i < made; i++)
		close(fds[i]);
	free(fds);
	printf("attempts %ld\n", made);
	return made == count ? 0 : 1;
}

static int udp_send(const char *ip, const char *port, long bytes, long count)
{
	static char buf[65536];
	struct sockaddr_in sa;
	long sent = 0, echoes = 0;
	int fd;

	if (addr_of(ip, port, &sa) < 0 || bytes < 0 || bytes > (long)sizeof(buf))
		return 2;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "flowgen: udp: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	for (long i = 0; i < count; i++) {
		if (send(fd, buf, (size_t)bytes, 0) != bytes) {
			fprintf(stderr, "flowgen: datagram %ld: %s\n", i, strerror(errno));
			break;
		}
		sent++;
		/* paced, so that no queue on the way overflows and every datagram is counted */
		if (i % 50 == 49)
			usleep(2000);
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 500) <= 0 || recv(fd, buf, sizeof(buf), 0) < 0)
			break;
		echoes++;
	}
	close(fd);
	printf("datagrams %ld bytes %ld echoes %ld\n", sent, sent * bytes, echoes);
	return sent == count ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2], argv[3]);
	if (argc == 6 && strcmp(argv[1], "send") == 0)
		return send_all(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
	if (argc == 5 && strcmp(argv[1], "syn") == 0)
		return syn_flood(argv[2], argv[3], atol(argv[4]));
	if (argc == 6 && strcmp(argv[1], "udp") == 0)
		return udp_send(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
	fprintf(stderr, "usage: flowgen serve PORT READY_FILE | send IP PORT BYTES COUNT | syn IP PORT COUNT | udp IP PORT BYTES COUNT\n");
	return 2;
}
