/*
 * Audiences. An expression is parsed into terms; the terms become ONE SELECT
 * over members whose column names come from a fixed table and whose values
 * are all bound parameters. The query also returns what the channel choice
 * needs (contact, consent, opt-outs, term, recent messages), so a campaign's
 * recipients are decided in one pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audience.h"
#include "config.h"
#include "demog.h"
#include "log.h"
#include "member.h"
#include "util.h"
#include "xmalloc.h"

#define AUD_MAX_TERMS  16
#define AUD_MAX_VALUES 16
#define WEEK           (7 * 86400)
/* The age band now (?3 is a week before now), from the birth month. */
#define AGE_BAND_SQL                                                           \
	DEMOG_AGE_BAND_SQL("m.birth_ym", "m.age_band", "(?3 + 604800)")

enum term_kind {
	TERM_FIELD,
	TERM_BOOL,
	TERM_TAG,
	TERM_NOT_RESPONDED,
	TERM_EXTRA,
	TERM_SIGNED,
	TERM_ATTENDED,    /* attended:MEETING */
	TERM_INVITED,     /* invited:MEETING */
	TERM_RENEWAL_DUE, /* renewal-due:DURATION */
	TERM_LEAVING,     /* leaving:DURATION */
};

struct term {
	enum term_kind kind;
	long long seconds;  /* TERM_RENEWAL_DUE, TERM_LEAVING */
	const char *column; /* from fields[], never from the expression */
	char *name;         /* TERM_EXTRA: the custom field, bound */
	char *values[AUD_MAX_VALUES];
	int nvalues;
};

struct audience {
	struct term terms[AUD_MAX_TERMS];
	int nterms;
};

struct aud_query {
	sqlite3_stmt *st;
	struct aud_scope scope;
};

static const char *const yesno[] = {"yes", "no", NULL};
static const char *const channel_names[] = {"email", "sms", NULL};

/* The member fields an expression may filter on. */
static const struct field {
	const char *name;
	const char *column;
	enum term_kind kind;
	const char *const *allowed;
} fields[] = {
    {"age_band", AGE_BAND_SQL, TERM_FIELD, member_age_bands},
    {"sex", "m.sex", TERM_FIELD, member_sexes},
    {"ethnicity", "m.ethnicity", TERM_FIELD, member_ethnicities},
    {"preferred_channel", "m.preferred_channel", TERM_FIELD, channel_names},
    {"carer", "m.carer", TERM_BOOL, yesno},
    {"disability", "m.disability", TERM_BOOL, yesno},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

/* Columns of the member query, in order. */
enum {
	COL_ID,
	COL_FIRST_NAME,
	COL_LAST_NAME,
	COL_EMAIL,
	COL_MOBILE,
	COL_PREFERRED,
	COL_CONSENT_EMAIL,
	COL_CONSENT_SMS,
	COL_OPTOUT_EMAIL,
	COL_OPTOUT_SMS,
	COL_TERM_ENDS,
	COL_ERASED,
	COL_AGE_BAND,
	COL_SEX,
	COL_ETHNICITY,
	COL_RECENT,
};

/*
 * ?1..?7 below; terms bind from ?8. "+m.practice_id" keeps the planner on
 * the rowid: a fire's slice seeks to the member after ?7 in id order, where
 * the practice index would read the whole practice and sort it each slice.
 */
#define NFIXED_PARAMS 7
static const char select_head[] =
    "SELECT m.id, m.first_name, m.last_name, m.email, m.mobile, "
    "m.preferred_channel,"
    " m.consent_email_at, m.consent_sms_at, m.optout_email_at,"
    " m.optout_sms_at, m.term_ends_at, m.erased_at, " AGE_BAND_SQL ", m.sex,"
    " m.ethnicity, CASE WHEN ?2 > 0 THEN (SELECT count(*) FROM outbox o"
    " WHERE o.member_id = m.id AND o.purpose = 'campaign'"
    " AND o.created_at > ?3 AND o.state <> 'cancelled'"
    " AND o.state <> 'failed')"
    " ELSE 0 END FROM members m WHERE +m.practice_id = ?1"
    " AND (?4 = 0 OR m.id = ?4) AND m.id > ?7";

static const char *const skip_names[AUD_NSKIP] = {
    [AUD_OK] = "ok",
    [AUD_ERASED] = "erased",
    [AUD_TERM_ENDED] = "term_ended",
    [AUD_OPTED_OUT] = "opted_out",
    [AUD_NO_CONSENT] = "no_consent",
    [AUD_NO_CONTACT] = "no_contact",
    [AUD_FREQUENCY_CAP] = "frequency_cap",
};

const char *
audience_skip_name(enum aud_skip s)
{
	return (unsigned)s < AUD_NSKIP ? skip_names[s] : "unknown";
}

static int
in_list(const char *const *list, const char *v)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, v) == 0)
			return 1;
	return 0;
}

