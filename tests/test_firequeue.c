/* The daemon's queue of fires: order, one at a time, the write lock taken
 * by another process, shutdown. A database file with a second connection
 * (the "CLI") and a real libevent loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "campaign.h"
#include "campaign_fixture.h"
#include "env.h"
#include "fire.h"
#include "firequeue.h"
#include "xmalloc.h"

#define MEMBERS 40

struct t {
	char dir[64], path[96];
	struct env env;
	struct config *cfg;
	struct firequeue *fq;
	sqlite3 *cli; /* another process's connection */
	char done[8][32];
	enum firequeue_end how[8];
	int messages[8];
	int ndone;
};

static struct db *
file_db(const char *path)
{
	struct db *db;
	char *cause = NULL;
	struct practice p = {.code = "A81001",
	                     .name = "Riverside Surgery",
	                     .timezone = "Europe/London"};

	if (db_open(path, &db, &cause) == -1 ||
	    db_migrate(db, 0, &cause) == -1 ||
	    practice_add(db, &p, &cause) == -1) {
		fprintf(stderr, "test: %s\n", cause);
		abort();
	}
	/* As the daemon's (server.c): the loop never waits for the lock. */
	sqlite3_busy_timeout(db_handle(db), 0);
	return db;
}

static int
setup(void **state)
{
	struct t *t = xcalloc(1, sizeof *t);
	struct fx_member m = {
	    .first = "A", .email = "a@example.org", .consent_email = 1};
	int i;

	snprintf(t->dir, sizeof t->dir, "/tmp/ppgd-fq-XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		abort();
	snprintf(t->path, sizeof t->path, "%s/ppgd.db", t->dir);
	t->env.db = file_db(t->path);
	t->cfg = fx_config("[campaign]\nfrequency_cap = 0\n");
	t->env.cfg = t->cfg;
	t->env.base = event_base_new();
	for (i = 0; i < MEMBERS; i++)
		fx_member_add(t->env.db, &m);
	t->fq = firequeue_new(&t->env);
	if (sqlite3_open(t->path, &t->cli) != SQLITE_OK)
		abort();
	/* Every member a slice: a fire takes many loop turns. */
	fire_set_slice(0);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;
	char cmd[128];

	firequeue_free(t->fq);
	sqlite3_close(t->cli);
	db_close(t->env.db);
	event_base_free(t->env.base);
	config_free(t->cfg);
	snprintf(cmd, sizeof cmd, "rm -rf %s", t->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "test: cannot remove %s\n", t->dir);
	fire_set_slice(-1);
	free(t);
	return 0;
}

static void
on_done(void *arg, enum firequeue_end how, struct campaign *c,
        const struct fire_result *r, const char *cause)
{
	struct t *t = arg;

	assert_true(t->ndone < 8);
	snprintf(t->done[t->ndone], sizeof t->done[0], "%s", c->name);
	t->how[t->ndone] = how;
	t->messages[t->ndone] = r->messages;
	t->ndone++;
}

static struct campaign *
broadcast(struct t *t, const char *name)
{
	struct campaign *c = campaign_new();
	char *cause = NULL;

	c->name = xstrdup(name);
	c->practice_id = 1;
	c->kind = xstrdup("broadcast");
	c->message = xstrdup("Hello.");
	free(c->channels);
	c->channels = xstrdup("email");
	if (campaign_add(t->env.db, t->cfg, c, FX_NOON, &cause) == -1) {
		fprintf(stderr, "campaign_add: %s\n", cause);
		fail();
	}
	return c;
}

/* Queue a fire of a new broadcast name; the result of firequeue_add. */
static int
queue(struct t *t, const char *name, struct fire_result *r)
{
	struct campaign *c = broadcast(t, name);
	char *cause = NULL;
	int rc =
	    firequeue_add(t->fq, c, FX_NOON, 0, FX_NOON, on_done, t, r, &cause);

	if (rc != 1)
		campaign_free(c);
	free(cause);
	return rc;
}

static int64_t
q(struct t *t, const char *sql, const char *name)
{
	sqlite3_stmt *st = db_stmt(t->env.db, sql);
	int64_t v = -1;

	db_bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

#define RUN_OF(col)                                                            \
	"SELECT " col " FROM runs r JOIN campaigns c ON c.id = r.campaign_id"  \
	" WHERE c.name = ?"
#define ROWS(agg)                                                              \
	"SELECT " agg " FROM outbox o JOIN runs r ON r.id = o.run_id JOIN"     \
	" campaigns c ON c.id = r.campaign_id WHERE c.name = ?"

/* Turn the loop until the queue is empty (or too many turns). */
static void
drain(struct t *t)
{
	int turns = 0;

	while (firequeue_length(t->fq) > 0 && turns++ < 100000)
		event_base_loop(t->env.base, EVLOOP_ONCE);
	assert_int_equal(firequeue_length(t->fq), 0);
}

static void
cli_lock(struct t *t, int on)
{
	assert_int_equal(sqlite3_exec(t->cli, on ? "BEGIN IMMEDIATE" : "COMMIT",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
}

/* Two fires: each run made when queued, then fired in turn, whole. */
static void
test_order(void **state)
{
	struct t *t = *state;
	struct fire_result r;

	assert_int_equal(queue(t, "one", &r), 1);
	assert_true(r.run_id > 0);
	assert_int_equal(queue(t, "two", &r), 1);
	assert_true(r.run_id > 0);
	assert_int_equal(firequeue_length(t->fq), 2);
	/* Both runs exist, firing: a crash now is finished at start. */
	assert_int_equal(q(t, RUN_OF("firing"), "one"), 1);
	assert_int_equal(q(t, RUN_OF("firing"), "two"), 1);
	assert_int_equal(q(t, ROWS("count(*)"), "two"), 0);
	drain(t);
	assert_int_equal(t->ndone, 2);
	assert_string_equal(t->done[0], "one");
	assert_string_equal(t->done[1], "two");
	assert_int_equal(t->how[0], FIREQUEUE_FIRED);
	assert_int_equal(t->messages[0], MEMBERS);
	assert_int_equal(t->messages[1], MEMBERS);
	/* One at a time: the second's rows all come after the first's. */
	assert_true(q(t, ROWS("max(o.id)"), "one") <
	            q(t, ROWS("min(o.id)"), "two"));
	assert_int_equal(q(t, RUN_OF("firing"), "two"), 0);
}

/* Another process holds the write lock: the fire waits, then finishes. */
static void
test_lock_taken(void **state)
{
	struct t *t = *state;
	struct fire_result r;
	int i;

	assert_int_equal(queue(t, "locked", &r), 1);
	cli_lock(t, 1);
	for (i = 0; i < 20; i++)
		event_base_loop(t->env.base, EVLOOP_ONCE);
	/* Nothing failed: still queued, still firing, nothing made. */
	assert_int_equal(t->ndone, 0);
	assert_int_equal(firequeue_length(t->fq), 1);
	assert_int_equal(q(t, RUN_OF("firing"), "locked"), 1);
	cli_lock(t, 0);
	drain(t);
	assert_int_equal(t->ndone, 1);
	assert_int_equal(t->how[0], FIREQUEUE_FIRED);
	assert_int_equal(t->messages[0], MEMBERS);
	assert_int_equal(q(t, RUN_OF("messages"), "locked"), MEMBERS);
}

/* The lock taken when the fire is queued: its run is made in its turn. */
static void
test_lock_taken_at_start(void **state)
{
	struct t *t = *state;
	struct campaign *c = broadcast(t, "later");
	int64_t id = c->id;
	struct fire_result r;
	char *cause = NULL;
	int i;

	cli_lock(t, 1);
	assert_int_equal(firequeue_add(t->fq, c, FX_NOON, 0, FX_NOON, on_done,
	                               t, &r, &cause),
	                 1);
	assert_null(cause);
	assert_int_equal(r.run_id, 0);
	for (i = 0; i < 10; i++)
		event_base_loop(t->env.base, EVLOOP_ONCE);
	assert_int_equal(t->ndone, 0);
	/* A send of it again is refused while it waits (web admin). */
	assert_int_equal(firequeue_has(t->fq, id), 1);
	cli_lock(t, 0);
	assert_int_equal(q(t, RUN_OF("count(*)"), "later"), 0);
	drain(t);
	assert_int_equal(firequeue_has(t->fq, id), 0);
	assert_int_equal(t->ndone, 1);
	assert_int_equal(t->how[0], FIREQUEUE_FIRED);
	assert_int_equal(q(t, RUN_OF("messages"), "later"), MEMBERS);
}

/* A run fired before is not queued again. */
static void
test_fired_before(void **state)
{
	struct t *t = *state;
	struct campaign *c;
	struct fire_result r;
	char *cause = NULL;

	assert_int_equal(queue(t, "once", &r), 1);
	drain(t);
	c = campaign_find(t->env.db, "once");
	assert_int_equal(firequeue_add(t->fq, c, FX_NOON, 0, FX_NOON, on_done,
	                               t, &r, &cause),
	                 0);
	assert_int_equal(r.created, 0);
	assert_int_equal(firequeue_length(t->fq), 0);
	campaign_free(c);
	assert_int_equal(t->ndone, 1);
}

/* Stopping ends every fire; their runs stay firing for the next start,
 * and one not yet started is dropped, with no run. */
static void
test_stop(void **state)
{
	struct t *t = *state;
	struct campaign *b = broadcast(t, "b");
	struct fire_result r;
	char *cause = NULL;
	int fired = 0;

	assert_int_equal(queue(t, "a", &r), 1);
	cli_lock(t, 1);
	assert_int_equal(firequeue_add(t->fq, b, FX_NOON, 0, FX_NOON, on_done,
	                               t, &r, &cause),
	                 1);
	assert_int_equal(r.run_id, 0);
	cli_lock(t, 0);
	event_base_loop(t->env.base, EVLOOP_ONCE);
	firequeue_stop(t->fq);
	assert_int_equal(t->ndone, 2);
	assert_int_equal(t->how[0], FIREQUEUE_STOPPED);
	assert_int_equal(t->how[1], FIREQUEUE_DROPPED);
	assert_int_equal(q(t, RUN_OF("firing"), "a"), 1);
	assert_int_equal(q(t, RUN_OF("count(*)"), "b"), 0);
	assert_int_equal(queue(t, "c", &r), -1);
	/* The next start finishes it. */
	assert_int_equal(fire_resume(t->env.db, t->cfg, FX_NOON, &fired), 0);
	assert_int_equal(q(t, RUN_OF("firing"), "a"), 0);
	assert_int_equal(q(t, RUN_OF("messages"), "a"), MEMBERS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_taken, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_taken_at_start, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_fired_before, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
