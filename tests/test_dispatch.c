/*
 * The dispatcher on a real event base and SQLite, with a fake transport in
 * place of "file" (the transport registry's seam): batched claims and settles,
 * backoff, max attempts, quiet hours, opt-out cancel, requeue at start.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "bodypack.h"
#include "campaign_fixture.h"
#include "dispatch.h"
#include "env.h"
#include "fire.h"
#include "linktoken.h"
#include "outbox.h"
#include "receipt.h"
#include "transport.h"
#include "xmalloc.h"

/* ---- the fake transport: sends wait until the test answers them ---- */

#define FAKE_MAX 16

static struct {
	int64_t id[FAKE_MAX];
	char *text[FAKE_MAX], *html[FAKE_MAX];
	char *unsub[FAKE_MAX], *reply[FAKE_MAX];
	transport_done_fn done[FAKE_MAX];
	void *arg[FAKE_MAX];
	int n;
	int concurrency; /* 0: the default */
} fake;

static int
fake_init(struct event_base *base, const struct config *cfg, void **state,
          char **cause)
{
	*state = NULL;
	return 0;
}

static void
fake_limits(const struct config *cfg, struct transport_limits *lim)
{
	if (fake.concurrency > 0)
		lim->concurrency = fake.concurrency;
}

static void
fake_send(void *state, const struct outmsg *m, transport_done_fn done,
          void *arg)
{
	assert_true(fake.n < FAKE_MAX);
	fake.id[fake.n] = m->id;
	fake.text[fake.n] = m->text ? strdup(m->text) : NULL;
	fake.html[fake.n] = m->html ? strdup(m->html) : NULL;
	fake.unsub[fake.n] = m->unsub_url ? strdup(m->unsub_url) : NULL;
	fake.reply[fake.n] = m->reply_to ? strdup(m->reply_to) : NULL;
	fake.done[fake.n] = done;
	fake.arg[fake.n] = arg;
	fake.n++;
}

static void
fake_free(void *state)
{
}

static const struct transport_ops fake_ops = {.name = "file",
                                              .init = fake_init,
                                              .send = fake_send,
                                              .free = fake_free,
                                              .limits = fake_limits};

/* Answer the i-th send. */
static void
fake_answer(int i, enum send_result r, const char *provider_id)
{
	struct send_outcome o;

	memset(&o, 0, sizeof o);
	o.id = fake.id[i];
	o.result = r;
	snprintf(o.provider_id, sizeof o.provider_id, "%s",
	         provider_id ? provider_id : "");
	if (r != SEND_OK)
		snprintf(o.code, sizeof o.code, "451");
	fake.done[i](&o, fake.arg[i]);
}

/* ---- the set-up ----------------------------------------------------- */

struct t {
	struct env env;
	struct config *cfg;
	struct dispatcher *d;
};

static void
fake_clear(void)
{
	int i;

	for (i = 0; i < fake.n; i++) {
		free(fake.text[i]);
		free(fake.html[i]);
		free(fake.unsub[i]);
		free(fake.reply[i]);
	}
	memset(&fake, 0, sizeof fake);
}

static void
t_open(struct t *t, const char *ini)
{
	fake_clear();
	transport_register(&fake_ops);
	memset(t, 0, sizeof *t);
	/* No quiet hours unless a test sets them: the tests run at any hour. */
	t->cfg = fx_config(ini != NULL ? ini
	                               : "[sms]\nquiet_start = 00:00\n"
	                                 "quiet_end = 00:00\n");
	t->env.db = fx_db();
	t->env.base = event_base_new();
	t->env.cfg = t->cfg;
}

static void
t_start(struct t *t)
{
	char *cause = NULL;

	t->d = dispatcher_new(&t->env, &cause);
	assert_non_null(t->d);
}

static void
t_close(struct t *t)
{
	dispatcher_free(t->d);
	assert_int_equal(db_idle(t->env.db, "test"), 0);
	event_base_free(t->env.base);
	db_close(t->env.db);
	config_free(t->cfg);
	fake_clear();
}

