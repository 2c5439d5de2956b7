/* bench_mesos: time from "the runtime asks for networking" to "the task's
 * traffic passes", for calico_mesos (allocate + isolate, policy programmed by
 * calico-node) and, in the same run, for Debian's reference CNI plugins
 * (bridge + host-local ADD).
 *
 *   bench_mesos mesos HOOK N PARALLEL          run inside the host's namespace,
 *   bench_mesos cni PLUGIN CONF N PARALLEL     next to calico-node (mesos)
 *
 * A task is a child in a network namespace of its own (unshare, as the
 * containerizer makes it) answering UDP on port 7777. A client task, set up
 * the same way before the clock starts, sends one datagram every millisecond
 * to the new task's address; the time is taken when the first echo of this
 * round's nonce comes back, so routes, neighbour resolution and (for Calico)
 * the agent's policy are all in place. N rounds one after the other, then N
 * rounds as PARALLEL workers at a time. Teardown (release + cleanup, CNI DEL)
 * is not timed. Prints one JSON line:
 *   {"n":N,"seq_median_ms":..,"seq_p99_ms":..,"seq_call_median_ms":..,
 *    "parallel":P,"par_median_ms":..,"par_p99_ms":..,"par_call_median_ms":..,"failures":F}
 * where *_call_* is the part spent in the plugin processes themselves. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netlink/netns.h"

#define PORT 7777
#define TIMEOUT_MS 30000

enum mode { MODE_MESOS, MODE_CNI };

static enum mode mode;
static const char *plugin;    /* the hook, or the CNI plugin */
static const char *cni_conf;  /* CNI config text */

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- tasks ---- */

struct task {
	pid_t pid;
	char ip[64];
	char id[64];
};

/* The task: a new network namespace and a UDP echo on PORT. */
static int task_start(struct task *t)
{
	int ready[2];
	char c;
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	t->pid = fork();
	if (t->pid < 0)
		return -errno;
	if (t->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;) {
			char buf[64];
			struct sockaddr_in from;
			socklen_t len = sizeof(from);
			ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
			if (n > 0)
				sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
		}
	}
	close(ready[1]);
	ssize_t n = read(ready[0], &c, 1);
	close(ready[0]);
	return n == 1 ? 0 : -EIO;
}

static void task_stop(struct task *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
		t->pid = 0;
	}
}

/* ---- calling a plugin process ---- */

/* Runs argv[0] with env extras and input on stdin; its stdout in out. */
static int run(const char *path, char *const env_extra[], const char *input, char *out, size_t outlen)
{
	int in[2], res[2];
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(res[1], 1);
		for (size_t i = 0; env_extra && env_extra[i]; i++)
			putenv(env_extra[i]);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(res[1]);
	size_t left = strlen(input);
	for (const char *p = input; left;) {
		ssize_t w = write(in[1], p, left);
		if (w <= 0)
			break;
		p += w;
		left -= (size_t)w;
	}
	close(in[1]);
	size_t len = 0;
	for (;;) {
		ssize_t r = read(res[0], out + len, outlen - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == outlen - 1)
			break;
	}
	out[len] = '\0';
	close(res[0]);
	waitpid(pid, NULL, 0);
	return 0;
}

static json_t *run_json(const char *path, char *const env[], const char *input)
{
	static char out[65536];
	if (run(path, env, input, out, sizeof(out)) < 0)
		return NULL;
	return json_loads(out, 0, NULL);
}

/* calico_mesos: allocate, then isolate into the task. */
static int mesos_attach(struct task *t, const char *netgroup)
{
	char req[1024];
	json_t *a;
	int rc = -EIO;
	snprintf(req, sizeof(req),
		 "{\"command\":\"allocate\",\"args\":{\"hostname\":\"h1\",\"uid\":\"%s\",\"num_ipv4\":1,\"num_ipv6\":0,"
		 "\"netgroups\":[\"%s\"]}}",
		 t->id, netgroup);
	if (!(a = run_json(plugin, NULL, req)) || !json_is_string(json_array_get(json_object_get(a, "ipv4"), 0))) {
		fprintf(stderr, "bench_mesos: allocate %s failed: %s\n", t->id,
			a ? json_string_value(json_object_get(a, "error")) : "no answer");
		goto out;
	}
	snprintf(t->ip, sizeof(t->ip), "%s", json_string_value(json_array_get(json_object_get(a, "ipv4"), 0)));
	json_decref(a);
	snprintf(req, sizeof(req),
		 "{\"command\":\"isolate\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"%s\",\"pid\":%d,"
		 "\"ipv4_addrs\":[\"%s\"],\"netgroups\":[\"%s\"]}}",
		 t->id, (int)t->pid, t->ip, netgroup);
	if (!(a = run_json(plugin, NULL, req)) || !json_is_null(json_object_get(a, "error"))) {
		fprintf(stderr, "bench_mesos: isolate %s failed: %s\n", t->id,
			a ? json_string_value(json_object_get(a, "error")) : "no answer");
		goto out;
	}
	rc = 0;
out:
	json_decref(a);
	return rc;
}

