/* The two questions the driver asks Docker. A network's name: Docker's
 * CreateNetwork call carries only the network id, and Calico names the
 * network's profile after the name users typed (`docker network create
 * databases`), as libnetwork-plugin did with Docker's API. And a container's
 * labels: Join names the endpoint, not the container (container_labels.c). */
#ifndef CALICO_LNW_DOCKER_API_H
#define CALICO_LNW_DOCKER_API_H

#include <jansson.h>
#include <stddef.h>

/* GET /networks/<id> on the Docker API socket (a unix socket path, or
 * "unix:///path" as DOCKER_HOST spells it). The name in name; -ENOENT when
 * Docker does not know the network (yet), other -errno with a line in err. */
int docker_network_name(const char *socket, const char *network_id, int timeout_ms, char *name, size_t len,
			char *err, size_t errlen);

/* GET /containers/json?all=1 filtered to the containers on the network: the
 * list as Docker gives it (each with Id, Labels and NetworkSettings.Networks
 * holding its EndpointID), owned by the caller. -ETIMEDOUT when Docker did
 * not answer within timeout_ms, other -errno; a line in err. */
int docker_network_containers(const char *socket, const char *network_id, int timeout_ms, json_t **list, char *err,
			      size_t errlen);

#endif
