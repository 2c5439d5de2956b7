/* Watches on the SQLite backend. A commit by any process writes the database's
 * -wal file and then touches the database, so inotify on the database's
 * directory wakes the watcher at once;
 * it then reads only the new history (an indexed range on events.rev). A slow
 * tick remains for sweeping expired leases, which nobody else may be writing. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "datastore/ds_sqlite.h"
#include "util/array.h"

#define TICK_MS 250
/* Revisions read per query, so a far-behind watcher holds bounded memory. */
#define SCAN_CHUNK 512

struct sq_watch {
	struct ds_watch base;
	char *prefix;
	char *succ;          /* NULL: no upper bound */
	int64_t scanned;     /* every event at or below this revision has been looked at */
	int64_t delivered;   /* every event at or below this revision has been handed out */
	bool stale;
	bool more;           /* the last scan stopped at SCAN_CHUNK short of the head */
	int ino;             /* inotify fd, -1 if unavailable (then the tick is short) */
	int64_t next_tick;
	struct ds_event *buf;
	size_t head, n, cap;
};

static struct sq *sq_of(struct sq_watch *w)
{
	return (struct sq *)w->base.ds;
}

static void buf_clear(struct sq_watch *w)
{
	for (size_t i = w->head; i < w->n; i++)
		ds_event_free(&w->buf[i]);
	w->head = w->n = 0;
}

struct open_arg {
	int64_t rev;
};

static int rev_body(struct sq *s, void *p)
{
	return sq_meta_get(s, "rev", &((struct open_arg *)p)->rev);
}

int sq_watch_open(struct ds *ds, const char *prefix, int64_t from_rev, struct ds_watch **out)
{
	struct sq *s = (struct sq *)ds;
	struct sq_watch *w = calloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	if (!w)
		return ds_fail(ds, -ENOMEM, "out of memory opening a watch");
	w->base.ds = ds;
	w->ino = -1;
	if (!(w->prefix = strdup(prefix)) || sq_prefix_successor(prefix, &w->succ) < 0) {
		rc = ds_fail(ds, -ENOMEM, "out of memory opening a watch");
		goto fail;
	}
	if (from_rev <= 0) {
		struct open_arg a = { 0 };
		if ((rc = sq_run(s, TX_NONE, rev_body, &a)) < 0)
			goto fail;
		w->scanned = w->delivered = a.rev;
	} else {
		w->scanned = w->delivered = from_rev - 1;
	}
	/* Without inotify (limits exhausted) the watch still works, by polling. */
	w->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	/* IN_ATTRIB: writers touch the database once their commit is visible
	 * (notify_watchers in ds_sqlite.c); IN_MODIFY alone can come too early. */
	if (w->ino >= 0 && inotify_add_watch(w->ino, s->dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_ATTRIB) < 0) {
		close(w->ino);
		w->ino = -1;
	}
	*out = &w->base;
	return 0;
fail:
	sq_watch_close(&w->base);
	return rc;
}

static int scan_body(struct sq *s, void *p)
{
	struct sq_watch *w = p;
	int64_t rev, compact;
	int rc;

	buf_clear(w); /* a retried attempt starts over */
	w->more = false;
	if ((rc = sq_meta_get(s, "rev", &rev)) != SQLITE_OK || (rc = sq_meta_get(s, "compact", &compact)) != SQLITE_OK)
		return rc;
	if (w->scanned >= rev)
		return SQLITE_OK;
	if (w->scanned + 1 < compact) {
		w->stale = true;
		return SQLITE_OK;
	}
	int64_t hi = rev - w->scanned > SCAN_CHUNK ? w->scanned + SCAN_CHUNK : rev;
	sqlite3_stmt *st = sq_stmt(s, w->succ ? ST_EV_SCAN : ST_EV_SCAN_ALL, &rc);
	if (!st)
		return rc;
	sqlite3_bind_int64(st, 1, w->scanned);
	sqlite3_bind_int64(st, 2, hi);
	sqlite3_bind_text(st, 3, w->prefix, -1, SQLITE_STATIC);
	if (w->succ)
		sqlite3_bind_text(st, 4, w->succ, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (array_reserve((void **)&w->buf, &w->cap, w->n + 1, sizeof(*w->buf)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		struct ds_event *ev = &w->buf[w->n];
		ev->mod_rev = sqlite3_column_int64(st, 0);
		ev->type = sqlite3_column_int(st, 1) == DS_EV_DELETE ? DS_EV_DELETE : DS_EV_PUT;
		ev->key = sq_col_strdup(st, 2);
		ev->value = ev->type == DS_EV_PUT ? sq_col_strdup(st, 3) : NULL;
		if (!ev->key || (ev->type == DS_EV_PUT && !ev->value)) {
			ds_event_free(ev);
			rc = SQLITE_NOMEM;
			break;
		}
		w->n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		buf_clear(w);
		return rc;
	}
	w->scanned = hi;
	w->more = hi < rev;
	return SQLITE_OK;
}

static void drain_inotify(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

int sq_watch_next(struct ds_watch *base, struct ds_event *out, int timeout_ms)
{
	struct sq_watch *w = (struct sq_watch *)base;
	struct sq *s = sq_of(w);
	int64_t deadline = timeout_ms < 0 ? -1 : sq_mono_ms() + timeout_ms;
	int rc;

	memset(out, 0, sizeof(*out));
	for (;;) {
		if (w->head < w->n) {
			*out = w->buf[w->head++];
			/* A revision counts as delivered once its last event is: reopening
			 * from ds_watch_revision() + 1 must not lose the rest of it. */
			w->delivered = w->head < w->n && w->buf[w->head].mod_rev == out->mod_rev ? out->mod_rev - 1
												   : out->mod_rev;
			if (w->head == w->n)
				w->head = w->n = 0;
			return 0;
		}
		if (w->stale)
			return ds_fail(&s->base, -ESTALE,
				       "watch on %s: history from revision %lld was compacted; re-list and watch again",
				       w->prefix, (long long)(w->scanned + 1));
		int64_t now = sq_mono_ms();
		if (now >= w->next_tick) {
			/* Expired leases turn into DELETE events only when someone sweeps. */
			if ((rc = sq_sweep_if_due(s)) < 0)
				return rc;
			w->next_tick = now + (w->ino >= 0 ? TICK_MS : 50);
		}
		if (w->ino >= 0)
			drain_inotify(w->ino); /* before reading, so no commit slips between */
		if ((rc = sq_run(s, TX_READ, scan_body, w)) < 0)
			return rc;
		if (w->n > 0 || w->stale || w->more)
			continue;
		now = sq_mono_ms();
		if (deadline >= 0 && now >= deadline)
			return -ETIMEDOUT;
		int64_t wait = w->next_tick - now;
		if (deadline >= 0 && deadline - now < wait)
			wait = deadline - now;
		if (wait < 0)
			wait = 0;
		if (w->ino >= 0) {
			struct pollfd pfd = { .fd = w->ino, .events = POLLIN };
			poll(&pfd, 1, (int)wait);
		} else {
			usleep((useconds_t)wait * 1000);
		}
	}
}

int64_t sq_watch_revision(const struct ds_watch *base)
{
	return ((const struct sq_watch *)base)->delivered;
}

void sq_watch_close(struct ds_watch *base)
{
	struct sq_watch *w = (struct sq_watch *)base;
	if (!w)
		return;
	buf_clear(w);
	free(w->buf);
	if (w->ino >= 0)
		close(w->ino);
	free(w->prefix);
	free(w->succ);
	free(w);
}
