/*
 * Joining by text: "JOIN" or "JOIN firstname" to the practice's number from
 * a number that is not a member's starts a request; the conversation asks
 * for the first name if it was not given, states what members get and links
 * the confidentiality agreement, and a YES reply confirms the number (the
 * sender holds it). A YES to the code text of a request made on the web
 * confirms that request too. Runs inside the webhook's transaction.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agreement.h"
#include "join.h"
#include "joinsms.h"
#include "log.h"
#include "member.h"
#include "outbox.h"
#include "util.h"
#include "xmalloc.h"

#define SMS_NAME_MAX 50

struct jpractice {
	int64_t id;
	char *code, *name, *phone;
};

static void
jpractice_clear(struct jpractice *p)
{
	free(p->code);
	free(p->name);
	free(p->phone);
}

static int
jpractice_row(sqlite3_stmt *st, struct jpractice *p)
{
	int found = sqlite3_step(st) == SQLITE_ROW;

	if (found) {
		p->id = sqlite3_column_int64(st, 0);
		p->code = xstrdup(db_col_text(st, 1));
		p->name = xstrdup(db_col_text(st, 2));
		p->phone = xstrdup(db_col_text(st, 3));
	}
	sqlite3_reset(st);
	return found;
}

/* The practice texted: by its SMS number, else the only practice. */
static int
jpractice_to(struct db *db, const char *to, struct jpractice *p)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT id, code, name, phone FROM practices"
	                " WHERE sms_from=?1 AND sms_from != '' LIMIT 1");

	db_bind_text(st, 1, to != NULL ? to : "");
	if (jpractice_row(st, p))
		return 1;
	st = db_stmt(db, "SELECT id, code, name, phone FROM practices"
	                 " WHERE (SELECT count(*) FROM practices) = 1");
	return jpractice_row(st, p);
}

static int
jpractice_id(struct db *db, int64_t id, struct jpractice *p)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT id, code, name, phone FROM"
	                               " practices WHERE id=?1");

	db_bind_int(st, 1, id);
	return jpractice_row(st, p);
}

static int
say(struct db *db, const struct jpractice *p, int64_t member, const char *to,
    const char *text, struct smsconv_result *r)
{
	if (outbox_queue(db, p->id, member, "sms", "transactional", to, NULL,
	                 text, NULL) == -1)
		return -1;
	r->queued++;
	return 0;
}

/* "JOIN" or "JOIN name": 1 and the name (maybe "") in *name. */
static int
is_join(const char *text, char **name)
{
	char *t = util_trim(xstrdup(text != NULL ? text : ""));
	int yes = strncasecmp(t, "join", 4) == 0 &&
	          (t[4] == '\0' || isspace((unsigned char)t[4]));

	if (yes) {
		*name = util_trim(xstrdup(t + 4));
		if (strlen(*name) > SMS_NAME_MAX || util_has_crlf(*name))
			(*name)[0] = '\0';
	}
	free(t);
	return yes;
}

static int
is_yes(const char *text)
{
	char *t = util_trim(xstrdup(text != NULL ? text : ""));
	int yes = strcasecmp(t, "yes") == 0 || strcasecmp(t, "y") == 0;

	free(t);
	return yes;
}

/* What members get, the agreement link, and "reply YES". */
static int
ask_agree(struct db *db, const struct config *cfg, const struct jpractice *p,
          const char *mobile, const char *name, struct smsconv_result *r)
{
	struct agreement a;
	char *cause = NULL, *text, *link = NULL;
	int rc;

	if (agreement_load(cfg, &a, &cause) == 1)
		link = xasprintf(" Please read our confidentiality agreement: "
		                 "%s/join/%s/agreement.",
		                 config_str(cfg, CFG_PUBLIC_URL), p->code);
	free(cause);
	agreement_clear(&a);
	text = xasprintf("Hi %s. Members of the %s patient group get short "
	                 "surveys and meeting news by text, no more than 3 a "
	                 "week; reply STOP at any time.%s Reply YES to agree "
	                 "and join.",
	                 name, p->name, link != NULL ? link : "");
	rc = say(db, p, 0, mobile, text, r);
	free(text);
	free(link);
	return rc;
}

/* JOIN from a number that is not a member's. */
static int
start(struct db *db, const struct config *cfg, const struct smsconv_msg *m,
      const char *name, struct smsconv_result *r)
{
	struct jpractice p = {0};
	int64_t id;
	int rc;
	char *text;

	if (!jpractice_to(db, m->to, &p))
		return 0;
	r->practice_id = p.id;
	if (join_sms_open(db, p.id, m->from, *name ? name : NULL, m->now,
	                  config_int(cfg, CFG_JOIN_EXPIRY), &id) == -1 ||
	    join_sms_step(db, id, NULL, *name ? "agree" : "name") == -1) {
		jpractice_clear(&p);
		return -1;
	}
	if (*name)
		rc = ask_agree(db, cfg, &p, m->from, name, r);
	else {
		text = xasprintf("Thank you for asking to join the patient "
		                 "group at %s. What is your first name? Reply "
		                 "with just your name.",
		                 p.name);
		rc = say(db, &p, 0, m->from, text, r);
		free(text);
	}
	log_info("event=join_sms id=%lld", (long long)id);
	jpractice_clear(&p);
	return rc == -1 ? -1 : 1;
}

