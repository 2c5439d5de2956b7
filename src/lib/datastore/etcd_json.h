/* Pure pieces of the etcd v3 JSON gateway client: request bodies and response
 * parsing, no I/O, so they are unit-tested on captured payloads (LAB-NOTES §2.3).
 *
 * Gateway traps handled here: int64 fields arrive as JSON strings; fields at
 * their default value are omitted (a failed txn has no "succeeded", a PUT watch
 * event has no "type", an empty range has no "kvs"); keepalive and watch
 * responses are wrapped in {"result": ...}. */
#ifndef CALICO_ETCD_JSON_H
#define CALICO_ETCD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datastore/datastore.h"

/* Builders return a malloc'd JSON body, or NULL on ENOMEM. */

/* Range over [key, range_end): range_end NULL = the single key; prefix = true
 * makes range_end the end of every key starting with key. revision 0 = latest,
 * limit 0 = no limit. key_len lets paging continue from "last key + \0". */
char *etcd_req_range(const char *key, size_t key_len, const char *prefix_of, int64_t revision, int64_t limit,
		     bool count_only);
/* One transaction for ops: the conditions in "compare", the writes in "success",
 * and a request_range per conditional op in "failure" (see etcd_parse_txn). */
char *etcd_req_txn(const struct ds_op *ops, size_t n);
/* A plain put (PutRequest): the one-op transaction's fast path. */
char *etcd_req_put(const struct ds_op *op);
/* Watch create_request for every key under prefix from start_rev. */
char *etcd_req_watch(const char *prefix, int64_t start_rev);
/* ds_read_many: a transaction without compare whose success branch is one
 * RangeRequest per read (prefix reads sorted by key). */
char *etcd_req_read_many(const struct ds_read *reads, size_t n);
char *etcd_req_lease_grant(int ttl_seconds);
char *etcd_req_lease_id(int64_t id); /* keepalive, revoke */
char *etcd_req_compact(int64_t rev);

/* Base64 of the first key after every key starting with prefix (prefix with its
 * last byte + 1, trailing 0xff bytes dropped; "\0" = every key when none is left). */
char *etcd_prefix_end_b64(const char *prefix);

/* Parsers return 0, -EPROTO (not the expected JSON) or -ENOMEM. */

/* header.revision of any response. */
int etcd_parse_header_rev(const char *body, int64_t *rev);
/* A range response: kvs appended to out (items keep response order), out->rev
 * set from the header, *more from "more" (absent = false). */
int etcd_parse_range(const char *body, struct ds_kv_list *out, bool *more);
/* A txn response for ops as built by etcd_req_txn: 0 if it succeeded, -EEXIST
 * if it failed and a CREATE's key exists, else -ECANCELED. *rev = header revision. */
int etcd_parse_txn(const char *body, const struct ds_op *ops, size_t n, int64_t *rev);
/* The answer to etcd_req_read_many: response i's kvs appended to out[i],
 * every out[i].rev the header's. -EPROTO unless it succeeded with n ranges. */
int etcd_parse_read_many(const char *body, size_t n, struct ds_kv_list *out);
int etcd_parse_lease_grant(const char *body, int64_t *id);
/* Keepalive ("result"-wrapped): -ENOENT when the lease is gone (TTL absent or 0). */
int etcd_parse_keepalive(const char *body, int64_t *ttl);
/* An HTTP error body {"error","message","code"}: copies message (or error) to
 * msg, returns the gRPC code (-1 if none). */
int etcd_parse_error(const char *body, char *msg, size_t msglen);

/* One line of a watch stream. */
struct etcd_watch_msg {
	bool created;
	bool canceled;
	int64_t compact_revision; /* > 0 with canceled: history is gone */
	int64_t rev;              /* header.revision */
	struct ds_event *events;  /* owned; free with etcd_watch_msg_free */
	size_t n_events;
	char error[256];          /* stream-level {"error":{...}} or cancel_reason; "" if none */
};
int etcd_parse_watch_msg(const char *line, struct etcd_watch_msg *m);
void etcd_watch_msg_free(struct etcd_watch_msg *m);

#endif
