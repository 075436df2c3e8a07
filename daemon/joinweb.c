/*
 * The public join page, /join/{practice}, and the confidentiality agreement
 * page, /agreement/{token}. Plain server-rendered HTML without JavaScript,
 * in the style of the web survey. A bot fills the hidden "website" field
 * and gets the same reply as a person, with nothing stored; every client
 * has a budget of posts an hour ([join] rate). The email link shows a
 * button rather than confirming on GET, so a mail scanner that opens links
 * does not confirm for the person.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "agreement.h"
#include "form.h"
#include "http.h"
#include "join.h"
#include "joinweb.h"
#include "log.h"
#include "member.h"
#include "practice.h"
#include "server.h"
#include "template.h"
#include "util.h"
#include "web.h"
#include "xmalloc.h"

#define JOIN_MAX_FIELDS 40
#define RATE_SLOTS      512
#define HOUR            3600

/* ---- the per-client rate limit ---------------------------------------- */

static struct rate_slot {
	char peer[48];
	int64_t window;
	int n;
} rate_slots[RATE_SLOTS];

/* 1 if this client may post again now (and count it), 0 if over budget. */
static int
rate_ok(struct evhttp_request *req, int limit, int64_t now)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	char *addr = NULL;
	ev_uint16_t port;
	struct rate_slot *s = NULL, *oldest = &rate_slots[0];
	int64_t window = now / HOUR;
	size_t i;

	if (c != NULL)
		evhttp_connection_get_peer(c, &addr, &port);
	if (addr == NULL)
		addr = "unknown";
	for (i = 0; i < RATE_SLOTS && s == NULL; i++) {
		if (strcmp(rate_slots[i].peer, addr) == 0)
			s = &rate_slots[i];
		else if (rate_slots[i].window < oldest->window)
			oldest = &rate_slots[i];
	}
	if (s == NULL) {
		s = oldest;
		snprintf(s->peer, sizeof s->peer, "%s", addr);
		s->n = 0;
	}
	if (s->window != window) {
		s->window = window;
		s->n = 0;
	}
	return ++s->n <= limit;
}

void
joinweb_rate_reset(void)
{
	memset(rate_slots, 0, sizeof rate_slots);
}

/* ---- pieces of the form ------------------------------------------------ */

static void
error_line(FILE *fp, const char *id, const char *err)
{
	if (err == NULL)
		return;
	fprintf(fp,
	        "<p class=\"error-message\" id=\"%s-error\">"
	        "<span class=\"visually-hidden\">Error: </span>",
	        id);
	web_esc(fp, err);
	fputs("</p>", fp);
}

static void
field_open(FILE *fp, const char *err)
{
	fprintf(fp, "<div class=\"field%s\">",
	        err != NULL ? " field-with-error" : "");
}

static void
hint(FILE *fp, const char *id, const char *text)
{
	if (text == NULL)
		return;
	fprintf(fp, "<p class=\"hint\" id=\"%s-hint\">", id);
	web_esc(fp, text);
	fputs("</p>", fp);
}

static void
describedby(FILE *fp, const char *id, const char *hint_text, const char *err)
{
	if (hint_text == NULL && err == NULL)
		return;
	fputs(" aria-describedby=\"", fp);
	if (hint_text != NULL)
		fprintf(fp, "%s-hint", id);
	if (err != NULL)
		fprintf(fp, "%s%s-error", hint_text != NULL ? " " : "", id);
	fputs("\"", fp);
}

struct text_field {
	const char *id, *label, *hint, *type, *autocomplete, *extra;
	int optional;
};

