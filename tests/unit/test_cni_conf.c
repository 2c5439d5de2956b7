/* The network config as the plugins read it (the spec's keys and Calico's,
 * with the error code each refusal carries), endpoint labels from "args"
 * (the invalid ones skipped), and the attachment's endpoint id. */
#include "../../src/cni/common/cni_conf.c"
#include "../../src/cni/common/cni_error.c"
#include "../../src/cni/common/cni_version.c"
#include "../../src/cni/common/endpoint_id.c"
#include "../../src/cni/common/labels.c"
#include "tap.h"

static int conf_code(const char *text, struct cni_error *e)
{
	struct cni_conf c;
	memset(e, 0, sizeof(*e));
	int rc = cni_conf_parse(text, &c, e);
	if (rc == 0)
		rc = cni_conf_require(&c, true, e);
	cni_conf_free(&c);
	return rc < 0 ? e->code : 0;
}

#define NET(extra) "{\"cniVersion\":\"0.4.0\",\"name\":\"net1\",\"type\":\"calico\",\"ipam\":{\"type\":\"calico-ipam\"}" extra "}"

int main(void)
{
	struct cni_conf c;
	struct cni_error e;
	char buf[400], id1[33], id2[33];

	/* ---- a full Calico config ---- */
	CHECK(cni_conf_parse("{\"cniVersion\":\"0.2.0\",\"name\":\"web\",\"type\":\"calico\",\"etcd_endpoints\":\"http://127.0.0.1:2379\","
			     "\"etcd_ca_cert_file\":\"/ca\",\"datastore_type\":\"etcdv3\",\"mtu\":1450,\"log_level\":\"debug\","
			     "\"nodename\":\"h1\",\"policy_setup_timeout_seconds\":5,"
			     "\"ipam\":{\"type\":\"calico-ipam\",\"assign_ipv4\":\"true\",\"assign_ipv6\":\"true\","
			     "\"ipv4_pools\":[\"10.65.0.0/16\"],\"ipv6_pools\":[\"fd00::/64\"]},"
			     "\"args\":{\"cni\":{}},\"runtimeConfig\":{},\"capabilities\":{}}",
			     &c, &e) == 0,
	      "Calico's keys parse (unknown runtime keys left alone)");
	CHECK(strcmp(c.version, "0.2.0") == 0 && strcmp(c.name, "web") == 0 && c.mtu == 1450 &&
		      c.policy_setup_timeout == 5 && strcmp(c.etcd_endpoints, "http://127.0.0.1:2379") == 0 &&
		      strcmp(c.etcd_ca_cert_file, "/ca") == 0 && strcmp(c.nodename, "h1") == 0,
	      "... values read");
	CHECK(c.ipam.assign_ipv4 && c.ipam.assign_ipv6 && c.ipam.n_ipv4_pools == 1 && c.ipam.n_ipv6_pools == 1 &&
		      c.ipam.ipv4_pools[0].prefix == 16 && strcmp(c.ipam.type, "calico-ipam") == 0 && c.args,
	      "... ipam values (string booleans, pools)");
	cni_conf_free(&c);
	CHECK(cni_conf_parse("{\"name\":\"n\",\"type\":\"calico\"}", &c, &e) == 0 && strcmp(c.version, "0.1.0") == 0 &&
		      c.ipam.assign_ipv4 && !c.ipam.assign_ipv6,
	      "no cniVersion means 0.1.0; defaults assign IPv4 only");
	cni_conf_free(&c);

	/* ---- refusals and their codes ---- */
	CHECK_INT(conf_code("{not json", &e), 6, "bad JSON is code 6");
	CHECK_INT(conf_code("", &e), 6, "empty input is code 6");
	CHECK_INT(conf_code("[1,2]", &e), 6, "a list is code 6");
	CHECK_INT(conf_code("{\"cniVersion\":\"0.5.0\",\"name\":\"n\"}", &e), 1, "unknown version is code 1");
	CHECK(cni_conf_parse("{\"cniVersion\":\"0.5.0\"}", &c, &e) < 0 && c.version == NULL,
	      "... and the error object will name the latest version");
	cni_conf_free(&c);
	CHECK(cni_conf_parse(NET(",\"mtu\":\"x\""), &c, &e) < 0 && strcmp(c.version, "0.4.0") == 0,
	      "a refused config keeps its version for the error object");
	cni_conf_free(&c);
	CHECK_INT(conf_code("{\"cniVersion\":4}", &e), 7, "cniVersion not a string is code 7");
	CHECK_INT(conf_code("{\"cniVersion\":\"0.4.0\",\"type\":\"calico\",\"ipam\":{\"type\":\"calico-ipam\"}}", &e), 7,
		  "missing name is code 7");
	CHECK_INT(conf_code("{\"cniVersion\":\"0.4.0\",\"name\":\"a b\",\"ipam\":{\"type\":\"calico-ipam\"}}", &e), 7,
		  "name that cannot be a profile is code 7");
	CHECK(strstr(e.msg, "a b") != NULL, "... naming it: %s", e.msg);
	CHECK_INT(conf_code("{\"cniVersion\":\"0.4.0\",\"name\":\"n\"}", &e), 7, "missing ipam is code 7");
	CHECK_INT(conf_code(NET(",\"mtu\":10"), &e), 7, "mtu out of range is code 7");
	CHECK(strstr(e.msg, "mtu") != NULL, "... naming mtu: %s", e.msg);
	CHECK_INT(conf_code(NET(",\"mtu\":\"1500\""), &e), 7, "mtu as a string is code 7");
	CHECK_INT(conf_code(NET(",\"policy_setup_timeout_seconds\":-1"), &e), 7, "negative policy timeout is code 7");
	CHECK_INT(conf_code(NET(",\"log_level\":\"loud\""), &e), 7, "unknown log_level is code 7");
	CHECK_INT(conf_code(NET(",\"nodename\":\"a/b\""), &e), 7, "nodename with '/' is code 7");
	CHECK_INT(conf_code(NET(",\"datastore_type\":\"kubernetes\""), &e), 2, "datastore_type kubernetes is code 2");
	CHECK(strstr(e.msg, "datastore_type") && strstr(e.msg, "kubernetes"), "... naming key and value: %s", e.msg);
	CHECK_INT(conf_code("{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"ipam\":{\"type\":\"calico-ipam\",\"subnet\":\"usePodCidr\"}}", &e),
		  2, "calico-ipam with subnet is code 2");
	CHECK_INT(conf_code("{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.0.0.0/24\"}}", &e),
		  0, "host-local with subnet is fine (its own key)");
	CHECK_INT(conf_code("{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"ipam\":{\"type\":\"calico-ipam\",\"ipv4_pools\":[\"10.0.0.0/33\"]}}", &e),
		  7, "bad pool CIDR is code 7");
	CHECK_INT(conf_code("{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"ipam\":{\"type\":\"calico-ipam\",\"ipv4_pools\":[\"fd00::/64\"]}}", &e),
		  7, "IPv6 pool in ipv4_pools is code 7");
	CHECK_INT(conf_code("{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"ipam\":{\"type\":\"calico-ipam\",\"assign_ipv4\":\"maybe\"}}", &e),
		  7, "assign_ipv4 maybe is code 7");
	CHECK_INT(conf_code(NET(",\"args\":[]"), &e), 7, "args not an object is code 7");
	CHECK_INT(conf_code(NET(",\"datastore\":\"mysql:x\""), &e), 7, "datastore not sqlite: is code 7");
	CHECK_INT(conf_code(NET(",\"cni.dev/valid-attachments\":{}"), &e), 7, "attachments not a list is code 7");
	CHECK(cni_conf_parse(NET(",\"cni.dev/attachments\":[]"), &c, &e) == 0 && c.attachments, "cni.dev/attachments is read too");
	cni_conf_free(&c);

	const char *v = cni_conf_peek_version("{\"cniVersion\":\"0.3.1\"}", buf, sizeof(buf));
	CHECK(v && strcmp(v, "0.3.1") == 0, "VERSION peeks at cniVersion");
	CHECK(cni_conf_peek_version("", buf, sizeof(buf)) == NULL, "... none in empty input");

	/* ---- labels ---- */
	struct label *l;
	size_t n;
	json_t *args = json_loads("{\"org.apache.mesos\":{\"network_info\":{\"name\":\"net1\",\"labels\":{\"labels\":["
				  "{\"key\":\"app\",\"value\":\"frontend\"},{\"key\":\"tier\"},{\"key\":\"??\",\"value\":\"x\"}]}}},"
				  "\"cni\":{\"labels\":[{\"key\":\"app\",\"value\":\"web\"},{\"key\":\"env\",\"value\":\"prod 1\"},"
				  "{\"key\":\"env\",\"value\":\"prod\"},{\"key\":\"\",\"value\":\"x\"}]}}",
				  0, NULL);
	CHECK(cni_labels_from_args(args, &l, &n, &e) == 0 && n == 3,
	      "Mesos and cni labels merged (bad key and bad value skipped)");
	CHECK(n == 3 && strcmp(l[0].key, "app") == 0 && strcmp(l[0].value, "web") == 0, "... args.cni wins over Mesos");
	CHECK(n == 3 && strcmp(l[1].key, "tier") == 0 && strcmp(l[1].value, "") == 0, "... Mesos label without value");
	CHECK(n == 3 && strcmp(l[2].key, "env") == 0 && strcmp(l[2].value, "prod") == 0,
	      "... env 'prod 1' skipped, the valid env after it kept");
	cni_labels_free(l, n);
	json_decref(args);
	args = json_loads("{\"cni\":{\"labels\":{\"app\":\"x\"}}}", 0, NULL);
	CHECK(cni_labels_from_args(args, &l, &n, &e) < 0 && e.code == 7 && strstr(e.msg, "args.cni.labels"),
	      "labels not a list is code 7 naming it: %s", e.msg);
	json_decref(args);
	args = json_loads("{\"org.apache.mesos\":{\"network_info\":{\"labels\":{\"labels\":[{\"key\":5}]}}}}", 0, NULL);
	CHECK(cni_labels_from_args(args, &l, &n, &e) < 0 && e.code == 7, "label key not a string is code 7");
	json_decref(args);
	CHECK(cni_labels_from_args(NULL, &l, &n, &e) == 0 && n == 0, "no args, no labels");

	/* ---- endpoint ids ---- */
	cni_endpoint_id("net1", "c1", "eth0", id1);
	cni_endpoint_id("net1", "c1", "eth0", id2);
	CHECK(strlen(id1) == 32 && strcmp(id1, id2) == 0, "endpoint id: 32 hex, the same for the same attachment");
	cni_endpoint_id("net1", "c1", "eth1", id2);
	CHECK(strcmp(id1, id2) != 0, "... differs by interface");
	cni_endpoint_id("net2", "c1", "eth0", id2);
	CHECK(strncmp(id1, id2, 11) != 0, "... and by network (in the 11 characters of the veth name)");
	cni_endpoint_id("ne", "t1c1", "eth0", id2);
	CHECK(strcmp(id1, id2) != 0, "... fields cannot run into each other");
	return tap_done();
}
