/* etcd v3 gateway codecs on payloads captured from etcd 3.4.23 (LAB-NOTES §2.3),
 * including the omitted-default-field traps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/base64.h"
#include "datastore/etcd_json.h"
#include "tap.h"

static void test_base64(void)
{
	char *s = b64_encode("/calico/v1/host/h1/x", 20), *d = NULL;
	size_t n = 0;

	CHECK_STR(s, "L2NhbGljby92MS9ob3N0L2gxL3g=", "base64 encodes a key");
	CHECK_INT(b64_decode(s, &d, &n), 0, "base64 decodes it back");
	CHECK_STR(d, "/calico/v1/host/h1/x", "round trip");
	CHECK_INT(n, 20, "decoded length");
	free(s);
	free(d);
	s = b64_encode("", 0);
	CHECK_STR(s, "", "empty encodes to empty");
	free(s);
	CHECK_INT(b64_decode("", &d, &n), 0, "empty decodes");
	CHECK_INT(n, 0, "to nothing");
	free(d);
	s = b64_encode("ab", 2);
	CHECK_STR(s, "YWI=", "one pad");
	free(s);
	s = b64_encode("a", 1);
	CHECK_STR(s, "YQ==", "two pads");
	free(s);
	d = NULL;
	CHECK_INT(b64_decode("Y!==", &d, &n), -EINVAL, "bad character refused");
	CHECK_INT(b64_decode("Y", &d, &n), -EINVAL, "truncated input refused");
	CHECK(d == NULL, "nothing allocated on failure");
}

static void test_prefix_end(void)
{
	char *e = etcd_prefix_end_b64("/calico/");
	char *want = b64_encode("/calico0", 8);
	CHECK_STR(e, want, "prefix end: last byte + 1 (/calico/ -> /calico0)");
	free(e);
	free(want);
	e = etcd_prefix_end_b64("");
	CHECK_STR(e, "AA==", "empty prefix -> \\0 (every key)");
	free(e);
	e = etcd_prefix_end_b64("a\xff");
	CHECK_STR(e, "Yg==", "trailing 0xff dropped (a\\xff -> b)");
	free(e);
}

/* Fetches a string member of a parsed body, for checking built requests. */
static const char *jget(json_t *root, const char *path)
{
	json_t *v = root;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *tok = strtok(buf, "."); tok && v; tok = strtok(NULL, ".")) {
		if (*tok >= '0' && *tok <= '9')
			v = json_array_get(v, (size_t)atoi(tok));
		else
			v = json_object_get(v, tok);
	}
	return json_string_value(v);
}

static void test_req_range(void)
{
	char *s = etcd_req_range("/calico/", 8, "/calico/", 7, 1000, false);
	json_t *j = json_loads(s, 0, NULL);
	CHECK(j != NULL, "range request is JSON");
	CHECK_STR(jget(j, "key"), "L2NhbGljby8=", "range key base64");
	CHECK_STR(jget(j, "range_end"), "L2NhbGljbzA=", "range_end = prefix end");
	CHECK_STR(jget(j, "revision"), "7", "revision pinned as an int64 string");
	CHECK_STR(jget(j, "limit"), "1000", "limit");
	CHECK_STR(jget(j, "sort_order"), "ASCEND", "sorted ascending");
	CHECK_STR(jget(j, "sort_target"), "KEY", "by key");
	json_decref(j);
	free(s);
	s = etcd_req_range("k\0", 2, NULL, 0, 0, false);
	j = json_loads(s, 0, NULL);
	CHECK_STR(jget(j, "key"), "awA=", "a key with an embedded \\0 (page continuation)");
	CHECK(json_object_get(j, "range_end") == NULL, "single key has no range_end");
	CHECK(json_object_get(j, "limit") == NULL, "no limit unless asked");
	json_decref(j);
	free(s);
	/* etcd answers an empty key with "key is not provided": the empty prefix starts at "\0". */
	s = etcd_req_range("", 0, "", 0, 0, false);
	j = json_loads(s, 0, NULL);
	CHECK_STR(jget(j, "key"), "AA==", "empty prefix: key is \\0");
	CHECK_STR(jget(j, "range_end"), "AA==", "empty prefix: range_end is \\0 (every key)");
	json_decref(j);
	free(s);
	struct ds_op all = { .type = DS_OP_DELETE_PREFIX, .key = "" };
	s = etcd_req_txn(&all, 1);
	j = json_loads(s, 0, NULL);
	CHECK_STR(jget(j, "success.0.request_delete_range.key"), "AA==", "delete of the empty prefix: key is \\0");
	json_decref(j);
	free(s);
}

