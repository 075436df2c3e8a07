/*
 * The dispatcher. One timer, armed for the earliest due row, claims due
 * rows into each lane's queue, up to its concurrency (at least LANE_DEPTH
 * rows) ahead of what is in flight, so a send that ends starts the next at
 * once without touching the database. Outcomes are collected while sends
 * are in flight and settled together (pending -> sent | pending later |
 * failed): when SETTLE_MAX have come, SETTLE_WAIT after the first, or when
 * nothing is left in flight.
 *
 * A claim writes nothing. `sending` is held in memory (DESIGN.md: only
 * settled states go to disk): the ids of the rows read and not yet settled
 * on disk are in d->held, and a claim passes over them. It reads on from a
 * cursor, the due order's last row it decided, so it does not read the held
 * rows again; when the rows after the cursor run out it goes round once from
 * the earliest, for rows made due behind it (and at once when this process
 * puts rows back to pending: outbox_arrivals). Rows this process cancels or
 * holds (outbox_generation) or another process changes (PRAGMA
 * data_version) make the rows read ahead stale: they are dropped and read
 * again, so only the sends already handed over escape a cancel; such a send
 * is marked sent when it settles (outbox_settle), as it was.
 *
 * Commits. A claim's holds and cancels (quiet hours, opted out) commit
 * without waiting for the disk (synchronous=NORMAL in WAL): losing them to
 * a power cut leaves their rows pending, to be decided again. A commit that
 * settles outcomes is durable, and makes every earlier one so. A crash
 * leaves the rows in flight pending: at most the messages in flight or not
 * yet settled can be sent twice, and none is lost.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "config.h"
#include "idset.h"
#include "consent.h"
#include "bodypack.h"
#include "dispatch.h"
#include "env.h"
#include "meeting_ics.h"
#include "log.h"
#include "outbox.h"
#include "quiet.h"
#include "receipt.h"
#include "linktoken.h"
#include "runmsg.h"
#include "transport.h"
#include "util.h"
#include "xmalloc.h"

/*
 * The timer's longest sleep. Rows queued by the CLI in another process are
 * noticed by the scheduler (PRAGMA data_version), which kicks us.
 */
#define IDLE_RECHECK    30.0
#define BLOCKED_RECHECK 10.0
/* A lane at its concurrency: outcomes re-arm the timer; this is a net. */
#define FULL_RECHECK 0.25
/* The database was busy or full: try again soon, but not at once. */
#define DB_RECHECK 1.0
/* How often another process's commits are looked for while sending. */
#define DATA_RECHECK 0.05
/* Runs whose snapshots are kept parsed (most sending is of one run). */
#define RUN_CACHE 4
/* Outcomes settled in one transaction at most, and the longest one waits. */
#define SETTLE_MAX  512
#define SETTLE_WAIT 0.02
/* Rows one claim takes at most; rows a lane keeps claimed ahead at least. */
#define CLAIM_MAX  1024
#define LANE_DEPTH 128

struct lane {
	const struct transport_ops *ops;
	void *state;
	int ready;
	int inflight;
	int concurrency;
	struct flight *qhead, **qtail; /* claimed, not yet handed over */
	int queued;
	int claiming; /* rows of the claim being built */
	double rate, burst, tokens, refilled;
	unsigned long long ok, tempfail, permfail;
	double latency_sum;
	unsigned long long latency_n;
	unsigned long long latency_bucket[6];
};

static const double latency_bounds[6] = {0.01, 0.05, 0.25, 1, 5, 30};

/* One message in flight: its strings live here until done. */
struct flight {
	struct dispatcher *d;
	struct lane *lane;
	struct flight *next; /* in its lane's queue */
	double started;
	struct outmsg m;
	int attempts;   /* this try's number, counting it */
	char *strs[14]; /* [12], [13]: unsubscribe and reply tokens */
};

struct settled {
	struct send_outcome out;
	char lane[16];
	int attempts;
	struct settled *next;
};

struct dispatcher {
	struct env *env;
	struct lane lanes[TRANSPORT_MAX];
	int nlanes;
	struct event *timer;
	struct event *flush_ev;
	struct event *settle_ev;
	struct event *pump_ev;
	struct claim *claim; /* the claim being built */
	struct settled *settled;
	int nsettled;
	double settle_since;      /* when the oldest unsettled outcome came */
	int drained;              /* the last claim found every due row */
	struct idset held;        /* rows read and not settled on disk */
	int64_t cur_at, cur_id;   /* the cursor: due order's last row decided */
	int cur_on;               /* 0: from the earliest */
	unsigned long generation; /* outbox_generation() when last read */
	unsigned long arrivals;   /* outbox_arrivals() when last read */
	int64_t data_version;     /* PRAGMA data_version when last read */
	double data_checked;      /* and when it was asked */
	int inflight;
	int stopping;
	int blocked;   /* a transport could not start: wait before retrying */
	int db_failed; /* the last claim could not begin or commit */
	int requeued;  /* rows left in sending by an earlier run are back */
	double full_wait; /* when lanes are full: how long to wait */
	struct runmsg *runs[RUN_CACHE]; /* parsed snapshots, newest first */
};

static void
lane_limits(struct lane *l, const struct config *cfg)
{
	struct transport_limits lim;

	transport_limits(l->ops, cfg, &lim);
	l->concurrency = lim.concurrency;
	l->rate = lim.rate;
	l->burst = lim.burst;
}

static struct lane *
lane_get(struct dispatcher *d, const char *name, char **cause)
{
	struct lane *l;
	int i;

	for (i = 0; i < d->nlanes; i++) {
		l = &d->lanes[i];
		if (strcmp(l->ops->name, name) != 0)
			continue;
		if (!l->ready) {
			if (l->ops->init(d->env->base, d->env->cfg, &l->state,
			                 cause) == -1)
				return NULL;
			l->ready = 1;
			l->tokens = l->burst;
			l->refilled = util_monotonic();
		}
		return l;
	}
	*cause = xasprintf("unknown transport %s", name);
	return NULL;
}