static void mesos_detach(struct task *t)
{
	char req[512];
	json_t *a;
	snprintf(req, sizeof(req), "{\"command\":\"release\",\"args\":{\"ips\":[\"%s\"]}}", t->ip);
	json_decref(run_json(plugin, NULL, req));
	snprintf(req, sizeof(req), "{\"command\":\"cleanup\",\"args\":{\"hostname\":\"h1\",\"container_id\":\"%s\"}}",
		 t->id);
	a = run_json(plugin, NULL, req);
	if (!a || !json_is_null(json_object_get(a, "error")))
		fprintf(stderr, "bench_mesos: cleanup %s failed\n", t->id);
	json_decref(a);
}

static int cni_call(struct task *t, const char *command, json_t **result)
{
	char e_cmd[64], e_id[128], e_ns[128], dir[4096];
	snprintf(dir, sizeof(dir), "%s", plugin);
	*strrchr(dir, '/') = '\0';
	char e_path[4200];
	snprintf(e_cmd, sizeof(e_cmd), "CNI_COMMAND=%s", command);
	snprintf(e_id, sizeof(e_id), "CNI_CONTAINERID=%s", t->id);
	snprintf(e_ns, sizeof(e_ns), "CNI_NETNS=/proc/%d/ns/net", (int)t->pid);
	snprintf(e_path, sizeof(e_path), "CNI_PATH=%s", dir);
	char *env[] = { e_cmd, e_id, e_ns, "CNI_IFNAME=eth0", e_path, NULL };
	*result = run_json(plugin, env, cni_conf);
	return *result ? 0 : -EIO;
}

/* CNI ADD: the first address of the result. */
static int cni_attach(struct task *t)
{
	json_t *r = NULL;
	int rc = cni_call(t, "ADD", &r);
	const char *addr = json_string_value(json_object_get(json_array_get(json_object_get(r, "ips"), 0), "address"));
	if (rc < 0 || !addr) {
		fprintf(stderr, "bench_mesos: CNI ADD %s failed\n", t->id);
		json_decref(r);
		return -EIO;
	}
	snprintf(t->ip, sizeof(t->ip), "%.*s", (int)strcspn(addr, "/"), addr);
	json_decref(r);
	return 0;
}

static void cni_detach(struct task *t)
{
	char out[4096];
	char e_id[128], e_ns[128], dir[4096], e_path[4200];
	snprintf(dir, sizeof(dir), "%s", plugin);
	*strrchr(dir, '/') = '\0';
	snprintf(e_id, sizeof(e_id), "CNI_CONTAINERID=%s", t->id);
	snprintf(e_ns, sizeof(e_ns), "CNI_NETNS=/proc/%d/ns/net", (int)t->pid);
	snprintf(e_path, sizeof(e_path), "CNI_PATH=%s", dir);
	char *env[] = { "CNI_COMMAND=DEL", e_id, e_ns, "CNI_IFNAME=eth0", e_path, NULL };
	run(plugin, env, cni_conf, out, sizeof(out));
}

static int attach(struct task *t)
{
	return mode == MODE_MESOS ? mesos_attach(t, "bench") : cni_attach(t);
}

static void detach(struct task *t)
{
	if (mode == MODE_MESOS)
		mesos_detach(t);
	else
		cni_detach(t);
}

/* ---- the probe ---- */

/* Until an echo of nonce comes back from ip: 0, or -ETIMEDOUT. */
static int probe(int fd, const char *ip, uint32_t nonce)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	char msg[16], buf[64];
	if (inet_pton(AF_INET, ip, &to.sin_addr) != 1)
		return -EINVAL;
	snprintf(msg, sizeof(msg), "%08x", nonce);
	double end = now_ms() + TIMEOUT_MS;
	while (now_ms() < end) {
		sendto(fd, msg, 8, 0, (struct sockaddr *)&to, sizeof(to));
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double until = now_ms() + 1;
		while (now_ms() < until && poll(&p, 1, 1) > 0) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			if (n == 8 && memcmp(buf, msg, 8) == 0)
				return 0;
		}
	}
	return -ETIMEDOUT;
}

/* ---- rounds ---- */

