/* tcpstream: one long-lived TCP connection that must keep flowing, for the
 * agent restart tests (a restart must not reset or stall it).
 *
 *   tcpstream serve PORT READY_FILE      echo every byte back, one client at a time
 *   tcpstream send IP PORT SECONDS [MAX_GAP]
 *                                        every 10 ms send 64 bytes and wait for their echo;
 *                                        exit 0 after SECONDS (or at SIGTERM/SIGINT, which
 *                                        end the stream early and cleanly), 1 on a reset, an
 *                                        error or an echo that takes over MAX_GAP seconds
 *                                        (default 2; printed on stderr). Prints
 *                                        "rounds N worst_echo_ms MS bytes B" at the end. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* set by SIGTERM/SIGINT: the sender stops between two rounds */
static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int serve(int port, const char *ready)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM, 0), zero = 0, one = 1;
	char buf[4096];

	sa.sin6_port = htons((uint16_t)port);
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
		perror("tcpstream: bind");
		return 1;
	}
	close(open(ready, O_CREAT | O_WRONLY, 0644));
	for (;;) {
		int c = accept(fd, NULL, NULL);
		ssize_t n;
		if (c < 0)
			continue;
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, (size_t)n) != n)
				break;
		close(c);
	}
}

static int send_loop(const char *ip, int port, double seconds, double max_gap)
{
	/* no SA_RESTART: a stop interrupts the poll or the sleep at once */
	struct sigaction sa_stop = { .sa_handler = on_stop };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char msg[64], back[64];
	double start = now_s(), worst = 0;
	long rounds = 0;

	memset(msg, 'x', sizeof(msg));
	sigaction(SIGTERM, &sa_stop, NULL);
	sigaction(SIGINT, &sa_stop, NULL);
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("tcpstream: connect");
		return 1;
	}
	while (!stop_requested && now_s() - start < seconds) {
		double t0 = now_s();
		size_t got = 0;
		if (write(fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg)) {
			fprintf(stderr, "tcpstream: write after %.2f s: %s\n", now_s() - start, strerror(errno));
			return 1;
		}
		while (got < sizeof(back)) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int left = (int)((t0 + max_gap - now_s()) * 1000), pr;
			ssize_t n;
			if (left <= 0 || (pr = poll(&p, 1, left)) == 0) {
				fprintf(stderr, "tcpstream: no echo within %g s at %.2f s\n", max_gap, now_s() - start);
				return 1;
			}
			if (pr < 0 && errno == EINTR)
				continue; /* a stop request: finish this round's echo first */
			if (pr < 0) {
				fprintf(stderr, "tcpstream: poll: %s\n", strerror(errno));
				return 1;
			}
			if ((n = read(fd, back + got, sizeof(back) - got)) <= 0) {
				fprintf(stderr, "tcpstream: read at %.2f s: %s\n", now_s() - start,
					n == 0 ? "closed" : strerror(errno));
				return 1;
			}
			got += (size_t)n;
		}
		if (now_s() - t0 > worst)
			worst = now_s() - t0;
		rounds++;
		usleep(10000);
	}
	printf("rounds %ld worst_echo_ms %.1f bytes %ld\n", rounds, worst * 1000, rounds * (long)sizeof(msg));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "serve") == 0)
		return serve(atoi(argv[2]), argv[3]);
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "send") == 0)
		return send_loop(argv[2], atoi(argv[3]), atof(argv[4]), argc == 6 ? atof(argv[5]) : 2.0);
	fprintf(stderr, "usage: tcpstream (serve PORT READY_FILE | send IP PORT SECONDS [MAX_GAP])\n");
	return 2;
}
