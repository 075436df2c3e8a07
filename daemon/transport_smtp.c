/*
 * The smtp transport, on libESMTP. libESMTP blocks, so sessions run in a pool
 * of worker threads that never touch libevent or SQLite. The loop builds each
 * message (mime_build) and queues it; a worker takes up to per_session queued
 * messages, sends them in one SMTP session and hands the outcomes back through
 * a pipe that the loop watches, where each done callback is called.
 *
 * The outcome of a message is read from the server's replies to it (MAIL,
 * RCPT, end of DATA), never from smtp_start_session's return alone: a message
 * is sent only when its recipient and its data were both accepted with 2xx.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <auth-client.h>
#include <libesmtp.h>

#include "log.h"
#include "mime.h"
#include "transport.h"
#include "xmalloc.h"

#define SMTP_MAX_WORKERS 64      /* the bound of [smtp] sessions */
#define SMTP_TIMEOUT_MS  60000L  /* each wait for the server */
#define SMTP_DATA2_MS    300000L /* the reply to the end of DATA */
#define SMTP_JOIN_WAIT   5       /* seconds free waits for a session */

/* The settings a session starts with; shared, freed by the last user. */
struct smtp_conf {
	int refs; /* under the state's mutex */
	char *server;
	enum starttls_option tls;
	char *username;
	char *password;
	char *from; /* envelope sender, or "" */
	int per_session;
	int port;
};

/* One message, from send to done. */
struct smtp_job {
	struct smtp_job *next;
	transport_done_fn done;
	void *arg;
	char *eml;
	char *rcpt;
	char *sender; /* the address of the From header */
	char msgid[128];
	smtp_message_t msg;
	smtp_recipient_t rcpt_h;
	struct send_outcome out;
};

struct smtp_state;

struct smtp_worker {
	struct smtp_state *s;
	int idx;
	int started;
	int exited;
	pthread_t tid;
};

struct smtp_state {
	struct event_base *base;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct smtp_job *queue, **queue_tail; /* loop -> workers */
	int queued;
	struct smtp_job *done, **done_tail; /* workers -> loop */
	struct smtp_conf *conf;
	int target; /* workers wanted */
	int idle;
	int stopping;
	struct smtp_worker workers[SMTP_MAX_WORKERS];
	int pipe[2];
	struct event *ev_done;
	struct event *ev_kick;
};

static pthread_once_t smtp_once = PTHREAD_ONCE_INIT;

static void
smtp_global_init(void)
{
	auth_client_init();
}

static enum starttls_option
smtp_tls_option(const char *v)
{
	if (strcmp(v, "off") == 0)
		return Starttls_DISABLED;
	if (strcmp(v, "opportunistic") == 0)
		return Starttls_ENABLED;
	return Starttls_REQUIRED;
}

/* A settings snapshot of cfg. Caller drops it with smtp_conf_unref. */
static struct smtp_conf *
smtp_conf_new(const struct config *cfg)
{
	struct smtp_conf *c = xcalloc(1, sizeof *c);

	c->refs = 1;
	c->server = xasprintf("%s:%lld", config_str(cfg, CFG_SMTP_HOST),
	                      config_int(cfg, CFG_SMTP_PORT));
	c->tls = smtp_tls_option(config_str(cfg, CFG_SMTP_STARTTLS));
	c->username = xstrdup(config_str(cfg, CFG_SMTP_USERNAME));
	c->password = xstrdup(config_str(cfg, CFG_SMTP_PASSWORD));
	c->from = xstrdup(config_str(cfg, CFG_SMTP_FROM));
	c->per_session = (int)config_int(cfg, CFG_SMTP_PER_SESSION);
	c->port = (int)config_int(cfg, CFG_SMTP_PORT);
	if (*c->username != '\0' && c->tls != Starttls_REQUIRED)
		log_warnx("event=smtp_config msg_detail=\"AUTH without "
		          "starttls=required may send the password in clear\"");
	return c;
}

/* Drop a reference; the caller holds the state's mutex. */
static void
smtp_conf_unref(struct smtp_conf *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	free(c->server);
	free(c->username);
	if (c->password != NULL)
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	free(c->from);
	free(c);
}

