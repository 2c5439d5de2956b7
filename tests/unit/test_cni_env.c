/* CNI protocol basics without root: CNI_* variables, CNI_ARGS, versions,
 * commands per version, the VERSION answer and error objects. The sources
 * under test are compiled in (the plugins' code is not in libcalico). */
#include "../../src/cni/common/cni_env.c"
#include "../../src/cni/common/cni_error.c"
#include "../../src/cni/common/cni_version.c"
#include "tap.h"

static const char *fake[16][2];

static const char *fake_get(const char *name)
{
	for (int i = 0; i < 16 && fake[i][0]; i++)
		if (strcmp(fake[i][0], name) == 0)
			return fake[i][1];
	return NULL;
}

static void setenv_fake(const char *cmd, const char *cid, const char *netns, const char *ifname)
{
	memset(fake, 0, sizeof(fake));
	int i = 0;
	if (cmd)
		fake[i][0] = "CNI_COMMAND", fake[i++][1] = cmd;
	if (cid)
		fake[i][0] = "CNI_CONTAINERID", fake[i++][1] = cid;
	if (netns)
		fake[i][0] = "CNI_NETNS", fake[i++][1] = netns;
	if (ifname)
		fake[i][0] = "CNI_IFNAME", fake[i++][1] = ifname;
}

static int env_code(const char *cmd, const char *cid, const char *netns, const char *ifname, struct cni_error *e)
{
	struct cni_env env;
	memset(e, 0, sizeof(*e));
	setenv_fake(cmd, cid, netns, ifname);
	return cni_env_parse(fake_get, &env, e) < 0 ? e->code : 0;
}

