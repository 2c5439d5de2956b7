/* connload: many TCP connections, for the flow log benchmark
 * (bench/bench_flows.sh): new connections at a paced rate, and many held open.
 *
 *   connload sink PORT[,PORT...] READY_FILE
 *        accept any number of clients on each port; a connection is closed by
 *        the server as soon as its client sent something or closed, so the
 *        TIME_WAIT is the server's and the client's ports are free again at once
 *   connload rate IP PORT[,PORT...] RATE SECONDS
 *        RATE new connections a second for SECONDS, the ports taken in turn;
 *        each connects, sends 64 bytes and waits for the server's close. At
 *        most 20,000 in flight (fewer when the descriptor limit says so);
 *        those still open 5 s after the last start count as failed, and so
 *        do those not started in time (the generator could not keep up).
 *        Prints "started N completed C failed F seconds S"
 *   connload hold IP PORT COUNT READY_FILE
 *        COUNT connections opened and held (nothing sent); READY_FILE once all
 *        are established, then waits for SIGTERM
 * Exit 0 when everything went as asked, 1 otherwise, 2 on usage. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PORTS_MAX 64
#define IN_FLIGHT_MAX 20000
#define GRACE_S 5.0

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* room for n descriptors if it can be had (the soft limit up to the hard
 * one, past it with CAP_SYS_RESOURCE); the room there is */
static rlim_t fd_room(rlim_t n)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) < 0)
		return 1024;
	if (r.rlim_cur >= n)
		return r.rlim_cur;
	struct rlimit want = { .rlim_cur = n, .rlim_max = r.rlim_max < n ? n : r.rlim_max };
	if (setrlimit(RLIMIT_NOFILE, &want) == 0)
		return n;
	r.rlim_cur = r.rlim_max;
	setrlimit(RLIMIT_NOFILE, &r);
	return getrlimit(RLIMIT_NOFILE, &r) == 0 ? r.rlim_cur : 1024;
}

/* "P1,P2,..." -> ports; their count, or -1 */
static int parse_ports(const char *s, int *ports)
{
	int n = 0;
	while (*s) {
		char *end;
		long p = strtol(s, &end, 10);
		if (end == s || p < 1 || p > 65535 || n == PORTS_MAX || (*end && *end != ','))
			return -1;
		ports[n++] = (int)p;
		s = *end ? end + 1 : end;
	}
	return n ? n : -1;
}

static int ready_file(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int sink(const char *port_list, const char *ready)
{
	int ports[PORTS_MAX], n_ports = parse_ports(port_list, ports), ep = epoll_create1(0), one = 1;
	struct epoll_event evs[256];
	char buf[4096];

	if (n_ports < 0 || ep < 0)
		return 2;
	fd_room(1 << 17);
	for (int i = 0; i < n_ports; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)ports[i]) };
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4096) < 0) {
			fprintf(stderr, "connload: listening on port %d: %s\n", ports[i], strerror(errno));
			return 1;
		}
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &(struct epoll_event){ .events = EPOLLIN, .data.u64 = (uint64_t)fd << 1 | 1 });
	}
	if (ready_file(ready) < 0)
		return 1;
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int i = 0; i < n; i++) {
			int fd = (int)(evs[i].data.u64 >> 1), c;
			if (evs[i].data.u64 & 1) {
				while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK)) >= 0)
					if (epoll_ctl(ep, EPOLL_CTL_ADD, c,
						      &(struct epoll_event){ .events = EPOLLIN, .data.u64 = (uint64_t)c << 1 }) < 0)
						close(c);
				continue;
			}
			/* the request (or the client's close) arrived: the server closes first */
			if (read(fd, buf, sizeof(buf)) < 0 && errno == EAGAIN)
				continue;
			close(fd);
		}
	}
}

enum { C_CONNECTING = 1, C_WAITING };

