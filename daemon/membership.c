/*
 * Membership through the year. The renewal and exit messages are ordinary
 * campaigns of each practice, so they share everything a campaign promises
 * (tokens, SMS conversations, quiet hours, opt-outs, the outbox, one row per
 * member and run). Who is due is an audience term (renewal-due:, leaving:,
 * see audience.h) whose NOT EXISTS on the member's survey tokens makes each
 * message once per term (renewal) or once ever (exit), in the same
 * transaction as the fire.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "audience.h"
#include "campaign.h"
#include "fire.h"
#include "firequeue.h"
#include "log.h"
#include "env.h"
#include "membership.h"
#include "survey_store.h"
#include "xmalloc.h"

#define MEMBERSHIP_INTERVAL (3 * 3600)
#define MEMBERSHIP_BUSY     60 /* seconds: again while other fires run */
#define DAY                 86400

struct membership {
	struct env *env;
	struct event *timer;
};

/* A kind of membership message. */
struct mkind {
	const char *prefix; /* campaign name: PREFIX-CODE */
	const char *survey; /* slug, and the template's name */
};

static const struct mkind renewal = {"term-renewal", "term-renewal"};
static const struct mkind leaving = {"exit", "exit"};

/* The practice's campaign of kind k, made the first time; NULL (no cause)
 * when its survey is not loaded. */
static struct campaign *
mkind_campaign(struct db *db, const struct config *cfg, int64_t practice_id,
               const char *code, const struct mkind *k, const char *audience,
               int64_t now, char **cause)
{
	char *name = xasprintf("%s-%s", k->prefix, code);
	struct campaign *c = campaign_find(db, name);
	int64_t survey = survey_store_latest(db, k->survey, NULL), id;

	if (c != NULL || survey == 0) {
		free(name);
		return c;
	}
	c = campaign_new();
	c->name = name;
	c->practice_id = practice_id;
	c->kind = xstrdup("survey");
	c->survey_id = survey;
	free(c->template);
	c->template = xstrdup(k->survey);
	free(c->audience);
	c->audience = xstrdup(audience);
	if (campaign_add(db, cfg, c, now, cause) == -1) {
		campaign_free(c);
		return NULL;
	}
	id = c->id;
	campaign_free(c);
	log_info("event=membership_campaign name=%s-%s", k->prefix, code);
	return campaign_get(db, id); /* loaded: slug, zone */
}

/* 1 if a fire of c would send anything (most ticks send nothing, and a
 * fire always records a run). */
static int
any_due(struct db *db, const struct config *cfg, const struct campaign *c,
        int64_t now)
{
	struct aud_scope sc;
	struct aud_member m;
	struct audience *a;
	struct aud_query *q;
	char *cause = NULL;
	int rc, due = 0;

	memset(&sc, 0, sizeof sc);
	if (audience_channels(c->channels, &sc, &cause) == -1 ||
	    audience_parse(c->audience, &a, &cause) == -1) {
		free(cause);
		return 0;
	}
	sc.practice_id = c->practice_id;
	sc.now = now;
	sc.frequency_cap = (int)config_int(cfg, CFG_CAMPAIGN_FREQUENCY_CAP);
	if (audience_query_new(db, a, &sc, &q, &cause) == 0) {
		while (!due && (rc = audience_next(q, &m)) == 1)
			due = m.skip == AUD_OK;
		audience_query_free(q);
	} else
		free(cause);
	audience_free(a);
	return due;
}

/* A membership fire queued on the loop ended. */
static void
mkind_done(void *arg, enum firequeue_end how, struct campaign *c,
           const struct fire_result *r, const char *cause)
{
	if (how == FIREQUEUE_FIRED && r->messages > 0)
		log_info("event=membership campaign=%s messages=%d", c->name,
		         r->messages);
}

/* Send kind k at one practice to those audience selects; with fq, as a
 * job in the daemon's queue of fires (*sent does not count it). */
static int
mkind_run(struct db *db, const struct config *cfg, struct firequeue *fq,
          int64_t practice_id, const char *code, const struct mkind *k,
          const char *audience, int64_t now, int *sent, char **cause)
{
	struct campaign *c;
	struct fire_result r;
	int rc = 0;

	if ((c = mkind_campaign(db, cfg, practice_id, code, k, audience, now,
	                        cause)) == NULL)
		return *cause != NULL ? -1 : 0;
	/* The notice follows the configuration, whatever was stored. */
	free(c->audience);
	c->audience = xstrdup(audience);
	if (strcmp(c->state, "paused") != 0 && any_due(db, cfg, c, now)) {
		if (fq != NULL &&
		    (rc = firequeue_add(fq, c, now, 0, now, mkind_done, NULL,
		                        &r, cause)) == 1)
			return 0; /* the queue took c */
		if (fq == NULL &&
		    (rc = fire_run(db, cfg, c, now, 0, now, &r, cause)) == 0 &&
		    r.messages > 0) {
			log_info("event=membership campaign=%s messages=%d",
			         c->name, r.messages);
			*sent += r.messages;
		}
	}
	campaign_free(c);
	return rc;
}

