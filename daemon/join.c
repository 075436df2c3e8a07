/*
 * Join requests. A request holds what the person gave (as member fields in
 * JSON) and nothing becomes a member until the contact is confirmed and,
 * by default, the practice approves. Links and codes are random, stored
 * only as SHA-256 hashes, and compared in constant time; an unconfirmed
 * request expires and loses its personal data at once.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "crypto.h"
#include "join.h"
#include "log.h"
#include "member.h"
#include "outbox.h"
#include "phone.h"
#include "template.h"
#include "util.h"
#include "welcome.h"
#include "xmalloc.h"

#define NAME_MAX_LEN 100

static const char *const yes_no[] = {"yes", "no", NULL};

static int
blank(const char *s)
{
	return s == NULL || *s == '\0';
}

static int
one_of(const char *const *list, const char *v)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, v) == 0)
			return 1;
	return 0;
}

static int
ticked(const char *v)
{
	return v != NULL && strcmp(v, "yes") == 0;
}

static void
set_error(struct join_errors *e, enum join_field f, const char *msg)
{
	if (e->msg[f] == NULL)
		e->n++;
	e->msg[f] = msg;
}

/* A name: given, not too long, one line of valid UTF-8. */
static const char *
name_error(const char *v, const char *missing)
{
	if (blank(v))
		return missing;
	if (strlen(v) > NAME_MAX_LEN)
		return "Enter no more than 100 characters";
	if (util_has_crlf(v) || !util_utf8_valid(v, strlen(v)))
		return "Enter your name without line breaks or symbols we "
		       "cannot read";
	return NULL;
}

/* A field of a scratch member: 0 if member_set takes v. */
static int
member_takes(const char *field, const char *v)
{
	struct member *m = member_new(0, NULL);
	char *cause = NULL;
	int rc = member_set(m, field, v, &cause);

	free(cause);
	member_free(m);
	return rc;
}

/* The age in whole years on now of a "DD/MM/YYYY" birth date; -1 if bad. */
static int
age_of(const char *dob, int64_t now)
{
	int d, m, y, age;
	char extra;
	struct tm tm = {0}, t;
	time_t tt = (time_t)now;

	if (sscanf(dob, "%d/%d/%d%c", &d, &m, &y, &extra) != 3 &&
	    sscanf(dob, "%d-%d-%d%c", &y, &m, &d, &extra) != 3)
		return -1;
	tm.tm_mday = d;
	tm.tm_mon = m - 1;
	tm.tm_year = y - 1900;
	tm.tm_hour = 12;
	t = tm;
	if (y < 1900 || m < 1 || m > 12 || d < 1 || timegm(&t) == -1 ||
	    t.tm_mday != d || t.tm_mon != m - 1)
		return -1;
	gmtime_r(&tt, &t);
	age = t.tm_year - tm.tm_year;
	if (t.tm_mon < tm.tm_mon || (t.tm_mon == tm.tm_mon && t.tm_mday < d))
		age--;
	return age;
}

/* The age band of an age (16 or over). */
static const char *
band_of(int age)
{
	static const int lows[] = {16, 25, 35, 45, 55, 65, 75, 85};
	int i;

	for (i = 7; i > 0 && age < lows[i]; i--)
		;
	return member_age_bands[i];
}

static void
check_contact(const struct join_form *f, struct join_errors *e)
{
	char norm[17];

	if (blank(f->email) && blank(f->mobile))
		set_error(e, JF_CONTACT,
		          "Enter an email address or a mobile number, or both");
	if (!blank(f->email) && member_takes("email", f->email) == -1)
		set_error(e, JF_EMAIL,
		          "Enter an email address in the right format, like "
		          "name@example.com");
	if (!blank(f->email) && !ticked(f->consent_email))
		set_error(e, JF_CONSENT_EMAIL,
		          "Tick the box to say we may email you, or leave the "
		          "email address empty");
	if (!blank(f->mobile) &&
	    (phone_normalise(f->mobile, norm, NULL) == -1 ||
	     !phone_is_uk_mobile(norm)))
		set_error(e, JF_MOBILE,
		          "Enter a UK mobile number, like 07700 900123");
	if (!blank(f->mobile) && !ticked(f->consent_sms))
		set_error(e, JF_CONSENT_SMS,
		          "Tick the box to say we may text you, or leave the "
		          "mobile number empty");
}

static void
check_equality(const struct join_form *f, int64_t now, struct join_errors *e)
{
	int age;

	if (!blank(f->age_band) && !one_of(member_age_bands, f->age_band))
		set_error(e, JF_AGE_BAND, "Choose an age group from the list");
	if (!blank(f->dob)) {
		if ((age = age_of(f->dob, now)) < 0 || age > 120)
			set_error(e, JF_DOB,
			          "Enter your date of birth as day, month and "
			          "year, like 31/03/1980");
		else if (age < 16)
			set_error(
			    e, JF_DOB,
			    "You need to be 16 or over to join the group");
	}
	if (!blank(f->sex) && !one_of(member_sexes, f->sex))
		set_error(e, JF_SEX, "Choose an answer from the list");
	if (!blank(f->ethnicity) && !one_of(member_ethnicities, f->ethnicity))
		set_error(e, JF_ETHNICITY, "Choose an answer from the list");
	if (!blank(f->disability) && !one_of(yes_no, f->disability))
		set_error(e, JF_DISABILITY, "Choose yes, no, or skip it");
	if (!blank(f->carer) && !one_of(yes_no, f->carer))
		set_error(e, JF_CARER, "Choose yes, no, or skip it");
	if (!blank(f->communication) && !one_of(yes_no, f->communication))
		set_error(e, JF_COMMUNICATION, "Choose yes, no, or skip it");
}