static void
text_field(FILE *fp, const struct text_field *t, const char *value,
           const char *err)
{
	field_open(fp, err);
	fprintf(fp, "<label class=\"label\" for=\"%s\">", t->id);
	web_esc(fp, t->label);
	if (t->optional)
		fputs(" <span class=\"optional\">(optional)</span>", fp);
	fputs("</label>", fp);
	hint(fp, t->id, t->hint);
	error_line(fp, t->id, err);
	fprintf(fp,
	        "<input class=\"input\" type=\"%s\" id=\"%s\" name=\"%s\""
	        " autocomplete=\"%s\" spellcheck=\"false\"%s",
	        t->type, t->id, t->id, t->autocomplete,
	        t->extra != NULL ? t->extra : "");
	describedby(fp, t->id, t->hint, err);
	fputs(" value=\"", fp);
	web_esc(fp, value);
	fputs("\"></div>", fp);
}

static void
checkbox(FILE *fp, const char *id, const char *label, const char *value,
         const char *err)
{
	field_open(fp, err);
	error_line(fp, id, err);
	fprintf(fp,
	        "<div class=\"choice\"><input class=\"choice-input\" "
	        "type=\"checkbox\" id=\"%s\" name=\"%s\" value=\"yes\"%s",
	        id, id,
	        value != NULL && strcmp(value, "yes") == 0 ? " checked" : "");
	if (err != NULL)
		fprintf(fp, " aria-describedby=\"%s-error\"", id);
	fprintf(fp, "><label class=\"choice-label\" for=\"%s\">", id);
	web_esc(fp, label);
	fputs("</label></div></div>", fp);
}

/* A <select> of values with their labels ("" first: not answered). */
static void
select_field(FILE *fp, const char *id, const char *label, const char *why,
             const char *const *values, const char *const *labels,
             const char *value, const char *err)
{
	size_t i;

	field_open(fp, err);
	fprintf(fp, "<label class=\"label\" for=\"%s\">", id);
	web_esc(fp, label);
	fputs(" <span class=\"optional\">(optional)</span></label>", fp);
	hint(fp, id, why);
	error_line(fp, id, err);
	fprintf(fp, "<select class=\"input\" id=\"%s\" name=\"%s\"", id, id);
	describedby(fp, id, why, err);
	fputs("><option value=\"\">Skip this question</option>", fp);
	for (i = 0; values[i] != NULL; i++) {
		fputs("<option value=\"", fp);
		web_esc(fp, values[i]);
		fprintf(fp, "\"%s>",
		        value != NULL && strcmp(value, values[i]) == 0
		            ? " selected"
		            : "");
		web_esc(fp, labels != NULL ? labels[i] : values[i]);
		fputs("</option>", fp);
	}
	fputs("</select></div>", fp);
}

/* Yes / No / skip radios. */
static void
yes_no(FILE *fp, const char *id, const char *legend, const char *why,
       const char *value, const char *err)
{
	static const char *const vals[] = {"yes", "no", ""};
	static const char *const labels[] = {"Yes", "No",
	                                     "I prefer not to say"};
	int i;

	field_open(fp, err);
	fputs("<fieldset class=\"fieldset\"", fp);
	describedby(fp, id, why, err);
	fputs("><legend class=\"label\">", fp);
	web_esc(fp, legend);
	fputs(" <span class=\"optional\">(optional)</span></legend>", fp);
	hint(fp, id, why);
	error_line(fp, id, err);
	fputs("<div class=\"choices\">", fp);
	for (i = 0; i < 3; i++)
		fprintf(
		    fp,
		    "<div class=\"choice\"><input class=\"choice-input\" "
		    "type=\"radio\" id=\"%s-%d\" name=\"%s\" value=\"%s\"%s>"
		    "<label class=\"choice-label\" for=\"%s-%d\">%s</label>"
		    "</div>",
		    id, i + 1, id, vals[i],
		    value != NULL && strcmp(value, vals[i]) == 0 &&
		            *vals[i] != '\0'
		        ? " checked"
		        : "",
		    id, i + 1, labels[i]);
	fputs("</div></fieldset></div>", fp);
}

/* ---- the join page ----------------------------------------------------- */

