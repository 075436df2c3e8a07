/*
 * The webhook routes on evhttp. A request is parsed and authenticated at
 * once (400, 403), then queued; a zero-delay timer applies every request
 * queued during this turn of the loop in ONE transaction, each inside its
 * own savepoint, and only after the commit are they answered. Under load a
 * batch holds every request that arrived together, so the cost of a commit
 * is shared; when idle a batch is one request and adds no delay.
 *
 * When another process (a CLI import, erase or purge) holds the write lock,
 * the batch waits for it: it is tried again from a timer every few
 * milliseconds, never by sleeping on the loop, and a request that has
 * waited [http] write_wait is answered 503. Providers time out after about
 * 15 s and Twilio does not retry an inbound text, so ordinary contention
 * must delay a webhook, not refuse it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/keyvalq_struct.h>

#include "env.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "ratelog.h"
#include "server.h"
#include "util.h"
#include "webhook.h"
#include "webhook_http.h"
#include "xmalloc.h"

#define TWIML "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"

/* Between two tries for the write lock. */
#define BATCH_RETRY_USEC 2000

struct job {
	struct evhttp_request *req;
	double arrived; /* util_monotonic() */
	struct webhook_in in;
	struct webhook_out out;
	struct job *next;
};

static struct {
	struct server *srv;
	struct event *ev;
	struct job *head, **tail;
	int n;
} batch = {NULL, NULL, NULL, &batch.head, 0};

/* The success answer each provider expects. */
static void
reply_ok(struct evhttp_request *req, enum webhook_kind k)
{
	if (k == WH_TWILIO_SMS || k == WH_TWILIO_STATUS)
		http_reply(req, 200, "text/xml; charset=utf-8", TWIML,
		           strlen(TWIML));
	else if (k == WH_NOTIFY_SMS || k == WH_NOTIFY_STATUS)
		http_reply(req, 200, "application/json", "{}", 2);
	else
		http_reply_text(req, 200, "ok");
}

static void
job_reply(struct job *j)
{
	if (j->out.status == 200)
		reply_ok(j->req, j->in.kind);
	else if (j->out.status == 400)
		http_reply_text(j->req, 400, "missing fields");
	else
		http_reply_text(j->req, j->out.status, "try again later");
}

static int
savepoint(struct db *db, const char *sql)
{
	return db_done(db, db_stmt(db, sql));
}

/* Apply one job in its savepoint; a database error undoes only it. */
static void
job_apply(struct db *db, const struct config *cfg, struct job *j)
{
	if (savepoint(db, "SAVEPOINT webhook") == -1) {
		j->out.status = 503;
		return;
	}
	if (webhook_apply(db, cfg, &j->in, &j->out) == -1) {
		log_warnx("event=webhook provider=%s error=\"%s\"",
		          webhook_provider(j->in.kind), db_errmsg(db));
		savepoint(db, "ROLLBACK TO webhook");
		j->out.status = 503;
		j->out.queued = 0;
	}
	savepoint(db, "RELEASE webhook");
}

/* Apply the batch in one transaction; 0, -1 if it did not commit, 1 if
 * another connection holds the write lock (nothing done). */