void
join_check(const struct join_form *f, int64_t now, struct join_errors *e)
{
	const char *err;

	memset(e, 0, sizeof *e);
	if ((err = name_error(f->first_name, "Enter your first name")) != NULL)
		set_error(e, JF_FIRST_NAME, err);
	if ((err = name_error(f->last_name, "Enter your last name")) != NULL)
		set_error(e, JF_LAST_NAME, err);
	check_contact(f, e);
	check_equality(f, now, e);
}

const char *
join_source(const char *sv)
{
	size_t n;

	if (blank(sv))
		return "direct";
	n = strspn(sv, "abcdefghijklmnopqrstuvwxyz0123456789-");
	return sv[n] == '\0' && n <= 32 ? sv : "direct";
}

static void
data_set(json_t *d, const char *k, const char *v)
{
	if (!blank(v))
		json_object_set_new(d, k, json_string(v));
}

/* The member fields a request will set, as JSON. */
static json_t *
form_data(const struct join_form *f, const char *version, int64_t now)
{
	json_t *d = json_object();
	char buf[21];

	data_set(d, "first_name", f->first_name);
	data_set(d, "last_name", f->last_name);
	data_set(d, "age_band",
	         !blank(f->dob) ? band_of(age_of(f->dob, now)) : f->age_band);
	data_set(d, "sex", f->sex);
	data_set(d, "ethnicity", f->ethnicity);
	data_set(d, "disability", f->disability);
	data_set(d, "carer", f->carer);
	if (ticked(f->communication))
		data_set(d, "tags", "communication-needs");
	if (version != NULL) {
		data_set(d, "confidentiality_signed",
		         util_format_time(now, buf));
		data_set(d, "confidentiality_version", version);
	}
	return d;
}

/* A random 6-digit code (uniform: rejection sampling). */
static int
code_new(char out[7])
{
	uint32_t v;

	do {
		if (RAND_bytes((unsigned char *)&v, sizeof v) != 1)
			return -1;
	} while (v >= 4294000000u);
	snprintf(out, 7, "%06u", (unsigned)(v % 1000000u));
	return 0;
}

/* The practice's name, phone and code for messages. Caller frees. */
struct practice_info {
	char *code, *name, *phone;
};

static int
practice_info(struct db *db, int64_t id, struct practice_info *p)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT code, name, phone FROM practices WHERE id=?1");
	int rc = -1;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		p->code = xstrdup(db_col_text(st, 0));
		p->name = xstrdup(db_col_text(st, 1));
		p->phone = xstrdup(db_col_text(st, 2));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

static void
practice_info_clear(struct practice_info *p)
{
	free(p->code);
	free(p->name);
	free(p->phone);
}

/*
 * Render templates NAME for channel ch with vars and queue it to `to`.
 * A missing template is a broken installation: -1.
 */
static int
send_template(struct db *db, const struct config *cfg, int64_t practice_id,
              int64_t member_id, const char *name, enum tmpl_channel ch,
              const char *to, struct tvars *v)
{
	struct template *t = NULL;
	struct rendered out = {0};
	char *cause = NULL;
	int rc = -1;

	if (template_load(config_str(cfg, CFG_TEMPLATES), name, ch, 0, &t,
	                  &cause) == 0 &&
	    template_render(t, v, &out, &cause) == 0)
		rc = outbox_queue(db, practice_id, member_id,
		                  ch == TMPL_EMAIL ? "email" : "sms",
		                  "transactional", to, out.subject, out.text,
		                  out.html) == -1
		         ? -1
		         : 0;
	if (cause != NULL)
		log_warnx("event=template name=%s error=\"%s\"", name, cause);
	free(cause);
	rendered_clear(&out);
	template_free(t);
	return rc;
}

static struct tvars *
vars_new(const struct practice_info *p, const char *first_name)
{
	struct tvars *v = tvars_new();

	tvars_set(v, "practice.name", p->name);
	tvars_set(v, "practice.code", p->code);
	tvars_set(v, "practice.phone", p->phone);
	tvars_set(v, "member.first_name",
	          blank(first_name) ? "there" : first_name);
	return v;
}

/* "You are already a member", by the channels that matched a member. */
static int
tell_already(struct db *db, const struct config *cfg, int64_t practice_id,
             int64_t by_email, int64_t by_mobile, const char *email,
             const char *mobile, const char *first_name)
{
	struct practice_info p = {0};
	struct tvars *v;
	int rc = 0;

	if (practice_info(db, practice_id, &p) == -1)
		return -1;
	v = vars_new(&p, first_name);
	if (by_email != 0)
		rc = send_template(db, cfg, practice_id, by_email,
		                   "join-already-member", TMPL_EMAIL, email, v);
	if (rc == 0 && by_mobile != 0)
		rc = send_template(db, cfg, practice_id, by_mobile,
		                   "join-already-member", TMPL_SMS, mobile, v);
	tvars_free(v);
	practice_info_clear(&p);
	return rc;
}