static void
lane_refill(struct lane *l)
{
	double now = util_monotonic();

	l->tokens += (now - l->refilled) * l->rate;
	if (l->tokens > l->burst)
		l->tokens = l->burst;
	l->refilled = now;
}

/*
 * How many rows a lane keeps claimed ahead of its sends: enough that a
 * claim takes dozens of rows (one transaction for them all), few enough
 * that a cancel soon after a send starts finds most rows still pending.
 */
static int
lane_depth(const struct lane *l)
{
	return l->concurrency < LANE_DEPTH ? LANE_DEPTH : l->concurrency;
}

/*
 * May the lane take one more row into its queue? Up to its depth, and no
 * more than its bucket holds tokens for.
 * When the bucket is short, *wait is lowered to the time it takes to fill:
 * a claim sooner would find few tokens, a claim later would have let some
 * go to waste.
 */
static int
lane_admit(struct lane *l, double *wait)
{
	int ahead = l->queued + l->claiming;

	if (ahead >= lane_depth(l))
		return 0;
	lane_refill(l);
	if (l->tokens - (double)ahead < 1.0) {
		if ((l->burst - l->tokens) / l->rate < *wait)
			*wait = (l->burst - l->tokens) / l->rate;
		return 0;
	}
	return 1;
}

/* Take a token from the lane's bucket to hand a row over; 0 if none. */
static int
lane_take(struct lane *l)
{
	lane_refill(l);
	if (l->tokens < 1.0)
		return 0;
	l->tokens -= 1.0;
	return 1;
}

static const char *
transport_for(const struct config *cfg, const char *practice,
              const char *channel)
{
	const struct cfg_practice *p = config_practice(cfg, practice);
	int sms = strcmp(channel, "sms") == 0;

	if (p != NULL && sms && p->sms_transport != NULL)
		return p->sms_transport;
	if (p != NULL && !sms && p->email_transport != NULL)
		return p->email_transport;
	return config_str(cfg, sms ? CFG_SMS_TRANSPORT : CFG_EMAIL_TRANSPORT);
}

static void dispatcher_arm(struct dispatcher *, double delay);

/* Exponential backoff with jitter: base * 2^(attempt-1) * [0.5, 1.5). */
static int64_t
backoff(const struct config *cfg, int attempts, int retry_after)
{
	double base = (double)config_int(cfg, CFG_DISPATCH_BACKOFF);
	double max = (double)config_int(cfg, CFG_DISPATCH_BACKOFF_MAX);
	double d = base * pow(2, attempts > 1 ? attempts - 1 : 0);

	d *= 0.5 + (double)random() / RAND_MAX;
	if (d > max)
		d = max;
	if (retry_after > d)
		d = retry_after;
	return (int64_t)ceil(d);
}

/* Apply one outcome; the caller holds the transaction. */
static void
settle_one(struct dispatcher *d, const struct settled *s, int parked)
{
	struct db *db = d->env->db;
	const struct config *cfg = d->env->cfg;
	const struct send_outcome *o = &s->out;
	int64_t now = time(NULL);
	struct outbox_outcome oc;
	enum outbox_state to;

	if (o->result == SEND_OK)
		to = OB_SENT;
	else if (o->result == SEND_TEMPFAIL &&
	         s->attempts < config_int(cfg, CFG_DISPATCH_MAX_ATTEMPTS))
		to = OB_PENDING;
	else
		to = OB_FAILED;
	oc.provider_id = o->provider_id;
	oc.code = o->code;
	oc.text = o->text;
	oc.transport = s->lane;
	oc.attempts = s->attempts;
	oc.now = now;
	oc.next_attempt_at =
	    to == OB_PENDING ? now + backoff(cfg, s->attempts, o->retry_after)
	                     : now;
	switch (outbox_settle(db, o->id, to, &oc)) {
	case -1:
		log_info("event=settle id=%lld result=%s msg_detail=\"the row "
		         "was cancelled or erased while it was sent\"",
		         (long long)o->id, outbox_strstate(to));
		return;
	case 1:
		log_info("event=settle id=%lld msg_detail=\"sent before a "
		         "cancel or hold reached it\"",
		         (long long)o->id);
		break;
	}
	if (o->opted_out &&
	    member_optout_outbox(db, o->id, now, "sms", "provider") == -1)
		log_warnx("event=settle id=%lld error=\"%s\"", (long long)o->id,
		          db_errmsg(db));
	/* A delivery receipt may have come before this outcome. */
	if (to == OB_SENT && parked &&
	    receipt_apply_parked(db, o->id, now) == -1)
		log_warnx("event=settle id=%lld error=\"%s\"", (long long)o->id,
		          db_errmsg(db));
	if (to != OB_SENT)
		log_info("event=send_%s id=%lld transport=%s code=\"%s\"",
		         to == OB_PENDING ? "retry" : "failed",
		         (long long)o->id, s->lane, o->code);
}

/*
 * Apply every reported outcome; the caller holds the transaction. Parked
 * receipts are looked for only when there are any (most of the time none).
 */
static void
settle_all(struct dispatcher *d)
{
	struct db *db = d->env->db;
	struct settled *s;
	int parked;

	parked =
	    db_row(db, db_stmt(db, "SELECT 1 FROM receipts_parked LIMIT 1"),
	           NULL, NULL) != 0;
	for (s = d->settled; s != NULL; s = s->next)
		settle_one(d, s, parked);
}