static void
smtp_job_free(struct smtp_job *j)
{
	free(j->eml);
	free(j->rcpt);
	free(j->sender);
	free(j);
}

/* Put a server's text into dst on one line, without the trailing CRLF. */
static void
smtp_copy_text(char *dst, size_t size, const char *src)
{
	size_t i;

	snprintf(dst, size, "%s", src != NULL ? src : "");
	for (i = 0; dst[i] != '\0'; i++)
		if ((unsigned char)dst[i] < 0x20)
			dst[i] = ' ';
	while (i > 0 && dst[i - 1] == ' ')
		dst[--i] = '\0';
}

static void
smtp_outcome(struct smtp_job *j, enum send_result r, const char *code,
             const char *text)
{
	j->out.result = r;
	snprintf(j->out.code, sizeof j->out.code, "%s", code);
	smtp_copy_text(j->out.text, sizeof j->out.text, text);
}

/* An outcome from a server reply: 2xx sent, 4xx later, 5xx never. */
static void
smtp_outcome_status(struct smtp_job *j, const smtp_status_t *st)
{
	char code[16];

	if (st->code / 100 == 2) {
		/* Accepted: the Message-ID is the provider's reference. */
		smtp_outcome(j, SEND_OK, "", "");
		snprintf(j->out.provider_id, sizeof j->out.provider_id, "%s",
		         j->msgid);
		return;
	}
	snprintf(code, sizeof code, "%d", st->code);
	/* 530 "authenticate first" is about our session (a wrong password,
	 * AUTH not offered), not the message: it is worth waiting for. */
	smtp_outcome(j,
	             st->code / 100 == 5 && st->code != 530 ? SEND_PERMFAIL
	                                                    : SEND_TEMPFAIL,
	             code, st->text);
}

static int
smtp_is_fail(const smtp_status_t *st)
{
	return st != NULL && (st->code / 100 == 4 || st->code / 100 == 5);
}

/*
 * Decide one message after its session. MAIL refused, RCPT refused, the data
 * refused: that reply decides. Recipient and data both 2xx: sent. Anything
 * else (no connection, dropped mid-DATA, never reached): try again later.
 */
static void
smtp_job_settle(struct smtp_job *j, const char *session_error)
{
	const smtp_status_t *mail = NULL, *rcpt = NULL, *data = NULL;

	if (j->msg != NULL) {
		mail = smtp_reverse_path_status(j->msg);
		data = smtp_message_transfer_status(j->msg);
	}
	if (j->rcpt_h != NULL)
		rcpt = smtp_recipient_status(j->rcpt_h);
	if (smtp_is_fail(mail))
		smtp_outcome_status(j, mail);
	else if (smtp_is_fail(rcpt))
		smtp_outcome_status(j, rcpt);
	else if (rcpt != NULL && rcpt->code / 100 == 2 && data != NULL &&
	         (data->code / 100 == 2 || smtp_is_fail(data)))
		smtp_outcome_status(j, data);
	else
		smtp_outcome(j, SEND_TEMPFAIL, "session",
		             session_error != NULL ? session_error
		                                   : "message not transferred");
}

/* libESMTP asks for the AUTH user and password. */
static int
smtp_interact(auth_client_request_t req, char **result, int fields, void *arg)
{
	struct smtp_conf *c = arg;
	int i;

	for (i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_USER)
			result[i] = c->username;
		else if (req[i].flags & AUTH_PASS)
			result[i] = c->password;
		else
			result[i] = (char *)"";
	}
	return 1;
}

/* Whether fd is a TCP connection to port. */
static int
smtp_is_relay(int fd, int port)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;

	if (getpeername(fd, (struct sockaddr *)&sa, &len) == -1)
		return 0;
	if (sa.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&sa)->sin_port) == port;
	if (sa.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&sa)->sin6_port) == port;
	return 0;
}

/*
 * libESMTP hides its socket and writes through a 2 KB buffer, so a message
 * longer than that ends in a short write that Nagle holds until the server's
 * delayed ACK (40 ms on Linux): some 25 messages a second a session. On
 * connect, turn Nagle off on the connections to the relay's port (another
 * worker's connection may get the same setting twice: harmless).
 */