/* An unconfirmed request for the same address is replaced by this one. */
static int
supersede(struct db *db, int64_t practice_id, const char *email,
          const char *mobile, int64_t now)
{
	sqlite3_stmt *st = db_stmt(
	    db, "UPDATE join_requests SET state='expired', data=NULL,"
	        " first_name=NULL, email=NULL, mobile=NULL, ref_hash=NULL,"
	        " email_hash=NULL, code_hash=NULL, purged_at=?4"
	        " WHERE practice_id=?1 AND state='unconfirmed'"
	        " AND ((?2 IS NOT NULL AND email=?2)"
	        " OR (?3 IS NOT NULL AND mobile=?3))");

	db_bind_int(st, 1, practice_id);
	db_bind_text(st, 2, email);
	db_bind_text(st, 3, mobile);
	db_bind_int(st, 4, now);
	return db_done(db, st);
}

struct secrets {
	char ref[23], link[23], code[7];
	char ref_hash[65], link_hash[65], code_hash[65];
};

static int
secrets_new(struct secrets *s)
{
	if (crypto_token_new(s->ref) == -1 || crypto_token_new(s->link) == -1 ||
	    code_new(s->code) == -1)
		return -1;
	crypto_token_hash(s->ref, s->ref_hash);
	crypto_token_hash(s->link, s->link_hash);
	crypto_token_hash(s->code, s->code_hash);
	return 0;
}

static int64_t
request_insert(struct db *db, int64_t practice_id, const char *via,
               const char *source, const char *first_name, const char *email,
               const char *mobile, const char *data, const struct secrets *s,
               int64_t now, int64_t expiry)
{
	sqlite3_stmt *st = db_stmt(
	    db, "INSERT INTO join_requests (practice_id, via, source,"
	        " first_name, email, mobile, data, ref_hash, email_hash,"
	        " code_hash, created_at, expires_at) VALUES (?1,?2,?3,?4,?5,"
	        "?6,?7,?8,?9,?10,?11,?12)");

	db_bind_int(st, 1, practice_id);
	db_bind_text(st, 2, via);
	db_bind_text(st, 3, source);
	db_bind_text(st, 4, first_name);
	db_bind_text(st, 5, email);
	db_bind_text(st, 6, mobile);
	db_bind_text(st, 7, data);
	db_bind_text(st, 8, s->ref_hash);
	db_bind_text(st, 9, email != NULL ? s->link_hash : NULL);
	db_bind_text(st, 10, mobile != NULL ? s->code_hash : NULL);
	db_bind_int(st, 11, now);
	db_bind_int(st, 12, now + expiry);
	if (db_done(db, st) == -1)
		return -1;
	return db_last_id(db);
}

/* Send the confirmation link and the code for a new request. */
static int
send_confirmations(struct db *db, const struct config *cfg, int64_t practice_id,
                   const char *first_name, const char *email,
                   const char *mobile, const struct secrets *s)
{
	struct practice_info p = {0};
	struct tvars *v;
	char *link;
	int rc = 0;

	if (practice_info(db, practice_id, &p) == -1)
		return -1;
	v = vars_new(&p, first_name);
	link = xasprintf("%s/join/%s/confirm/%s",
	                 config_str(cfg, CFG_PUBLIC_URL), p.code, s->link);
	tvars_set(v, "join.link", link);
	tvars_set(v, "join.code", s->code);
	if (email != NULL)
		rc = send_template(db, cfg, practice_id, 0, "join-confirm",
		                   TMPL_EMAIL, email, v);
	if (rc == 0 && mobile != NULL)
		rc = send_template(db, cfg, practice_id, 0, "join-confirm",
		                   TMPL_SMS, mobile, v);
	free(link);
	tvars_free(v);
	practice_info_clear(&p);
	return rc;
}

/* Normalised contact of a checked form: email lower-cased, mobile E.164. */
static void
contact_of(const struct join_form *f, char **email, char mobile[17])
{
	*email =
	    blank(f->email) ? NULL : util_lower(util_trim(xstrdup(f->email)));
	if (blank(f->mobile) || phone_normalise(f->mobile, mobile, NULL) == -1)
		mobile[0] = '\0';
}

static int
submit_txn(struct db *db, const struct config *cfg, int64_t practice_id,
           const struct join_form *f, const char *version, int64_t now,
           struct join_next *next, const char *email, const char *mobile)
{
	int64_t by_email = 0, by_mobile = 0;
	struct secrets s;
	json_t *d;
	char *data, obj[32];

	if (email != NULL)
		by_email = member_match(db, practice_id, NULL, email, NULL);
	if (mobile != NULL)
		by_mobile = member_match(db, practice_id, NULL, NULL, mobile);
	if (secrets_new(&s) == -1)
		return -1;
	memcpy(next->ref, s.ref, sizeof next->ref);
	if (by_email != 0 || by_mobile != 0) {
		snprintf(obj, sizeof obj, "member:%lld",
		         (long long)(by_email ? by_email : by_mobile));
		return tell_already(db, cfg, practice_id, by_email, by_mobile,
		                    email, mobile, f->first_name) == -1 ||
		               db_audit(db, "public", "join-duplicate", obj,
		                        "web") == -1
		           ? -1
		           : 0;
	}
	if (supersede(db, practice_id, email, mobile, now) == -1)
		return -1;
	d = form_data(f, version, now);
	data = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(d);
	next->request_id = request_insert(
	    db, practice_id, "web", join_source(f->source), f->first_name,
	    email, mobile, data, &s, now, config_int(cfg, CFG_JOIN_EXPIRY));
	free(data);
	if (next->request_id == -1)
		return -1;
	snprintf(obj, sizeof obj, "join:%lld", (long long)next->request_id);
	if (db_audit(db, "public", "join-request", obj,
	             join_source(f->source)) == -1)
		return -1;
	return send_confirmations(db, cfg, practice_id, f->first_name, email,
	                          mobile, &s);
}