static void test_req_txn(void)
{
	struct ds_op ops[] = {
		{ .type = DS_OP_CREATE, .key = "/a", .value = "1" },
		{ .type = DS_OP_CAS, .key = "/b", .value = "2", .mod_rev = 3 },
		{ .type = DS_OP_CAS, .key = "/c", .value = "3", .mod_rev = 0, .lease = 77 },
		{ .type = DS_OP_DELETE, .key = "/d", .mod_rev = 5 },
		{ .type = DS_OP_DELETE, .key = "/e" },
		{ .type = DS_OP_DELETE_PREFIX, .key = "/f/" },
		{ .type = DS_OP_CHECK, .key = "/g", .mod_rev = 9 },
		{ .type = DS_OP_PUT, .key = "/h", .value = "" },
	};
	char *s = etcd_req_txn(ops, sizeof(ops) / sizeof(ops[0]));
	json_t *j = json_loads(s, 0, NULL);

	CHECK(j != NULL, "txn request is JSON");
	CHECK_INT(json_array_size(json_object_get(j, "compare")), 5, "compares: create, 2 cas, delete@rev, check");
	CHECK_STR(jget(j, "compare.0.target"), "VERSION", "CREATE compares VERSION");
	CHECK_STR(jget(j, "compare.0.version"), "0", "== 0");
	CHECK_STR(jget(j, "compare.0.result"), "EQUAL", "EQUAL");
	CHECK_STR(jget(j, "compare.1.target"), "MOD", "CAS compares MOD");
	CHECK_STR(jget(j, "compare.1.mod_revision"), "3", "== mod_rev");
	CHECK_STR(jget(j, "compare.2.target"), "VERSION", "CAS with mod_rev 0 means absent: VERSION");
	CHECK_STR(jget(j, "compare.3.mod_revision"), "5", "DELETE with mod_rev compares MOD");
	CHECK_STR(jget(j, "compare.4.key"), "L2c=", "CHECK compares its key");
	CHECK_STR(jget(j, "compare.4.mod_revision"), "9", "CHECK mod_rev");
	CHECK_INT(json_array_size(json_object_get(j, "success")), 7, "every op but CHECK writes");
	CHECK_STR(jget(j, "success.0.request_put.value"), "MQ==", "CREATE puts its value");
	CHECK_STR(jget(j, "success.2.request_put.lease"), "77", "lease on the put");
	CHECK_STR(jget(j, "success.3.request_delete_range.key"), "L2Q=", "DELETE");
	CHECK(jget(j, "success.4.request_delete_range.range_end") == NULL, "plain DELETE: one key");
	CHECK_STR(jget(j, "success.5.request_delete_range.range_end"), "L2Yw", "DELETE_PREFIX has range_end");
	CHECK_STR(jget(j, "success.6.request_put.value"), "", "empty value put");
	CHECK_INT(json_array_size(json_object_get(j, "failure")), 5, "failure reads back each conditional key");
	CHECK_STR(jget(j, "failure.0.request_range.key"), "L2E=", "in op order");
	json_decref(j);
	free(s);
	s = etcd_req_put(&ops[2]);
	CHECK_STR(s, "{\"key\":\"L2M=\",\"value\":\"Mw==\",\"lease\":\"77\"}", "plain put request (fast path)");
	free(s);
}

