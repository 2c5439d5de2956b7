/* calico: the CNI network plugin (DESIGN §6). */
#include "calico_cni.h"

static const char *const known_args[] = { "IP", "K8S_POD_NAMESPACE", "K8S_POD_NAME", "K8S_POD_INFRA_CONTAINER_ID",
					   "K8S_POD_UID", NULL };

static const struct cni_plugin calico = {
	.name = "calico",
	.add = calico_add,
	.del = calico_del,
	.check = calico_check,
	.gc = calico_gc,
	.status = calico_status,
	.known_args = known_args,
	.needs_ipam = true,
};

int main(void)
{
	return cni_skel_main(&calico);
}