int
join_submit(struct db *db, const struct config *cfg, int64_t practice_id,
            const struct join_form *f, const char *version, int64_t now,
            struct join_next *next, char **cause)
{
	char *email, mobile[17];
	int rc;

	memset(next, 0, sizeof *next);
	contact_of(f, &email, mobile);
	next->email = email != NULL;
	next->sms = mobile[0] != '\0';
	if (db_begin(db) == -1) {
		free(email);
		*cause = xstrdup("the database is busy");
		return -1;
	}
	rc = submit_txn(db, cfg, practice_id, f, version, now, next, email,
	                mobile[0] ? mobile : NULL);
	free(email);
	if (rc == -1 || db_commit(db) == -1) {
		db_rollback(db);
		*cause =
		    xasprintf("cannot store the request: %s", db_errmsg(db));
		return -1;
	}
	log_info("event=join_request id=%lld email=%d sms=%d",
	         (long long)next->request_id, next->email, next->sms);
	return 0;
}

/* ---- confirmation ------------------------------------------------------ */

struct request {
	int64_t id, practice_id;
	char *state;
	int64_t email_confirmed_at, mobile_confirmed_at, expires_at;
	int attempts;
	char *code_hash;
};

static void
request_clear(struct request *r)
{
	free(r->state);
	free(r->code_hash);
	memset(r, 0, sizeof *r);
}

#define REQUEST_COLS                                                           \
	"SELECT id, practice_id, state, email_confirmed_at,"                   \
	" mobile_confirmed_at, expires_at, code_attempts, code_hash"           \
	" FROM join_requests "

static int
request_row(sqlite3_stmt *st, struct request *r)
{
	const char *ch;

	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return 0;
	}
	r->id = sqlite3_column_int64(st, 0);
	r->practice_id = sqlite3_column_int64(st, 1);
	r->state = xstrdup(db_col_text(st, 2));
	r->email_confirmed_at = sqlite3_column_int64(st, 3);
	r->mobile_confirmed_at = sqlite3_column_int64(st, 4);
	r->expires_at = sqlite3_column_int64(st, 5);
	r->attempts = sqlite3_column_int(st, 6);
	ch = db_col_text(st, 7);
	r->code_hash = ch != NULL ? xstrdup(ch) : NULL;
	sqlite3_reset(st);
	return 1;
}

/* A request by the hash of one of its tokens (column is a literal). */
static int
request_by_hash(struct db *db, const char *column, const char *token,
                struct request *r)
{
	/* Literal SQL only: db_stmt caches statements by address. */
	sqlite3_stmt *st =
	    db_stmt(db, strcmp(column, "ref_hash") == 0
	                    ? REQUEST_COLS "WHERE ref_hash=?1"
	                    : REQUEST_COLS "WHERE email_hash=?1");
	char hash[65];
	int found;

	crypto_token_hash(token, hash);
	db_bind_text(st, 1, hash);
	found = request_row(st, r);
	return found;
}

static int
request_by_id(struct db *db, int64_t id, struct request *r)
{
	sqlite3_stmt *st = db_stmt(db, REQUEST_COLS "WHERE id=?1");

	db_bind_int(st, 1, id);
	return request_row(st, r);
}

/*
 * Mark one channel confirmed; the first confirmation makes the request
 * pending (and a member at once with [join] approval = auto).
 */
static enum join_confirm
confirm_txn(struct db *db, const struct config *cfg, struct request *r,
            const char *channel, int64_t now)
{
	int first = strcmp(r->state, "unconfirmed") == 0;
	sqlite3_stmt *st = db_stmt(
	    db,
	    "UPDATE join_requests SET"
	    " email_confirmed_at=CASE WHEN ?2='email' THEN"
	    " coalesce(email_confirmed_at, ?3) ELSE email_confirmed_at END,"
	    " mobile_confirmed_at=CASE WHEN ?2='sms' THEN"
	    " coalesce(mobile_confirmed_at, ?3) ELSE mobile_confirmed_at END,"
	    " state=CASE WHEN state='unconfirmed' THEN 'pending'"
	    " ELSE state END, confirmed_at=coalesce(confirmed_at, ?3),"
	    " sms_step=NULL WHERE id=?1");
	char obj[32];
	int64_t member;
	char *cause = NULL;

	db_bind_int(st, 1, r->id);
	db_bind_text(st, 2, channel);
	db_bind_int(st, 3, now);
	snprintf(obj, sizeof obj, "join:%lld", (long long)r->id);
	if (db_done(db, st) == -1 ||
	    db_audit(db, "public", "join-confirm", obj, channel) == -1)
		return JC_ERROR;
	if (first && strcmp(config_str(cfg, CFG_JOIN_APPROVAL), "auto") == 0 &&
	    join_approve(db, cfg, r->id, NULL, "auto", &member, &cause) == -1) {
		log_warnx("event=join_auto_approve id=%lld error=\"%s\"",
		          (long long)r->id, cause);
		free(cause);
		return JC_ERROR;
	}
	return JC_CONFIRMED;
}

