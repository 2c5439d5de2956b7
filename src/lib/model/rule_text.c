/* The calicoctl v0.x rule grammar (see rule_text.h).
 *
 * IP version: Calico set ip_version from the words "ipv4"/"ipv6" and from a
 * rule's CIDRs. Here a CIDR's family, icmp (4) and icmpv6 (6) *imply* the
 * version, so ip_version is kept only when the user wrote ipv4/ipv6 and nothing
 * else implies it ("allow ipv6", "allow ipv4 tcp to ports 22"); "allow ipv4
 * from cidr 10.0.0.0/8" is the same rule as "allow from cidr 10.0.0.0/8" and
 * prints as the latter. That is the one rule under which text -> rule -> JSON
 * -> rule -> text gives back the canonical text. A word that contradicts the
 * version ("allow ipv6 icmp", a v4 and a v6 CIDR) is refused.
 *
 * Extensions over Calico's grammar, both needed to print every rule the JSON
 * can hold: the protocol may be a number 0-255 ("allow 47"; 1, 6, 17 and 58
 * print as their names), and "a:a" in a port list is the single port a.
 * Ports: a range needs first <= last; entries must not overlap (nftables
 * refuses overlapping intervals in one set). Numbers take no sign and no
 * leading zeros, so every number has one spelling. */
#include "model/rule_text.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model_internal.h"

#define TAG_RULES "tags are 1-40 characters of letters, digits, '.', '_' and '-'"

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* ---------- ports ---------- */

int ports_parse(const char *text, struct port_range *out, size_t max, size_t *n, char *err, size_t errlen)
{
	char a[16], b[16];
	size_t count = 0;
	const char *p = text;

	*n = 0;
	if (!text || !*text)
		return fail(err, errlen, "\"ports\" needs a port list");
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char word[32];
		struct port_range r;
		bool range = memchr(p, ':', len) != NULL;
		if (len >= sizeof(word))
			return fail(err, errlen, "invalid port%s \"%.*s...\"", range ? " range" : "", 24, p);
		memcpy(word, p, len);
		word[len] = '\0';
		int rc = port_word_parse(word, &r);
		if (rc == -ERANGE)
			return fail(err, errlen, "invalid port%s \"%s\": ports are 0-65535", range ? " range" : "", word);
		if (rc == -EDOM)
			return fail(err, errlen, "invalid port range \"%s\": the first port is above the last", word);
		if (rc < 0)
			return fail(err, errlen, "invalid port%s \"%s\"", range ? " range" : "", word);
		if (count == max)
			return fail(err, errlen, "too many ports in \"%.64s\" (at most %zu)", text, max);
		for (size_t j = 0; j < count; j++)
			if (out[j].first <= r.last && r.first <= out[j].last)
				return fail(err, errlen, "ports %s and %s overlap in \"%.64s\"",
					    port_range_format(&out[j], a, sizeof(a)), port_range_format(&r, b, sizeof(b)),
					    text);
		out[count++] = r;
		if (!comma)
			break;
		p = comma + 1;
	}
	*n = count;
	return 0;
}

char *ports_format(const struct port_range *p, size_t n, char *buf, size_t len)
{
	size_t used = 0;
	char one[16];

	if (!len)
		return NULL;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? "," : "", port_range_format(&p[i], one, sizeof(one)));
		if (w < 0 || (size_t)w >= len - used)
			return NULL;
		used += (size_t)w;
	}
	return buf;
}

/* ---------- parsing ---------- */

struct parser {
	int n, i;
	char *const *w;
	struct rule *r;
	char *err;
	size_t errlen;
	int version;       /* 0 or the IP version some word forced */
	char why[96];      /* which word forced it, for the conflict message */
};

static const char *peek(const struct parser *ps)
{
	return ps->i < ps->n ? ps->w[ps->i] : NULL;
}

static bool accept(struct parser *ps, const char *word)
{
	if (ps->i < ps->n && strcmp(ps->w[ps->i], word) == 0) {
		ps->i++;
		return true;
	}
	return false;
}

