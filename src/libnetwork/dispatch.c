/* One plugin call to its handler (driver.h). */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "driver.h"

static int reply_with(json_t **reply, json_t *v, char *err, size_t errlen)
{
	*reply = v;
	return v ? 0 : (snprintf(err, errlen, "out of memory"), -ENOMEM);
}

int lnw_handle(struct lnw *d, enum lnw_call call, json_t *body, json_t **reply, char *err, size_t errlen)
{
	*reply = NULL;
	switch (call) {
	case LNW_ACTIVATE:
		return reply_with(reply, lnw_activate_reply(), err, errlen);
	case LNW_NET_CAPS:
		return reply_with(reply, lnw_net_caps_reply(d->scope), err, errlen);
	case LNW_NET_CREATE:
		return lnw_network_create(d, body, reply, err, errlen);
	case LNW_NET_DELETE:
		return lnw_network_delete(d, body, reply, err, errlen);
	case LNW_EP_CREATE:
		return lnw_endpoint_create(d, body, reply, err, errlen);
	case LNW_EP_DELETE:
		return lnw_endpoint_delete(d, body, reply, err, errlen);
	case LNW_EP_INFO:
		return reply_with(reply, lnw_oper_info_reply(), err, errlen);
	case LNW_JOIN:
		return lnw_join(d, body, reply, err, errlen);
	case LNW_LEAVE:
		return lnw_leave(d, body, reply, err, errlen);
	case LNW_DISCOVER_NEW:
	case LNW_DISCOVER_DELETE:
	case LNW_PROGRAM_EXT:
	case LNW_REVOKE_EXT:
	case LNW_FREE_NET:
	case LNW_IPAM_REL_POOL: /* pools are Calico's, nothing was taken */
		return 0;
	case LNW_ALLOCATE_NET:
		/* swarm mode's call; Calico's plugin did not support swarm either */
		return snprintf(err, errlen, "Calico driver does not support swarm-mode networks"), -ENOTSUP;
	case LNW_IPAM_CAPS:
		return reply_with(reply, lnw_ipam_caps_reply(), err, errlen);
	case LNW_IPAM_SPACES:
		return reply_with(reply, lnw_spaces_reply(), err, errlen);
	case LNW_IPAM_REQ_POOL:
		return lnw_request_pool(d, body, reply, err, errlen);
	case LNW_IPAM_REQ_ADDR:
		return lnw_request_address(d, body, reply, err, errlen);
	case LNW_IPAM_REL_ADDR:
		return lnw_release_address(d, body, reply, err, errlen);
	case LNW_UNKNOWN:
		break;
	}
	return snprintf(err, errlen, "unknown call"), -ENOSYS;
}

long lnw_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}