/* Captured responses (LAB-NOTES §2.3). */
static const char RANGE_ONE[] =
	"{\"header\":{\"cluster_id\":\"14841639068965178418\",\"member_id\":\"10276657743932975437\","
	"\"revision\":\"3\",\"raft_term\":\"2\"},\"kvs\":[{\"key\":\"L2NhbGljby92MS9ob3N0L2gxL3g=\","
	"\"create_revision\":\"2\",\"mod_revision\":\"3\",\"version\":\"2\",\"value\":\"aGVsbG8=\"}],\"count\":\"1\"}";
static const char RANGE_EMPTY[] =
	"{\"header\":{\"cluster_id\":\"14841639068965178418\",\"member_id\":\"10276657743932975437\","
	"\"revision\":\"12\",\"raft_term\":\"2\"}}";
static const char RANGE_MORE[] =
	"{\"header\":{\"revision\":\"40\"},\"kvs\":[{\"key\":\"L2E=\",\"create_revision\":\"5\",\"mod_revision\":\"5\","
	"\"version\":\"1\",\"lease\":\"2324035588562834960\"},{\"key\":\"L2I=\",\"create_revision\":\"6\","
	"\"mod_revision\":\"6\",\"version\":\"1\",\"value\":\"Mg==\"}],\"more\":true,\"count\":\"5\"}";

static void test_parse_range(void)
{
	struct ds_kv_list l = { 0 };
	bool more = true;

	CHECK_INT(etcd_parse_range(RANGE_ONE, &l, &more), 0, "range parses");
	CHECK_INT(l.n, 1, "one kv");
	CHECK_INT(l.rev, 3, "header revision (int64 as string)");
	CHECK(!more, "no \"more\" means false");
	if (l.n == 1) {
		CHECK_STR(l.items[0].key, "/calico/v1/host/h1/x", "key decoded");
		CHECK_STR(l.items[0].value, "hello", "value decoded");
		CHECK_INT(l.items[0].create_rev, 2, "create_revision");
		CHECK_INT(l.items[0].mod_rev, 3, "mod_revision");
		CHECK_INT(l.items[0].lease, 0, "no lease");
	}
	ds_kv_list_free(&l);

	CHECK_INT(etcd_parse_range(RANGE_EMPTY, &l, &more), 0, "empty range (no kvs, no count) parses");
	CHECK_INT(l.n, 0, "to nothing");
	CHECK_INT(l.rev, 12, "still has the revision");
	ds_kv_list_free(&l);

	CHECK_INT(etcd_parse_range(RANGE_MORE, &l, &more), 0, "a page parses");
	CHECK(more, "\"more\":true");
	CHECK_INT(l.n, 2, "two kvs");
	if (l.n == 2) {
		CHECK_STR(l.items[0].value, "", "omitted value is the empty string");
		CHECK_INT(l.items[0].lease, 2324035588562834960LL, "lease id (int64 string)");
		CHECK_STR(l.items[1].key, "/b", "order kept");
	}
	ds_kv_list_free(&l);
	CHECK_INT(etcd_parse_range("not json", &l, &more), -EPROTO, "garbage -> -EPROTO");
	CHECK_INT(etcd_parse_range("{\"kvs\":[{\"key\":\"!!\"}]}", &l, &more), -EPROTO, "bad base64 -> -EPROTO");
	ds_kv_list_free(&l);
}