void
audience_free(struct audience *a)
{
	int i, k;

	if (a == NULL)
		return;
	for (i = 0; i < a->nterms; i++)
		for (k = 0; k < a->terms[i].nvalues; k++)
			free(a->terms[i].values[k]);
	for (i = 0; i < a->nterms; i++)
		free(a->terms[i].name);
	free(a);
}

/* Split "a|b|c" into t->values, lower-cased and trimmed. */
static int
term_values(struct term *t, char *s, const char *what, char **cause)
{
	char *v, *save = NULL;

	for (v = strtok_r(s, "|", &save); v != NULL;
	     v = strtok_r(NULL, "|", &save)) {
		util_lower(util_trim(v));
		if (*v == '\0')
			continue;
		if (t->nvalues == AUD_MAX_VALUES) {
			*cause = xasprintf("%s: too many values", what);
			return -1;
		}
		t->values[t->nvalues++] = xstrdup(v);
	}
	if (t->nvalues == 0) {
		*cause = xasprintf("%s: no value", what);
		return -1;
	}
	return 0;
}

static int
term_field(struct term *t, const char *name, char *value, char **cause)
{
	const struct field *f = NULL;
	size_t i;
	int k;

	for (i = 0; i < NFIELDS; i++)
		if (strcmp(fields[i].name, name) == 0)
			f = &fields[i];
	if (f == NULL) {
		*cause = xasprintf("unknown field '%s' (age_band, sex, "
		                   "ethnicity, carer, disability, "
		                   "preferred_channel)",
		                   name);
		return -1;
	}
	t->kind = f->kind;
	t->column = f->column;
	if (term_values(t, value, name, cause) == -1)
		return -1;
	for (k = 0; k < t->nvalues; k++) {
		if (!in_list(f->allowed, t->values[k])) {
			*cause = xasprintf("%s: unknown value '%s'", name,
			                   t->values[k]);
			return -1;
		}
	}
	return 0;
}

/* attended:ID or invited:ID: a meeting id, a positive integer. */
static int
term_meeting(struct term *t, enum term_kind kind, const char *id, char **cause)
{
	size_t n = strspn(id, "0123456789");

	if (n == 0 || n > 18 || id[n] != '\0' || *id == '0') {
		*cause = xasprintf("%s: not a meeting id", id);
		return -1;
	}
	t->kind = kind;
	t->values[0] = xstrdup(id);
	t->nvalues = 1;
	return 0;
}

/* renewal-due:30d, leaving:30d: a duration of one day to a year. */
static int
term_duration(struct term *t, enum term_kind kind, const char *v, char **cause)
{
	if (config_parse_duration(v, &t->seconds) == -1 || t->seconds < 86400 ||
	    t->seconds > 366 * 86400LL) {
		*cause = xasprintf("%s: give a duration of 1d to 366d", v);
		return -1;
	}
	t->kind = kind;
	return 0;
}