/* The outcomes are committed: forget them. */
static void
settled_clear(struct dispatcher *d)
{
	struct settled *s, *next;

	for (s = d->settled; s != NULL; s = next) {
		idset_del(&d->held, s->out.id);
		next = s->next;
		free(s);
	}
	d->settled = NULL;
	d->nsettled = 0;
	if (d->settle_ev != NULL)
		evtimer_del(d->settle_ev);
}

/* Settle now: enough outcomes wait, the oldest waited long enough, nothing
 * else is in flight to join them, or we are stopping. */
static int
settle_due(struct dispatcher *d)
{
	if (d->settled == NULL)
		return 0;
	return d->stopping || d->inflight == 0 || d->nsettled >= SETTLE_MAX ||
	       util_monotonic() - d->settle_since >= SETTLE_WAIT;
}

/* A lane's queue is half empty and due rows may be left: claim more. */
static int
claim_wanted(struct dispatcher *d)
{
	const struct lane *l;
	int i;

	if (d->drained)
		return 0;
	for (i = 0; i < d->nlanes; i++) {
		l = &d->lanes[i];
		if (l->ready && l->queued <= lane_depth(l) / 2)
			return 1;
	}
	return 0;
}

static void flight_free(struct flight *);
static int claim_refresh(struct dispatcher *);

/* Forget the rows read and not handed over (still pending on disk). */
static void
queue_free(struct dispatcher *d)
{
	struct flight *f;
	struct lane *l;
	int i;

	for (i = 0; i < d->nlanes; i++) {
		l = &d->lanes[i];
		while ((f = l->qhead) != NULL) {
			l->qhead = f->next;
			idset_del(&d->held, f->m.id);
			flight_free(f);
		}
		l->qtail = &l->qhead;
		l->queued = 0;
	}
}

static int
queue_any(const struct dispatcher *d)
{
	int i;

	for (i = 0; i < d->nlanes; i++)
		if (d->lanes[i].queued > 0)
			return 1;
	return 0;
}

/* Stopping: settle what came back; the rows not handed over are still
 * pending on disk, and are forgotten. */
static int
dispatcher_stop_flush(struct dispatcher *d)
{
	struct db *db = d->env->db;

	queue_free(d);
	if (d->settled == NULL)
		return 0;
	if (db_begin(db) == -1)
		return -1;
	settle_all(d);
	if (db_commit(db) == -1) {
		db_rollback(db);
		return -1;
	}
	settled_clear(d);
	return 0;
}

/* Arm the settle timer for the oldest outcome, unless it is armed. */
static void
settle_later(struct dispatcher *d)
{
	struct timeval tv;
	double w;

	/* After a failed claim the timer's DB_RECHECK settles them. */
	if (d->settled == NULL || d->db_failed ||
	    evtimer_pending(d->settle_ev, NULL))
		return;
	w = SETTLE_WAIT - (util_monotonic() - d->settle_since);
	if (w < 0)
		w = 0;
	tv.tv_sec = (long)w;
	tv.tv_usec = (long)((w - (double)tv.tv_sec) * 1e6);
	evtimer_add(d->settle_ev, &tv);
}

/*
 * Outcomes arrived. While running, the next claim settles them in its own
 * transaction (one commit for both) once they are due; when stopping,
 * settle them alone.
 */
static void
dispatcher_flush_run(evutil_socket_t fd, short what, void *arg)
{
	struct dispatcher *d = arg;
	struct timeval tv = {1, 0};

	if (d->stopping) {
		/* Busy or full: keep the outcomes and try again shortly. */
		if (dispatcher_stop_flush(d) == -1)
			event_add(d->flush_ev, &tv);
		return;
	}
	/* Through the timer, so the loop polls sockets in between. */
	if ((queue_any(d) && claim_refresh(d)) || settle_due(d) ||
	    claim_wanted(d))
		dispatcher_arm(d, 0);
	else
		settle_later(d);
}

/* The timer's callback: no statement may outlive it. */
static void
dispatcher_flush(evutil_socket_t fd, short what, void *arg)
{
	struct dispatcher *d = arg;

	dispatcher_flush_run(fd, what, arg);
	db_idle(d->env->db, "dispatcher_flush");
}

/* The oldest outcome has waited SETTLE_WAIT. */
static void
dispatcher_settle_timer(evutil_socket_t fd, short what, void *arg)
{
	dispatcher_arm(arg, 0);
}

static void
flight_free(struct flight *f)
{
	size_t i;

	for (i = 0; i < sizeof f->strs / sizeof f->strs[0]; i++)
		free(f->strs[i]);
	free(f);
}

static void lane_pump(struct dispatcher *, struct lane *);

static void
dispatcher_done(const struct send_outcome *o, void *arg)
{
	struct flight *f = arg;
	struct dispatcher *d = f->d;
	struct lane *l = f->lane;
	struct settled *s = xcalloc(1, sizeof *s);
	double lat = util_monotonic() - f->started;
	size_t i;

	s->out = *o;
	s->attempts = f->attempts;
	snprintf(s->lane, sizeof s->lane, "%s", l->ops->name);
	if (d->settled == NULL)
		d->settle_since = util_monotonic();
	s->next = d->settled;
	d->settled = s;
	d->nsettled++;
	l->inflight--;
	d->inflight--;
	if (o->result == SEND_OK)
		l->ok++;
	else if (o->result == SEND_TEMPFAIL)
		l->tempfail++;
	else
		l->permfail++;
	l->latency_sum += lat;
	l->latency_n++;
	for (i = 0; i < 6; i++)
		if (lat <= latency_bounds[i])
			l->latency_bucket[i]++;
	flight_free(f);
	/* The next claimed row takes the free place at once. */
	if (!d->stopping)
		lane_pump(d, l);
	event_active(d->flush_ev, EV_TIMEOUT, 0);
}