/* JOIN from a member's number: they are a member already. */
static int
already(struct db *db, int64_t member, const char *mobile,
        struct smsconv_result *r)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT practice_id FROM members"
	                               " WHERE id=?1");
	struct jpractice p = {0};
	char *text;
	int rc = -1;

	db_bind_int(st, 1, member);
	if (sqlite3_step(st) == SQLITE_ROW)
		p.id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (jpractice_id(db, p.id, &p)) {
		text = xasprintf("%s patient group: you are already a member, "
		                 "so there is nothing more to do. Questions? "
		                 "Call %s.",
		                 p.name, *p.phone ? p.phone : "the practice");
		rc = say(db, &p, member, mobile, text, r);
		free(text);
	}
	r->member_id = member;
	r->practice_id = p.id;
	jpractice_clear(&p);
	return rc == -1 ? -1 : 1;
}

static int
practice_of_request(struct db *db, int64_t id, struct jpractice *p)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT practice_id FROM join_requests"
	                               " WHERE id=?1");
	int64_t pid = 0;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		pid = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return jpractice_id(db, pid, p);
}

/* A reply in a request's conversation; 0 if it is not for us. */
static int
reply(struct db *db, const struct config *cfg, const struct smsconv_msg *m,
      int64_t id, const char *step, struct smsconv_result *r)
{
	struct jpractice p = {0};
	struct agreement a;
	char *name, *cause = NULL;
	int rc = 1;

	if (!practice_of_request(db, id, &p))
		return 0;
	r->practice_id = p.id;
	if (step != NULL && strcmp(step, "name") == 0 && !is_yes(m->text)) {
		name = util_trim(xstrdup(m->text));
		if (*name == '\0' || strlen(name) > SMS_NAME_MAX)
			rc = say(db, &p, 0, m->from,
			         "Please reply with just "
			         "your first name.",
			         r) == -1
			         ? -1
			         : 1;
		else if (join_sms_step(db, id, name, "agree") == -1 ||
		         ask_agree(db, cfg, &p, m->from, name, r) == -1)
			rc = -1;
		free(name);
	} else if (is_yes(m->text) &&
	           (step == NULL || strcmp(step, "agree") == 0)) {
		if (step != NULL && agreement_load(cfg, &a, &cause) == 1) {
			if (join_sms_agree(db, id, a.version, m->now) == -1)
				rc = -1;
			agreement_clear(&a);
		}
		free(cause);
		if (rc == 1 &&
		    join_confirm_mobile(db, cfg, id, m->now) == JC_ERROR)
			rc = -1;
		else if (rc == 1 && strcmp(config_str(cfg, CFG_JOIN_APPROVAL),
		                           "auto") != 0)
			rc = say(db, &p, 0, m->from,
			         "Thank you. The practice will check your "
			         "request, then we will text you a welcome.",
			         r) == -1
			         ? -1
			         : 1;
	} else
		rc = 0;
	jpractice_clear(&p);
	return rc;
}

/* STOP from a number whose only business is an unconfirmed request. */
static int
stop(struct db *db, const struct smsconv_msg *m, struct smsconv_result *r)
{
	struct jpractice p = {0};
	char *step = NULL, *text;
	int64_t id = join_by_mobile(db, m->from, m->now, &step);
	int rc = 0;

	free(step);
	if (id == 0 || member_by_mobile(db, m->from) != 0 ||
	    !practice_of_request(db, id, &p))
		return 0;
	r->disposition = "optout";
	r->practice_id = p.id;
	text = xasprintf("You will get no more texts from the patient group "
	                 "at %s, and we have deleted your request to join.",
	                 p.name);
	if (join_cancel(db, id, m->now) == -1 ||
	    say(db, &p, 0, m->from, text, r) == -1)
		rc = -1;
	else
		rc = 1;
	log_info("event=join_cancel id=%lld", (long long)id);
	free(text);
	jpractice_clear(&p);
	return rc;
}

int
joinsms_handle(struct db *db, const struct config *cfg,
               const struct smsconv_msg *m, struct smsconv_result *r)
{
	char *name = NULL, *step = NULL;
	enum smsconv_keyword kw = smsconv_keyword(m->text);
	int64_t member, id;
	int rc = 0;

	if (kw == KW_STOP)
		return stop(db, m, r);
	if (kw != KW_NONE)
		return 0;

	if (is_join(m->text, &name)) {
		r->disposition = "join";
		if ((member = member_by_mobile(db, m->from)) != 0)
			rc = already(db, member, m->from, r);
		else
			rc = start(db, cfg, m, name, r);
		free(name);
		return rc;
	}
	if ((id = join_by_mobile(db, m->from, m->now, &step)) == 0)
		return 0;
	if ((rc = reply(db, cfg, m, id, step, r)) == 1)
		r->disposition = "join";
	free(step);
	return rc;
}