static void
smtp_on_event(smtp_session_t ss, int event, void *arg, ...)
{
	struct smtp_conf *c = arg;
	struct dirent *de;
	DIR *dir;
	int fd, one = 1;

	if (event != SMTP_EV_CONNECT ||
	    (dir = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = atoi(de->d_name);
		if (fd != dirfd(dir) && smtp_is_relay(fd, c->port))
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			           sizeof one);
	}
	closedir(dir);
}

static smtp_session_t
smtp_session_new(struct smtp_conf *c, auth_context_t *auth)
{
	smtp_session_t ss;
	static const int waits[] = {Timeout_GREETING, Timeout_ENVELOPE,
	                            Timeout_DATA, Timeout_TRANSFER};
	size_t i;

	*auth = NULL;
	if ((ss = smtp_create_session()) == NULL)
		return NULL;
	smtp_set_server(ss, c->server);
	smtp_set_eventcb(ss, smtp_on_event, c);
	smtp_starttls_enable(ss, c->tls);
	for (i = 0; i < sizeof waits / sizeof waits[0]; i++)
		smtp_set_timeout(ss,
		                 waits[i] | Timeout_OVERRIDE_RFC2822_MINIMUM,
		                 SMTP_TIMEOUT_MS);
	smtp_set_timeout(ss, Timeout_DATA2 | Timeout_OVERRIDE_RFC2822_MINIMUM,
	                 SMTP_DATA2_MS);
	if (*c->username != '\0' && (*auth = auth_create_context()) != NULL) {
		auth_set_mechanism_flags(*auth, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(*auth, smtp_interact, c);
		smtp_auth_set_context(ss, *auth);
	}
	return ss;
}

/* Add one message with its one recipient to the session. */
static void
smtp_session_add(smtp_session_t ss, struct smtp_conf *c, struct smtp_job *j)
{
	const char *sender = *c->from != '\0' ? c->from : j->sender;

	if ((j->msg = smtp_add_message(ss)) == NULL)
		return;
	smtp_set_reverse_path(j->msg, sender);
	/* libESMTP reads CRLF lines and dot-stuffs them itself. */
	smtp_set_message_str(j->msg, j->eml);
	j->rcpt_h = smtp_add_recipient(j->msg, j->rcpt);
}

/* Send jobs in one SMTP session and settle each of them. */
static void
smtp_session_run(struct smtp_conf *c, struct smtp_job *jobs, int n)
{
	smtp_session_t ss;
	auth_context_t auth;
	struct smtp_job *j;
	char buf[256], *err = NULL;
	int ok = 0;

	if ((ss = smtp_session_new(c, &auth)) != NULL) {
		for (j = jobs; j != NULL; j = j->next)
			smtp_session_add(ss, c, j);
		ok = smtp_start_session(ss);
	}
	if (!ok) {
		err = xasprintf("session failed: %s",
		                smtp_strerror(smtp_errno(), buf, sizeof buf));
		log_warnx("event=smtp_session server=%s messages=%d "
		          "error=\"%s\"",
		          c->server, n, err);
	}
	for (j = jobs; j != NULL; j = j->next) {
		smtp_job_settle(j, err);
		j->msg = NULL;
		j->rcpt_h = NULL;
	}
	free(err);
	if (ss != NULL)
		smtp_destroy_session(ss);
	if (auth != NULL)
		auth_destroy_context(auth);
}

/* Take this worker's share of the queue; the caller holds the mutex. */
static struct smtp_job *
smtp_take(struct smtp_state *s, int *count)
{
	struct smtp_job *first = s->queue, **tail = &first, *j;
	int n = (s->queued + s->idle) / (s->idle + 1), i;

	/* Spread a burst over the idle sessions, up to per_session each. */
	if (n > s->conf->per_session)
		n = s->conf->per_session;
	if (n < 1)
		n = 1;
	for (i = 0, j = s->queue; i < n && j != NULL; i++, j = j->next)
		tail = &j->next;
	s->queue = *tail;
	*tail = NULL;
	if (s->queue == NULL)
		s->queue_tail = &s->queue;
	s->queued -= i;
	*count = i;
	return first;
}

/* Hand finished jobs to the loop; the caller holds the mutex. */
static void
smtp_report(struct smtp_state *s, struct smtp_job *jobs)
{
	int was_empty = s->done == NULL;

	*s->done_tail = jobs;
	while (*s->done_tail != NULL)
		s->done_tail = &(*s->done_tail)->next;
	/* One byte wakes the loop; it takes the whole list. */
	if (was_empty && write(s->pipe[1], "", 1) == -1 && errno != EAGAIN)
		log_warn("event=smtp_report");
}

static void *
smtp_worker_main(void *arg)
{
	struct smtp_worker *w = arg;
	struct smtp_state *s = w->s;
	struct smtp_job *jobs;
	struct smtp_conf *c;
	int n;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->queue == NULL && !s->stopping && w->idx < s->target) {
			s->idle++;
			pthread_cond_wait(&s->cv, &s->mu);
			s->idle--;
		}
		if (s->queue == NULL || w->idx >= s->target)
			break;
		jobs = smtp_take(s, &n);
		c = s->conf;
		c->refs++;
		pthread_mutex_unlock(&s->mu);
		smtp_session_run(c, jobs, n);
		pthread_mutex_lock(&s->mu);
		smtp_conf_unref(c);
		smtp_report(s, jobs);
	}
	w->exited = 1;
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Start workers up to the target; the caller holds the mutex. */
static void
smtp_spawn(struct smtp_state *s)
{
	struct smtp_worker *w;
	sigset_t all, old;
	int i;

	/* Workers take no signals: the loop handles them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < s->target; i++) {
		w = &s->workers[i];
		if (w->started && !w->exited)
			continue;
		if (w->started)
			pthread_join(w->tid, NULL);
		w->s = s;
		w->idx = i;
		w->exited = 0;
		w->started =
		    pthread_create(&w->tid, NULL, smtp_worker_main, w) == 0;
		if (!w->started)
			log_warnx("event=smtp_worker error=\"cannot start a "
			          "thread\"");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The loop side: call the done callback of every finished job. */
static void
smtp_on_done(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_state *s = arg;
	struct smtp_job *list, *next;
	char buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&s->mu);
	list = s->done;
	s->done = NULL;
	s->done_tail = &s->done;
	pthread_mutex_unlock(&s->mu);
	for (; list != NULL; list = next) {
		next = list->next;
		list->done(&list->out, list->arg);
		smtp_job_free(list);
	}
}

