/* The collector's view of the profiles (profile_rules.h). */
#include "profile_rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datastore/datastore.h"
#include "util/log.h"
#include "model/model.h"
#include "store/profile_store.h"
#include "model/rule_text.h"

/* Logs msg unless it is the problem logged last (a datastore that stays down
 * would otherwise fill the log every round). */
static void note(struct profile_rules *pr, const char *msg)
{
	pr->noted = true;
	if (strncmp(pr->last_err, msg, sizeof(pr->last_err) - 1) == 0)
		return;
	snprintf(pr->last_err, sizeof(pr->last_err), "%s", msg);
	log_warn("cannot show the profiles' rules: %s", msg);
}

/* The text for one profile; malloc'd, NULL when memory runs out. */
static char *one_profile(struct profile_rules *pr, const char *name)
{
	struct profile p;
	struct profile_revs revs;
	char err[MODEL_ERR_MAX], *text = NULL;
	int rc = profile_load(pr->ds, name, &p, &revs, err, sizeof(err));

	if (rc == 0) {
		text = rule_lists_show(&p.inbound, &p.outbound);
		profile_free(&p);
		return text;
	}
	if (rc == -ENOMEM)
		return NULL;
	/* calicoctl's words for a missing profile */
	if (rc == -ENOENT && asprintf(&text, "Profile %s not found.", name) < 0)
		return NULL;
	if (rc == -EINVAL && asprintf(&text, "profile %s is stored in a form that does not decode: %s", name, err) < 0)
		return NULL;
	if (rc != -ENOENT && rc != -EINVAL) {
		const char *why = *ds_strerror(pr->ds) ? ds_strerror(pr->ds) : strerror(-rc);
		if (asprintf(&text, "cannot read profile %s from %s: %s", name, ds_describe(pr->ds), why) < 0)
			return NULL;
		note(pr, text);
	}
	return text;
}

json_t *profile_rules_read(struct profile_rules *pr, const char *const *names, size_t n)
{
	json_t *out = json_object();
	char open_err[256] = "";

	if (!out)
		return NULL;
	pr->noted = false;
	/* the reason as the datastore gives it ("cannot open datastore X: ...") */
	if (!pr->ds && ds_open_env(&pr->ds, open_err, sizeof(open_err)) < 0) {
		pr->ds = NULL;
		if (!*open_err)
			snprintf(open_err, sizeof(open_err), "cannot open the datastore");
		note(pr, open_err);
	}
	for (size_t i = 0; i < n; i++) {
		char *text = *open_err ? strdup(open_err) : one_profile(pr, names[i]);
		json_t *s = text ? json_string(text) : NULL;

		/* only a message naming a path that is not UTF-8 can be refused here */
		if (text && !s)
			s = json_string("cannot show the rules: the datastore's message is not UTF-8");

		free(text);
		if (!s || json_object_set_new(out, names[i], s) < 0)
			goto fail;
	}
	if (!pr->noted)
		pr->last_err[0] = '\0';
	return out;
fail:
	json_decref(out);
	return NULL;
}

void profile_rules_close(struct profile_rules *pr)
{
	ds_close(pr->ds);
	pr->ds = NULL;
}