/* What etcd 3.4 answers to etcd_req_read_many of { /a exact, /p/ prefix, /z exact }. */
static const char READ_MANY[] =
	"{\"header\":{\"revision\":\"77\"},\"succeeded\":true,\"responses\":["
	"{\"response_range\":{\"header\":{\"revision\":\"77\"},\"kvs\":[{\"key\":\"L2E=\",\"create_revision\":\"3\","
	"\"mod_revision\":\"4\",\"version\":\"2\",\"value\":\"MQ==\"}],\"count\":\"1\"}},"
	"{\"response_range\":{\"header\":{\"revision\":\"77\"},\"kvs\":[{\"key\":\"L3AvMQ==\",\"create_revision\":\"5\","
	"\"mod_revision\":\"5\",\"version\":\"1\",\"value\":\"eA==\"},{\"key\":\"L3AvMg==\",\"create_revision\":\"6\","
	"\"mod_revision\":\"6\",\"version\":\"1\",\"value\":\"eQ==\"}],\"count\":\"2\"}},"
	"{\"response_range\":{\"header\":{\"revision\":\"77\"}}}]}";

static void test_read_many(void)
{
	const struct ds_read reads[] = { { "/a", false }, { "/p/", true }, { "/z", false } };
	char *req = etcd_req_read_many(reads, 3);
	json_t *j = req ? json_loads(req, 0, NULL) : NULL;
	json_t *succ = json_object_get(j, "success");
	CHECK(j && !json_object_get(j, "compare") && json_array_size(succ) == 3, "request: no compare, 3 ranges");
	json_t *r1 = json_object_get(json_array_get(succ, 1), "request_range");
	CHECK(json_is_string(json_object_get(r1, "range_end")) &&
		      !json_object_get(json_object_get(json_array_get(succ, 0), "request_range"), "range_end"),
	      "request: only the prefix read has a range_end");
	json_decref(j);
	free(req);

	struct ds_kv_list out[3] = { { 0 } };
	CHECK_INT(etcd_parse_read_many(READ_MANY, 3, out), 0, "answer parses");
	CHECK(out[0].n == 1 && strcmp(out[0].items[0].value, "1") == 0 && out[0].items[0].mod_rev == 4,
	      "exact key: its kv");
	CHECK(out[1].n == 2 && strcmp(out[1].items[0].key, "/p/1") == 0 && strcmp(out[1].items[1].value, "y") == 0,
	      "prefix: both kvs, in order");
	CHECK(out[2].n == 0 && out[0].rev == 77 && out[2].rev == 77, "absent key: nothing; every list at revision 77");
	for (int i = 0; i < 3; i++)
		ds_kv_list_free(&out[i]);
	CHECK_INT(etcd_parse_read_many(READ_MANY, 2, out), -EPROTO, "fewer reads than responses: -EPROTO");
	for (int i = 0; i < 2; i++)
		ds_kv_list_free(&out[i]);
	CHECK_INT(etcd_parse_read_many("{\"header\":{},\"responses\":[]}", 0, out), -EPROTO,
		  "not succeeded: -EPROTO");
}

static const char TXN_OK[] =
	"{\"header\":{\"cluster_id\":\"14841639068965178418\",\"member_id\":\"10276657743932975437\","
	"\"revision\":\"4\",\"raft_term\":\"2\"},\"succeeded\":true,\"responses\":[{\"response_put\":"
	"{\"header\":{\"revision\":\"4\"}}}]}";
/* Failed: no "succeeded" key at all. */
static const char TXN_FAIL_EXISTS[] =
	"{\"header\":{\"revision\":\"4\"},\"responses\":[{\"response_range\":{\"header\":{\"revision\":\"4\"},"
	"\"kvs\":[{\"key\":\"L2E=\",\"create_revision\":\"2\",\"mod_revision\":\"4\",\"version\":\"2\","
	"\"value\":\"djI=\"}],\"count\":\"1\"}}]}";
static const char TXN_FAIL_ABSENT[] =
	"{\"header\":{\"revision\":\"4\"},\"responses\":[{\"response_range\":{\"header\":{\"revision\":\"4\"}}}]}";