static int
batch_commit(struct job *list)
{
	struct db *db = server_db(batch.srv);
	const struct config *cfg = server_config(batch.srv);
	struct job *j;
	int rc;

	if ((rc = db_try_begin(db)) != 0)
		return rc;
	for (j = list; j != NULL; j = j->next)
		job_apply(db, cfg, j);
	if (db_commit(db) == -1) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

/*
 * The write lock is another's: answer 503 to the jobs that have waited
 * write_wait, keep the rest queued (ahead of newer ones) and try again soon.
 */
static void
batch_wait(void)
{
	double wait = (double)config_int(server_config(batch.srv),
	                                 CFG_HTTP_WRITE_WAIT),
	       now = util_monotonic();
	struct timeval tv = {0, BATCH_RETRY_USEC};
	struct job **jp = &batch.head, *j;

	while ((j = *jp) != NULL) {
		if (now - j->arrived < wait && !server_stopping(batch.srv)) {
			jp = &j->next;
			continue;
		}
		*jp = j->next;
		batch.n--;
		ratelog_warnx("webhook_busy",
		              "event=webhook error=\"write lock busy for "
		              "%.1f s\"",
		              now - j->arrived);
		http_reply_text(j->req, 503, "try again later");
		webhook_in_clear(&j->in);
		free(j);
	}
	for (batch.tail = &batch.head; *batch.tail != NULL;
	     batch.tail = &(*batch.tail)->next)
		;
	if (batch.head != NULL)
		evtimer_add(batch.ev, &tv);
}

static void
batch_run(evutil_socket_t fd, short what, void *arg)
{
	struct job *list = batch.head, *j, *next;
	int queued = 0, ok, rc;

	if ((rc = batch_commit(list)) == 1) {
		batch_wait();
		return;
	}
	batch.head = NULL;
	batch.tail = &batch.head;
	batch.n = 0;
	ok = rc == 0;
	for (j = list; j != NULL; j = next) {
		next = j->next;
		if (!ok) {
			j->out.status = 503;
			j->out.queued = 0;
		}
		queued += j->out.queued;
		job_reply(j);
		webhook_in_clear(&j->in);
		free(j);
	}
	if (!ok)
		log_warnx("event=webhook error=\"batch did not commit\"");
	if (queued > 0)
		env_kick(server_env(batch.srv));
	db_idle(server_db(batch.srv), "webhook_batch");
}

static void
batch_add(struct server *srv, struct job *j)
{
	struct timeval now = {0, 0};

	if (batch.ev == NULL) {
		batch.srv = srv;
		batch.ev = evtimer_new(server_base(srv), batch_run, NULL);
	}
	*batch.tail = j;
	batch.tail = &j->next;
	batch.n++;
	if (!evtimer_pending(batch.ev, NULL))
		evtimer_add(batch.ev, &now);
}

static const char *
header(struct evhttp_request *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

static int
authentic(struct evhttp_request *req, struct server *srv,
          const struct webhook_in *in)
{
	const struct config *cfg = server_config(srv);
	char *url = xasprintf("%s%s", config_str(cfg, CFG_PUBLIC_URL),
	                      evhttp_request_get_uri(req));
	int ok =
	    webhook_authentic(cfg, in, url, header(req, "X-Twilio-Signature"),
	                      header(req, "Authorization"));

	free(url);
	return ok;
}

void
webhook_http(struct evhttp_request *req, struct server *srv, const char *rest)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	int kind = webhook_kind_of(evhttp_uri_get_path(u));
	struct job *j;
	const char *ctype;
	char *body, *cause = NULL;
	size_t len;

	if (kind == -1) {
		http_reply_text(req, 404, "not found");
		return;
	}
	ctype = header(req, "Content-Type");
	if (!webhook_accepts(kind, ctype)) {
		http_reply_text(req, 415, "unsupported content type");
		return;
	}
	j = xcalloc(1, sizeof *j);
	j->req = req;
	body = http_body(req, &len);
	if (webhook_parse_as(kind, ctype, body, len, &j->in, &cause) == -1) {
		http_reply_text(req, 400, cause);
		free(cause);
		free(body);
		free(j);
		return;
	}
	free(body);
	j->in.now = time(NULL);
	j->arrived = util_monotonic();
	if (!authentic(req, srv, &j->in)) {
		ratelog_warnx("webhook_forbidden",
		              "event=webhook provider=%s error=forbidden",
		              webhook_provider(kind));
		http_reply_text(req, 403, "forbidden");
		webhook_in_clear(&j->in);
		free(j);
		return;
	}
	batch_add(srv, j);
}

int
webhook_http_pending(void)
{
	return batch.n;
}

void
webhook_http_free(void)
{
	if (batch.ev != NULL)
		event_free(batch.ev);
	batch.ev = NULL;
}