/* Run the loop's ready events until nothing is left to run now. */
static void
pump(struct t *t)
{
	int i;

	for (i = 0; i < 20; i++)
		event_base_loop(t->env.base, EVLOOP_NONBLOCK);
}

static int64_t
queue(struct t *t, const char *channel, int64_t member)
{
	int64_t id = outbox_queue(
	    t->env.db, 1, member, channel, "campaign",
	    strcmp(channel, "sms") == 0 ? "+447700900001" : "ann@example.org",
	    "Subject", "Body", NULL);

	assert_true(id > 0);
	return id;
}

static char *
state(struct t *t, int64_t id)
{
	static char buf[16];
	sqlite3_stmt *st =
	    db_stmt(t->env.db, "SELECT state FROM outbox WHERE id = ?");
	char *s;

	db_bind_int(st, 1, id);
	s = db_row_text(t->env.db, st);
	snprintf(buf, sizeof buf, "%s", s ? s : "?");
	free(s);
	return buf;
}

static int64_t
col(struct t *t, const char *column, int64_t id)
{
	char sql[128];
	sqlite3_stmt *st;

	snprintf(sql, sizeof sql, "SELECT %s FROM outbox WHERE id = ?", column);
	st = db_stmt(t->env.db, sql);
	db_bind_int(st, 1, id);
	return db_int(t->env.db, st, -1);
}

/* ---- the tests ------------------------------------------------------ */

/*
 * A claim writes nothing: the row stays pending on disk while it is sent
 * (and is not read again), and its outcome, with the attempt and the
 * transport, is written by the next claim's transaction.
 */
static void
test_settle_in_next_claim(void **state_)
{
	struct t t;
	int64_t id;

	t_open(&t, NULL);
	id = queue(&t, "email", 0);
	t_start(&t);
	pump(&t);
	assert_int_equal(fake.n, 1);
	assert_int_equal(fake.id[0], id);
	assert_string_equal(state(&t, id), "pending");
	assert_int_equal(col(&t, "attempts", id), 0);
	/* Claims come and go; the row in flight is not sent twice. */
	dispatcher_kick(t.d);
	pump(&t);
	assert_int_equal(fake.n, 1);
	fake_answer(0, SEND_OK, "SMabc");
	/* Reported, not yet settled: the loop has not turned. */
	assert_string_equal(state(&t, id), "pending");
	assert_int_equal(dispatcher_inflight(t.d), 1);
	pump(&t);
	assert_string_equal(state(&t, id), "sent");
	assert_int_equal(col(&t, "attempts", id), 1);
	assert_int_equal(dispatcher_inflight(t.d), 0);
	assert_int_equal(fake.n, 1);
	t_close(&t);
}

/* A temporary failure waits base * [0.5, 1.5) before its next try. */
static void
test_backoff(void **state_)
{
	struct t t;
	int64_t id, before, due;

	t_open(&t, "[dispatch]\nbackoff = 100s\n");
	id = queue(&t, "email", 0);
	t_start(&t);
	pump(&t);
	assert_int_equal(fake.n, 1);
	before = time(NULL);
	fake_answer(0, SEND_TEMPFAIL, NULL);
	pump(&t);
	assert_string_equal(state(&t, id), "pending");
	due = col(&t, "next_attempt_at", id);
	assert_true(due >= before + 50);
	assert_true(due <= (int64_t)time(NULL) + 151);
	/* Not due yet: nothing more is sent. */
	assert_int_equal(fake.n, 1);
	t_close(&t);
}