/* Confirm r's channel in a transaction, unless it is gone or done. */
static enum join_confirm
confirm(struct db *db, const struct config *cfg, struct request *r,
        const char *channel, int64_t now)
{
	enum join_confirm c;
	/* Inside the webhook's transaction for a YES reply. */
	int own = sqlite3_get_autocommit(db_handle(db));
	int64_t done = strcmp(channel, "email") == 0 ? r->email_confirmed_at
	                                             : r->mobile_confirmed_at;

	if (strcmp(r->state, "unconfirmed") != 0 &&
	    strcmp(r->state, "pending") != 0)
		return strcmp(r->state, "approved") == 0 ? JC_ALREADY
		                                         : JC_UNKNOWN;
	if (done != 0)
		return JC_ALREADY;
	if (strcmp(r->state, "unconfirmed") == 0 && r->expires_at <= now)
		return JC_UNKNOWN;
	if (own && db_begin(db) == -1)
		return JC_ERROR;
	if ((c = confirm_txn(db, cfg, r, channel, now)) == JC_ERROR ||
	    (own && db_commit(db) == -1)) {
		if (own)
			db_rollback(db);
		return JC_ERROR;
	}
	log_info("event=join_confirm id=%lld channel=%s", (long long)r->id,
	         channel);
	return c;
}

enum join_confirm
join_confirm_email(struct db *db, const struct config *cfg, const char *token,
                   int64_t now)
{
	struct request r = {0};
	enum join_confirm c;

	if (!request_by_hash(db, "email_hash", token, &r))
		return JC_UNKNOWN;
	c = confirm(db, cfg, &r, "email", now);
	request_clear(&r);
	return c;
}

static int
attempt_count(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE join_requests SET"
	                               " code_attempts=code_attempts+1"
	                               " WHERE id=?1");

	db_bind_int(st, 1, id);
	return db_done(db, st);
}

enum join_confirm
join_confirm_code(struct db *db, const struct config *cfg, const char *ref,
                  const char *code, int64_t now, int *left)
{
	struct request r = {0};
	enum join_confirm c;
	char hash[65], digits[8];
	int max = (int)config_int(cfg, CFG_JOIN_CODE_ATTEMPTS);
	size_t i, n = 0;

	*left = 0;
	if (!request_by_hash(db, "ref_hash", ref, &r))
		return JC_UNKNOWN;
	for (i = 0; code != NULL && code[i] != '\0' && n < 7; i++)
		if (isdigit((unsigned char)code[i]))
			digits[n++] = code[i];
		else if (code[i] != ' ' && code[i] != '-')
			n = 7;
	digits[n < 7 ? n : 0] = '\0';
	if (r.code_hash == NULL || r.mobile_confirmed_at != 0)
		c = r.mobile_confirmed_at != 0 ? JC_ALREADY : JC_UNKNOWN;
	else if (r.attempts >= max)
		c = JC_LOCKED;
	else {
		crypto_token_hash(digits, hash);
		if (n == 6 && crypto_equal(hash, r.code_hash))
			c = confirm(db, cfg, &r, "sms", now);
		else if (attempt_count(db, r.id) == -1)
			c = JC_ERROR;
		else {
			*left = max - r.attempts - 1;
			c = *left > 0 ? JC_WRONG : JC_LOCKED;
		}
	}
	request_clear(&r);
	return c;
}

enum join_confirm
join_confirm_mobile(struct db *db, const struct config *cfg, int64_t request_id,
                    int64_t now)
{
	struct request r = {0};
	enum join_confirm c;

	if (!request_by_id(db, request_id, &r))
		return JC_UNKNOWN;
	c = confirm(db, cfg, &r, "sms", now);
	request_clear(&r);
	return c;
}

/* ---- the practice's decision ------------------------------------------ */

struct decided {
	int64_t practice_id;
	char *via, *email, *mobile, *data, *state, *first_name;
	int64_t email_at, mobile_at;
};

static void
decided_clear(struct decided *d)
{
	free(d->via);
	free(d->email);
	free(d->mobile);
	free(d->data);
	free(d->state);
	free(d->first_name);
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const char *s = db_col_text(st, i);

	return s != NULL ? xstrdup(s) : NULL;
}

static int
decided_load(struct db *db, int64_t id, struct decided *d)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT practice_id, via, email, mobile, data, state,"
	                " email_confirmed_at, mobile_confirmed_at, first_name"
	                " FROM join_requests WHERE id=?1");
	int found = 0;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		d->practice_id = sqlite3_column_int64(st, 0);
		d->via = col_dup(st, 1);
		d->email = col_dup(st, 2);
		d->mobile = col_dup(st, 3);
		d->data = col_dup(st, 4);
		d->state = col_dup(st, 5);
		d->email_at = sqlite3_column_int64(st, 6);
		d->mobile_at = sqlite3_column_int64(st, 7);
		d->first_name = col_dup(st, 8);
		found = 1;
	}
	sqlite3_reset(st);
	return found;
}