static const char TXN_FAIL_TWO[] =
	"{\"header\":{\"revision\":\"9\"},\"responses\":[{\"response_range\":{\"header\":{\"revision\":\"9\"},"
	"\"kvs\":[{\"key\":\"L2I=\",\"mod_revision\":\"8\"}],\"count\":\"1\"}},"
	"{\"response_range\":{\"header\":{\"revision\":\"9\"},\"kvs\":[{\"key\":\"L2E=\",\"mod_revision\":\"3\"}],"
	"\"count\":\"1\"}}]}";

static void test_parse_txn(void)
{
	struct ds_op create = { .type = DS_OP_CREATE, .key = "/a", .value = "x" };
	struct ds_op cas = { .type = DS_OP_CAS, .key = "/a", .value = "x", .mod_rev = 3 };
	struct ds_op two[] = {
		{ .type = DS_OP_PUT, .key = "/z", .value = "1" }, /* no compare: no failure response */
		{ .type = DS_OP_CAS, .key = "/b", .value = "1", .mod_rev = 7 },
		{ .type = DS_OP_CREATE, .key = "/a", .value = "1" },
	};
	int64_t rev = 0;

	CHECK_INT(etcd_parse_txn(TXN_OK, &cas, 1, &rev), 0, "succeeded:true -> 0");
	CHECK_INT(rev, 4, "rev_out from the header");
	CHECK_INT(etcd_parse_txn(TXN_FAIL_EXISTS, &create, 1, &rev), -EEXIST,
		  "failed txn (no succeeded key), CREATE's key exists -> -EEXIST");
	CHECK_INT(etcd_parse_txn(TXN_FAIL_EXISTS, &cas, 1, &rev), -ECANCELED, "failed CAS -> -ECANCELED");
	CHECK_INT(etcd_parse_txn(TXN_FAIL_ABSENT, &cas, 1, &rev), -ECANCELED, "CAS on an absent key -> -ECANCELED");
	CHECK_INT(etcd_parse_txn(TXN_FAIL_TWO, two, 3, &rev), -EEXIST,
		  "failure responses matched to conditional ops in order");
	CHECK_INT(rev, 9, "revision of the failed txn");
	CHECK_INT(etcd_parse_txn("[]", &cas, 1, &rev), -EPROTO, "not an object -> -EPROTO");
}

static void test_leases(void)
{
	int64_t id = 0, ttl = -1;
	char msg[128];

	CHECK_INT(etcd_parse_lease_grant("{\"header\":{\"revision\":\"5\"},\"ID\":\"2324035588562834960\",\"TTL\":\"5\"}",
					 &id), 0, "lease grant parses");
	CHECK_INT(id, 2324035588562834960LL, "lease ID (int64 string)");
	CHECK_INT(etcd_parse_keepalive("{\"result\":{\"header\":{\"revision\":\"5\"},\"ID\":\"2324035588562834960\","
				       "\"TTL\":\"5\"}}", &ttl), 0, "keepalive (wrapped in result)");
	CHECK_INT(ttl, 5, "TTL");
	CHECK_INT(etcd_parse_keepalive("{\"result\":{\"header\":{\"revision\":\"5\"},\"ID\":\"2324035588562834960\"}}",
				       &ttl), -ENOENT, "expired lease: TTL omitted -> -ENOENT");
	CHECK_INT(etcd_parse_keepalive("{\"result\":{\"ID\":\"1\",\"TTL\":\"0\"}}", &ttl), -ENOENT, "TTL 0 -> -ENOENT");
	CHECK_INT(etcd_parse_keepalive("{\"header\":{}}", &ttl), -EPROTO, "no result -> -EPROTO");
	CHECK_INT(etcd_parse_error("{\"error\":\"etcdserver: requested lease not found\",\"message\":\"etcdserver: "
				   "requested lease not found\",\"code\":5}", msg, sizeof(msg)), 5, "error code");
	CHECK_STR(msg, "etcdserver: requested lease not found", "error message");
	CHECK_INT(etcd_parse_error("{\"error\":\"illegal base64 data at input byte 0\",\"code\":3}", msg, sizeof(msg)),
		  3, "error without message");
	CHECK_STR(msg, "illegal base64 data at input byte 0", "falls back to error");
	char *s = etcd_req_compact(10);
	CHECK_STR(s, "{\"revision\":\"10\",\"physical\":true}", "compaction request");
	free(s);
	s = etcd_req_lease_grant(5);
	CHECK_STR(s, "{\"TTL\":\"5\"}", "grant request");
	free(s);
}