/* The last allowed attempt's temporary failure is final. */
static void
test_max_attempts(void **state_)
{
	struct t t;
	int64_t id;

	t_open(&t, "[dispatch]\nmax_attempts = 2\n");
	id = queue(&t, "email", 0);
	t_start(&t);
	pump(&t);
	fake_answer(0, SEND_TEMPFAIL, NULL);
	pump(&t);
	assert_string_equal(state(&t, id), "pending");
	/* Make it due again and wake the dispatcher. */
	assert_int_equal(
	    db_exec(t.env.db, "UPDATE outbox SET next_attempt_at = 0", NULL),
	    0);
	dispatcher_kick(t.d);
	pump(&t);
	assert_int_equal(fake.n, 2);
	/* Counted when the outcome is written. */
	assert_int_equal(col(&t, "attempts", id), 1);
	fake_answer(1, SEND_TEMPFAIL, NULL);
	pump(&t);
	assert_string_equal(state(&t, id), "failed");
	assert_int_equal(col(&t, "attempts", id), 2);
	t_close(&t);
}

/* A campaign SMS in quiet hours is held, not sent. */
static void
test_quiet_hours(void **state_)
{
	struct t t;
	char ini[128];
	time_t now = time(NULL);
	struct tm tm;
	int64_t id;

	/* A window around the current hour in London, whatever it is. */
	setenv("TZ", "Europe/London", 1);
	tzset();
	localtime_r(&now, &tm);
	snprintf(ini, sizeof ini,
	         "[sms]\nquiet_start = %02d:00\nquiet_end = %02d:00\n",
	         (tm.tm_hour + 23) % 24, (tm.tm_hour + 2) % 24);
	t_open(&t, ini);
	id = queue(&t, "sms", 0);
	t_start(&t);
	pump(&t);
	assert_int_equal(fake.n, 0);
	assert_string_equal(state(&t, id), "held");
	assert_true(col(&t, "next_attempt_at", id) > (int64_t)now);
	t_close(&t);
}

/* A member who opted out since the row was made gets no campaign mail. */
static void
test_optout_cancel(void **state_)
{
	struct t t;
	struct fx_member m = {.first = "Ann",
	                      .email = "ann@example.org",
	                      .consent_email = 1,
	                      .optout_email = 5,
	                      .carer = -1,
	                      .disability = -1};
	int64_t id;

	t_open(&t, NULL);
	id = queue(&t, "email", fx_member_add(t.env.db, &m));
	t_start(&t);
	pump(&t);
	assert_int_equal(fake.n, 0);
	assert_string_equal(state(&t, id), "cancelled");
	t_close(&t);
}

/* Rows a crash left in `sending` are sent again at start (at least once). */
static void
test_requeue_at_start(void **state_)
{
	struct t t;
	int64_t id;

	t_open(&t, NULL);
	id = queue(&t, "email", 0);
	assert_int_equal(
	    db_exec(t.env.db, "UPDATE outbox SET state = 'sending'", NULL), 0);
	t_start(&t);
	pump(&t);
	assert_int_equal(fake.n, 1);
	assert_int_equal(fake.id[0], id);
	fake_answer(0, SEND_OK, "x1");
	pump(&t);
	assert_string_equal(state(&t, id), "sent");
	t_close(&t);
}

/* Row id packed against a run whose sample is dict (bodypack.h). */
static void
pack_row(struct t *t, int64_t id, const char *dict, const char *text,
         const char *html)
{
	struct bodypack *b = bodypack_new(dict, strlen(dict));
	const unsigned char *blob;
	sqlite3_stmt *st;
	size_t len;

	assert_int_equal(
	    db_exec(t->env.db,
	            "INSERT INTO campaigns (name, practice_id, kind, template,"
	            " channels, created_at) VALUES ('c', 1, 'message', 't',"
	            " 'email', 0);"
	            "INSERT INTO runs (campaign_id, scheduled_for, fired_at)"
	            " VALUES (1, 0, 0)",
	            NULL),
	    0);
	st = db_stmt(t->env.db, "UPDATE runs SET body_dict = ?1 WHERE id = 1");
	sqlite3_bind_blob(st, 1, dict, (int)strlen(dict), SQLITE_STATIC);
	assert_int_equal(db_done(t->env.db, st), 0);
	assert_int_equal(bodypack_pack(b, text, html, &blob, &len), 0);
	st = db_stmt(t->env.db, "UPDATE outbox SET run_id = 1, body = ?2,"
	                        " body_html = NULL WHERE id = ?1");
	db_bind_int(st, 1, id);
	sqlite3_bind_blob(st, 2, blob, (int)len, SQLITE_STATIC);
	assert_int_equal(db_done(t->env.db, st), 0);
	bodypack_free(b);
}