/* The member a confirmed request becomes: only confirmed contact kept. */
static struct member *
member_of(const struct decided *d, const char *external_ref, int term_months,
          char **cause)
{
	struct member *m = member_new(d->practice_id, NULL);
	json_t *j = json_loads(d->data != NULL ? d->data : "{}", 0, NULL), *v;
	const char *k;
	int rc = 0;

	json_object_foreach(j, k, v) if (rc == 0) rc =
	    member_set(m, k, json_string_value(v), cause);
	json_decref(j);
	if (rc == 0 && d->email_at != 0)
		rc = member_set(m, "email", d->email, cause);
	if (rc == 0 && d->mobile_at != 0)
		rc = member_set(m, "mobile", d->mobile, cause);
	if (rc == 0 && external_ref != NULL)
		rc = member_set(m, "external_ref", external_ref, cause);
	if (rc == -1) {
		member_free(m);
		return NULL;
	}
	m->consent_email_at = d->email_at;
	m->consent_sms_at = d->mobile_at;
	free(m->consent_email_how);
	free(m->consent_sms_how);
	m->consent_email_how = d->email_at ? xstrdup("join: email link") : NULL;
	m->consent_sms_how =
	    d->mobile_at ? xasprintf("join: %s", strcmp(d->via, "sms") == 0
	                                             ? "SMS JOIN and YES"
	                                             : "SMS code")
	                 : NULL;
	free(m->preferred_channel);
	m->preferred_channel = xstrdup(d->email_at ? "email" : "sms");
	member_defaults(m, term_months);
	return m;
}

static int
approve_row(struct db *db, int64_t id, int64_t member_id,
            const char *external_ref, const char *actor, int64_t now)
{
	sqlite3_stmt *st = db_stmt(
	    db, "UPDATE join_requests SET state='approved', member_id=?2,"
	        " external_ref=?3, decided_by=?4, decided_at=?5,"
	        " ref_hash=NULL, email_hash=NULL, code_hash=NULL WHERE id=?1");
	char obj[32];

	db_bind_int(st, 1, id);
	db_bind_int(st, 2, member_id);
	db_bind_text(st, 3, external_ref);
	db_bind_text(st, 4, actor);
	db_bind_int(st, 5, now);
	snprintf(obj, sizeof obj, "join:%lld", (long long)id);
	return db_done(db, st) == -1 ||
	               db_audit(db, actor, "join-approve", obj, NULL) == -1
	           ? -1
	           : 0;
}

/* Inside the caller's transaction. */
static int
approve_txn(struct db *db, const struct config *cfg, int64_t id,
            const char *external_ref, const char *actor, int64_t *member_id,
            char **cause)
{
	struct decided d = {0};
	struct member *m = NULL;
	int64_t now = time(NULL);
	int rc = -1;

	if (!decided_load(db, id, &d))
		*cause = xasprintf("no join request %lld", (long long)id);
	else if (strcmp(d.state, "pending") != 0)
		*cause = xasprintf("join request %lld is %s, not pending",
		                   (long long)id, d.state);
	else if ((external_ref != NULL &&
	          member_match(db, d.practice_id, external_ref, NULL, NULL) !=
	              0) ||
	         member_match(db, d.practice_id, NULL,
	                      d.email_at ? d.email : NULL,
	                      d.mobile_at ? d.mobile : NULL) != 0)
		*cause = xasprintf("join request %lld matches an existing "
		                   "member; reject it as a duplicate",
		                   (long long)id);
	else if ((m = member_of(&d, external_ref,
	                        (int)config_int(cfg, CFG_TERM_MONTHS),
	                        cause)) != NULL &&
	         member_save(db, m, cause) == 0 &&
	         approve_row(db, id, m->id, external_ref, actor, now) == 0 &&
	         welcome_queue(db, cfg, m->id, now) != -1) {
		*member_id = m->id;
		rc = 0;
	}
	if (rc == -1 && *cause == NULL)
		*cause = xasprintf("cannot approve: %s", db_errmsg(db));
	member_free(m);
	decided_clear(&d);
	return rc;
}

int
join_approve(struct db *db, const struct config *cfg, int64_t id,
             const char *external_ref, const char *actor, int64_t *member_id,
             char **cause)
{
	int own = sqlite3_get_autocommit(db_handle(db));

	*cause = NULL;
	if (own && db_begin(db) == -1) {
		*cause = xstrdup("the database is busy");
		return -1;
	}
	if (approve_txn(db, cfg, id, external_ref, actor, member_id, cause) ==
	    -1) {
		if (own)
			db_rollback(db);
		return -1;
	}
	if (own && db_commit(db) == -1) {
		db_rollback(db);
		*cause = xstrdup("cannot commit");
		return -1;
	}
	log_info("event=join_approve id=%lld member=%lld actor=%s",
	         (long long)id, (long long)*member_id, actor);
	return 0;
}

/*
 * "We could not add you", by the request's confirmed channel (email
 * first): an unconfirmed address may not be the person's, so it gets
 * nothing.
 */
static int
tell_declined(struct db *db, const struct config *cfg, const struct decided *d)
{
	struct practice_info p = {0};
	struct tvars *v;
	int rc;

	if (d->email_at == 0 && d->mobile_at == 0)
		return 0;
	if (practice_info(db, d->practice_id, &p) == -1)
		return -1;
	v = vars_new(&p, d->first_name);
	rc = d->email_at != 0
	         ? send_template(db, cfg, d->practice_id, 0, "join-declined",
	                         TMPL_EMAIL, d->email, v)
	         : send_template(db, cfg, d->practice_id, 0, "join-declined",
	                         TMPL_SMS, d->mobile, v);
	tvars_free(v);
	practice_info_clear(&p);
	return rc;
}