/* membership_run; with fq, each fire a job in the daemon's queue. */
static int
membership_pass(struct db *db, const struct config *cfg, struct firequeue *fq,
                int64_t now, int *sent, char **cause)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, code FROM practices"
	                               " ORDER BY id");
	char *renew = xasprintf("renewal-due:%llds",
	                        config_int(cfg, CFG_MEMBERSHIP_RENEWAL_NOTICE));
	char *left = xasprintf("leaving:%ds", MEMBERSHIP_EXIT_WINDOW);
	int64_t *ids = NULL;
	char **codes = NULL;
	size_t n = 0, i;
	int rc = 0;

	*sent = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		codes = xreallocarray(codes, n + 1, sizeof *codes);
		ids[n] = sqlite3_column_int64(st, 0);
		codes[n++] = xstrdup(db_col_text(st, 1));
	}
	sqlite3_reset(st);
	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = mkind_run(db, cfg, fq, ids[i], codes[i], &renewal,
			               renew, now, sent, cause);
		if (rc == 0 && config_int(cfg, CFG_MEMBERSHIP_EXIT_SURVEY))
			rc = mkind_run(db, cfg, fq, ids[i], codes[i], &leaving,
			               left, now, sent, cause);
		free(codes[i]);
	}
	free(ids);
	free(codes);
	free(renew);
	free(left);
	return rc;
}

int
membership_run(struct db *db, const struct config *cfg, int64_t now, int *sent,
               char **cause)
{
	return membership_pass(db, cfg, NULL, now, sent, cause);
}

int
membership_answered(struct db *db, int months, int64_t notice,
                    int64_t response_id, int64_t now)
{
	sqlite3_stmt *st = db_stmt(
	    db, "UPDATE members SET term_ends_at = CAST(strftime('%s',"
	        " max(term_ends_at, ?3), 'unixepoch', '+' || ?2 || ' months')"
	        " AS INTEGER), updated_at = ?3 WHERE id = (SELECT r.member_id"
	        " FROM responses r JOIN surveys s ON s.id = r.survey_id"
	        " JOIN answers a ON a.response_id = r.id WHERE r.id = ?1"
	        " AND s.slug = 'term-renewal' AND a.question = 'renew'"
	        " AND a.value = '1') AND erased_at IS NULL" /* 1: Yes */
	        " AND term_ends_at IS NOT NULL AND term_ends_at <= ?3 + ?4");

	db_bind_int(st, 1, response_id);
	db_bind_int(st, 2, months);
	db_bind_int(st, 3, now);
	db_bind_int(st, 4, notice);
	if (db_done(db, st) == -1)
		return -1;
	if (db_changes(db) == 0)
		return 0;
	db_audit(db, "member", "member.renew", "member", NULL);
	log_info("event=membership_renewed response=%lld",
	         (long long)response_id);
	return 1;
}

json_t *
membership_terms_ending(struct db *db, const char *practice, int64_t now)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT count(CASE WHEN m.term_ends_at <= ?2 + 30 * 86400"
	        " THEN 1 END), count(CASE WHEN m.term_ends_at <= ?2 +"
	        " 60 * 86400 THEN 1 END), count(*) FROM members m JOIN"
	        " practices p ON p.id = m.practice_id WHERE m.erased_at IS"
	        " NULL AND (?1 IS NULL OR p.code = ?1) AND m.term_ends_at > ?2"
	        " AND m.term_ends_at <= ?2 + 90 * 86400");
	json_t *o = json_object();

	db_bind_text(st, 1, practice);
	db_bind_int(st, 2, now);
	if (sqlite3_step(st) == SQLITE_ROW) {
		json_object_set_new(o, "within_30_days",
		                    json_integer(sqlite3_column_int64(st, 0)));
		json_object_set_new(o, "within_60_days",
		                    json_integer(sqlite3_column_int64(st, 1)));
		json_object_set_new(o, "within_90_days",
		                    json_integer(sqlite3_column_int64(st, 2)));
	}
	sqlite3_reset(st);
	return o;
}

static void
membership_tick_run(struct membership *ms)
{
	struct timeval tv = {MEMBERSHIP_INTERVAL, 0};
	char *cause = NULL;
	int sent = 0;

	/* Who is due is read before a fire makes its rows: while fires are
	 * queued (this pass's own among them), a pass would queue the same
	 * members again. */
	if (firequeue_length(ms->env->fires) > 0) {
		tv.tv_sec = MEMBERSHIP_BUSY;
		evtimer_add(ms->timer, &tv);
		return;
	}
	if (!ms->env->stopping &&
	    membership_pass(ms->env->db, ms->env->cfg, ms->env->fires,
	                    time(NULL), &sent, &cause) == -1) {
		log_warnx("event=membership error=\"%s\"", cause);
		free(cause);
	}
	if (sent > 0)
		env_kick(ms->env);
	evtimer_add(ms->timer, &tv);
}

/* The timer's callback: no statement may outlive it. */
static void
membership_tick(evutil_socket_t fd, short what, void *arg)
{
	struct membership *ms = arg;

	membership_tick_run(ms);
	db_idle(ms->env->db, "membership_tick");
}

struct membership *
membership_new(struct env *env)
{
	struct membership *ms = xcalloc(1, sizeof *ms);
	struct timeval soon = {1, 0};

	ms->env = env;
	ms->timer = evtimer_new(env->base, membership_tick, ms);
	evtimer_add(ms->timer, &soon);
	return ms;
}

void
membership_free(struct membership *ms)
{
	if (ms == NULL)
		return;
	event_free(ms->timer);
	free(ms);
}