/* Where the error summary links for each field: the first input's id. */
static const char *const field_ids[JF_NFIELDS] = {
    "first_name",  "last_name",       "email",
    "email",       "consent_email",   "mobile",
    "consent_sms", "age_band",        "dob",
    "sex",         "ethnicity",       "disability-1",
    "carer-1",     "communication-1", "agree",
};

static void
error_summary(FILE *fp, const struct join_errors *e)
{
	int i;

	if (e == NULL || e->n == 0)
		return;
	fputs("<div class=\"error-summary\" role=\"alert\" tabindex=\"-1\">"
	      "<h2 class=\"error-summary-title\">There is a problem</h2>"
	      "<ul class=\"error-summary-list\">",
	      fp);
	for (i = 0; i < JF_NFIELDS; i++) {
		if (e->msg[i] == NULL)
			continue;
		fprintf(fp, "<li><a href=\"#%s\">", field_ids[i]);
		web_esc(fp, e->msg[i]);
		fputs("</a></li>", fp);
	}
	fputs("</ul></div>", fp);
}

static const char *const age_labels[] = {"16 to 24", "25 to 34",   "35 to 44",
                                         "45 to 54", "55 to 64",   "65 to 74",
                                         "75 to 84", "85 or over", NULL};
static const char *const sex_labels[] = {"Female", "Male", "In another way",
                                         "I prefer not to say", NULL};
static const char *const ethnicity_labels[] = {
    "White",
    "Mixed or multiple ethnic groups",
    "Asian or Asian British",
    "Black, Black British, Caribbean or African",
    "Another ethnic group",
    "I prefer not to say",
    NULL};

#define WHY_ASKED                                                              \
	"We ask so that we can check the group includes people like all of "   \
	"the practice's patients, and invite the groups who are missing."

static void
contact_fields(FILE *fp, const struct join_form *f, const struct join_errors *e)
{
	static const struct text_field email = {
	    "email", "Email address", NULL, "email", "email", NULL, 1};
	static const struct text_field mobile = {"mobile",
	                                         "UK mobile number",
	                                         "For example, 07700 900123",
	                                         "tel",
	                                         "tel",
	                                         NULL,
	                                         1};

	fputs("<h2>How we contact you</h2><p class=\"hint\">Give an email "
	      "address, a mobile number, or both. We will send a message to "
	      "check each one is yours.</p>",
	      fp);
	if (e->msg[JF_CONTACT] != NULL) {
		field_open(fp, e->msg[JF_CONTACT]);
		error_line(fp, "contact", e->msg[JF_CONTACT]);
		fputs("</div>", fp);
	}
	text_field(fp, &email, f->email, e->msg[JF_EMAIL]);
	checkbox(fp, "consent_email",
	         "Yes, you may email me: surveys, meeting invitations and news "
	         "of the group, about once or twice a month. I can stop at any "
	         "time with the link in every email.",
	         f->consent_email, e->msg[JF_CONSENT_EMAIL]);
	text_field(fp, &mobile, f->mobile, e->msg[JF_MOBILE]);
	checkbox(fp, "consent_sms",
	         "Yes, you may text me: short surveys and reminders, no more "
	         "than three texts a week. I can stop at any time by replying "
	         "STOP.",
	         f->consent_sms, e->msg[JF_CONSENT_SMS]);
}

