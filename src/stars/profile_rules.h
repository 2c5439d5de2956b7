/* calico-stars collect: each service's profile rules, read from the datastore
 * every round, so the page shows what the datastore holds now (a rule added
 * by hand with calicoctl too, not only the demo's steps). */
#ifndef STARS_PROFILE_RULES_H
#define STARS_PROFILE_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct ds;

/* The datastore is the one named by the environment, as for calicoctl
 * (ds_open_env). Opened on first use; when that fails, tried again next time. */
struct profile_rules {
	struct ds *ds;
	char last_err[256]; /* the last problem logged, so each is logged once */
	bool noted;         /* a problem was noted this round */
};

/* {"NAME": text, ...} for the profiles names[0..n): text is what
 * `calicoctl profile NAME rule show` prints (rule_lists_show), or one line
 * saying why there is none ("Profile NAME not found.", or that the datastore
 * could not be read, in its own words). NULL only when memory runs out. */
json_t *profile_rules_read(struct profile_rules *pr, const char *const *names, size_t n);
void profile_rules_close(struct profile_rules *pr);

#endif
