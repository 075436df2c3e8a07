/*
 * Rendering a run's messages at send time from the run's snapshot: a JSON
 * object {"email": {"text", "html"}, "sms": {"text"}, "vars": {...},
 * "survey_id", "meeting_id"} written once when the run starts firing.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "linktoken.h"
#include "log.h"
#include "runmsg.h"
#include "survey.h"
#include "survey_store.h"
#include "xmalloc.h"

#define SAMPLE_TOKEN  "AbCdEfGhIjKlMnOpQrStUv"
#define NAME_FALLBACK "member"
#define CH_EMAIL      0
#define CH_SMS        1

struct runmsg {
	int64_t run_id, campaign_id, survey_id, meeting_id;
	struct template *tmpl[2];
	struct tvars *vars;
	struct survey *sv; /* loaded on first need */
	int sv_failed;
};

static json_t *
tmpl_json(const struct template *t)
{
	const char *html, *text;

	if (t == NULL)
		return json_null();
	text = template_source(t, &html);
	return json_pack("{s:s, s:s?}", "text", text, "html", html);
}

char *
runmsg_snapshot(struct template *const tmpl[2], const struct tvars *v,
                int64_t survey_id, int64_t meeting_id)
{
	json_t *o, *vars = json_object();
	const char *name, *value;
	char *s;
	size_t i;

	for (i = 0; i < tvars_count(v); i++) {
		name = tvars_at(v, i, &value);
		json_object_set_new(vars, name, json_string(value));
	}
	o = json_pack("{s:o, s:o, s:o, s:I, s:I}", "email", tmpl_json(tmpl[0]),
	              "sms", tmpl_json(tmpl[1]), "vars", vars, "survey_id",
	              (json_int_t)survey_id, "meeting_id",
	              (json_int_t)meeting_id);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s == NULL)
		fatalx("runmsg: json_dumps");
	return s;
}

static int
tmpl_parse(json_t *o, const char *ch, enum tmpl_channel kind,
           struct template **out, char **cause)
{
	json_t *t = json_object_get(o, ch);
	const char *text, *html;

	*out = NULL;
	if (t == NULL || json_is_null(t))
		return 0;
	text = json_string_value(json_object_get(t, "text"));
	html = json_string_value(json_object_get(t, "html"));
	if (text == NULL) {
		*cause = xasprintf("snapshot: no %s text", ch);
		return -1;
	}
	return template_parse_parts(text, html, ch, kind, 0, out, cause);
}

struct runmsg *
runmsg_parse(const char *snapshot, int64_t run_id, int64_t campaign_id,
             char **cause)
{
	struct runmsg *rm = xcalloc(1, sizeof *rm);
	json_t *o = json_loads(snapshot, 0, NULL), *v;
	const char *k;

	rm->run_id = run_id;
	rm->campaign_id = campaign_id;
	rm->vars = tvars_new();
	if (o == NULL) {
		*cause = xstrdup("snapshot: not JSON");
		runmsg_free(rm);
		return NULL;
	}
	if (tmpl_parse(o, "email", TMPL_EMAIL, &rm->tmpl[CH_EMAIL], cause) ==
	        -1 ||
	    tmpl_parse(o, "sms", TMPL_SMS, &rm->tmpl[CH_SMS], cause) == -1) {
		json_decref(o);
		runmsg_free(rm);
		return NULL;
	}
	json_object_foreach(json_object_get(o, "vars"), k, v)
	    tvars_set(rm->vars, k, json_string_value(v));
	rm->survey_id = json_integer_value(json_object_get(o, "survey_id"));
	rm->meeting_id = json_integer_value(json_object_get(o, "meeting_id"));
	json_decref(o);
	return rm;
}

struct runmsg *
runmsg_load(struct db *db, int64_t run_id, char **cause)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT snapshot, campaign_id FROM"
	                               " runs WHERE id = ?");
	struct runmsg *rm = NULL;

	db_bind_int(st, 1, run_id);
	if (sqlite3_step(st) == SQLITE_ROW && db_col_text(st, 0) != NULL)
		rm = runmsg_parse(db_col_text(st, 0), run_id,
		                  sqlite3_column_int64(st, 1), cause);
	else
		*cause =
		    xasprintf("run %lld has no snapshot", (long long)run_id);
	sqlite3_reset(st);
	return rm;
}

void
runmsg_free(struct runmsg *rm)
{
	if (rm == NULL)
		return;
	template_free(rm->tmpl[0]);
	template_free(rm->tmpl[1]);
	tvars_free(rm->vars);
	survey_free(rm->sv);
	free(rm);
}

int64_t
runmsg_run(const struct runmsg *rm)
{
	return rm->run_id;
}