static void
equality_fields(FILE *fp, const struct join_form *f,
                const struct join_errors *e)
{
	static const struct text_field dob = {
	    "dob",
	    "Or your date of birth",
	    "For example, 31/03/1980. We keep only your age group, not the "
	    "date.",
	    "text",
	    "bday",
	    " inputmode=\"numeric\"",
	    1};

	fputs("<h2>About you</h2><p>Every question in this part is optional: "
	      "skip any you prefer not to answer. " WHY_ASKED
	      " Your answers are only ever reported as totals, and they "
	      "never affect your care.</p>",
	      fp);
	select_field(fp, "age_band", "Your age group",
	             "Younger patients are often missing from patient groups.",
	             member_age_bands, age_labels, f->age_band,
	             e->msg[JF_AGE_BAND]);
	text_field(fp, &dob, f->dob, e->msg[JF_DOB]);
	select_field(fp, "sex", "Your sex",
	             "So that the group hears from men and women alike.",
	             member_sexes, sex_labels, f->sex, e->msg[JF_SEX]);
	select_field(fp, "ethnicity", "Your ethnic group",
	             "So that the group hears from every community the "
	             "practice serves.",
	             member_ethnicities, ethnicity_labels, f->ethnicity,
	             e->msg[JF_ETHNICITY]);
	yes_no(fp, "disability",
	       "Do you have a disability or a long-term "
	       "health condition?",
	       "Disabled people are often missing from patient groups.",
	       f->disability, e->msg[JF_DISABILITY]);
	yes_no(fp, "carer",
	       "Do you look after someone who could not manage "
	       "without your help?",
	       "Carers see the practice from another side, and are often too "
	       "busy to come to meetings.",
	       f->carer, e->msg[JF_CARER]);
	yes_no(fp, "communication",
	       "Do you need information in another "
	       "format or language, or help to communicate?",
	       "So that we can send you messages you can use, and count how "
	       "many members need them.",
	       f->communication, e->msg[JF_COMMUNICATION]);
}

static void
agreement_field(FILE *fp, const struct agreement *a, const struct join_form *f,
                const struct join_errors *e)
{
	char *v;

	if (a == NULL || a->version == NULL)
		return;
	v = html_escape(a->version);
	fprintf(fp,
	        "<h2>Confidentiality agreement</h2><p>Members sometimes "
	        "hear about the practice's work before it is public. "
	        "Please read what you agree to keep private (version "
	        "%s).</p><div class=\"agreement\" tabindex=\"0\" "
	        "role=\"region\" aria-label=\"Confidentiality "
	        "agreement\"><p>",
	        v);
	free(v);
	web_esc(fp, a->text);
	fputs("</p></div>", fp);
	checkbox(fp, "agree",
	         "I have read the confidentiality agreement and I accept it.",
	         f->agree, e->msg[JF_AGREE]);
}

static void
join_page(struct evhttp_request *req, const struct config *cfg,
          const struct practice *p, const struct join_form *f,
          const struct join_errors *e, const struct agreement *a, int status)
{
	static const struct text_field first = {
	    "first_name", "First name", NULL, "text", "given-name", NULL, 0};
	static const struct text_field last = {
	    "last_name",
	    "Last name",
	    "The practice checks that you are one of its patients.",
	    "text",
	    "family-name",
	    NULL,
	    0};
	const char *privacy = config_str(cfg, CFG_JOIN_PRIVACY_URL);
	char *body = NULL, *title;
	size_t len;
	FILE *fp = open_memstream(&body, &len);

	fputs("<div class=\"panel\">", fp);
	error_summary(fp, e);
	fputs("<h1>Join the patient group at ", fp);
	web_esc(fp, p->name);
	fputs("</h1><p>The Patient Participation Group helps the practice "
	      "listen to its patients. Members answer short surveys by email "
	      "or text, and may come to meetings if they like. Joining is "
	      "your choice, you can leave at any time, and it never affects "
	      "your care.</p>",
	      fp);
	if (*privacy != '\0') {
		fputs("<p>How we use your details: <a href=\"", fp);
		web_esc(fp, privacy);
		fputs("\">the practice's privacy notice</a>.</p>", fp);
	}
	fputs("<form method=\"post\" action=\"/join/", fp);
	web_esc(fp, p->code);
	fputs("\" novalidate><input type=\"hidden\" name=\"source\" value=\"",
	      fp);
	web_esc(fp, join_source(f->source));
	fputs("\"><div class=\"trap\" aria-hidden=\"true\"><label "
	      "for=\"website\">Leave this empty</label><input type=\"text\" "
	      "id=\"website\" name=\"website\" tabindex=\"-1\" "
	      "autocomplete=\"off\"></div><h2>Your name</h2>",
	      fp);
	text_field(fp, &first, f->first_name, e->msg[JF_FIRST_NAME]);
	text_field(fp, &last, f->last_name, e->msg[JF_LAST_NAME]);
	contact_fields(fp, f, e);
	equality_fields(fp, f, e);
	agreement_field(fp, a, f, e);
	fputs("<button type=\"submit\" class=\"button\">Ask to join</button>"
	      "</form></div>",
	      fp);
	fclose(fp);
	title = xasprintf("%sJoin the patient group", e->n ? "Error: " : "");
	web_reply(req, cfg, status, title, body);
	free(title);
	free(body);
}