/* A campaign row stored packed is sent as the text that was rendered. */
static void
test_packed_body(void **state_)
{
	struct t t;
	int64_t id;

	t_open(&t, NULL);
	id = queue(&t, "email", 0);
	pack_row(&t, id, "Dear Christabelle, the survey: https://x/s/AAAA",
	         "Dear Ann, the survey: https://x/s/BBBB", "<p>Dear Ann</p>");
	t_start(&t);
	pump(&t);
	assert_int_equal(fake.n, 1);
	assert_string_equal(fake.text[0],
	                    "Dear Ann, the survey: https://x/s/BBBB");
	assert_string_equal(fake.html[0], "<p>Dear Ann</p>");
	fake_answer(0, SEND_OK, "p1");
	pump(&t);
	assert_string_equal(state(&t, id), "sent");
	t_close(&t);
}

/* A packed row whose run's sample does not match is held, never sent. */
static void
test_unreadable_body_held(void **state_)
{
	struct t t;
	int64_t id;

	t_open(&t, NULL);
	id = queue(&t, "email", 0);
	pack_row(&t, id, "a sample", "Dear Ann", NULL);
	assert_int_equal(
	    db_exec(t.env.db, "UPDATE runs SET body_dict = x'00ff'", NULL), 0);
	t_start(&t);
	pump(&t);
	assert_int_equal(fake.n, 0);
	assert_string_equal(state(&t, id), "held");
	t_close(&t);
}

/* The token after prefix in s, checked as a derived token of kind for
 * (run, member). */
static void
assert_link(const char *s, const char *prefix, enum linktoken_kind kind,
            const struct config *cfg, int64_t run, int64_t member)
{
	const char *p = strstr(s, prefix);
	char tok[LINKTOKEN_MAX];
	int64_t r, m;
	size_t n;

	assert_non_null(p);
	p += strlen(prefix);
	n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	              "0123456789-_");
	assert_true(n > 0 && n < sizeof tok);
	memcpy(tok, p, n);
	tok[n] = '\0';
	assert_int_equal(linktoken_parse(cfg, tok, kind, &r, &m), 1);
	assert_int_equal(r, run);
	assert_int_equal(m, member);
}

/*
 * A campaign row is fired without text and rendered when claimed, from the
 * run's snapshot (not the template files, which may have changed since),
 * with its links and headers derived for (run, member).
 */
static void
test_rendered_at_send(void **state_)
{
	struct t t;
	struct config *fire_cfg =
	    fx_config("[email]\nreply_domain = reply.example.org\n");
	struct fx_member m = {
	    .first = "Ann", .email = "ann@example.org", .consent_email = 1};
	struct campaign *c = campaign_new();
	struct fire_result r;
	char *cause = NULL;
	int64_t member;

	t_open(&t, "[email]\nreply_domain = reply.example.org\n");
	linktoken_set_key("dispatch test key");
	member = fx_member_add(t.env.db, &m);
	c->name = xstrdup("fft");
	c->practice_id = 1;
	c->kind = xstrdup("survey");
	c->survey_id = fx_survey(t.env.db, "surveys/fft.yaml", NULL);
	free(c->channels);
	c->channels = xstrdup("email");
	assert_int_equal(campaign_add(t.env.db, fire_cfg, c, FX_NOON, &cause),
	                 0);
	assert_int_equal(fire_run(t.env.db, fire_cfg, c, time(NULL), 0,
	                          time(NULL), &r, &cause),
	                 0);
	assert_int_equal(r.email, 1);
	assert_int_equal(db_exec(t.env.db,
	                         "UPDATE runs SET snapshot = replace(snapshot,"
	                         " 'Dear {{', 'Hello {{')",
	                         &cause),
	                 0);
	t_start(&t);
	pump(&t);
	assert_int_equal(fake.n, 1);
	assert_true(strncmp(fake.text[0], "Hello Ann,", 10) == 0);
	assert_link(fake.text[0], "https://ppg.example.org/s/", LT_SURVEY,
	            t.cfg, r.run_id, member);
	assert_link(fake.html[0], "https://ppg.example.org/u/", LT_UNSUBSCRIBE,
	            t.cfg, r.run_id, member);
	assert_link(fake.unsub[0], "https://ppg.example.org/u/", LT_UNSUBSCRIBE,
	            t.cfg, r.run_id, member);
	assert_link(fake.reply[0], "reply+", LT_REPLY, t.cfg, r.run_id, member);
	fake_answer(0, SEND_OK, "p1");
	pump(&t);
	assert_string_equal(state(&t, fake.id[0]), "sent");
	linktoken_set_key(NULL);
	campaign_free(c);
	config_free(fire_cfg);
	t_close(&t);
}

