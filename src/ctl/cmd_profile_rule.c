/* calicoctl profile <P> rule (show | json | update | add | remove). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "util/file_read.h"
#include "profile_edit.h"
#include "store/profile_store.h"
#include "model/rule_text.h"

#define RULES_JSON_MAX (16 << 20)

/* The text is rule_lists_show's, which the stars demo's UI shows too. */
static int rule_show(const char *name)
{
	struct profile p;
	char *text;
	if (ctl_profile_load(name, &p))
		return 1;
	text = rule_lists_show(&p.inbound, &p.outbound);
	profile_free(&p);
	if (!text)
		return ctl_error("Error: out of memory");
	fputs(text, stdout);
	free(text);
	return 0;
}

static int rule_json(const char *name)
{
	struct profile p;
	int status = 1;
	if (ctl_profile_load(name, &p))
		return 1;
	char *compact = rules_encode(p.name, &p.inbound, &p.outbound);
	json_t *doc = compact ? json_loads(compact, JSON_DECODE_ANY, NULL) : NULL;
	char *pretty = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (pretty) {
		printf("%s\n", pretty);
		status = 0;
	} else {
		ctl_error("Error: out of memory");
	}
	free(pretty);
	json_decref(doc);
	free(compact);
	profile_free(&p);
	return status;
}

/* ---- update from stdin ---- */

struct rules_replace {
	struct rule_list in, out;
};

static int rule_list_copy(struct rule_list *dst, const struct rule_list *src)
{
	dst->items = NULL;
	dst->n = 0;
	if (!src->n)
		return 0;
	dst->items = malloc(src->n * sizeof(*dst->items));
	if (!dst->items)
		return -ENOMEM;
	memcpy(dst->items, src->items, src->n * sizeof(*dst->items));
	dst->n = src->n;
	return 0;
}

static int replace_apply(struct profile *p, void *arg)
{
	struct rules_replace *rr = arg;
	struct rule_list in, out;
	if (rule_list_copy(&in, &rr->in) < 0)
		return -ENOMEM;
	if (rule_list_copy(&out, &rr->out) < 0) {
		rule_list_free(&in);
		return -ENOMEM;
	}
	rule_list_free(&p->inbound);
	rule_list_free(&p->outbound);
	p->inbound = in;
	p->outbound = out;
	return EDIT_WRITE;
}

static int rule_update(const char *name)
{
	struct rules_replace rr = { 0 };
	char err[MODEL_ERR_MAX];
	size_t len = 0;
	int result, status;

	if (!name_is_valid(name))
		return ctl_bad_profile_name(name);
	char *text = read_stream(stdin, RULES_JSON_MAX, &len);
	if (!text)
		return ctl_error("Error: could not read the rules JSON from stdin (at most %d MB)", RULES_JSON_MAX >> 20);
	if (strlen(text) != len) {
		free(text);
		return ctl_error("Invalid rules JSON: it contains a NUL byte");
	}
	int rc = rules_decode(text, name, &rr.in, &rr.out, err, sizeof(err));
	free(text);
	if (rc < 0)
		return ctl_error("Invalid rules JSON: %s", err);
	status = ctl_profile_edit(name, replace_apply, &rr, &result);
	rule_list_free(&rr.in);
	rule_list_free(&rr.out);
	if (status == 0)
		printf("Updated rules of profile %s\n", name);
	return status;
}

/* ---- add / remove ---- */

struct rule_change {
	bool inbound, add;
	bool has_rule;
	struct rule rule;
	long at; /* 0 = not given */
	int outcome; /* what happened, for the message printed after the write */
};

enum { OUT_DONE, OUT_PRESENT, OUT_RANGE, OUT_NOTFOUND };

static int change_apply(struct profile *p, void *arg)
{
	struct rule_change *rc = arg;
	struct rule_list *l = rc->inbound ? &p->inbound : &p->outbound;
	long n = (long)l->n;

	if (rc->add) {
		for (size_t i = 0; i < l->n; i++)
			if (rule_equal(&l->items[i], &rc->rule)) {
				rc->outcome = OUT_PRESENT;
				return EDIT_NOCHANGE;
			}
		/* 1..n+1 inserts before that position; -k makes it the k-th from the end. */
		long pos = rc->at == 0 ? n + 1 : rc->at > 0 ? rc->at : n + 2 + rc->at;
		if (pos < 1 || pos > n + 1) {
			rc->outcome = OUT_RANGE;
			return EDIT_NOCHANGE;
		}
		rc->outcome = OUT_DONE;
		return rule_list_insert(l, (size_t)(pos - 1), &rc->rule) < 0 ? -ENOMEM : EDIT_WRITE;
	}
	long pos = -1;
	if (rc->has_rule) {
		for (size_t i = 0; i < l->n && pos < 0; i++)
			if (rule_equal(&l->items[i], &rc->rule))
				pos = (long)i + 1;
		if (pos < 0) {
			rc->outcome = OUT_NOTFOUND;
			return EDIT_NOCHANGE;
		}
	} else {
		pos = rc->at > 0 ? rc->at : n + 1 + rc->at;
		if (pos < 1 || pos > n) {
			rc->outcome = OUT_RANGE;
			return EDIT_NOCHANGE;
		}
	}
	rc->outcome = OUT_DONE;
	return rule_list_remove(l, (size_t)(pos - 1)) < 0 ? -ENOMEM : EDIT_WRITE;
}

static int rule_change(const char *name, bool add, int argc, char **argv, const char *at)
{
	struct rule_change rc = { .add = add };
	char err[MODEL_ERR_MAX];
	int result;

	if (argc < 1 || (strcmp(argv[0], "inbound") != 0 && strcmp(argv[0], "outbound") != 0))
		return ctl_usage("profile");
	rc.inbound = strcmp(argv[0], "inbound") == 0;
	argc--;
	argv++;
	if (at && (ctl_parse_int(at[0] == '-' ? at + 1 : at, 1, 1000000, &rc.at) < 0))
		return ctl_error("Invalid position \"%s\": give a non-zero whole number", at);
	if (at && at[0] == '-')
		rc.at = -rc.at;
	rc.has_rule = argc > 0;
	if (add && !rc.has_rule)
		return ctl_usage("profile");
	if (!add && rc.has_rule == (at != NULL)) /* remove takes --at or a rule, not both */
		return ctl_usage("profile");
	if (rc.has_rule && rule_text_parse(argc, argv, &rc.rule, err, sizeof(err)) < 0)
		return ctl_error("Invalid rule: %s", err);
	if (ctl_profile_edit(name, change_apply, &rc, &result))
		return 1;
	switch (rc.outcome) {
	case OUT_PRESENT:
		printf("Rule already present, skipping.\n");
		return 0;
	case OUT_RANGE:
		return ctl_error("Rule position out-of-range.");
	case OUT_NOTFOUND:
		return ctl_error("Rule not found.");
	}
	return 0;
}

int cmd_profile_rule(const char *name, int argc, char **argv, const char *at)
{
	if (argc == 1 && !at) {
		if (strcmp(argv[0], "show") == 0)
			return rule_show(name);
		if (strcmp(argv[0], "json") == 0)
			return rule_json(name);
		if (strcmp(argv[0], "update") == 0)
			return rule_update(name);
	}
	if (argc >= 1 && strcmp(argv[0], "add") == 0)
		return rule_change(name, true, argc - 1, argv + 1, at);
	if (argc >= 1 && strcmp(argv[0], "remove") == 0)
		return rule_change(name, false, argc - 1, argv + 1, at);
	return ctl_usage("profile");
}