/* The code form (after a request with a mobile). */
static void
code_form(FILE *fp, const char *code, const char *ref, const char *err)
{
	static const struct text_field t = {
	    "code",
	    "Enter the 6-digit code we texted to you",
	    "Or reply YES to our text.",
	    "text",
	    "one-time-code",
	    " inputmode=\"numeric\" maxlength=\"12\"",
	    0};

	fputs("<form method=\"post\" action=\"/join/", fp);
	web_esc(fp, code);
	fputs("/code\" novalidate><input type=\"hidden\" name=\"ref\" "
	      "value=\"",
	      fp);
	web_esc(fp, ref);
	fputs("\">", fp);
	text_field(fp, &t, "", err);
	fputs("<button type=\"submit\" class=\"button\">Confirm my mobile "
	      "number</button></form>",
	      fp);
}

static void
next_page(struct evhttp_request *req, const struct config *cfg,
          const char *practice, const struct join_next *n, const char *err,
          int status)
{
	char *body = NULL;
	size_t len;
	FILE *fp = open_memstream(&body, &len);

	fputs("<div class=\"panel\">", fp);
	if (err != NULL)
		fprintf(fp,
		        "<div class=\"error-summary\" role=\"alert\" "
		        "tabindex=\"-1\"><h2 class=\"error-summary-title\">"
		        "There is a problem</h2><ul class=\"error-summary-"
		        "list\"><li><a href=\"#code\">%s</a></li></ul></div>",
		        err);
	fputs("<h1>Nearly done: check it is you</h1>", fp);
	if (n->email)
		fputs("<p>We have sent an email to the address you gave. Open "
		      "the link in it to confirm your address. The link works "
		      "for two days.</p>",
		      fp);
	if (n->sms) {
		fputs("<p>We have sent a text message to the mobile number "
		      "you gave.</p>",
		      fp);
		code_form(fp, practice, n->ref, err);
	}
	fputs("<p>If nothing arrives in a few minutes, check the details "
	      "and ask to join again, or ask at reception.</p></div>",
	      fp);
	fclose(fp);
	web_reply(req, cfg, status,
	          err != NULL ? "Error: Check it is you" : "Check it is you",
	          body);
	free(body);
}

static void
form_of(const struct form *fm, struct join_form *f)
{
	f->first_name = form_get(fm, "first_name");
	f->last_name = form_get(fm, "last_name");
	f->email = form_get(fm, "email");
	f->mobile = form_get(fm, "mobile");
	f->consent_email = form_get(fm, "consent_email");
	f->consent_sms = form_get(fm, "consent_sms");
	f->age_band = form_get(fm, "age_band");
	f->dob = form_get(fm, "dob");
	f->sex = form_get(fm, "sex");
	f->ethnicity = form_get(fm, "ethnicity");
	f->disability = form_get(fm, "disability");
	f->carer = form_get(fm, "carer");
	f->communication = form_get(fm, "communication");
	f->agree = form_get(fm, "agree");
	f->source = form_get(fm, "source");
}