static int
term_parse(struct term *t, char *s, char **cause)
{
	char *eq;

	if (strncmp(s, "tag:", 4) == 0) {
		t->kind = TERM_TAG;
		return term_values(t, s + 4, "tag", cause);
	}
	if (strncmp(s, "not-responded:", 14) == 0) {
		t->kind = TERM_NOT_RESPONDED;
		t->values[0] = xstrdup(s + 14);
		t->nvalues = 1;
		if (*t->values[0] != '\0')
			return 0;
		*cause = xstrdup("not-responded: no campaign name");
		return -1;
	}
	if (strncmp(s, "renewal-due:", 12) == 0)
		return term_duration(t, TERM_RENEWAL_DUE, s + 12, cause);
	if (strncmp(s, "leaving:", 8) == 0)
		return term_duration(t, TERM_LEAVING, s + 8, cause);
	if (strncmp(s, "attended:", 9) == 0)
		return term_meeting(t, TERM_ATTENDED, s + 9, cause);
	if (strncmp(s, "invited:", 8) == 0)
		return term_meeting(t, TERM_INVITED, s + 8, cause);
	if (strncmp(s, "confidentiality=", 16) == 0) {
		/* Accepted the current agreement (the version is bound). */
		t->kind = TERM_SIGNED;
		t->values[0] = util_lower(util_trim(xstrdup(s + 16)));
		t->nvalues = 1;
		if (strcmp(t->values[0], "signed") == 0)
			return 0;
		*cause = xstrdup("confidentiality: the only value is signed");
		return -1;
	}
	if ((eq = strchr(s, '=')) == NULL) {
		*cause =
		    xasprintf("'%s' is not everyone, FIELD=VALUE, tag:TAG, "
		              "not-responded:CAMPAIGN, attended:MEETING "
		              "or invited:MEETING",
		              s);
		return -1;
	}
	*eq = '\0';
	util_lower(util_trim(s));
	if (strncmp(s, MEMBER_EXTRA_PREFIX, strlen(MEMBER_EXTRA_PREFIX)) == 0) {
		if (!member_extra_name_ok(s)) {
			*cause =
			    xasprintf("'%s' is not a custom field name", s);
			return -1;
		}
		t->kind = TERM_EXTRA;
		t->name = xstrdup(s + strlen(MEMBER_EXTRA_PREFIX));
		return term_values(t, eq + 1, s, cause);
	}
	return term_field(t, s, eq + 1, cause);
}