int main(void)
{
	struct cni_error e;
	struct cni_env env;
	struct cni_args a;
	static const char *const known[] = { "IP", "K8S_POD_NAME", NULL };

	/* ---- environment ---- */
	CHECK_INT(env_code("ADD", "c1", "/var/run/netns/x", "eth0", &e), 0, "ADD with every variable");
	CHECK_INT(env_code(NULL, NULL, NULL, NULL, &e), 4, "no CNI_COMMAND is code 4");
	CHECK_INT(env_code("FROB", NULL, NULL, NULL, &e), 4, "unknown CNI_COMMAND is code 4");
	CHECK(strstr(e.msg, "FROB") != NULL, "... naming it: %s", e.msg);
	CHECK_INT(env_code("ADD", "c1", NULL, "eth0", &e), 4, "ADD without CNI_NETNS is code 4");
	CHECK(strstr(e.msg, "CNI_NETNS") != NULL, "... naming CNI_NETNS");
	CHECK_INT(env_code("DEL", "c1", NULL, "eth0", &e), 0, "DEL without CNI_NETNS is fine");
	CHECK_INT(env_code("CHECK", "c1", NULL, "eth0", &e), 4, "CHECK without CNI_NETNS is code 4");
	CHECK_INT(env_code("ADD", NULL, "/n", "eth0", &e), 4, "ADD without CNI_CONTAINERID is code 4");
	CHECK_INT(env_code("ADD", "c1", "/n", NULL, &e), 4, "ADD without CNI_IFNAME is code 4");
	CHECK_INT(env_code("ADD", "-bad", "/n", "eth0", &e), 4, "container id starting with '-' is code 4");
	CHECK_INT(env_code("ADD", "a/b", "/n", "eth0", &e), 4, "container id with '/' is code 4");
	CHECK_INT(env_code("ADD", "c1", "/n", "eth0123456789012", &e), 4, "16-character ifname is code 4");
	CHECK_INT(env_code("ADD", "c1", "/n", "..", &e), 4, "ifname '..' is code 4");
	CHECK_INT(env_code("VERSION", NULL, NULL, NULL, &e), 0, "VERSION needs nothing else");
	CHECK_INT(env_code("GC", NULL, NULL, NULL, &e), 0, "GC needs no container");
	CHECK_INT(env_code("STATUS", NULL, NULL, NULL, &e), 0, "STATUS needs no container");
	setenv_fake("ADD", "abc_1.x-2", "/n", "net1");
	CHECK(cni_env_parse(fake_get, &env, &e) == 0 && strcmp(env.container_id, "abc_1.x-2") == 0 &&
		      strcmp(env.ifname, "net1") == 0 && env.cmd == CNI_CMD_ADD,
	      "values are read back");

	/* ---- CNI_ARGS ---- */
	CHECK(cni_args_parse("IP=10.0.0.5;K8S_POD_NAME=p", known, &a, &e) == 0 && a.n == 2, "two known pairs");
	CHECK_STR(cni_args_get(&a, "IP"), "10.0.0.5", "... IP");
	CHECK(cni_args_get(&a, "NOPE") == NULL, "... absent key is NULL");
	cni_args_free(&a);
	CHECK(cni_args_parse("FOO=1", known, &a, &e) < 0 && e.code == 4 && strstr(e.msg, "FOO"),
	      "unknown key refused, named: %s", e.msg);
	CHECK(cni_args_parse("IgnoreUnknown=1;FOO=1;IP=1.2.3.4", known, &a, &e) == 0 && a.ignore_unknown,
	      "IgnoreUnknown=1 lets unknown keys through");
	cni_args_free(&a);
	CHECK(cni_args_parse("IgnoreUnknown=true;FOO=1", known, &a, &e) == 0, "IgnoreUnknown=true too");
	cni_args_free(&a);
	CHECK(cni_args_parse("IP", known, &a, &e) < 0 && e.code == 4, "pair without '=' is code 4");
	CHECK(cni_args_parse("=x", known, &a, &e) < 0 && e.code == 4, "empty key is code 4");
	CHECK(cni_args_parse("IP=a=b;", known, &a, &e) == 0 && strcmp(cni_args_get(&a, "IP"), "a=b") == 0,
	      "value may hold '=', trailing ';' ignored");
	cni_args_free(&a);
	CHECK(cni_args_parse(NULL, known, &a, &e) == 0 && a.n == 0, "no CNI_ARGS");
	cni_args_free(&a);
	CHECK(cni_args_parse("IP=1;IP=2", known, &a, &e) == 0 && strcmp(cni_args_get(&a, "IP"), "2") == 0,
	      "the last of a repeated key wins");
	cni_args_free(&a);

	/* ---- versions and commands ---- */
	CHECK(cni_version_supported("0.2.0") && cni_version_supported("1.1.0") && !cni_version_supported("1.2.0") &&
		      !cni_version_supported("0.3"),
	      "supported versions");
	CHECK(cni_version_cmp("0.3.1", "0.4.0") < 0 && cni_version_cmp("1.0.0", "0.4.0") > 0 &&
		      cni_version_cmp("0.10.0", "0.9.0") > 0 && cni_version_cmp("1.1.0", "1.1.0") == 0,
	      "versions compare numerically");
	CHECK(cni_version_shape("0.1.0") == CNI_SHAPE_020 && cni_version_shape("0.2.0") == CNI_SHAPE_020 &&
		      cni_version_shape("0.3.0") == CNI_SHAPE_040 && cni_version_shape("0.4.0") == CNI_SHAPE_040 &&
		      cni_version_shape("1.0.0") == CNI_SHAPE_100 && cni_version_shape("1.1.0") == CNI_SHAPE_100,
	      "result shapes per version");
	CHECK(cni_cmd_allowed(CNI_CMD_CHECK, "0.3.1", &e) < 0 && e.code == 1, "CHECK on 0.3.1 is code 1");
	CHECK(cni_cmd_allowed(CNI_CMD_CHECK, "0.4.0", &e) == 0, "CHECK on 0.4.0 is fine");
	CHECK(cni_cmd_allowed(CNI_CMD_GC, "1.0.0", &e) < 0 && e.code == 1, "GC on 1.0.0 is code 1");
	CHECK(cni_cmd_allowed(CNI_CMD_STATUS, "1.1.0", &e) == 0, "STATUS on 1.1.0 is fine");
	CHECK(cni_cmd_allowed(CNI_CMD_ADD, "0.1.0", &e) == 0, "ADD on 0.1.0 is fine");

	char *v = cni_version_info("0.4.0");
	CHECK_STR(v, "{\"cniVersion\":\"0.4.0\",\"supportedVersions\":[\"0.1.0\",\"0.2.0\",\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]}",
		  "VERSION answer echoes a supported version");
	free(v);
	v = cni_version_info("7.0.0");
	CHECK(v && strstr(v, "\"cniVersion\":\"1.1.0\""), "... and says the latest for an unknown one");
	free(v);

	/* ---- error objects ---- */
	cni_err(&e, 7, "bad \"mtu\"\nsecond line");
	cni_err_details(&e, "d");
	v = cni_error_encode(&e, "0.2.0");
	CHECK_STR(v, "{\"cniVersion\":\"0.2.0\",\"code\":7,\"msg\":\"bad \\\"mtu\\\"?second line\",\"details\":\"d\"}",
		  "error object: version, code, one-line msg, details");
	free(v);
	return tap_done();
}