/* A form POST body, parsed; NULL (and a reply sent) if it cannot be. */
static struct form *
read_post(struct evhttp_request *req, const struct config *cfg, int64_t now)
{
	struct form *fm = NULL;
	char *body, *cause = NULL;
	size_t len;

	if (web_same_origin(req, cfg) == -1) {
		web_message(req, cfg, 403, "Sorry, we could not accept that",
		            "Please open the join page again and send it from "
		            "there.");
		return NULL;
	}
	if (!rate_ok(req, (int)config_int(cfg, CFG_JOIN_RATE), now)) {
		log_info("event=join_rate_limited");
		web_message(req, cfg, 429, "Too many tries",
		            "Please wait an hour and try again, or ask at "
		            "reception to join the patient group.");
		return NULL;
	}
	body = http_body(req, &len);
	if (form_parse(body, len, JOIN_MAX_FIELDS, &fm, &cause) == -1) {
		free(cause);
		web_message(req, cfg, 400, "Sorry, we could not read that",
		            "Please go back and try again.");
		fm = NULL;
	}
	free(body);
	return fm;
}

static void
join_post(struct evhttp_request *req, struct server *srv,
          const struct practice *p, const struct agreement *a)
{
	const struct config *cfg = server_config(srv);
	int64_t now = time(NULL);
	struct form *fm;
	struct join_form f = {0};
	struct join_errors e;
	struct join_next n = {0};
	const char *trap;
	char *cause = NULL;

	if ((fm = read_post(req, cfg, now)) == NULL)
		return;
	form_of(fm, &f);
	join_check(&f, now, &e);
	if (a->version != NULL &&
	    (f.agree == NULL || strcmp(f.agree, "yes") != 0)) {
		e.msg[JF_AGREE] = "Tick the box to accept the confidentiality "
		                  "agreement";
		e.n++;
	}
	trap = form_get(fm, "website");
	if (e.n > 0)
		join_page(req, cfg, p, &f, &e, a, 400);
	else if (trap != NULL && *trap != '\0') {
		/* A bot: the same reply as a person gets, nothing stored. */
		log_info("event=join_honeypot");
		n.email = f.email != NULL && *f.email != '\0';
		n.sms = f.mobile != NULL && *f.mobile != '\0';
		next_page(req, cfg, p->code, &n, NULL, 200);
	} else if (join_submit(server_db(srv), cfg, p->id, &f, a->version, now,
	                       &n, &cause) == -1) {
		log_warnx("event=join_submit error=\"%s\"", cause);
		free(cause);
		web_message(req, cfg, 503, "Sorry, there is a problem",
		            "Please try again in a few minutes.");
	} else {
		env_kick(server_env(srv));
		next_page(req, cfg, p->code, &n, NULL, 200);
	}
	form_free(fm);
}

static void
confirmed_page(struct evhttp_request *req, const struct config *cfg,
               const struct practice *p, enum join_confirm c)
{
	int autoapp = strcmp(config_str(cfg, CFG_JOIN_APPROVAL), "auto") == 0;
	char *text;

	switch (c) {
	case JC_CONFIRMED:
	case JC_ALREADY:
		text = xasprintf(
		    autoapp
		        ? "You are now a member of the patient group at %s. "
		          "We will send you a welcome message."
		        : "Your request to join the patient group at %s is "
		          "with the practice. When they have checked it, we "
		          "will send you a welcome message.",
		    p->name);
		web_message(req, cfg, 200, "Thank you, that is confirmed",
		            text);
		free(text);
		break;
	case JC_LOCKED:
		web_message(req, cfg, 403, "Too many wrong codes",
		            "That code no longer works. Please ask to join "
		            "again, or reply YES to our text.");
		break;
	case JC_ERROR:
		web_message(req, cfg, 503, "Sorry, there is a problem",
		            "Please try again in a few minutes.");
		break;
	default:
		web_message(
		    req, cfg, 404, "This link does not work",
		    "It may have expired, or part of it may be missing. "
		    "Please ask to join again.");
	}
}