int
audience_parse(const char *expr, struct audience **out, char **cause)
{
	struct audience *a = xcalloc(1, sizeof *a);
	char *copy = xstrdup(expr), *item, *save = NULL;
	int rc = 0;

	for (item = strtok_r(copy, ",", &save); item != NULL && rc == 0;
	     item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ')
			item++;
		if (strcmp(item, "everyone") == 0 || *item == '\0')
			continue;
		if (a->nterms == AUD_MAX_TERMS) {
			*cause = xstrdup("too many terms");
			rc = -1;
		} else
			rc = term_parse(&a->terms[a->nterms++], item, cause);
	}
	free(copy);
	if (rc == -1) {
		audience_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

int
audience_check(struct db *db, const struct audience *a, char **cause)
{
	sqlite3_stmt *st;
	int i, found;

	for (i = 0; i < a->nterms; i++) {
		if (a->terms[i].kind != TERM_NOT_RESPONDED)
			continue;
		st = db_stmt(db, "SELECT 1 FROM campaigns WHERE name = ?");
		db_bind_text(st, 1, a->terms[i].values[0]);
		found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (!found) {
			*cause = xasprintf("not-responded: no campaign %s",
			                   a->terms[i].values[0]);
			return -1;
		}
	}
	return 0;
}

/* Members who completed campaign c (an SQL expression): answered in full,
 * used their survey link, or finished the SMS conversation. */
static void
sql_not_completed(FILE *fp, const char *c)
{
	fprintf(fp,
	        " AND m.id NOT IN (SELECT member_id FROM responses"
	        " WHERE campaign_id = %s AND completed_at IS NOT NULL"
	        " AND member_id IS NOT NULL"
	        " UNION SELECT member_id FROM tokens WHERE kind = 'survey'"
	        " AND campaign_id = %s AND used_at IS NOT NULL"
	        " AND member_id IS NOT NULL"
	        " UNION SELECT u.member_id FROM token_uses u JOIN runs x"
	        " ON x.id = u.run_id WHERE x.campaign_id = %s"
	        " AND u.kind = 'survey'"
	        " UNION SELECT s.member_id FROM sms_sessions s JOIN responses"
	        " r ON r.id = s.response_id WHERE r.campaign_id = %s"
	        " AND s.state = 'done')",
	        c, c, c, c);
}

/* "?7, ?8" for n values from *param on. */
static void
sql_params(FILE *fp, int n, int *param)
{
	int k;

	for (k = 0; k < n; k++)
		fprintf(fp, "%s?%d", k ? ", " : "", (*param)++);
}

static void
sql_term(FILE *fp, const struct term *t, int *param)
{
	char c[64];

	switch (t->kind) {
	case TERM_FIELD:
	case TERM_BOOL:
		fprintf(fp, " AND %s IN (", t->column);
		sql_params(fp, t->nvalues, param);
		fputs(")", fp);
		break;
	case TERM_TAG:
		fputs(" AND EXISTS (SELECT 1 FROM member_tags t WHERE"
		      " t.member_id = m.id AND t.tag IN (",
		      fp);
		sql_params(fp, t->nvalues, param);
		fputs("))", fp);
		break;
	case TERM_EXTRA:
		fprintf(fp,
		        " AND EXISTS (SELECT 1 FROM member_extra e WHERE"
		        " e.member_id = m.id AND e.name = ?%d AND"
		        " lower(e.value) IN (",
		        (*param)++);
		sql_params(fp, t->nvalues, param);
		fputs("))", fp);
		break;
	case TERM_SIGNED:
		fprintf(fp,
		        " AND m.confidentiality_at IS NOT NULL AND (?%d IS NULL"
		        " OR m.confidentiality_version = ?%d)",
		        *param, *param);
		(*param)++;
		break;
	case TERM_NOT_RESPONDED:
		snprintf(c, sizeof c,
		         "(SELECT id FROM campaigns WHERE name = ?%d)",
		         (*param)++);
		sql_not_completed(fp, c);
		break;
	case TERM_ATTENDED:
		fprintf(fp,
		        " AND m.id IN (SELECT member_id FROM meeting_attendance"
		        " WHERE meeting_id = CAST(?%d AS INTEGER)"
		        " AND member_id IS NOT NULL)",
		        (*param)++);
		break;
	case TERM_INVITED:
		fprintf(fp,
		        " AND m.id IN (SELECT o.member_id FROM outbox o"
		        " JOIN runs r ON r.id = o.run_id JOIN campaigns c"
		        " ON c.id = r.campaign_id WHERE c.meeting_id ="
		        " CAST(?%d AS INTEGER) AND c.kind IN"
		        " ('invitation','meeting','reminder') AND o.state IN"
		        " ('sending','sent','delivered'))",
		        (*param)++);
		break;
	case TERM_RENEWAL_DUE:
		/* Term ends within the notice and no renewal survey was
		 * sent for this term. (?3 + 604800) is now. */
		fprintf(fp,
		        " AND m.term_ends_at > (?3 + 604800) AND"
		        " m.term_ends_at <= (?3 + 604800) + %lld AND NOT EXISTS"
		        " (SELECT 1 FROM tokens t JOIN surveys s ON s.id ="
		        " t.survey_id WHERE t.member_id = m.id AND t.kind ="
		        " 'survey' AND s.slug = 'term-renewal' AND t.created_at"
		        " > m.term_ends_at - %lld - 86400) AND NOT EXISTS"
		        " (SELECT 1 FROM outbox o JOIN runs x ON x.id ="
		        " o.run_id JOIN surveys s ON s.id = x.survey_id WHERE"
		        " o.member_id = m.id AND s.slug = 'term-renewal' AND"
		        " o.created_at > m.term_ends_at - %lld - 86400)",
		        t->seconds, t->seconds, t->seconds);
		break;
	case TERM_LEAVING:
		/* Left within the window (term ended, or an opt-out), and
		 * never sent the exit survey. */
		fprintf(
		    fp,
		    " AND m.erased_at IS NULL AND (m.term_ends_at <="
		    " (?3 + 604800) AND m.term_ends_at > (?3 + 604800) -"
		    " %lld OR m.optout_email_at > (?3 + 604800) - %lld OR"
		    " m.optout_sms_at > (?3 + 604800) - %lld) AND NOT EXISTS"
		    " (SELECT 1 FROM tokens t JOIN surveys s ON s.id ="
		    " t.survey_id WHERE t.member_id = m.id AND t.kind ="
		    " 'survey' AND s.slug = 'exit') AND NOT EXISTS"
		    " (SELECT 1 FROM outbox o JOIN runs x ON x.id = o.run_id"
		    " JOIN surveys s ON s.id = x.survey_id WHERE"
		    " o.member_id = m.id AND s.slug = 'exit')",
		    t->seconds, t->seconds, t->seconds);
		break;
	}
}

char *
audience_sql(const struct audience *a, const struct aud_scope *sc)
{
	char *sql = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&sql, &len);
	int i, param = NFIXED_PARAMS + 1;

	if (fp == NULL)
		fatal("open_memstream");
	fputs(select_head, fp);
	if (sc->invited_run != 0) {
		fputs(" AND m.id IN (SELECT member_id FROM outbox WHERE"
		      " run_id = ?5 AND state <> 'cancelled')",
		      fp);
		sql_not_completed(fp, "?6");
	}
	for (i = 0; i < a->nterms; i++)
		sql_term(fp, &a->terms[i], &param);
	fputs(" ORDER BY m.id", fp);
	fclose(fp);
	return sql;
}

static void
bind_terms(sqlite3_stmt *st, const struct audience *a,
           const struct aud_scope *sc)
{
	const struct term *t;
	int i, k, param = NFIXED_PARAMS + 1;

	for (i = 0; i < a->nterms; i++) {
		t = &a->terms[i];
		if (t->kind == TERM_EXTRA)
			db_bind_text(st, param++, t->name);
		for (k = 0; k < t->nvalues; k++, param++) {
			if (t->kind == TERM_SIGNED)
				db_bind_text(st, param, sc->agreement_version);
			else if (t->kind == TERM_BOOL)
				db_bind_int(st, param,
				            strcmp(t->values[k], "yes") == 0);
			else
				db_bind_text(st, param, t->values[k]);
		}
	}
}

int
audience_query_new(struct db *db, const struct audience *a,
                   const struct aud_scope *sc, struct aud_query **out,
                   char **cause)
{
	struct aud_query *q;
	sqlite3_stmt *st;
	char *sql = audience_sql(a, sc);
	int rc;

	rc = sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK) {
		*cause = xasprintf("audience query: %s", db_errmsg(db));
		return -1;
	}
	db_bind_int(st, 1, sc->practice_id);
	db_bind_int(st, 2, sc->frequency_cap);
	db_bind_int(st, 3, sc->now - WEEK);
	db_bind_int(st, 4, sc->member_id);
	db_bind_int(st, 5, sc->invited_run);
	db_bind_int(st, 6, sc->campaign_id);
	db_bind_int(st, 7, sc->after_id);
	bind_terms(st, a, sc);
	q = xcalloc(1, sizeof *q);
	q->st = st;
	q->scope = *sc;
	/* The exit survey is for those whose term ended. */
	for (rc = 0; rc < a->nterms; rc++)
		if (a->terms[rc].kind == TERM_LEAVING)
			q->scope.term_ended_ok = 1;
	*out = q;
	return 0;
}