/* Inside the caller's transaction. */
static int
reject_txn(struct db *db, const struct config *cfg, int64_t id,
           const char *reason, const char *actor, char **cause)
{
	sqlite3_stmt *st = db_stmt(
	    db, "UPDATE join_requests SET state='rejected', reason=?2,"
	        " decided_by=?3, decided_at=?4, ref_hash=NULL, email_hash=NULL,"
	        " code_hash=NULL WHERE id=?1"
	        " AND state IN ('pending','unconfirmed')");
	struct decided d = {0};
	char obj[32];
	int rc = -1;

	db_bind_int(st, 1, id);
	db_bind_text(st, 2, reason);
	db_bind_text(st, 3, actor);
	db_bind_int(st, 4, time(NULL));
	snprintf(obj, sizeof obj, "join:%lld", (long long)id);
	if (db_done(db, st) == -1 || db_changes(db) != 1)
		*cause =
		    xasprintf("no pending join request %lld", (long long)id);
	else if (db_audit(db, actor, "join-reject", obj, NULL) == -1)
		*cause = xstrdup("cannot commit");
	else if (cfg != NULL && (!decided_load(db, id, &d) ||
	                         tell_declined(db, cfg, &d) == -1))
		*cause = xstrdup("cannot queue the message to the person: see "
		                 "the log");
	else
		rc = 0;
	decided_clear(&d);
	return rc;
}

int
join_reject(struct db *db, const struct config *cfg, int64_t id,
            const char *reason, const char *actor, char **cause)
{
	*cause = NULL;
	if (blank(reason) || util_has_crlf(reason)) {
		*cause = xstrdup("give a reason (one line)");
		return -1;
	}
	if (db_begin(db) == -1) {
		*cause = xstrdup("the database is busy");
		return -1;
	}
	if (reject_txn(db, cfg, id, reason, actor, cause) == -1 ||
	    db_commit(db) == -1) {
		db_rollback(db);
		if (*cause == NULL)
			*cause = xstrdup("cannot commit");
		return -1;
	}
	log_info("event=join_reject id=%lld actor=%s told=%s", (long long)id,
	         actor, cfg != NULL ? "yes" : "no");
	return 0;
}

/* The columns list_row reads. */
#define LIST_ROW_SQL                                                           \
	"SELECT j.id, p.code, j.state, j.via, j.source, j.email, j.mobile,"    \
	" j.email_confirmed_at, j.mobile_confirmed_at, j.created_at,"          \
	" j.reason, j.member_id, j.data FROM join_requests j"                  \
	" JOIN practices p ON p.id = j.practice_id"

static json_t *
list_row(sqlite3_stmt *st)
{
	json_t *o = json_object(), *d;
	char buf[21];
	int i;
	static const char *const names[] = {
	    "id",      "practice",        "state",
	    "via",     "source",          "email",
	    "mobile",  "email_confirmed", "mobile_confirmed",
	    "created", "reason",          "member_id"};

	for (i = 0; i < 12; i++) {
		if (sqlite3_column_type(st, i) == SQLITE_NULL)
			json_object_set_new(o, names[i], json_null());
		else if (i == 0 || i == 11)
			json_object_set_new(
			    o, names[i],
			    json_integer(sqlite3_column_int64(st, i)));
		else if (i >= 7 && i <= 9)
			json_object_set_new(
			    o, names[i],
			    json_string(util_format_time(
			        sqlite3_column_int64(st, i), buf)));
		else
			json_object_set_new(o, names[i],
			                    json_string(db_col_text(st, i)));
	}
	d = json_loads(db_col_text(st, 12) ? db_col_text(st, 12) : "{}", 0,
	               NULL);
	json_object_set_new(o, "details", d != NULL ? d : json_object());
	return o;
}

json_t *
join_get(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, LIST_ROW_SQL " WHERE j.id=?1");
	json_t *o = NULL;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = list_row(st);
	sqlite3_reset(st);
	return o;
}

int64_t
join_count(struct db *db, int64_t practice_id, const char *state)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM join_requests"
	                               " WHERE practice_id=?1 AND state=?2");

	db_bind_int(st, 1, practice_id);
	db_bind_text(st, 2, state);
	return db_int(db, st, 0);
}

json_t *
join_list(struct db *db, const char *practice, const char *state)
{
	sqlite3_stmt *st =
	    db_stmt(db, LIST_ROW_SQL " WHERE (?1 IS NULL OR p.code=?1)"
	                             " AND j.state=?2 ORDER BY j.id");
	json_t *a = json_array();

	db_bind_text(st, 1, practice);
	db_bind_text(st, 2, state != NULL ? state : "pending");
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, list_row(st));
	sqlite3_reset(st);
	return a;
}

int
join_purge(struct db *db, int retention_days, int64_t now)
{
	sqlite3_stmt *st;
	int n;

	if (db_begin(db) == -1)
		return -1;
	st = db_stmt(db, "UPDATE join_requests SET state='expired', data=NULL,"
	                 " first_name=NULL, email=NULL, mobile=NULL,"
	                 " ref_hash=NULL, email_hash=NULL, code_hash=NULL,"
	                 " sms_step=NULL, purged_at=?1"
	                 " WHERE state='unconfirmed' AND expires_at <= ?1");
	db_bind_int(st, 1, now);
	if (db_done(db, st) == -1)
		goto fail;
	n = db_changes(db);
	st = db_stmt(db, "UPDATE join_requests SET data=NULL, first_name=NULL,"
	                 " email=NULL, mobile=NULL, reason=NULL,"
	                 " external_ref=NULL, purged_at=?1"
	                 " WHERE purged_at IS NULL AND state IN"
	                 " ('approved','rejected','expired')"
	                 " AND coalesce(decided_at, expires_at) < ?2");
	db_bind_int(st, 1, now);
	db_bind_int(st, 2, now - (int64_t)retention_days * 86400);
	if (db_done(db, st) == -1)
		goto fail;
	n += db_changes(db);
	if (n > 0 &&
	    db_audit(db, "timer", "join-purge", "join_requests", NULL) == -1)
		goto fail;
	if (db_commit(db) == -1)
		goto fail;
	return n;
fail:
	db_rollback(db);
	return -1;
}

