/* BIRD control-socket replies: line framing, codes, `show protocols all`
 * rows (text captured from BIRD 2.0.12 in the lab). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bgp/bird_conf.h"
#include "bgp/bird_ctl.h"
#include "tap.h"

/* Feeds lines until one ends the reply; returns the last feed's result. */
static int feed_all(struct bird_reply *r, const char *const *lines, size_t n, size_t *used)
{
	int rc = 0;
	for (*used = 0; *used < n && rc == 0; (*used)++)
		rc = bird_reply_feed(r, lines[*used]);
	return rc;
}

static void test_framing(void)
{
	struct bird_reply r = { 0 };
	size_t used;
	static const char *const welcome[] = { "0001 BIRD 2.0.12 ready." };
	CHECK_INT(feed_all(&r, welcome, 1, &used), 1, "the welcome is one final line");
	CHECK_INT(r.code, BIRD_WELCOME, "... code 0001");
	CHECK_STR(r.n ? r.lines[0].text : NULL, "BIRD 2.0.12 ready.", "... its text");
	bird_reply_free(&r);

	static const char *const conf[] = { "0002-Reading configuration from /run/calico/bird.cfg", "0003 Reconfigured",
					    "0001 not read" };
	CHECK_INT(feed_all(&r, conf, 3, &used), 1, "configure: the reply ends at 0003");
	CHECK_INT(used, 2, "... after two lines");
	CHECK_INT(r.code, BIRD_RECONFIGURED, "... Reconfigured");
	char text[256];
	bird_reply_text(&r, text, sizeof(text));
	CHECK_STR(text, "Reading configuration from /run/calico/bird.cfg; Reconfigured", "... text joined");
	bird_reply_free(&r);

	static const char *const bad[] = { "0002-Reading configuration from /x/bird.cfg",
					   "8002 /x/bird.cfg:12:3 syntax error, unexpected '{'" };
	CHECK_INT(feed_all(&r, bad, 2, &used), 1, "a refused config ends the reply");
	CHECK_INT(r.code, BIRD_CONFIG_ERROR, "... with 8002");
	bird_reply_free(&r);

	static const char *const cont[] = { "1002-device1    Device     ---        up     18:55:55.061  ",
					    " continued", "+0001 spontaneous", "0000 " };
	CHECK_INT(feed_all(&r, cont, 4, &used), 1, "continuations and a spontaneous line");
	CHECK_INT(r.n, 3, "... the spontaneous line is not kept");
	CHECK_INT(r.n > 1 ? r.lines[1].code : -1, 1002, "... a ' ' line carries the code before it");
	CHECK_INT(r.code, 0, "... final code 0000");
	bird_reply_free(&r);

	CHECK_INT(bird_reply_feed(&r, " orphan"), -EPROTO, "a continuation with nothing before it is refused");
	CHECK_INT(bird_reply_feed(&r, "12x4 nope"), -EPROTO, "a line without a 4-digit code is refused");
	CHECK_INT(bird_reply_feed(&r, "0003"), 1, "a bare code ends a reply");
	bird_reply_free(&r);
}

/* `show protocols all`, as BIRD 2.0.12 wrote it (shortened). */
static const char *const protocols_all[] = {
	"2002-Name       Proto      Table      State  Since         Info",
	"1002-device1    Device     ---        up     18:55:55.061  ",
	"1006-",
	"1002-kernel_v4  Kernel     master4    up     18:55:55.061  ",
	"1006-  Channel ipv4",
	"     State:          UP",
	"1002-Mesh_172_30_0_12 BGP        ---        up     18:56:08.220  Established   ",
	"1006-  Description:    node-to-node mesh: h2",
	"   BGP state:          Established",
	"     Neighbor address: 172.30.0.12",
	"     Neighbor AS:      64511",
	"1002-Global_172_30_0_100 BGP        ---        start  18:55:55.061  Active        Socket: Connection refused",
	"1006-  Description:    global",
	"   BGP state:          Active",
	"     Neighbor address: 172.30.0.100",
	"     Last error:       Socket: Connection refused",
	"1002-Node_fd00_30__9 BGP        ---        start  18:55:55.061  Connect",
	"1006-  BGP state:          Connect",
	"     Neighbor address: fd00:30::9",
	"0000 ",
};

static void test_protocols(void)
{
	struct bird_reply r = { 0 };
	struct bird_proto *p = NULL;
	size_t used, n = 0;
	size_t lines = sizeof(protocols_all) / sizeof(protocols_all[0]);

	CHECK_INT(feed_all(&r, protocols_all, lines, &used), 1, "show protocols all: one reply");
	CHECK_INT(used, lines, "... of every line");
	CHECK_INT(bird_protocols_parse(&r, &p, &n), 0, "... parses");
	CHECK_INT(n, 5, "... five protocols");
	if (n == 5) {
		CHECK_STR(p[0].name, "device1", "row 1: name");
		CHECK_STR(p[0].info, "", "row 1: no info");
		CHECK_INT(p[0].neighbor.family, 0, "row 1: no neighbour");
		CHECK_STR(p[2].name, "Mesh_172_30_0_12", "mesh row: name");
		CHECK_STR(p[2].proto, "BGP", "mesh row: proto");
		CHECK_STR(p[2].state, "up", "mesh row: state");
		CHECK_STR(p[2].since, "18:56:08.220", "mesh row: since");
		CHECK_STR(p[2].info, "Established", "mesh row: info trimmed");
		CHECK_STR(p[2].bgp_state, "Established", "mesh row: BGP state");
		char ip[IP_STR_MAX];
		CHECK_STR(p[2].neighbor.family ? ip_format(&p[2].neighbor, ip) : "", "172.30.0.12", "mesh row: neighbour");
		CHECK_STR(p[3].info, "Active        Socket: Connection refused", "global row: info keeps its words");
		CHECK_STR(p[3].last_error, "Socket: Connection refused", "global row: last error");
		CHECK_STR(p[4].neighbor.family ? ip_format(&p[4].neighbor, ip) : "", "fd00:30::9", "IPv6 neighbour");
		CHECK_STR(bird_conf_peer_type(p[2].name), "node-to-node mesh", "Mesh_ is the node-to-node mesh");
		CHECK_STR(bird_conf_peer_type(p[3].name), "global", "Global_ is global");
		CHECK_STR(bird_conf_peer_type(p[4].name), "node specific", "Node_ is node specific");
		CHECK(bird_conf_peer_type(p[1].name) == NULL, "kernel_v4 is no peer");
		CHECK(bird_conf_peer_type("Meshy") == NULL, "a name needs the underscore");
	}
	free(p);
	bird_reply_free(&r);

	static const char *const short_row[] = { "1002-oops BGP", "0000 " };
	CHECK_INT(feed_all(&r, short_row, 2, &used), 1, "a short row: reply complete");
	CHECK_INT(bird_protocols_parse(&r, &p, &n), -EPROTO, "... but the row is refused");
	CHECK(p == NULL && n == 0, "... leaving nothing");
	bird_reply_free(&r);
}

static void test_no_socket(void)
{
	struct bird_ctl b;
	char msg[256];
	CHECK_INT(bird_ctl_open(&b, "/nonexistent/bird.ctl", 100), -ENOENT, "no socket: -ENOENT");
	CHECK_INT(bird_ctl_configure("/nonexistent/bird.ctl", msg, sizeof(msg)), -ENOENT, "configure: -ENOENT");
	CHECK(strstr(msg, "/nonexistent/bird.ctl") != NULL, "... naming the socket");
}

int main(void)
{
	test_framing();
	test_protocols();
	test_no_socket();
	return tap_done();
}