void
audience_query_free(struct aud_query *q)
{
	if (q == NULL)
		return;
	sqlite3_finalize(q->st);
	free(q);
}

static int
col_set(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) != SQLITE_NULL &&
	       sqlite3_column_int64(st, col) != 0;
}

/* How a channel stands for this member: AUD_OK if usable. */
static enum aud_skip
channel_status(sqlite3_stmt *st, const char *channel)
{
	int sms = strcmp(channel, "sms") == 0;
	const char *contact = db_col_text(st, sms ? COL_MOBILE : COL_EMAIL);

	if (col_set(st, sms ? COL_OPTOUT_SMS : COL_OPTOUT_EMAIL))
		return AUD_OPTED_OUT;
	if (!col_set(st, sms ? COL_CONSENT_SMS : COL_CONSENT_EMAIL))
		return AUD_NO_CONSENT;
	if (contact == NULL || *contact == '\0')
		return AUD_NO_CONTACT;
	return AUD_OK;
}

/* The preferred channel if it is usable and listed, else the first usable
 * one in the campaign's order; else the strongest reason none is. */
static enum aud_skip
channel_choose(const struct aud_scope *sc, sqlite3_stmt *st,
               const char **chosen)
{
	const char *pref = db_col_text(st, COL_PREFERRED);
	enum aud_skip s, worst = AUD_NO_CONTACT;
	int i;

	for (i = 0; pref != NULL && i < sc->nchannels; i++) {
		if (strcmp(sc->channels[i], pref) == 0 &&
		    channel_status(st, pref) == AUD_OK) {
			*chosen = sc->channels[i];
			return AUD_OK;
		}
	}
	for (i = 0; i < sc->nchannels; i++) {
		if ((s = channel_status(st, sc->channels[i])) == AUD_OK) {
			*chosen = sc->channels[i];
			return AUD_OK;
		}
		if (s < worst)
			worst = s;
	}
	return worst;
}