static int rate(const char *ip, const char *port_list, double per_s, double secs)
{
	int ports[PORTS_MAX], n_ports = parse_ports(port_list, ports), ep = epoll_create1(0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	static char req[64], buf[4096];
	unsigned char *state;
	struct epoll_event evs[512];
	long started = 0, completed = 0, failed = 0, in_flight = 0, total = (long)(per_s * secs), flight_max;
	double t0, t_end, now;
	rlim_t room;

	if (n_ports < 0 || ep < 0 || per_s <= 0 || secs <= 0 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return 2;
	room = fd_room(IN_FLIGHT_MAX + 64);
	flight_max = (long)room > IN_FLIGHT_MAX + 64 ? IN_FLIGHT_MAX : (long)room - 64;
	if (!(state = calloc(room, 1)))
		return 1;
	t0 = now_s();
	t_end = t0 + secs;
	for (;;) {
		now = now_s();
		/* start what is due by now */
		while (started < total && in_flight < flight_max && (double)started < (now - t0) * per_s) {
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			started++;
			sa.sin_port = htons((uint16_t)ports[started % n_ports]);
			if (fd < 0 || (rlim_t)fd >= room ||
			    (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) ||
			    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &(struct epoll_event){ .events = EPOLLOUT, .data.fd = fd }) < 0) {
				if (failed++ == 0)
					fprintf(stderr, "connload: connection %ld: %s\n", started, strerror(errno));
				if (fd >= 0)
					close(fd);
				continue;
			}
			state[fd] = C_CONNECTING;
			in_flight++;
		}
		if ((started == total || now >= t_end) && (in_flight == 0 || now >= t_end + GRACE_S))
			break;
		int n = epoll_wait(ep, evs, 512, 1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd, err = 0;
			socklen_t len = sizeof(err);
			bool done = false, bad = false;
			if (state[fd] == C_CONNECTING) {
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err ||
				    write(fd, req, sizeof(req)) != (ssize_t)sizeof(req)) {
					bad = true;
				} else {
					state[fd] = C_WAITING;
					epoll_ctl(ep, EPOLL_CTL_MOD, fd, &(struct epoll_event){ .events = EPOLLIN, .data.fd = fd });
				}
			} else {
				ssize_t r = read(fd, buf, sizeof(buf));
				if (r == 0)
					done = true;
				else if (r < 0 && errno != EAGAIN)
					bad = true;
			}
			if (done || bad) {
				if (bad && failed++ == 0)
					fprintf(stderr, "connload: a connection failed: %s\n", strerror(err ? err : errno));
				completed += done;
				state[fd] = 0;
				close(fd);
				in_flight--;
			}
		}
	}
	failed += in_flight + (total - started);
	printf("started %ld completed %ld failed %ld seconds %.3f\n", started, completed, failed, now_s() - t0);
	free(state);
	return failed == 0 ? 0 : 1;
}

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int hold(const char *ip, const char *port, long count, const char *ready)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	int *fds = calloc((size_t)(count > 0 ? count : 1), sizeof(int));
	long made = 0;

	if (!fds || count <= 0 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return 2;
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	fd_room((rlim_t)count + 1024);
	for (; made < count; made++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "connload: connection %ld: %s\n", made, strerror(errno));
			if (fd >= 0)
				close(fd);
			break;
		}
		fds[made] = fd;
	}
	if (made == count && ready_file(ready) == 0)
		while (!stop_requested)
			pause();
	for (long i = 0; i < made; i++)
		close(fds[i]);
	free(fds);
	printf("held %ld\n", made);
	return made == count ? 0 : 1;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "sink") == 0)
		return sink(argv[2], argv[3]);
	if (argc == 6 && strcmp(argv[1], "rate") == 0)
		return rate(argv[2], argv[3], atof(argv[4]), atof(argv[5]));
	if (argc == 6 && strcmp(argv[1], "hold") == 0)
		return hold(argv[2], argv[3], atol(argv[4]), argv[5]);
	fprintf(stderr, "usage: connload sink PORT[,PORT...] READY_FILE | rate IP PORT[,PORT...] RATE SECONDS | "
			"hold IP PORT COUNT READY_FILE\n");
	return 2;
}