/* One worker: rounds rounds, one line "total_ms call_ms" (or "fail") each to out_fd. */
static void worker(int client_ns, const char *tag, int rounds, int out_fd)
{
	int fd = netns_socket(client_ns, AF_INET, SOCK_DGRAM, 0);
	char line[64];
	for (int i = 0; i < rounds; i++) {
		struct task t = { 0 };
		snprintf(t.id, sizeof(t.id), "bench-%s-%d", tag, i);
		int len;
		if (fd < 0 || task_start(&t) < 0) {
			len = snprintf(line, sizeof(line), "fail\n");
		} else {
			double t0 = now_ms();
			int rc = attach(&t);
			double t1 = now_ms();
			rc = rc < 0 ? rc : probe(fd, t.ip, (uint32_t)getpid() * 7919u + (uint32_t)i);
			double t2 = now_ms();
			len = rc < 0 ? snprintf(line, sizeof(line), "fail\n")
				     : snprintf(line, sizeof(line), "%.3f %.3f\n", t2 - t0, t1 - t0);
			if (t.ip[0])
				detach(&t);
		}
		task_stop(&t);
		if (write(out_fd, line, (size_t)len) != len)
			break;
	}
	if (fd >= 0)
		close(fd);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* nearest-rank percentile of sorted v */
static double pct(const double *v, size_t n, double p)
{
	if (!n)
		return 0;
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
	return v[k ? k - 1 : 0];
}

struct stats {
	double median, p99, call_median, call_p99;
	int failures;
};

/* rounds in total over par workers at a time. */
static int measure(int client_ns, const char *tag, int rounds, int par, struct stats *st)
{
	int pipefd[2];
	double *tot = calloc((size_t)rounds + 1, sizeof(double)), *call = calloc((size_t)rounds + 1, sizeof(double));
	size_t n = 0;
	if (!tot || !call || pipe2(pipefd, O_CLOEXEC) < 0) {
		free(tot);
		free(call);
		return -ENOMEM;
	}
	pid_t *workers = calloc((size_t)par, sizeof(*workers));
	if (!workers) {
		free(tot);
		free(call);
		return -ENOMEM;
	}
	for (int w = 0; w < par; w++) {
		int share = rounds / par + (w < rounds % par);
		if ((workers[w] = fork()) == 0) {
			char wtag[64];
			close(pipefd[0]);
			snprintf(wtag, sizeof(wtag), "%s-%d", tag, w);
			worker(client_ns, wtag, share, pipefd[1]);
			_exit(0);
		}
	}
	close(pipefd[1]);
	FILE *in = fdopen(pipefd[0], "r");
	char line[64];
	st->failures = 0;
	while (in && fgets(line, sizeof(line), in)) {
		double a, b;
		if (sscanf(line, "%lf %lf", &a, &b) == 2 && n < (size_t)rounds) {
			tot[n] = a;
			call[n++] = b;
		} else {
			st->failures++;
		}
	}
	if (in)
		fclose(in);
	/* only the workers: the client task lives on until main() is done */
	for (int w = 0; w < par; w++)
		if (workers[w] > 0)
			waitpid(workers[w], NULL, 0);
	free(workers);
	qsort(tot, n, sizeof(double), cmp_double);
	qsort(call, n, sizeof(double), cmp_double);
	st->median = pct(tot, n, 50);
	st->p99 = pct(tot, n, 99);
	st->call_median = pct(call, n, 50);
	st->call_p99 = pct(call, n, 99);
	st->failures = rounds - (int)n; /* "fail" lines and rounds a dead worker never reported */
	free(tot);
	free(call);
	return 0;
}

int main(int argc, char **argv)
{
	int argi;
	if (argc == 5 && strcmp(argv[1], "mesos") == 0) {
		mode = MODE_MESOS;
		plugin = argv[2];
		argi = 3;
	} else if (argc == 6 && strcmp(argv[1], "cni") == 0) {
		mode = MODE_CNI;
		plugin = argv[2];
		cni_conf = argv[3];
		argi = 4;
	} else {
		fprintf(stderr, "usage: bench_mesos (mesos HOOK | cni PLUGIN CONF_JSON) N PARALLEL\n");
		return 2;
	}
	int rounds = atoi(argv[argi]), par = atoi(argv[argi + 1]);
	if (rounds <= 0 || par <= 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);

	/* The client: a task like the others, attached before any clock runs. */
	struct task client = { 0 };
	snprintf(client.id, sizeof(client.id), "bench-client-%d", (int)getpid());
	if (task_start(&client) < 0 || attach(&client) < 0) {
		fprintf(stderr, "bench_mesos: the client task could not be set up\n");
		task_stop(&client);
		return 1;
	}
	char nspath[64];
	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net", (int)client.pid);
	int client_ns = netns_open(nspath);

	struct stats seq, parl;
	char tag[32];
	snprintf(tag, sizeof(tag), "%d-s", (int)getpid());
	int rc = client_ns < 0 ? -EIO : measure(client_ns, tag, rounds, 1, &seq);
	snprintf(tag, sizeof(tag), "%d-p", (int)getpid());
	if (rc == 0)
		rc = measure(client_ns, tag, rounds, par, &parl);
	if (client_ns >= 0)
		close(client_ns);
	detach(&client);
	task_stop(&client);
	if (rc < 0) {
		fprintf(stderr, "bench_mesos: %s\n", strerror(-rc));
		return 1;
	}
	printf("{\"n\":%d,\"seq_median_ms\":%.1f,\"seq_p99_ms\":%.1f,\"seq_call_median_ms\":%.1f,"
	       "\"seq_call_p99_ms\":%.1f,\"parallel\":%d,\"par_median_ms\":%.1f,\"par_p99_ms\":%.1f,"
	       "\"par_call_median_ms\":%.1f,\"par_call_p99_ms\":%.1f,\"failures\":%d}\n",
	       rounds, seq.median, seq.p99, seq.call_median, seq.call_p99, par, parl.median, parl.p99,
	       parl.call_median, parl.call_p99, seq.failures + parl.failures);
	return 0;
}