static enum aud_skip
member_classify(const struct aud_scope *sc, sqlite3_stmt *st,
                const char **chosen)
{
	enum aud_skip s;

	*chosen = NULL;
	if (col_set(st, COL_ERASED))
		return AUD_ERASED;
	if (col_set(st, COL_TERM_ENDS) &&
	    sqlite3_column_int64(st, COL_TERM_ENDS) < sc->now &&
	    !sc->term_ended_ok)
		return AUD_TERM_ENDED;
	if ((s = channel_choose(sc, st, chosen)) != AUD_OK)
		return s;
	if (sc->frequency_cap > 0 &&
	    sqlite3_column_int(st, COL_RECENT) >= sc->frequency_cap) {
		*chosen = NULL;
		return AUD_FREQUENCY_CAP;
	}
	return AUD_OK;
}

int
audience_next(struct aud_query *q, struct aud_member *m)
{
	sqlite3_stmt *st = q->st;
	int rc = sqlite3_step(st);

	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return -1;
	m->id = sqlite3_column_int64(st, COL_ID);
	m->first_name = db_col_text(st, COL_FIRST_NAME);
	m->last_name = db_col_text(st, COL_LAST_NAME);
	m->email = db_col_text(st, COL_EMAIL);
	m->mobile = db_col_text(st, COL_MOBILE);
	m->age_band = db_col_text(st, COL_AGE_BAND);
	m->sex = db_col_text(st, COL_SEX);
	m->ethnicity = db_col_text(st, COL_ETHNICITY);
	m->skip = member_classify(&q->scope, st, &m->channel);
	return 1;
}

int
audience_channels(const char *list, struct aud_scope *sc, char **cause)
{
	char *copy = xstrdup(list), *c, *save = NULL;
	int rc = 0;

	sc->nchannels = 0;
	for (c = strtok_r(copy, ",", &save); c != NULL && rc == 0;
	     c = strtok_r(NULL, ",", &save)) {
		util_lower(util_trim(c));
		if (!in_list(channel_names, c) || sc->nchannels == 2 ||
		    (sc->nchannels == 1 && strcmp(sc->channels[0], c) == 0)) {
			*cause =
			    xasprintf("channels: '%s' is not email or sms, "
			              "or is repeated",
			              c);
			rc = -1;
		} else
			sc->channels[sc->nchannels++] =
			    strcmp(c, "sms") == 0 ? "sms" : "email";
	}
	if (rc == 0 && sc->nchannels == 0) {
		*cause = xstrdup("channels: none given");
		rc = -1;
	}
	free(copy);
	return rc;
}
