/* BIRD's control-socket replies: line framing and `show protocols` rows
 * (bird_ctl.h). Pure logic. */
#include "bgp/bird_ctl.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bird_reply_free(struct bird_reply *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->lines[i].text);
	free(r->lines);
	memset(r, 0, sizeof(*r));
}

static int four_digits(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return -1;
	return (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
}

static int add_line(struct bird_reply *r, int code, const char *text)
{
	struct bird_line *grown = realloc(r->lines, (r->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	r->lines = grown;
	if (!(grown[r->n].text = strdup(text)))
		return -ENOMEM;
	grown[r->n].code = code;
	r->n++;
	return 0;
}

int bird_reply_feed(struct bird_reply *r, const char *line)
{
	int code, rc;

	if (line[0] == '+')
		return 0; /* spontaneous printout: not part of any reply */
	if (line[0] == ' ')
		return r->n ? add_line(r, r->lines[r->n - 1].code, line + 1) : -EPROTO;
	if ((code = four_digits(line)) < 0 || (line[4] != '-' && line[4] != ' ' && line[4] != '\0'))
		return -EPROTO;
	if ((rc = add_line(r, code, line[4] ? line + 5 : "")) < 0)
		return rc;
	if (line[4] == '-')
		return 0;
	r->code = code;
	return 1;
}

void bird_reply_text(const struct bird_reply *r, char *buf, size_t len)
{
	size_t used = 0;
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < r->n && used + 1 < len; i++) {
		const char *t = r->lines[i].text;
		while (*t == ' ')
			t++;
		if (!*t)
			continue;
		int w = snprintf(buf + used, len - used, "%s%s", used ? "; " : "", t);
		if (w < 0)
			break;
		used += (size_t)w < len - used ? (size_t)w : len - used - 1;
	}
}

/* Copies the next whitespace-separated word of *s into buf; advances *s. */
static bool word(const char **s, char *buf, size_t len)
{
	const char *p = *s;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t n = strcspn(p, " \t");
	if (n == 0)
		return false;
	snprintf(buf, len, "%.*s", (int)n, p);
	*s = p + n;
	return true;
}

static void trimmed(const char *s, char *buf, size_t len)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	snprintf(buf, len, "%.*s", (int)n, s);
}

/* "Name Proto Table State Since Info..." */
static int parse_row(const char *line, struct bird_proto *p)
{
	const char *s = line;
	memset(p, 0, sizeof(*p));
	if (!word(&s, p->name, sizeof(p->name)) || !word(&s, p->proto, sizeof(p->proto)) ||
	    !word(&s, p->table, sizeof(p->table)) || !word(&s, p->state, sizeof(p->state)) ||
	    !word(&s, p->since, sizeof(p->since)))
		return -EPROTO;
	trimmed(s, p->info, sizeof(p->info));
	return 0;
}

/* "  BGP state:          Established", "    Neighbor address: 172.30.0.12" */
static void parse_detail(const char *line, struct bird_proto *p)
{
	char key[64], value[128];
	const char *colon = strchr(line, ':');
	if (!colon)
		return;
	trimmed(line, key, sizeof(key));
	key[strcspn(key, ":")] = '\0';
	trimmed(colon + 1, value, sizeof(value));
	if (strcmp(key, "BGP state") == 0)
		snprintf(p->bgp_state, sizeof(p->bgp_state), "%s", value);
	else if (strcmp(key, "Neighbor address") == 0 && ip_parse(value, &p->neighbor) < 0)
		memset(&p->neighbor, 0, sizeof(p->neighbor));
	else if (strcmp(key, "Last error") == 0)
		snprintf(p->last_error, sizeof(p->last_error), "%s", value);
}

int bird_protocols_parse(const struct bird_reply *r, struct bird_proto **out, size_t *n)
{
	struct bird_proto *rows = NULL;
	size_t count = 0;
	int rc = 0;

	for (size_t i = 0; i < r->n && rc == 0; i++) {
		const struct bird_line *l = &r->lines[i];
		if (l->code == BIRD_PROTOCOL_LIST) {
			struct bird_proto *grown = realloc(rows, (count + 1) * sizeof(*grown));
			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			rows = grown;
			if ((rc = parse_row(l->text, &rows[count])) == 0)
				count++;
		} else if (l->code == BIRD_PROTOCOL_DETAILS && count) {
			parse_detail(l->text, &rows[count - 1]);
		}
	}
	if (rc < 0) {
		free(rows);
		rows = NULL;
		count = 0;
	}
	*out = rows;
	*n = count;
	return rc;
}