json_t *
join_sources(struct db *db, int64_t practice_id, int64_t from, int64_t to)
{
	static const char *const fields[] = {"age_band", "sex", "ethnicity"};
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT j.source, m.age_band, m.sex, m.ethnicity"
	        " FROM join_requests j JOIN members m ON m.id = j.member_id"
	        " WHERE j.practice_id=?1 AND j.state='approved'"
	        " AND j.decided_at >= ?2 AND j.decided_at < ?3"
	        " AND m.erased_at IS NULL");
	json_t *o = json_object(), *g, *s;
	const char *src, *v;
	size_t i;

	for (i = 0; i < 3; i++)
		json_object_set_new(o, fields[i], json_object());
	db_bind_int(st, 1, practice_id);
	db_bind_int(st, 2, from);
	db_bind_int(st, 3, to);
	while (sqlite3_step(st) == SQLITE_ROW) {
		src = db_col_text(st, 0);
		for (i = 0; i < 3; i++) {
			if ((v = db_col_text(st, (int)i + 1)) == NULL)
				continue;
			g = json_object_get(o, fields[i]);
			if ((s = json_object_get(g, v)) == NULL)
				json_object_set_new(g, v, s = json_object());
			json_object_set_new(
			    s, src,
			    json_integer(
			        json_integer_value(json_object_get(s, src)) +
			        1));
		}
	}
	sqlite3_reset(st);
	return o;
}

/* ---- by SMS ------------------------------------------------------------ */

int
join_sms_open(struct db *db, int64_t practice_id, const char *mobile,
              const char *first_name, int64_t now, int64_t expiry, int64_t *id)
{
	struct secrets s;
	json_t *d = json_object();
	char *data, obj[32];

	if (secrets_new(&s) == -1 ||
	    supersede(db, practice_id, NULL, mobile, now) == -1) {
		json_decref(d);
		return -1;
	}
	data_set(d, "first_name", first_name);
	data = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	*id = request_insert(db, practice_id, "sms", "sms", first_name, NULL,
	                     mobile, data, &s, now, expiry);
	free(data);
	if (*id == -1)
		return -1;
	snprintf(obj, sizeof obj, "join:%lld", (long long)*id);
	return db_audit(db, "sms", "join-request", obj, "sms");
}

int64_t
join_by_mobile(struct db *db, const char *mobile, int64_t now, char **sms_step)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT id, sms_step FROM join_requests WHERE mobile=?1"
	        " AND state='unconfirmed' AND expires_at > ?2"
	        " AND mobile_confirmed_at IS NULL ORDER BY id DESC LIMIT 1");
	int64_t id = 0;

	db_bind_text(st, 1, mobile);
	db_bind_int(st, 2, now);
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		*sms_step = col_dup(st, 1);
	}
	sqlite3_reset(st);
	return id;
}

int
join_sms_step(struct db *db, int64_t id, const char *first_name,
              const char *step)
{
	sqlite3_stmt *st =
	    db_stmt(db, "UPDATE join_requests SET sms_step=?3,"
	                " first_name=coalesce(?2, first_name),"
	                " data=CASE WHEN ?2 IS NULL THEN data ELSE"
	                " json_set(coalesce(data,'{}'), '$.first_name', ?2) END"
	                " WHERE id=?1");

	db_bind_int(st, 1, id);
	db_bind_text(st, 2, first_name);
	db_bind_text(st, 3, step);
	return db_done(db, st);
}

int
join_sms_agree(struct db *db, int64_t id, const char *version, int64_t now)
{
	sqlite3_stmt *st = db_stmt(
	    db, "UPDATE join_requests SET data=json_set(coalesce(data,'{}'),"
	        " '$.confidentiality_signed', ?3,"
	        " '$.confidentiality_version', ?2) WHERE id=?1");
	char buf[21];

	if (version == NULL)
		return 0;
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, version);
	db_bind_text(st, 3, util_format_time(now, buf));
	return db_done(db, st);
}

int
join_cancel(struct db *db, int64_t id, int64_t now)
{
	sqlite3_stmt *st = db_stmt(
	    db, "UPDATE join_requests SET state='expired', data=NULL,"
	        " first_name=NULL, email=NULL, mobile=NULL, ref_hash=NULL,"
	        " email_hash=NULL, code_hash=NULL, sms_step=NULL,"
	        " purged_at=?2 WHERE id=?1 AND state='unconfirmed'");
	char obj[32];

	db_bind_int(st, 1, id);
	db_bind_int(st, 2, now);
	snprintf(obj, sizeof obj, "join:%lld", (long long)id);
	if (db_done(db, st) == -1)
		return -1;
	return db_audit(db, "sms", "join-cancel", obj, "STOP");
}