static void
code_post(struct evhttp_request *req, struct server *srv,
          const struct practice *p)
{
	const struct config *cfg = server_config(srv);
	struct join_next n = {0};
	struct form *fm;
	const char *ref, *code;
	enum join_confirm c;
	char *err;
	int left = 0;

	if ((fm = read_post(req, cfg, time(NULL))) == NULL)
		return;
	ref = form_get(fm, "ref");
	code = form_get(fm, "code");
	if (ref == NULL || web_token(ref) == NULL)
		c = JC_UNKNOWN;
	else
		c = join_confirm_code(server_db(srv), cfg, ref, code,
		                      time(NULL), &left);
	if (c == JC_WRONG ||
	    (c == JC_UNKNOWN && ref != NULL && web_token(ref) != NULL)) {
		/* An unknown handle looks like a wrong code: no enumeration. */
		n.sms = 1;
		snprintf(n.ref, sizeof n.ref, "%s", ref);
		err = c == JC_WRONG
		          ? xasprintf("That code is not right. Check the text "
		                      "and try again (%d %s left).",
		                      left, left == 1 ? "try" : "tries")
		          : xstrdup("That code is not right. Check the text "
		                    "and try again.");
		next_page(req, cfg, p->code, &n, err, 400);
		free(err);
	} else {
		if (c == JC_CONFIRMED)
			env_kick(server_env(srv));
		confirmed_page(req, cfg, p, c);
	}
	form_free(fm);
}

static void
confirm_http(struct evhttp_request *req, struct server *srv,
             const struct practice *p, const char *token)
{
	const struct config *cfg = server_config(srv);
	enum join_confirm c;
	char *body, *t;

	if (web_token(token) == NULL) {
		confirmed_page(req, cfg, p, JC_UNKNOWN);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		t = html_escape(token);
		body = xasprintf(
		    "<div class=\"panel\"><h1>Confirm your email address</h1>"
		    "<p>Press the button to confirm that you asked to join the "
		    "patient group.</p><form method=\"post\" action=\"/join/%s"
		    "/confirm/%s\"><button type=\"submit\" class=\"button\">"
		    "Confirm my email address</button></form></div>",
		    p->code, t);
		web_reply(req, cfg, 200, "Confirm your email address", body);
		free(body);
		free(t);
		return;
	}
	if (web_same_origin(req, cfg) == -1) {
		web_message(req, cfg, 403, "Sorry, we could not accept that",
		            "Please open the link in the email again.");
		return;
	}
	c = join_confirm_email(server_db(srv), cfg, token, time(NULL));
	if (c == JC_CONFIRMED)
		env_kick(server_env(srv));
	confirmed_page(req, cfg, p, c);
}

static void agreement_page(struct evhttp_request *, const struct config *,
                           const struct agreement *, const char *token);

/* The practice code at the start of rest; the remainder in *tail. */
static struct practice *
practice_of(struct db *db, const char *rest, const char **tail)
{
	char code[16];
	size_t n = strcspn(rest, "/");

	if (n == 0 || n >= sizeof code)
		return NULL;
	memcpy(code, rest, n);
	code[n] = '\0';
	*tail = rest + n;
	return practice_find(db, code);
}

static const char *
query_source(struct evhttp_request *req)
{
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *q = u != NULL ? evhttp_uri_get_query(u) : NULL;
	static char src[40];
	struct evkeyvalq kv;
	const char *v;

	src[0] = '\0';
	if (q == NULL || evhttp_parse_query_str(q, &kv) == -1)
		return NULL;
	if ((v = evhttp_find_header(&kv, "source")) != NULL)
		snprintf(src, sizeof src, "%s", join_source(v));
	evhttp_clear_headers(&kv);
	return src[0] != '\0' ? src : NULL;
}