/* Hand a claimed row to its transport. */
static void
flight_start(struct dispatcher *d, struct flight *f)
{
	struct lane *l = f->lane;

	f->started = util_monotonic();
	l->inflight++;
	d->inflight++;
	/* Personal data: at debug only. */
	log_debug("event=send id=%lld channel=%s to=%s", (long long)f->m.id,
	          f->m.channel, f->m.to);
	l->ops->send(l->state, &f->m, dispatcher_done, f);
}

/* Hand queued rows over while the lane has room and tokens. */
static void
lane_pump(struct dispatcher *d, struct lane *l)
{
	struct flight *f;
	struct timeval tv;
	double w;

	/* Rows moved since they were read (by this process or another):
	 * read them again. */
	if (l->qhead != NULL && claim_refresh(d)) {
		dispatcher_arm(d, 0);
		return;
	}
	while ((f = l->qhead) != NULL && l->inflight < l->concurrency) {
		if (!lane_take(l)) {
			/* The bucket is empty: come back when a token is. */
			w = (1.0 - l->tokens) / l->rate;
			tv.tv_sec = (long)w;
			tv.tv_usec = (long)((w - (double)tv.tv_sec) * 1e6);
			if (!evtimer_pending(d->pump_ev, NULL))
				evtimer_add(d->pump_ev, &tv);
			return;
		}
		if ((l->qhead = f->next) == NULL)
			l->qtail = &l->qhead;
		l->queued--;
		flight_start(d, f);
	}
}

static void
pump_all(struct dispatcher *d)
{
	int i;

	for (i = 0; i < d->nlanes; i++)
		if (d->lanes[i].ready)
			lane_pump(d, &d->lanes[i]);
}