/* Which transaction last changed rows hook_a and hook_b (update hook). */
static int hook_txn, hook_txn_a, hook_txn_b;
static int64_t hook_a, hook_b;

static int
hook_commit(void *arg)
{
	hook_txn++;
	return 0;
}

static void
hook_update(void *arg, int op, const char *db, const char *table,
            sqlite3_int64 rowid)
{
	if (strcmp(table, "outbox") != 0)
		return;
	if (rowid == hook_a)
		hook_txn_a = hook_txn;
	if (rowid == hook_b)
		hook_txn_b = hook_txn;
}

/* Outcomes that come back together are settled in one transaction. */
static void
test_settle_batched(void **state_)
{
	struct t t;
	int64_t a, b;

	t_open(&t, NULL);
	a = queue(&t, "email", 0);
	b = queue(&t, "sms", 0);
	t_start(&t);
	pump(&t);
	assert_int_equal(fake.n, 2);
	fake_answer(0, SEND_OK, "p1");
	fake_answer(1, SEND_TEMPFAIL, NULL);
	hook_a = a;
	hook_b = b;
	hook_txn_a = hook_txn_b = -1;
	sqlite3_commit_hook(db_handle(t.env.db), hook_commit, NULL);
	sqlite3_update_hook(db_handle(t.env.db), hook_update, NULL);
	pump(&t);
	sqlite3_commit_hook(db_handle(t.env.db), NULL, NULL);
	sqlite3_update_hook(db_handle(t.env.db), NULL, NULL);
	assert_true(hook_txn_a >= 0);
	assert_int_equal(hook_txn_a, hook_txn_b);
	assert_string_equal(state(&t, fake.id[0]), "sent");
	assert_string_equal(state(&t, fake.id[1]), "pending");
	assert_int_equal(dispatcher_inflight(t.d), 0);
	t_close(&t);
}

/*
 * A delivery receipt that comes while the send's outcome waits for its
 * batch finds no row with its provider id: it is parked, and applied when
 * the outcome settles.
 */
static void
test_receipt_before_settle(void **state_)
{
	struct t t;
	struct receipt rc = {0, "SMfast", OB_DELIVERED, NULL, NULL};
	const char *disp = NULL;
	int64_t id;

	t_open(&t, NULL);
	id = queue(&t, "sms", 0);
	t_start(&t);
	pump(&t);
	fake_answer(0, SEND_OK, "SMfast");
	assert_int_equal(receipt_apply(t.env.db, &rc, time(NULL), &disp), 0);
	assert_string_equal(disp, "receipt-parked");
	pump(&t);
	assert_string_equal(state(&t, id), "delivered");
	t_close(&t);
}

/*
 * Rows are read ahead of the lane's room. An operator's cancel (here by
 * this process) reaches the rows read and not yet handed over: they are
 * dropped, not sent, and stay cancelled. The one already handed over was
 * sent, and its row says so.
 */