void
joinweb_http(struct evhttp_request *req, struct server *srv, const char *rest)
{
	const struct config *cfg = server_config(srv);
	const char *tail = "";
	struct practice *p = practice_of(server_db(srv), rest, &tail);
	struct agreement a = {0};
	struct join_form f = {0};
	struct join_errors e = {0};
	char *cause = NULL;
	int post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;

	if (p == NULL) {
		web_message(req, cfg, 404, "Page not found",
		            "Please check the address, or ask at reception how "
		            "to join the patient group.");
		return;
	}
	if (agreement_load(cfg, &a, &cause) == -1) {
		/* Never a join page without the agreement the practice set. */
		log_warnx("event=agreement error=\"%s\"", cause);
		free(cause);
		web_message(
		    req, cfg, 503, "Sorry, there is a problem",
		    "Please try again later, or ask at reception how to "
		    "join the patient group.");
	} else if (strncmp(tail, "/confirm/", 9) == 0)
		confirm_http(req, srv, p, tail + 9);
	else if (strcmp(tail, "/code") == 0 && post)
		code_post(req, srv, p);
	else if (strcmp(tail, "/agreement") == 0 && !post && a.version)
		agreement_page(req, cfg, &a, NULL);
	else if (*tail != '\0')
		web_message(req, cfg, 404, "Page not found",
		            "Please check the address.");
	else if (post)
		join_post(req, srv, p, &a);
	else {
		f.source = query_source(req);
		join_page(req, cfg, p, &f, &e, &a, 200);
	}
	agreement_clear(&a);
	practice_free(p);
}

/* ---- the agreement link ------------------------------------------------ */

static void
agreement_page(struct evhttp_request *req, const struct config *cfg,
               const struct agreement *a, const char *token)
{
	char *body = NULL, *v = html_escape(a->version);
	char *t = html_escape(token != NULL ? token : "");
	size_t len;
	FILE *fp = open_memstream(&body, &len);

	fprintf(fp,
	        "<div class=\"panel\"><h1>Confidentiality agreement</h1>"
	        "<p>Version %s. Please read it, and accept it if you "
	        "agree.</p><div class=\"agreement\" tabindex=\"0\" "
	        "role=\"region\" aria-label=\"Confidentiality "
	        "agreement\"><p>",
	        v);
	web_esc(fp, a->text);
	if (token != NULL)
		fprintf(fp,
		        "</p></div><form method=\"post\" "
		        "action=\"/agreement/%s\"><button type=\"submit\" "
		        "class=\"button\">I accept the agreement</button>"
		        "</form></div>",
		        t);
	else
		fputs("</p></div></div>", fp);
	fclose(fp);
	web_reply(req, cfg, 200, "Confidentiality agreement", body);
	free(body);
	free(v);
	free(t);
}

static int
accept_txn(struct db *db, int64_t member, const char *version)
{
	if (db_begin(db) == -1)
		return -1;
	if (agreement_accept(db, member, version, "link", time(NULL)) == -1 ||
	    db_commit(db) == -1) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

void
joinweb_agreement_http(struct evhttp_request *req, struct server *srv,
                       const char *rest)
{
	const struct config *cfg = server_config(srv);
	const char *token = web_token(rest);
	struct agreement a = {0};
	char *version = NULL, *cause = NULL;
	int64_t member = 0;

	if (token != NULL)
		member = agreement_link_find(server_db(srv), token, &version);
	if (member == 0 || agreement_load(cfg, &a, &cause) != 1 ||
	    strcmp(a.version, version) != 0) {
		free(cause);
		web_message(req, cfg, 404, "This link does not work",
		            "It may be for an older version of the agreement. "
		            "Please contact the practice.");
	} else if (evhttp_request_get_command(req) != EVHTTP_REQ_POST)
		agreement_page(req, cfg, &a, token);
	else if (web_same_origin(req, cfg) == -1)
		web_message(req, cfg, 403, "Sorry, we could not accept that",
		            "Please open the link again.");
	else if (accept_txn(server_db(srv), member, version) == -1)
		web_message(req, cfg, 503, "Sorry, there is a problem",
		            "Please try again in a few minutes.");
	else {
		log_info("event=confidentiality_accept member=%lld",
		         (long long)member);
		web_message(req, cfg, 200, "Thank you",
		            "You have accepted the confidentiality agreement.");
	}
	agreement_clear(&a);
	free(version);
}
