/* The one question the driver asks Docker: a network's name. Docker's
 * CreateNetwork call carries only the network id, and Calico names the
 * network's profile after the name users typed (`docker network create
 * databases`), as libnetwork-plugin did with Docker's API. */
#ifndef CALICO_LNW_DOCKER_API_H
#define CALICO_LNW_DOCKER_API_H

#include <stddef.h>

/* GET /networks/<id> on the Docker API socket (a unix socket path, or
 * "unix:///path" as DOCKER_HOST spells it). The name in name; -ENOENT when
 * Docker does not know the network (yet), other -errno with a line in err. */
int docker_network_name(const char *socket, const char *network_id, int timeout_ms, char *name, size_t len,
			char *err, size_t errlen);

#endif