static void
test_cancel_reaches_read_ahead(void **state_)
{
	struct t t;
	int64_t a, b, c;
	char *cause = NULL;
	int n;

	t_open(&t, NULL);
	fake.concurrency = 1;
	a = queue(&t, "email", 0);
	b = queue(&t, "email", 0);
	c = queue(&t, "email", 0);
	t_start(&t);
	pump(&t);
	assert_int_equal(fake.n, 1);
	assert_int_equal(fake.id[0], a);
	assert_int_equal(outbox_cancel(t.env.db, a, NULL, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(outbox_cancel(t.env.db, b, NULL, &n, &cause), 0);
	assert_int_equal(n, 1);
	fake_answer(0, SEND_OK, "p1");
	pump(&t);
	/* b was queued behind a: dropped, not handed over; c goes. */
	assert_int_equal(fake.n, 2);
	assert_int_equal(fake.id[1], c);
	assert_string_equal(state(&t, a), "sent");
	assert_string_equal(state(&t, b), "cancelled");
	assert_int_equal(col(&t, "attempts", b), 0);
	fake_answer(1, SEND_OK, "p2");
	pump(&t);
	assert_string_equal(state(&t, c), "sent");
	assert_int_equal(dispatcher_inflight(t.d), 0);
	t_close(&t);
}

/*
 * A row read by a claim and moved by another process before it is handed
 * over (here cancelled through a second connection, as `ppgd outbox
 * cancel` would) is dropped when the dispatcher next looks (PRAGMA
 * data_version), not sent.
 */
static void
test_cancel_by_another_process(void **state_)
{
	char dir[] = "/tmp/test_dispatch.XXXXXX", path[64], sql[96];
	struct db *other;
	struct t t;
	int64_t a, b, c;
	struct timespec pause = {0, 60 * 1000 * 1000};

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/ppgd.db", dir);
	t_open(&t, NULL);
	snprintf(sql, sizeof sql, "VACUUM INTO '%s'", path);
	assert_int_equal(db_exec(t.env.db, sql, NULL), 0);
	db_close(t.env.db);
	assert_int_equal(db_open(path, &t.env.db, NULL), 0);
	assert_int_equal(db_open(path, &other, NULL), 0);
	fake.concurrency = 1;
	a = queue(&t, "email", 0);
	b = queue(&t, "email", 0);
	c = queue(&t, "email", 0);
	t_start(&t);
	pump(&t);
	assert_int_equal(fake.n, 1);
	assert_int_equal(fake.id[0], a);
	snprintf(sql, sizeof sql,
	         "UPDATE outbox SET state = 'cancelled' WHERE id = %lld",
	         (long long)b);
	assert_int_equal(db_exec(other, sql, NULL), 0);
	/* Longer than the dispatcher waits between looks. */
	nanosleep(&pause, NULL);
	fake_answer(0, SEND_OK, "p1");
	pump(&t);
	assert_int_equal(fake.n, 2);
	assert_int_equal(fake.id[1], c);
	assert_string_equal(state(&t, b), "cancelled");
	fake_answer(1, SEND_OK, "p2");
	pump(&t);
	db_close(other);
	t_close(&t);
	snprintf(sql, sizeof sql, "rm -rf %s", dir);
	assert_int_equal(system(sql), 0);
}

/*
 * Rows are read ahead of the lane's room: at a stop, the outcomes that
 * came back are settled, the rows never handed over are left pending
 * (their attempt not counted), and the sends in flight still settle.
 */
static void
test_stop_flushes(void **state_)
{
	struct t t;
	int64_t id[5];
	int i, queued = 0;

	t_open(&t, NULL);
	fake.concurrency = 2;
	for (i = 0; i < 5; i++)
		id[i] = queue(&t, "email", 0);
	t_start(&t);
	pump(&t);
	assert_int_equal(fake.n, 2);
	for (i = 0; i < 5; i++)
		assert_string_equal(state(&t, id[i]), "pending");
	fake_answer(0, SEND_OK, "p1");
	/* The next claimed row takes the free place at once. */
	assert_int_equal(fake.n, 3);
	dispatcher_stop(t.d);
	pump(&t);
	assert_string_equal(state(&t, fake.id[0]), "sent");
	assert_string_equal(state(&t, fake.id[1]), "pending");
	assert_string_equal(state(&t, fake.id[2]), "pending");
	for (i = 0; i < 5; i++)
		if (id[i] != fake.id[0] && id[i] != fake.id[1] &&
		    id[i] != fake.id[2]) {
			assert_string_equal(state(&t, id[i]), "pending");
			assert_int_equal(col(&t, "attempts", id[i]), 0);
			queued++;
		}
	assert_int_equal(queued, 2);
	assert_int_equal(dispatcher_inflight(t.d), 2);
	fake_answer(1, SEND_OK, "p2");
	fake_answer(2, SEND_PERMFAIL, NULL);
	pump(&t);
	assert_string_equal(state(&t, fake.id[1]), "sent");
	assert_string_equal(state(&t, fake.id[2]), "failed");
	assert_int_equal(dispatcher_inflight(t.d), 0);
	assert_int_equal(fake.n, 3);
	t_close(&t);
}

/*
 * A crash (the process ends, nothing flushed) after a claim and before its
 * outcomes settle: the rows read, in flight or queued, are still pending
 * and sent again by the next start; none is lost.
 */
static void
test_crash_between_claim_and_settle(void **state_)
{
	char dir[] = "/tmp/test_dispatch.XXXXXX", path[64], sql[96];
	struct t t;
	struct db *mem;
	pid_t pid;
	int i, st, sent = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/ppgd.db", dir);
	snprintf(sql, sizeof sql, "VACUUM INTO '%s'", path);
	mem = fx_db();
	for (i = 0; i < 5; i++)
		assert_true(outbox_queue(mem, 1, 0, "email", "campaign",
		                         "ann@example.org", "S", "B",
		                         NULL) > 0);
	assert_int_equal(db_exec(mem, sql, NULL), 0);
	db_close(mem);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		t_open(&t, NULL);
		db_close(t.env.db);
		if (db_open(path, &t.env.db, NULL) == -1)
			_exit(2);
		fake.concurrency = 2;
		t_start(&t);
		pump(&t);
		fake_answer(0, SEND_OK, "p1");
		_exit(fake.n == 3 ? 0 : 3); /* the crash */
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	t_open(&t, NULL);
	db_close(t.env.db);
	assert_int_equal(db_open(path, &t.env.db, NULL), 0);
	for (i = 1; i <= 5; i++) {
		assert_string_equal(state(&t, i), "pending");
		assert_int_equal(col(&t, "attempts", i), 0);
	}
	t_start(&t);
	pump(&t);
	assert_int_equal(fake.n, 5);
	for (i = 0; i < 5; i++)
		fake_answer(i, SEND_OK, NULL);
	pump(&t);
	for (i = 1; i <= 5; i++) {
		sent += strcmp(state(&t, i), "sent") == 0;
		assert_int_equal(col(&t, "attempts", i), 1);
	}
	assert_int_equal(sent, 5);
	t_close(&t);
	snprintf(sql, sizeof sql, "rm -rf %s", dir);
	assert_int_equal(system(sql), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_settle_in_next_claim),
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_max_attempts),
	    cmocka_unit_test(test_quiet_hours),
	    cmocka_unit_test(test_optout_cancel),
	    cmocka_unit_test(test_requeue_at_start),
	    cmocka_unit_test(test_packed_body),
	    cmocka_unit_test(test_unreadable_body_held),
	    cmocka_unit_test(test_rendered_at_send),
	    cmocka_unit_test(test_settle_batched),
	    cmocka_unit_test(test_receipt_before_settle),
	    cmocka_unit_test(test_cancel_reaches_read_ahead),
	    cmocka_unit_test(test_cancel_by_another_process),
	    cmocka_unit_test(test_stop_flushes),
	    cmocka_unit_test(test_crash_between_claim_and_settle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