static void
dispatcher_pump(evutil_socket_t fd, short what, void *arg)
{
	struct dispatcher *d = arg;

	if (!d->stopping)
		pump_all(d);
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const char *s = db_col_text(st, i);

	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

/* The run's parsed snapshot, from the cache or loaded into it. */
static struct runmsg *
run_get(struct dispatcher *d, int64_t run_id, char **cause)
{
	struct runmsg *rm;
	int i;

	for (i = 0; i < RUN_CACHE && d->runs[i] != NULL; i++)
		if (runmsg_run(d->runs[i]) == run_id)
			break;
	if (i < RUN_CACHE && d->runs[i] != NULL)
		rm = d->runs[i];
	else {
		if ((rm = runmsg_load(d->env->db, run_id, cause)) == NULL)
			return NULL;
		i = RUN_CACHE - 1;
		runmsg_free(d->runs[i]);
	}
	memmove(&d->runs[1], &d->runs[0], (size_t)i * sizeof d->runs[0]);
	d->runs[0] = rm;
	return rm;
}

/*
 * A campaign row fired without text: render it now from its run's snapshot,
 * with its links derived for (run, member).
 */
static int
flight_render(struct flight *f, sqlite3_stmt *st, char **cause)
{
	const struct config *cfg = f->d->env->cfg;
	int64_t run = sqlite3_column_int64(st, 16);
	int64_t member = sqlite3_column_int64(st, 17);
	char tok[LINKTOKEN_MAX];
	struct rendered out;
	struct runmsg *rm;

	if ((rm = run_get(f->d, run, cause)) == NULL ||
	    runmsg_render(rm, f->d->env->db, cfg, member, f->m.channel, &out,
	                  cause) == -1)
		return -1;
	f->m.subject = f->strs[2] = out.subject;
	f->m.text = f->strs[3] = out.text;
	f->m.html = f->strs[4] = out.html;
	if (linktoken_make(cfg, LT_UNSUBSCRIBE, run, member, tok, cause) == -1)
		return -1;
	f->strs[12] = xstrdup(tok);
	if (strcmp(f->m.channel, "email") == 0 &&
	    *config_str(cfg, CFG_EMAIL_REPLY_DOMAIN) != '\0') {
		if (linktoken_make(cfg, LT_REPLY, run, member, tok, cause) ==
		    -1)
			return -1;
		f->strs[13] = xstrdup(tok);
	}
	return 0;
}

/* The row's text and HTML: rendered now, packed against its run's sample
 * (rows fired before rendering at send time), or plain. */
static int
flight_body(struct flight *f, sqlite3_stmt *st, char **cause)
{
	if (sqlite3_column_int(st, 18))
		return flight_render(f, st, cause);
	f->m.subject = f->strs[2] = col_dup(st, 3);
	f->strs[12] = col_dup(st, 7);
	f->strs[13] = col_dup(st, 6);
	if (sqlite3_column_type(st, 4) != SQLITE_BLOB) {
		f->m.text = f->strs[3] = col_dup(st, 4);
		f->m.html = f->strs[4] = col_dup(st, 5);
		return 0;
	}
	if (bodypack_unpack(sqlite3_column_blob(st, 15),
	                    (size_t)sqlite3_column_bytes(st, 15),
	                    sqlite3_column_blob(st, 4),
	                    (size_t)sqlite3_column_bytes(st, 4), &f->strs[3],
	                    &f->strs[4]) == -1) {
		*cause = xstrdup("body unreadable");
		return -1;
	}
	f->m.text = f->strs[3];
	f->m.html = f->strs[4];
	return 0;
}

/* Build the message of a claimed row; NULL with *cause if it cannot be. */
static struct flight *
flight_new(struct dispatcher *d, sqlite3_stmt *st, char **cause)
{
	const struct config *cfg = d->env->cfg;
	const char *pub = config_str(cfg, CFG_PUBLIC_URL);
	const char *rdom = config_str(cfg, CFG_EMAIL_REPLY_DOMAIN);
	struct flight *f = xcalloc(1, sizeof *f);
	const char *unsub, *reply;

	f->d = d;
	f->m.id = sqlite3_column_int64(st, 0);
	f->m.channel = f->strs[0] = col_dup(st, 1);
	f->m.to = f->strs[1] = col_dup(st, 2);
	if (flight_body(f, st, cause) == -1) {
		flight_free(f);
		return NULL;
	}
	unsub = f->strs[12];
	reply = f->strs[13];
	f->m.practice = f->strs[5] = col_dup(st, 8);
	f->m.from_name = f->strs[6] = col_dup(st, 9);
	f->m.from = f->strs[7] = col_dup(st, 10);
	if (f->m.from == NULL && strcmp(f->m.channel, "email") == 0)
		f->m.from = f->strs[7] =
		    xstrdup(config_str(cfg, CFG_EMAIL_FROM));
	if (reply != NULL && *rdom != '\0')
		f->m.reply_to = f->strs[8] =
		    xasprintf("reply+%s@%s", reply, rdom);
	if (unsub != NULL) {
		f->m.unsub_url = f->strs[9] = xasprintf("%s/u/%s", pub, unsub);
		if (*rdom != '\0')
			f->m.unsub_mailto = f->strs[10] =
			    xasprintf("mailto:unsubscribe+%s@%s", unsub, rdom);
	}
	/* Only rows that can have a meeting look for its calendar. */
	if (sqlite3_column_int(st, 19))
		f->m.ics = f->strs[11] =
		    meeting_ics_for_outbox(d->env->db, f->m.id, pub);
	f->attempts = sqlite3_column_int(st, 11);
	return f;
}

/*
 * Rows worth scanning now: the free places in the queue of every lane that
 * has started, and one for each lane not yet started (so its first row is
 * found). A lane that is not used does not make every claim scan a whole
 * batch.
 */
static int
claim_room(struct dispatcher *d, int limit)
{
	const struct lane *l;
	int room = 0, i;

	for (i = 0; i < d->nlanes; i++) {
		l = &d->lanes[i];
		if (!l->ready)
			room++;
		else if (l->queued < lane_depth(l))
			room += lane_depth(l) - l->queued;
	}
	return room < limit ? room : limit;
}

/*
 * A claim's columns, of due rows from the cursor on. Column 19: the row may
 * carry a meeting's calendar (meeting_ics.h); 20: when it is due.
 */
#define CLAIM_SELECT                                                           \
	"SELECT o.id, o.channel, o.to_addr, o.subject, o.body,"                \
	" o.body_html, o.reply_token, o.unsubscribe_token, p.code,"            \
	" p.name, CASE o.channel WHEN 'email' THEN p.email_from ELSE"          \
	" p.sms_from END, o.attempts + 1, p.timezone,"                         \
	" (o.channel = 'sms' AND m.optout_sms_at IS NOT NULL) OR"              \
	" (o.channel = 'email' AND m.optout_email_at IS NOT NULL),"            \
	" o.purpose = 'campaign',"                                             \
	" CASE WHEN typeof(o.body) = 'blob' THEN"                              \
	" (SELECT body_dict FROM runs WHERE id = o.run_id) END,"               \
	" o.run_id, o.member_id,"                                              \
	" o.run_id IS NOT NULL AND o.purpose = 'campaign'"                     \
	" AND o.body = '' AND typeof(o.body) = 'text',"                        \
	" o.channel = 'email' AND (EXISTS (SELECT 1 FROM runs r"               \
	" JOIN campaigns c ON c.id = r.campaign_id WHERE r.id ="               \
	" o.run_id AND c.meeting_id IS NOT NULL) OR EXISTS (SELECT 1"          \
	" FROM meeting_notices n WHERE n.outbox_id = o.id)),"                  \
	" o.next_attempt_at"                                                   \
	" FROM outbox o JOIN practices p ON p.id = o.practice_id"              \
	" LEFT JOIN members m ON m.id = o.member_id"                           \
	" WHERE o.state = 'pending' AND "

/*
 * Due rows after the cursor, oldest first: those due in the cursor's
 * second with a greater id (same), or those due later, up to now. Two
 * statements, not one with an OR: each is a range of the pending index.
 */
static sqlite3_stmt *
claim_select(struct dispatcher *d, int same, int64_t now, int limit)
{
	struct db *db = d->env->db;
	sqlite3_stmt *st;

	if (same) {
		st = db_stmt(db,
		             CLAIM_SELECT "o.next_attempt_at = ?1 AND"
		                          " o.id > ?2 ORDER BY o.id LIMIT ?3");
		db_bind_int(st, 1, d->cur_at);
		db_bind_int(st, 2, d->cur_id);
	} else {
		st =
		    db_stmt(db, CLAIM_SELECT
		            "o.next_attempt_at > ?1 AND o.next_attempt_at <= ?2"
		            " ORDER BY o.next_attempt_at, o.id LIMIT ?3");
		db_bind_int(st, 1, d->cur_on ? d->cur_at : INT64_MIN);
		db_bind_int(st, 2, now);
	}
	db_bind_int(st, 3, limit);
	return st;
}

/* A due row a claim does not start: cancelled (reason NULL) or held. */
struct claim_skip {
	int64_t id;
	const char *reason;
	int64_t until;
};

/* A claim being built: read first, then written in one transaction. */
struct claim {
	struct flight *f[CLAIM_MAX];
	int n;
	struct claim_skip skip[CLAIM_MAX];
	int nskip;
};

/* The row is held until the claim's writes are committed. */
static void
claim_skip(struct dispatcher *d, int64_t id, const char *reason, int64_t until)
{
	struct claim *c = d->claim;

	c->skip[c->nskip].id = id;
	c->skip[c->nskip].reason = reason;
	c->skip[c->nskip++].until = until;
	idset_add(&d->held, id);
}

enum claim_fate {
	CLAIM_TAKEN,   /* to be sent: c->f[] holds its flight */
	CLAIM_SKIPPED, /* to be cancelled or held: c->skip[] */
	CLAIM_BLOCKED, /* its transport cannot start */
	CLAIM_FULL,    /* its lane has no room or no token now */
};

/* Decide one due row; what it changes is written by claim_write. */
static enum claim_fate
claim_row(struct dispatcher *d, sqlite3_stmt *st, int64_t now)
{
	const struct config *cfg = d->env->cfg;
	struct claim *c = d->claim;
	int64_t id = sqlite3_column_int64(st, 0), until;
	const char *channel = db_col_text(st, 1);
	char *cause = NULL;
	struct flight *f;
	struct lane *l;

	/* Opted out since the row was made: never send campaign mail. */
	if (sqlite3_column_int(st, 13) && sqlite3_column_int(st, 14)) {
		claim_skip(d, id, NULL, now);
		return CLAIM_SKIPPED;
	}
	l = lane_get(d, transport_for(cfg, db_col_text(st, 8), channel),
	             &cause);
	if (l == NULL) {
		log_warnx("event=transport error=\"%s\"", cause);
		free(cause);
		d->blocked = 1;
		return CLAIM_BLOCKED;
	}
	/*
	 * Quiet hours are for messages we start; an answer to a text the
	 * member just sent (the next question, a STOP confirmation, the care
	 * reply) goes at once.
	 */
	if (strcmp(channel, "sms") == 0 && sqlite3_column_int(st, 14) &&
	    (until = quiet_until(cfg, db_col_text(st, 12), now)) > 0) {
		claim_skip(d, id, "quiet hours", until);
		return CLAIM_SKIPPED;
	}
	if (!lane_admit(l, &d->full_wait))
		return CLAIM_FULL;
	if ((f = flight_new(d, st, &cause)) == NULL) {
		log_warnx("event=outbox id=%lld error=\"%s\"", (long long)id,
		          cause);
		claim_skip(d, id,
		           strcmp(cause, "body unreadable") == 0
		               ? "body unreadable"
		               : "render failed",
		           OUTBOX_NEVER);
		free(cause);
		return CLAIM_SKIPPED;
	}
	f->lane = l;
	l->claiming++;
	c->f[c->n++] = f;
	idset_add(&d->held, id);
	return CLAIM_TAKEN;
}

/*
 * Read due rows from the cursor on and decide each, passing over the rows
 * held; when those after the cursor run out, go round once from the
 * earliest. The cursor moves over the rows decided up to the first that
 * could not be (its lane full, its transport down), so that one is read
 * again. Sets d->drained when every due row was seen; the number decided.
 */
static int
claim_scan(struct dispatcher *d, int64_t now, int limit, int *full)
{
	sqlite3_stmt *st;
	enum claim_fate fate;
	int decided = 0, read, want, seg, stuck = 0, from_start;
	int64_t id;

	d->drained = 0;
	for (;;) {
		from_start = !d->cur_on;
		for (seg = from_start; seg < 2; seg++) {
			want = limit - decided + (int)d->held.n;
			st = claim_select(d, seg == 0, now, want);
			read = 0;
			while (decided < limit &&
			       sqlite3_step(st) == SQLITE_ROW) {
				read++;
				id = sqlite3_column_int64(st, 0);
				if (!idset_has(&d->held, id)) {
					decided++;
					fate = claim_row(d, st, now);
					if (fate == CLAIM_FULL)
						*full = 1;
					if (fate == CLAIM_FULL ||
					    fate == CLAIM_BLOCKED)
						stuck = 1;
				}
				if (!stuck) {
					d->cur_at =
					    sqlite3_column_int64(st, 20);
					d->cur_id = id;
					d->cur_on = 1;
				}
			}
			db_reset(st);
			if (decided >= limit || read == want)
				return decided; /* more may follow */
		}
		if (from_start)
			break;
		/* Round once from the earliest: rows made due behind. */
		d->cur_on = 0;
	}
	d->drained = !*full;
	if (!stuck)
		d->cur_on = 0;
	return decided;
}

/* PRAGMA synchronous; -1 if it cannot be read. */
static int64_t
sync_get(struct db *db)
{
	return db_int(db, db_stmt(db, "PRAGMA synchronous"), -1);
}

static void
sync_set(struct db *db, int64_t level)
{
	char sql[48], *cause = NULL;

	snprintf(sql, sizeof sql, "PRAGMA synchronous = %lld",
	         (long long)level);
	if (db_exec(db, sql, &cause) == -1) {
		log_warnx("event=pragma error=\"%s\"", cause);
		free(cause);
	}
}

/* The claim's holds and cancels, and the outcomes if settle is set. */
static int
claim_write(struct dispatcher *d, int settle)
{
	struct db *db = d->env->db;
	struct claim *c = d->claim;
	int i;

	if (db_begin(db) == -1)
		return -1;
	/* Outcomes reported since the last claim share its commit. */
	if (settle)
		settle_all(d);
	for (i = 0; i < c->nskip; i++)
		if (c->skip[i].reason == NULL)
			outbox_cancel_optout(db, c->skip[i].id,
			                     c->skip[i].until);
		else
			outbox_hold(db, c->skip[i].id, c->skip[i].reason,
			            c->skip[i].until);
	if (db_commit(db) == -1) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

/*
 * Write what the claim decided, if anything: durably if it settles
 * outcomes; else without waiting for the disk (see the top of this file).
 * 0 or -1.
 */
static int
claim_commit(struct dispatcher *d, int settle)
{
	struct db *db = d->env->db;
	int64_t sync;
	int rc;

	if (!settle && d->claim->nskip == 0)
		return 0;
	sync = settle ? -1 : sync_get(db);
	if (sync > 1)
		sync_set(db, 1);
	rc = claim_write(d, settle);
	if (sync > 1)
		sync_set(db, sync);
	/* Its own holds and cancels do not make what it read stale. */
	d->generation = outbox_generation();
	return rc;
}

/*
 * Queue the rows taken and start what the lanes have room for; if the
 * claim's writes failed, forget them (they are still pending, and read
 * again from the earliest). The number queued.
 */
static int
claim_queue(struct dispatcher *d, int ok)
{
	struct claim *c = d->claim;
	struct flight *f;
	int i, n = 0;

	for (i = 0; i < d->nlanes; i++)
		d->lanes[i].claiming = 0;
	for (i = 0; i < c->nskip; i++)
		idset_del(&d->held, c->skip[i].id);
	for (i = 0; i < c->n; i++) {
		f = c->f[i];
		if (!ok) {
			idset_del(&d->held, f->m.id);
			flight_free(f);
			continue;
		}
		*f->lane->qtail = f;
		f->lane->qtail = &f->next;
		f->lane->queued++;
		n++;
	}
	if (!ok)
		d->cur_on = 0;
	c->n = c->nskip = 0;
	pump_all(d);
	return n;
}

/*
 * The rows read ahead are stale if this process moved outbox rows (other
 * than by settling) or another process committed since: drop the rows not
 * yet handed over and read from the earliest again; 1 if they were. The
 * first is a counter; the second a statement, asked every DATA_RECHECK.
 * Rows this process put back to pending only send the cursor back to the
 * earliest (a fire's release of its slices need not drop what was read).
 */
static int
claim_refresh(struct dispatcher *d)
{
	struct db *db = d->env->db;
	double now = util_monotonic();
	int64_t v = d->data_version;

	if (now - d->data_checked >= DATA_RECHECK) {
		v = db_data_version(db);
		d->data_checked = now;
	}
	if (outbox_arrivals() != d->arrivals) {
		/* Rows back to pending, perhaps behind the cursor. */
		d->arrivals = outbox_arrivals();
		d->cur_on = 0;
		d->drained = 0;
	}
	if (v == d->data_version && outbox_generation() == d->generation)
		return 0;
	d->data_version = v;
	d->generation = outbox_generation();
	queue_free(d);
	d->cur_on = 0;
	d->drained = 0;
	return 1;
}

/*
 * Claim due rows into the lanes' queues and start them; settle outcomes
 * that are due in the same transaction. Returns the number claimed; *full
 * is set when a lane had no room, so the timer comes back soon.
 */
static int
dispatcher_claim(struct dispatcher *d, int *full)
{
	int limit = (int)config_int(d->env->cfg, CFG_DISPATCH_BATCH);
	int settle = settle_due(d);
	int64_t now = time(NULL);

	claim_refresh(d);
	if (limit > CLAIM_MAX)
		limit = CLAIM_MAX;
	if ((limit = claim_room(d, limit)) == 0)
		*full = 1;
	if (limit == 0 && !settle)
		return 0;
	if (limit > 0)
		claim_scan(d, now, limit, full);
	if (d->claim->n == 0 && d->claim->nskip == 0 && !settle)
		return 0;
	if (claim_commit(d, settle) == -1) {
		d->db_failed = 1;
		claim_queue(d, 0);
		return 0;
	}
	if (settle)
		settled_clear(d);
	return claim_queue(d, 1);
}

/*
 * Seconds until the earliest row is due: pending and not held (a held row
 * is in flight or its outcome waits to be written), or held for quiet hours.
 */
static double
dispatcher_next_due(struct dispatcher *d)
{
	struct db *db = d->env->db;
	sqlite3_stmt *st;
	double delay = IDLE_RECHECK;
	int64_t now = time(NULL), t = INT64_MAX;

	/* Held rows whose time has come go back to pending. */
	outbox_release_quiet(db, now);
	st = db_stmt(db, "SELECT id, next_attempt_at FROM outbox"
	                 " WHERE state = 'pending'"
	                 " ORDER BY next_attempt_at, id");
	while (sqlite3_step(st) == SQLITE_ROW)
		if (!idset_has(&d->held, sqlite3_column_int64(st, 0))) {
			t = sqlite3_column_int64(st, 1);
			break;
		}
	sqlite3_reset(st);
	st = db_stmt(db,
	             "SELECT min(next_attempt_at) FROM outbox"
	             " WHERE state = 'held' AND held_reason = 'quiet hours'");
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL &&
	    sqlite3_column_int64(st, 0) < t)
		t = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (t != INT64_MAX)
		delay = t <= now ? 0 : (double)(t - now);
	return delay < IDLE_RECHECK ? delay : IDLE_RECHECK;
}

/*
 * Put rows left in `sending` by an earlier run back to pending, once, before
 * the first claim (later, it would also take back this run's own rows).
 */
static int
dispatcher_requeue(struct dispatcher *d)
{
	struct db *db = d->env->db;
	int n;

	if (d->requeued)
		return 0;
	if ((n = outbox_requeue_sending(db)) == -1) {
		log_warnx("event=requeue error=\"%s\"", db_errmsg(db));
		return -1;
	}
	if (n > 0)
		log_info("event=requeue rows=%d msg_detail=\"left in sending "
		         "by an earlier stop\"",
		         n);
	d->requeued = 1;
	return 0;
}

static void
dispatcher_tick_run(evutil_socket_t fd, short what, void *arg)
{
	struct dispatcher *d = arg;
	int full = 0, n;
	double delay;

	if (d->stopping)
		return;
	if (dispatcher_requeue(d) == -1) {
		dispatcher_arm(d, DB_RECHECK);
		return;
	}
	d->blocked = 0;
	d->db_failed = 0;
	d->full_wait = FULL_RECHECK;
	pump_all(d);
	n = dispatcher_claim(d, &full);
	if (d->db_failed)
		delay = DB_RECHECK;
	else if (d->blocked && n == 0)
		delay = BLOCKED_RECHECK;
	else if (full)
		/* Sends that end ask for the next claim; this is a net. */
		delay = d->full_wait;
	else if (!d->drained)
		delay = 0;
	else
		delay = dispatcher_next_due(d);
	dispatcher_arm(d, delay);
	settle_later(d);
}

/* The timer's callback: no statement may outlive it. */
static void
dispatcher_tick(evutil_socket_t fd, short what, void *arg)
{
	struct dispatcher *d = arg;

	dispatcher_tick_run(fd, what, arg);
	db_idle(d->env->db, "dispatcher_tick");
}

static void
dispatcher_arm(struct dispatcher *d, double delay)
{
	struct timeval tv;

	if (d->stopping)
		return;
	tv.tv_sec = (long)delay;
	tv.tv_usec = (long)((delay - (double)tv.tv_sec) * 1e6);
	event_add(d->timer, &tv);
}

struct dispatcher *
dispatcher_new(struct env *env, char **cause)
{
	struct dispatcher *d = xcalloc(1, sizeof *d);
	const struct transport_ops *ops;
	int i;

	d->env = env;
	while ((ops = transport_at((size_t)d->nlanes)) != NULL) {
		d->lanes[d->nlanes].ops = ops;
		lane_limits(&d->lanes[d->nlanes++], env->cfg);
	}
	for (i = 0; i < d->nlanes; i++)
		d->lanes[i].qtail = &d->lanes[i].qhead;
	d->claim = xcalloc(1, sizeof *d->claim);
	dispatcher_requeue(d);
	d->data_version = db_data_version(env->db);
	d->generation = outbox_generation();
	d->arrivals = outbox_arrivals();
	d->timer = evtimer_new(env->base, dispatcher_tick, d);
	d->flush_ev = event_new(env->base, -1, 0, dispatcher_flush, d);
	d->settle_ev = evtimer_new(env->base, dispatcher_settle_timer, d);
	d->pump_ev = evtimer_new(env->base, dispatcher_pump, d);
	srandom((unsigned)time(NULL) ^ (unsigned)(uintptr_t)d);
	dispatcher_arm(d, 0);
	return d;
}

void
dispatcher_kick(struct dispatcher *d)
{
	d->drained = 0;
	dispatcher_arm(d, 0);
}

void
dispatcher_stop(struct dispatcher *d)
{
	d->stopping = 1;
	event_del(d->timer);
	event_del(d->pump_ev);
	/* Rows claimed and not handed over go back to pending. */
	event_active(d->flush_ev, EV_TIMEOUT, 0);
}

int
dispatcher_inflight(struct dispatcher *d)
{
	return d->inflight + (d->settled != NULL || queue_any(d));
}

void
dispatcher_reload(struct dispatcher *d)
{
	const struct config *cfg = d->env->cfg;
	int i;

	for (i = 0; i < d->nlanes; i++) {
		lane_limits(&d->lanes[i], cfg);
		if (d->lanes[i].ready && d->lanes[i].ops->reload != NULL)
			d->lanes[i].ops->reload(d->lanes[i].state, cfg);
	}
	dispatcher_arm(d, 0);
}

void
dispatcher_free(struct dispatcher *d)
{
	int i;

	if (d == NULL)
		return;
	d->stopping = 1; /* settle what is left, claim nothing */
	dispatcher_flush(-1, 0, d);
	queue_free(d);
	for (i = 0; i < d->nlanes; i++)
		if (d->lanes[i].ready)
			d->lanes[i].ops->free(d->lanes[i].state);
	for (i = 0; i < RUN_CACHE; i++)
		runmsg_free(d->runs[i]);
	event_free(d->timer);
	event_free(d->flush_ev);
	event_free(d->settle_ev);
	event_free(d->pump_ev);
	free(d->claim);
	idset_clear(&d->held);
	free(d);
}

void
dispatcher_metrics(struct dispatcher *d, struct evbuffer *b)
{
	struct lane *l;
	int i, k;

	evbuffer_add_printf(b, "# HELP ppgd_sends_total Send attempts by "
	                       "transport and result.\n"
	                       "# TYPE ppgd_sends_total counter\n");
	for (i = 0; i < d->nlanes; i++) {
		l = &d->lanes[i];
		evbuffer_add_printf(
		    b,
		    "ppgd_sends_total{transport=\"%s\",result=\"ok\"} %llu\n"
		    "ppgd_sends_total{transport=\"%s\",result=\"tempfail\"} "
		    "%llu\n"
		    "ppgd_sends_total{transport=\"%s\",result=\"permfail\"} "
		    "%llu\n",
		    l->ops->name, l->ok, l->ops->name, l->tempfail,
		    l->ops->name, l->permfail);
	}
	evbuffer_add_printf(b, "# HELP ppgd_send_latency_seconds Time from "
	                       "hand-over to the transport's answer.\n"
	                       "# TYPE ppgd_send_latency_seconds histogram\n");
	for (i = 0; i < d->nlanes; i++) {
		l = &d->lanes[i];
		for (k = 0; k < 6; k++)
			evbuffer_add_printf(
			    b,
			    "ppgd_send_latency_seconds_bucket{"
			    "transport=\"%s\",le=\"%g\"} %llu\n",
			    l->ops->name, latency_bounds[k],
			    l->latency_bucket[k]);
		evbuffer_add_printf(
		    b,
		    "ppgd_send_latency_seconds_bucket{transport=\"%s\","
		    "le=\"+Inf\"} %llu\n"
		    "ppgd_send_latency_seconds_sum{transport=\"%s\"} %.6f\n"
		    "ppgd_send_latency_seconds_count{transport=\"%s\"} %llu\n",
		    l->ops->name, l->latency_n, l->ops->name, l->latency_sum,
		    l->ops->name, l->latency_n);
	}
}
