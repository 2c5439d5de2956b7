/* The agent's side of BIRD (DESIGN §5): after every programming pass, render
 * BIRD's config from the cache; when the text changed, replace
 * $CALICO_RUN_DIR/bird.cfg atomically and ask BIRD to reload it through
 * $CALICO_RUN_DIR/bird.ctl. When BIRD is not running the file is all it
 * needs (it reads it when `calicoctl node` starts it); the agent keeps
 * checking for the socket once a second and reloads as soon as it appears,
 * so a BIRD started just before a change still gets it. The agent never
 * starts or stops BIRD. A zeroed struct is ready to use. */
#ifndef CALICO_NODE_BIRD_H
#define CALICO_NODE_BIRD_H

#include <stdbool.h>

#include "agent/node_cache.h"

struct bird_syncer {
	bool read_back;       /* written holds what bird.cfg held when the agent started */
	char *written;        /* bird.cfg's text as last written (NULL: no file) */
	bool reload_pending;  /* BIRD has not yet taken the text in bird.cfg */
	char problem[512];    /* the last problem logged, so it is logged once */
};

void bird_syncer_sync(struct bird_syncer *b, const struct node_cache *c, const char *host);
/* Once a second: a reload still owed to a BIRD that was not there. */
void bird_syncer_tick(struct bird_syncer *b);
void bird_syncer_free(struct bird_syncer *b);

#endif