/* `unexpected word "x" after "y": expected a, b or c` */
static int unexpected(struct parser *ps, const char *const *expected, size_t n_expected)
{
	char list[160] = "";
	size_t used = 0;
	for (size_t k = 0; k < n_expected; k++) {
		const char *sep = k == 0 ? "" : k + 1 == n_expected ? " or " : ", ";
		int w = snprintf(list + used, sizeof(list) - used, "%s%s", sep, expected[k]);
		if (w > 0 && (size_t)w < sizeof(list) - used)
			used += (size_t)w;
	}
	const char *prev = ps->w[ps->i - 1];
	if (!n_expected)
		return fail(ps->err, ps->errlen, "unexpected word \"%.64s\" after \"%.64s\": the rule ends there",
			    ps->w[ps->i], prev);
	return fail(ps->err, ps->errlen, "unexpected word \"%.64s\" after \"%.64s\": expected %s", ps->w[ps->i], prev,
		    list);
}

/* Decimal 0..max without sign or leading zeros; -1 when it is not one. */
static long number(const char *s, long max)
{
	long v = 0;
	if (!*s || (s[0] == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	return v;
}

static int need_version(struct parser *ps, int v, const char *what)
{
	if (ps->version && ps->version != v)
		return fail(ps->err, ps->errlen, "%s is IPv%d, but %s", what, v, ps->why);
	if (!ps->version) {
		ps->version = v;
		snprintf(ps->why, sizeof(ps->why), "%s is IPv%d", what, v);
	}
	return 0;
}

static bool ported(const struct rule *r)
{
	return r->protocol == PROTO_TCP || r->protocol == PROTO_UDP;
}

static int parse_protocol(struct parser *ps)
{
	static const char *const names[] = { "tcp", "udp", "icmp", "icmpv6" };
	static const enum rule_protocol protos[] = { PROTO_TCP, PROTO_UDP, PROTO_ICMP, PROTO_ICMPV6 };
	const char *w = peek(ps);
	struct rule *r = ps->r;
	long num;

	if (!w)
		return 0;
	for (size_t k = 0; k < 4; k++)
		if (strcmp(w, names[k]) == 0) {
			r->protocol = protos[k];
			ps->i++;
			goto named;
		}
	if ((num = number(w, 255)) < 0)
		return 0;
	r->protocol = PROTO_NUMBER;
	r->protocol_number = (int)num;
	ps->i++;
	rule_normalise(r); /* 6 is tcp, so it takes ports */
named:
	if (r->protocol == PROTO_ICMP || r->protocol == PROTO_ICMPV6) {
		int v = r->protocol == PROTO_ICMP ? 4 : 6;
		char what[32];
		snprintf(what, sizeof(what), "%s", w);
		if (ps->version && ps->version != v)
			return fail(ps->err, ps->errlen, "%s is IPv%d only, but %s", w, v, ps->why);
		ps->version = v;
		snprintf(ps->why, sizeof(ps->why), "%s is IPv%d only", what, v);
	}
	return 0;
}

static int parse_icmp(struct parser *ps)
{
	struct rule *r = ps->r;
	long v;

	if (!accept(ps, "type"))
		return 0;
	if (!peek(ps))
		return fail(ps->err, ps->errlen, "\"type\" needs an ICMP type 0-254");
	if ((v = number(peek(ps), 254)) < 0)
		return fail(ps->err, ps->errlen, "invalid ICMP type \"%.64s\": types are 0-254", peek(ps));
	r->icmp_type = (int)v;
	ps->i++;
	if (!accept(ps, "code"))
		return 0;
	if (!peek(ps))
		return fail(ps->err, ps->errlen, "\"code\" needs an ICMP code 0-255");
	if ((v = number(peek(ps), 255)) < 0)
		return fail(ps->err, ps->errlen, "invalid ICMP code \"%.64s\": codes are 0-255", peek(ps));
	r->icmp_code = (int)v;
	ps->i++;
	return 0;
}

/* [ports P] [tag T] [cidr C] after "from" or "to", in that order, at least one. */
static int parse_clause(struct parser *ps, bool src)
{
	struct rule *r = ps->r;
	const char *dir = src ? "from" : "to";
	int rc;

	if (accept(ps, "ports")) {
		if (!ported(r))
			return fail(ps->err, ps->errlen, "ports are only allowed with tcp or udp");
		if (!peek(ps))
			return fail(ps->err, ps->errlen, "\"ports\" needs a port list");
		rc = src ? ports_parse(peek(ps), r->src_ports, RULE_PORTS_MAX, &r->n_src_ports, ps->err, ps->errlen)
			 : ports_parse(peek(ps), r->dst_ports, RULE_PORTS_MAX, &r->n_dst_ports, ps->err, ps->errlen);
		if (rc < 0)
			return rc;
		ps->i++;
	}
	if (accept(ps, "tag")) {
		const char *t = peek(ps);
		if (!t)
			return fail(ps->err, ps->errlen, "\"tag\" needs a tag name");
		if (!name_is_valid(t))
			return fail(ps->err, ps->errlen, "invalid tag \"%.64s\": " TAG_RULES, t);
		strcpy(src ? r->src_tag : r->dst_tag, t);
		ps->i++;
	}
	if (accept(ps, "cidr")) {
		const char *t = peek(ps);
		struct cidr c;
		char s[CIDR_STR_MAX], what[96];
		if (!t)
			return fail(ps->err, ps->errlen, "\"cidr\" needs a CIDR");
		if (cidr_parse(t, true, false, &c) < 0) {
			if (cidr_parse(t, true, true, &c) == 0)
				return fail(ps->err, ps->errlen, "invalid CIDR \"%.64s\": host bits set (did you mean %s?)",
					    t, cidr_format(&c, s));
			return fail(ps->err, ps->errlen, "invalid CIDR \"%.64s\"", t);
		}
		snprintf(what, sizeof(what), "cidr \"%s\"", cidr_format(&c, s));
		if ((rc = need_version(ps, c.addr.family, what)) < 0)
			return rc;
		if (src) {
			r->has_src_net = true;
			r->src_net = c;
		} else {
			r->has_dst_net = true;
			r->dst_net = c;
		}
		ps->i++;
	}
	bool any = src ? (r->n_src_ports || r->src_tag[0] || r->has_src_net)
		       : (r->n_dst_ports || r->dst_tag[0] || r->has_dst_net);
	if (!any)
		return fail(ps->err, ps->errlen, "\"%s\" needs %s", dir, ported(r) ? "ports, tag or cidr" : "tag or cidr");
	return 0;
}

/* What may follow the word just consumed; for the message when something else does. */
static int reject_rest(struct parser *ps, int stage)
{
	/* stages: 0 after action, 1 after ipv4/ipv6, 2 after protocol, 3 after type, 4 after code,
	 * 5 inside/after the from clause, 6 inside/after the to clause */
	const char *exp[8];
	size_t n = 0;
	struct rule *r = ps->r;
	bool icmp = r->protocol == PROTO_ICMP || r->protocol == PROTO_ICMPV6;
	const char *w = ps->w[ps->i];

	if ((strcmp(w, "type") == 0 || strcmp(w, "code") == 0) && stage <= 2 && !icmp)
		return fail(ps->err, ps->errlen, "\"%s\" is only allowed with icmp or icmpv6", w);
	if (strcmp(w, "ports") == 0 && !ported(r) && stage <= 5)
		return fail(ps->err, ps->errlen, "ports are only allowed with tcp or udp");
	if (stage == 0)
		exp[n++] = "ipv4", exp[n++] = "ipv6";
	if (stage <= 1)
		exp[n++] = "a protocol";
	if (stage == 2 && icmp)
		exp[n++] = "type";
	if (stage == 3)
		exp[n++] = "code";
	if (stage == 5) {
		/* the clause's remaining optional parts, in order */
		if (!r->src_tag[0] && !r->has_src_net)
			exp[n++] = "tag";
		if (!r->has_src_net)
			exp[n++] = "cidr";
	}
	if (stage == 6) {
		if (!r->dst_tag[0] && !r->has_dst_net)
			exp[n++] = "tag";
		if (!r->has_dst_net)
			exp[n++] = "cidr";
	}
	if (stage <= 4)
		exp[n++] = "from";
	if (stage <= 5)
		exp[n++] = "to";
	return unexpected(ps, exp, n);
}

int rule_text_parse(int nwords, char *const words[], struct rule *out, char *err, size_t errlen)
{
	struct parser ps = { .n = nwords, .w = words, .r = out, .err = err, .errlen = errlen };
	int rc, stage = 0;

	rule_init(out, RULE_ALLOW);
	if (nwords < 1)
		return fail(err, errlen, "a rule starts with allow or deny");
	if (accept(&ps, "deny"))
		out->action = RULE_DENY;
	else if (!accept(&ps, "allow"))
		return fail(err, errlen, "unknown action \"%.64s\": expected allow or deny", words[0]);

	if (accept(&ps, "ipv4") || accept(&ps, "ipv6")) {
		out->ip_version = words[ps.i - 1][3] - '0';
		ps.version = out->ip_version;
		snprintf(ps.why, sizeof(ps.why), "the rule says %s", words[ps.i - 1]);
		stage = 1;
	}
	int before = ps.i;
	if ((rc = parse_protocol(&ps)) < 0)
		goto fail;
	if (ps.i > before)
		stage = 2;
	if (out->protocol == PROTO_ICMP || out->protocol == PROTO_ICMPV6) {
		if ((rc = parse_icmp(&ps)) < 0)
			goto fail;
		stage = out->icmp_code >= 0 ? 4 : out->icmp_type >= 0 ? 3 : stage;
	}
	if (accept(&ps, "from")) {
		if ((rc = parse_clause(&ps, true)) < 0)
			goto fail;
		stage = 5;
	}
	if (accept(&ps, "to")) {
		if ((rc = parse_clause(&ps, false)) < 0)
			goto fail;
		stage = 6;
	}
	if (ps.i < ps.n) {
		rc = reject_rest(&ps, stage);
		goto fail;
	}
	if ((rc = rule_validate(out, err, errlen)) < 0)
		goto fail;
	rule_normalise(out);
	return 0;
fail:
	rule_init(out, RULE_ALLOW);
	return rc;
}

int rule_text_parse_str(const char *text, struct rule *out, char *err, size_t errlen)
{
	size_t len = strlen(text);
	char *copy = strdup(text);
	char **words = calloc(len / 2 + 2, sizeof(*words));
	int n = 0, rc = -ENOMEM;
	char *save = NULL;

	rule_init(out, RULE_ALLOW);
	if (!copy || !words) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	for (char *t = strtok_r(copy, " \t\n\r\f\v", &save); t; t = strtok_r(NULL, " \t\n\r\f\v", &save))
		words[n++] = t;
	rc = rule_text_parse(n, words, out, err, errlen);
out:
	free(words);
	free(copy);
	return rc;
}

/* ---------- printing ---------- */

struct out {
	char *buf;
	size_t len, used;
	bool full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	if (o->full)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= o->len - o->used)
		o->full = true;
	else
		o->used += (size_t)w;
}

static void put_clause(struct out *o, const char *dir, const struct port_range *ports, size_t n_ports,
		       const char *tag, bool has_net, const struct cidr *net)
{
	char buf[RULE_PORTS_MAX * 12 + 1], s[CIDR_STR_MAX];
	if (!n_ports && !tag[0] && !has_net)
		return;
	put(o, " %s", dir);
	if (n_ports)
		put(o, " ports %s", ports_format(ports, n_ports, buf, sizeof(buf)));
	if (tag[0])
		put(o, " tag %s", tag);
	if (has_net)
		put(o, " cidr %s", cidr_format(net, s));
}

char *rule_text_format(const struct rule *r, char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len };
	struct rule c = *r;

	if (!len)
		return NULL;
	rule_normalise(&c);
	put(&o, "%s", c.action == RULE_DENY ? "deny" : "allow");
	if (c.ip_version)
		put(&o, " ipv%d", c.ip_version);
	switch (c.protocol) {
	case PROTO_TCP: put(&o, " tcp"); break;
	case PROTO_UDP: put(&o, " udp"); break;
	case PROTO_ICMP: put(&o, " icmp"); break;
	case PROTO_ICMPV6: put(&o, " icmpv6"); break;
	case PROTO_NUMBER: put(&o, " %d", c.protocol_number); break;
	default: break;
	}
	if (c.icmp_type >= 0)
		put(&o, " type %d", c.icmp_type);
	if (c.icmp_code >= 0)
		put(&o, " code %d", c.icmp_code);
	put_clause(&o, "from", c.src_ports, c.n_src_ports, c.src_tag, c.has_src_net, &c.src_net);
	put_clause(&o, "to", c.dst_ports, c.n_dst_ports, c.dst_tag, c.has_dst_net, &c.dst_net);
	return o.full ? NULL : buf;
}

static void show_list(FILE *f, const char *title, const struct rule_list *l)
{
	char text[RULE_TEXT_MAX];

	fprintf(f, "%s rules:\n", title);
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, " %3zu %s\n", i + 1, rule_text_format(&l->items[i], text, sizeof(text)) ? text : "(too long)");
}

char *rule_lists_show(const struct rule_list *in, const struct rule_list *out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool failed;

	if (!f)
		return NULL;
	show_list(f, "Inbound", in);
	show_list(f, "Outbound", out);
	failed = ferror(f) != 0;
	if (fclose(f) != 0 || failed) {
		free(buf);
		return NULL;
	}
	return buf;
}