/* The link to path/TOKEN for (kind, run, member): a sample in a preview. */
static int
link_set(struct runmsg *rm, const struct config *cfg, const char *var,
         const char *path, enum linktoken_kind kind, int64_t member,
         char **cause)
{
	char tok[LINKTOKEN_MAX], *link;

	if (rm->run_id == 0 || member == 0)
		snprintf(tok, sizeof tok, "%s", SAMPLE_TOKEN);
	else if (linktoken_make(cfg, kind, rm->run_id, member, tok, cause) ==
	         -1)
		return -1;
	link =
	    xasprintf("%s/%s/%s", config_str(cfg, CFG_PUBLIC_URL), path, tok);
	tvars_set(rm->vars, var, link);
	free(link);
	return 0;
}

static int
uses(const struct runmsg *rm, const char *name)
{
	return (rm->tmpl[0] != NULL && template_uses(rm->tmpl[0], name)) ||
	       (rm->tmpl[1] != NULL && template_uses(rm->tmpl[1], name));
}

/* The member's names and custom fields ({{member.extra.NAME}}). */
static void
member_names(struct runmsg *rm, struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT first_name, last_name FROM"
	                               " members WHERE id = ?");
	const char *first = NULL, *last = NULL;

	db_bind_int(st, 1, id);
	if (id != 0 && sqlite3_step(st) == SQLITE_ROW) {
		first = db_col_text(st, 0);
		last = db_col_text(st, 1);
	} else if (id == 0) {
		first = "Christabelle";
		last = "Montgomery-Smith";
	}
	tvars_set(rm->vars, "member.first_name",
	          first != NULL && *first != '\0' ? first : NAME_FALLBACK);
	tvars_set(rm->vars, "member.last_name",
	          last != NULL && *last != '\0' ? last : "");
	sqlite3_reset(st);
	tvars_clear_prefix(rm->vars, "member.extra.");
	if (id == 0)
		return;
	st = db_stmt(db, "SELECT name, value FROM member_extra"
	                 " WHERE member_id = ?");
	db_bind_int(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *name = xasprintf("member.extra.%s", db_col_text(st, 0));
		tvars_set(rm->vars, name, db_col_text(st, 1));
		free(name);
	}
	sqlite3_reset(st);
}

static int
member_vars(struct runmsg *rm, struct db *db, const struct config *cfg,
            int64_t id, char **cause)
{
	member_names(rm, db, id);
	if (link_set(rm, cfg, "unsubscribe.link", "u", LT_UNSUBSCRIBE, id,
	             cause) == -1)
		return -1;
	if (rm->survey_id != 0 &&
	    link_set(rm, cfg, "survey.link", "s", LT_SURVEY, id, cause) == -1)
		return -1;
	if (rm->meeting_id != 0 && uses(rm, "meeting.rsvp_link") &&
	    link_set(rm, cfg, "meeting.rsvp_link", "m", LT_RSVP, id, cause) ==
	        -1)
		return -1;
	return 0;
}

/* The question the member's open conversation of this campaign is at. */
static int
sms_question(struct db *db, const struct runmsg *rm, int64_t member)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT s.question_index FROM sms_sessions s JOIN responses r"
	        " ON r.id = s.response_id WHERE s.member_id = ?"
	        " AND s.state = 'open' AND r.campaign_id = ?"
	        " ORDER BY s.id DESC LIMIT 1");

	if (rm->run_id == 0 || member == 0)
		return 0;
	db_bind_int(st, 1, member);
	db_bind_int(st, 2, rm->campaign_id);
	return (int)db_int(db, st, 0);
}

/* Append the survey's question to an SMS survey message. */
static void
sms_prompt(struct runmsg *rm, struct db *db, int64_t member,
           struct rendered *out)
{
	char *cause = NULL, *prompt, *text;
	int q;

	if (rm->sv == NULL && !rm->sv_failed &&
	    (rm->sv = survey_store_get(db, rm->survey_id, &cause)) == NULL) {
		log_warnx("event=runmsg survey=%lld error=\"%s\"",
		          (long long)rm->survey_id, cause);
		free(cause);
		rm->sv_failed = 1;
	}
	if (rm->sv == NULL || rm->sv->nquestions == 0)
		return;
	q = sms_question(db, rm, member);
	if (q < 0 || (size_t)q >= rm->sv->nquestions)
		q = 0;
	prompt = survey_sms_prompt(&rm->sv->questions[q]);
	text = xasprintf("%s\n\n%s", out->text, prompt);
	free(out->text);
	free(prompt);
	out->text = text;
}

int
runmsg_render(struct runmsg *rm, struct db *db, const struct config *cfg,
              int64_t member_id, const char *channel, struct rendered *out,
              char **cause)
{
	int ch = strcmp(channel, "sms") == 0 ? CH_SMS : CH_EMAIL;

	memset(out, 0, sizeof *out);
	if (rm->tmpl[ch] == NULL) {
		*cause = xasprintf("the run has no %s template", channel);
		return -1;
	}
	if (member_vars(rm, db, cfg, member_id, cause) == -1 ||
	    template_render(rm->tmpl[ch], rm->vars, out, cause) == -1)
		return -1;
	if (ch == CH_SMS && rm->survey_id != 0)
		sms_prompt(rm, db, member_id, out);
	return 0;
}
