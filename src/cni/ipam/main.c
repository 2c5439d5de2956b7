/* calico-ipam: the CNI IPAM plugin (DESIGN §3, §6). */
#include "calico_ipam.h"

/* IP=<address>[,<address>]: the addresses to assign instead of automatic ones. */
static const char *const known_args[] = { "IP", "K8S_POD_NAMESPACE", "K8S_POD_NAME", "K8S_POD_INFRA_CONTAINER_ID",
					   "K8S_POD_UID", NULL };

static const struct cni_plugin calico_ipam = {
	.name = "calico-ipam",
	.add = ipam_add,
	.del = ipam_del,
	.check = ipam_check,
	.gc = ipam_gc,
	.status = ipam_status,
	.known_args = known_args,
	.needs_ipam = false,
};

int main(void)
{
	return cni_skel_main(&calico_ipam);
}
