/* An endpoint's labels (workload/endpoint_labels.h): the runtime's, checked
 * against Kubernetes' label syntax and skipped (not refused) when they do not
 * follow it, and Calico's orchestrator and namespace labels over them. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "workload/endpoint_labels.h"

#define LONG63 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123"

static void syntax(void)
{
	static const struct {
		const char *key, *value;
		bool ok;
	} cases[] = {
		{ "role", "db", true },
		{ "HAPROXY_0_VHOST", "web.example.com", true },
		{ "app.kubernetes.io/name", "x-1", true },
		{ "tier", "", true },
		{ LONG63, LONG63, true },
		{ LONG63 "4", "v", false },
		{ "k", LONG63 "4", false },
		{ "rack id", "r1", false },
		{ "note", "free text", false },
		{ "", "v", false },
		{ "-lead", "v", false },
		{ "trail.", "v", false },
		{ "k", "-v", false },
		{ "Upper.Example/x", "v", false }, /* a prefix is a lower-case DNS subdomain */
		{ "/x", "v", false },
		{ "a/b/c", "v", false },
		{ "caf\xc3\xa9", "v", false },
		{ "k", "caf\xc3\xa9", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK((endpoint_label_problem(cases[i].key, cases[i].value) == NULL) == cases[i].ok, "'%s'='%s' %s",
		      cases[i].key, cases[i].value, cases[i].ok ? "valid" : "not valid");
	CHECK(endpoint_label_problem(NULL, "v") && endpoint_label_problem("k", NULL), "NULL key or value not valid");
}

static void adding(void)
{
	struct endpoint_labels l = { 0 };
	CHECK_INT(endpoint_labels_add(&l, "t[0]", "a", "1"), 0, "valid label added");
	CHECK_INT(endpoint_labels_add(&l, "t[1]", "b", "x y"), 1, "invalid value skipped");
	CHECK_INT(endpoint_labels_add(&l, "t[2]", "c d", "1"), 1, "invalid key skipped");
	CHECK_INT(endpoint_labels_add(&l, "t[3]", "e", ""), 0, "empty value added");
	CHECK_INT(endpoint_labels_add(&l, "t[4]", "a", "2"), 0, "repeated key accepted");
	CHECK_INT(l.n, 2, "two labels held");
	CHECK_STR(endpoint_labels_get(&l, "a"), "2", "... the later a wins");
	CHECK_STR(l.items[0].key, "a", "... in first-added order");
	CHECK(endpoint_labels_get(&l, "b") == NULL, "... b absent");
	endpoint_labels_free(&l);
	CHECK(l.n == 0 && l.items == NULL, "free empties");
	endpoint_labels_free(&l);
}

static void finishing(void)
{
	struct endpoint_labels l = { 0 };
	CHECK_INT(endpoint_labels_finish(&l, "mesos", NULL), 0, "finish with no runtime labels");
	CHECK_INT(l.n, 2, "... two labels");
	CHECK_STR(endpoint_labels_get(&l, LABEL_ORCHESTRATOR), "mesos", "... orchestrator");
	CHECK_STR(endpoint_labels_get(&l, LABEL_NAMESPACE), "default", "... namespace default");
	endpoint_labels_free(&l);

	endpoint_labels_add(&l, "t", LABEL_ORCHESTRATOR, "k8s");
	endpoint_labels_add(&l, "t", LABEL_NAMESPACE, "shop");
	endpoint_labels_add(&l, "t", "role", "db");
	CHECK_INT(endpoint_labels_finish(&l, "cni", NULL), 0, "finish over runtime labels of the same keys");
	CHECK_STR(endpoint_labels_get(&l, LABEL_ORCHESTRATOR), "cni", "... ours overrides the runtime's orchestrator");
	CHECK_STR(endpoint_labels_get(&l, LABEL_NAMESPACE), "shop", "... the runtime's namespace label is the namespace");
	CHECK_STR(endpoint_labels_get(&l, "role"), "db", "... the rest kept");
	CHECK_INT(l.n, 3, "... no key twice");
	CHECK_INT(endpoint_labels_finish(&l, "cni", "prod"), 0, "finish again with a namespace given");
	CHECK_STR(endpoint_labels_get(&l, LABEL_NAMESPACE), "prod", "... the given namespace wins over the label");
	endpoint_labels_free(&l);

	endpoint_labels_add(&l, "t", LABEL_NAMESPACE, "shop");
	CHECK_INT(endpoint_labels_finish(&l, "cni", "Not Valid"), 0, "an invalid namespace given");
	CHECK_STR(endpoint_labels_get(&l, LABEL_NAMESPACE), "shop", "... falls back to the runtime's label");
	endpoint_labels_free(&l);
	CHECK_INT(endpoint_labels_finish(&l, "cni", ""), 0, "an empty namespace given");
	CHECK_STR(endpoint_labels_get(&l, LABEL_NAMESPACE), "default", "... is default");
	endpoint_labels_free(&l);

	CHECK_INT(endpoint_labels_finish(&l, "not valid", NULL), -EINVAL, "an orchestrator id that is no label value");
	endpoint_labels_free(&l);

	struct label from[] = { { "a", "1" }, { "b", "x y" }, { "c", "3" } };
	CHECK_INT(endpoint_labels_copy(&l, from, 3, "test"), 0, "copy");
	CHECK(l.n == 2 && strcmp(l.items[1].key, "c") == 0, "... the invalid one skipped");
	endpoint_labels_free(&l);
}

int main(void)
{
	syntax();
	adding();
	finishing();
	return tap_done();
}