static void test_watch(void)
{
	struct etcd_watch_msg m;
	char *s = etcd_req_watch("/calico/", 8);
	CHECK_STR(s, "{\"create_request\":{\"key\":\"L2NhbGljby8=\",\"range_end\":\"L2NhbGljbzA=\",\"start_revision\":\"8\"}}",
		  "watch create_request");
	free(s);

	CHECK_INT(etcd_parse_watch_msg("{\"result\":{\"header\":{\"cluster_id\":\"1\",\"revision\":\"7\"},\"created\":true}}",
				       &m), 0, "created message");
	CHECK(m.created && !m.canceled && m.n_events == 0, "created, no events");
	CHECK_INT(m.rev, 7, "header revision");
	etcd_watch_msg_free(&m);

	CHECK_INT(etcd_parse_watch_msg(
			  "{\"result\":{\"header\":{\"revision\":\"11\"},\"events\":["
			  "{\"kv\":{\"key\":\"L2NhbGljby9h\",\"create_revision\":\"9\",\"mod_revision\":\"9\",\"version\":\"1\",\"value\":\"MQ==\"}},"
			  "{\"kv\":{\"key\":\"L2NhbGljby9h\",\"create_revision\":\"9\",\"mod_revision\":\"10\",\"version\":\"2\",\"value\":\"Mg==\"},"
			  "\"prev_kv\":{\"key\":\"L2NhbGljby9h\",\"mod_revision\":\"9\",\"value\":\"MQ==\"}},"
			  "{\"type\":\"DELETE\",\"kv\":{\"key\":\"L2NhbGljby9h\",\"mod_revision\":\"11\"}}]}}",
			  &m),
		  0, "message with three events");
	CHECK_INT(m.n_events, 3, "three events");
	if (m.n_events == 3) {
		CHECK_INT(m.events[0].type, DS_EV_PUT, "no \"type\" means PUT");
		CHECK_STR(m.events[0].key, "/calico/a", "event key");
		CHECK_STR(m.events[0].value, "1", "event value");
		CHECK_INT(m.events[0].mod_rev, 9, "event revision");
		CHECK_STR(m.events[1].value, "2", "second PUT (with prev_kv) value");
		CHECK_INT(m.events[2].type, DS_EV_DELETE, "DELETE");
		CHECK(m.events[2].value == NULL, "DELETE has no value");
		CHECK_INT(m.events[2].mod_rev, 11, "DELETE revision");
	}
	etcd_watch_msg_free(&m);

	CHECK_INT(etcd_parse_watch_msg("{\"result\":{\"header\":{\"revision\":\"20\"},\"canceled\":true,"
				       "\"compact_revision\":\"10\"}}", &m), 0, "compacted cancel parses");
	CHECK(m.canceled, "canceled");
	CHECK_INT(m.compact_revision, 10, "compact_revision");
	etcd_watch_msg_free(&m);

	CHECK_INT(etcd_parse_watch_msg("{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"transport is closing\","
				       "\"http_status\":\"Service Unavailable\"}}", &m), 0, "stream error parses");
	CHECK_STR(m.error, "transport is closing", "stream error message");
	etcd_watch_msg_free(&m);
	CHECK_INT(etcd_parse_watch_msg("{\"result\":", &m), -EPROTO, "partial line -> -EPROTO");
}

int main(void)
{
	test_base64();
	test_prefix_end();
	test_req_range();
	test_req_txn();
	test_parse_range();
	test_read_many();
	test_parse_txn();
	test_leases();
	test_watch();
	return tap_done();
}