/* Wake the workers once a batch of sends is queued. */
static void
smtp_on_kick(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_state *s = arg;

	pthread_mutex_lock(&s->mu);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static int
smtp_init(struct event_base *base, const struct config *cfg, void **state,
          char **cause)
{
	struct smtp_state *s = xcalloc(1, sizeof *s);

	pthread_once(&smtp_once, smtp_global_init);
	if (pipe2(s->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		*cause = xasprintf("pipe: %s", strerror(errno));
		free(s);
		return -1;
	}
	s->base = base;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->queue_tail = &s->queue;
	s->done_tail = &s->done;
	s->conf = smtp_conf_new(cfg);
	s->target = (int)config_int(cfg, CFG_SMTP_SESSIONS);
	s->ev_done =
	    event_new(base, s->pipe[0], EV_READ | EV_PERSIST, smtp_on_done, s);
	s->ev_kick = event_new(base, -1, 0, smtp_on_kick, s);
	event_add(s->ev_done, NULL);
	pthread_mutex_lock(&s->mu);
	smtp_spawn(s);
	pthread_mutex_unlock(&s->mu);
	log_info("event=smtp_ready server=%s sessions=%d per_session=%d",
	         s->conf->server, s->target, s->conf->per_session);
	*state = s;
	return 0;
}

/* A job that never reaches a worker is reported through the same pipe. */
static void
smtp_refuse(struct smtp_state *s, struct smtp_job *j, const char *code,
            const char *text)
{
	smtp_outcome(j, SEND_PERMFAIL, code, text);
	pthread_mutex_lock(&s->mu);
	smtp_report(s, j);
	pthread_mutex_unlock(&s->mu);
}

/* The Message-ID of a built message, the provider id once accepted. */
static void
smtp_message_id(struct smtp_job *j)
{
	const char *p = strstr(j->eml, "\r\nMessage-ID: <"), *e;

	if (p == NULL || (e = strchr(p + 15, '>')) == NULL)
		return;
	p += 15;
	snprintf(j->msgid, sizeof j->msgid, "%.*s", (int)(e - p), p);
}

static void
smtp_send(void *state, const struct outmsg *m, transport_done_fn done,
          void *arg)
{
	struct smtp_state *s = state;
	struct smtp_job *j = xcalloc(1, sizeof *j);
	char *cause = NULL;

	j->done = done;
	j->arg = arg;
	j->out.id = m->id;
	if (strcmp(m->channel, "email") != 0) {
		smtp_refuse(s, j, "channel",
		            "the smtp transport sends email only");
		return;
	}
	if (mime_build(m, &j->eml, &cause) == -1) {
		smtp_refuse(s, j, "message", cause);
		free(cause);
		return;
	}
	smtp_message_id(j);
	j->rcpt = mime_addr(m->to);
	j->sender = mime_addr(m->from);
	pthread_mutex_lock(&s->mu);
	*s->queue_tail = j;
	s->queue_tail = &j->next;
	s->queued++;
	pthread_mutex_unlock(&s->mu);
	/* Wake the workers after this batch of sends, not for each one. */
	event_active(s->ev_kick, EV_TIMEOUT, 0);
}

static void
smtp_reload(void *state, const struct config *cfg)
{
	struct smtp_state *s = state;
	struct smtp_conf *c = smtp_conf_new(cfg);

	pthread_mutex_lock(&s->mu);
	smtp_conf_unref(s->conf);
	s->conf = c;
	s->target = (int)config_int(cfg, CFG_SMTP_SESSIONS);
	smtp_spawn(s);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	log_info("event=smtp_reload server=%s sessions=%d per_session=%d",
	         c->server, s->target, c->per_session);
}

/* Join a worker, waiting at most until deadline; 0 if it ended. */
static int
smtp_join(struct smtp_worker *w, const struct timespec *deadline)
{
	if (!w->started)
		return 0;
	if (pthread_timedjoin_np(w->tid, NULL, deadline) != 0)
		return -1;
	w->started = 0;
	return 0;
}

static void
smtp_free(void *state)
{
	struct smtp_state *s = state;
	struct smtp_job *j, *next;
	struct timespec deadline;
	int i, stuck = 0;

	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	/* Only a timed-out stop leaves jobs queued: they stay `sending` and
	 * are re-queued at the next start. Sending them now could double. */
	for (j = s->queue; j != NULL; j = next) {
		next = j->next;
		smtp_job_free(j);
	}
	s->queue = NULL;
	s->queue_tail = &s->queue;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += SMTP_JOIN_WAIT;
	for (i = 0; i < SMTP_MAX_WORKERS; i++)
		if (smtp_join(&s->workers[i], &deadline) == -1)
			stuck++;
	event_free(s->ev_done);
	event_free(s->ev_kick);
	if (stuck > 0) {
		/* A session still blocks in libESMTP: leave it the state. */
		log_warnx("event=smtp_stop sessions_left=%d", stuck);
		return;
	}
	for (j = s->done; j != NULL; j = next) {
		next = j->next;
		smtp_job_free(j);
	}
	smtp_conf_unref(s->conf);
	close(s->pipe[0]);
	close(s->pipe[1]);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/*
 * In flight: what the sessions carry and as much again queued, so a
 * session that ends finds its next per_session messages waiting instead of
 * waiting for the loop to settle its outcomes and claim more (which, with
 * no more than the sessions carry, also split the next claim over every
 * session then idle: sessions of 25 instead of 100).
 */
static void
smtp_limits(const struct config *cfg, struct transport_limits *l)
{
	l->concurrency = (int)(2 * config_int(cfg, CFG_SMTP_SESSIONS) *
	                       config_int(cfg, CFG_SMTP_PER_SESSION));
	l->rate = (double)config_int(cfg, CFG_SMTP_RATE);
	l->burst = (double)config_int(cfg, CFG_SMTP_BURST);
}

const struct transport_ops transport_smtp_ops = {
    .name = "smtp",
    .init = smtp_init,
    .send = smtp_send,
    .reload = smtp_reload,
    .free = smtp_free,
    .limits = smtp_limits,
};
