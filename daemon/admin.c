/*
 * The staff web admin. Server-rendered pages that work without JavaScript,
 * on their own loopback listener behind the practice's TLS proxy.
 *
 * Security, in one place: a session is a random token in an HttpOnly,
 * Secure, SameSite=Strict cookie named with the __Host- prefix (only its
 * hash is stored), with an idle and an absolute timeout; every POST carries
 * the session's CSRF token (compared in constant time) and, when the
 * browser sends one, an Origin of this host; every page asks scope.c
 * whether the user's role may see it and for which practices; every change
 * is audited with the user's name. Passwords and second factors live in
 * user.c.
 *
 * Before there is a session (the sign-in and password forms) the CSRF
 * token is a double-submit one: a random token in a second __Host- cookie,
 * repeated in the form, compared in constant time. The prefix is what makes
 * it sound: a browser takes a __Host- cookie only from this very host over
 * HTTPS, with no Domain, so no sibling subdomain or plain-HTTP page can
 * plant a token it knows. It stops a login CSRF (a page elsewhere signing
 * the browser in to the attacker's account) where the Origin check cannot,
 * since an old browser or a privacy setting may send no Origin at all.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "admin.h"
#include "admin_page.h"
#include "api.h"
#include "buf.h"
#include "care_alert.h"
#include "comments.h"
#include "crypto.h"
#include "dashboard.h"
#include "form.h"
#include "http.h"
#include "join.h"
#include "jsonx.h"
#include "log.h"
#include "member.h"
#include "practice.h"
#include "publish.h"
#include "qr.h"
#include "represent.h"
#include "scope.h"
#include "server.h"
#include "template.h"
#include "totp.h"
#include "user.h"
#include "util.h"
#include "web.h"
#include "xmalloc.h"

/* The session cookie; it was formerly "ppgd_admin", which is no longer
 * read (a browser holding it signs in again) and is cleared at sign-in. */
#define COOKIE     "__Host-ppgd_session"
#define COOKIE_OLD "ppgd_admin"
/* The pre-session CSRF token of the sign-in and password forms. */
#define PRE_COOKIE   "__Host-ppgd_csrf"
#define COOKIE_ATTRS "; Path=/; HttpOnly; Secure; SameSite=Strict"
#define MAX_FIELDS   64

/* ---- configuration ------------------------------------------------------ */

int
admin_configure(const struct config *cfg, const char **listen, char **cause)
{
	const char *addr = config_str(cfg, CFG_ADMIN_LISTEN);

	*listen = NULL;
	if (*addr == '\0')
		return 0;
	if (!api_addr_loopback(addr) &&
	    !config_int(cfg, CFG_ADMIN_ALLOW_REMOTE)) {
		*cause =
		    xasprintf("[admin] listen %s is not a loopback address;"
		              " put the admin behind a TLS proxy, or set"
		              " [admin] allow_remote = yes",
		              addr);
		return -1;
	}
	*listen = addr;
	return 0;
}

char *
admin_base_url(const struct config *cfg)
{
	const char *u = config_str(cfg, CFG_ADMIN_PUBLIC_URL);
	size_t n = strlen(u);

	if (n > 0)
		return xasprintf("%.*s", (int)(u[n - 1] == '/' ? n - 1 : n), u);
	return xasprintf("http://%s", config_str(cfg, CFG_ADMIN_LISTEN));
}

/* ---- small helpers ------------------------------------------------------ */

static const char *
header(struct areq *ar, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(ar->req),
	                          name);
}

static void
add_header(struct areq *ar, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(ar->req), name,
	                  value);
}

/* The token (22 characters) of the cookie name into out[23], "" if the
 * request has none; 1 if the cookie is there at all. */
static int
cookie_get(struct areq *ar, const char *name, char out[23])
{
	const char *c = header(ar, "Cookie"), *p;
	size_t n, len = strlen(name);

	out[0] = '\0';
	for (p = c; p != NULL && (p = strstr(p, name)) != NULL; p++) {
		if ((p != c && p[-1] != ' ' && p[-1] != ';') || p[len] != '=')
			continue;
		p += len + 1;
		n = strcspn(p, "; ");
		if (n == 22) {
			memcpy(out, p, 22);
			out[22] = '\0';
		}
		return 1;
	}
	return 0;
}

static void
set_cookie(struct areq *ar, const char *token)
{
	char *v, old[23];

	if (token != NULL)
		v = xasprintf(COOKIE "=%s" COOKIE_ATTRS, token);
	else
		v = xstrdup(COOKIE "=" COOKIE_ATTRS "; Max-Age=0");
	add_header(ar, "Set-Cookie", v);
	free(v);
	if (cookie_get(ar, COOKIE_OLD, old))
		add_header(ar, "Set-Cookie",
		           COOKIE_OLD "=" COOKIE_ATTRS "; Max-Age=0");
}

/* The pre-session CSRF token: the browser's, or a new one set now. */
static void
pre_token(struct areq *ar)
{
	char *v;

	if (ar->pre[0] != '\0' || crypto_token_new(ar->pre) == -1)
		return;
	v = xasprintf(PRE_COOKIE "=%s" COOKIE_ATTRS, ar->pre);
	add_header(ar, "Set-Cookie", v);
	free(v);
}

/* The hidden field of a form shown before there is a session. */
static void
pre_csrf_field(struct areq *ar, struct buf *b)
{
	pre_token(ar);
	admin_escf(b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">",
	           ar->pre);
}

/* 1 if a POST before the session came from our form: the Origin check and
 * the cookie's token repeated in the form. */
static int
pre_post_ok(struct areq *ar)
{
	const char *c = admin_pget(ar, "csrf");

	return admin_post_ok(ar, 0) && ar->pre[0] != '\0' && c != NULL &&
	       crypto_equal(c, ar->pre);
}

/* 403 for a form before the session that failed pre_post_ok. */
static void
pre_refused(struct areq *ar, const char *again, const char *what)
{
	struct buf b = {0};
	char *body;

	pre_token(ar);
	admin_escf(&b,
	           "<h1>Not allowed</h1><p>This form has expired, or it "
	           "came from another site. Nothing was changed.</p><p><a "
	           "href=\"%s\">%s</a></p>",
	           again, what);
	body = buf_take(&b);
	admin_page(ar, 403, "Not allowed", body);
	free(body);
}

void
admin_redirect(struct areq *ar, const char *to)
{
	add_header(ar, "Location", to);
	http_reply(ar->req, 303, "text/plain; charset=utf-8", "see other\n",
	           10);
}

/* A query or form value, or NULL. */
const char *
admin_qget(struct areq *ar, const char *k)
{
	return ar->query != NULL ? form_get(ar->query, k) : NULL;
}

const char *
admin_pget(struct areq *ar, const char *k)
{
	return ar->post != NULL ? form_get(ar->post, k) : NULL;
}

/* Append s escaped for HTML. */
void
admin_esc(struct buf *b, const char *s)
{
	char *e = html_escape(s != NULL ? s : "");

	buf_add(b, e);
	free(e);
}

/* Append a formatted string with each %s argument HTML-escaped ("%s" only,
 * plus %lld for numbers). */
void
admin_escf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	const char *p;

	va_start(ap, fmt);
	for (p = fmt; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 's') {
			admin_esc(b, va_arg(ap, const char *));
			p++;
		} else if (strncmp(p, "%lld", 4) == 0) {
			buf_printf(b, "%lld", va_arg(ap, long long));
			p += 3;
		} else
			buf_addn(b, p, 1);
	}
	va_end(ap);
}

static const char admin_style[] =
    "*,*::before,*::after{box-sizing:border-box}"
    "body{margin:0;background:#f0f4f5;color:#212b32;"
    "font:1rem/1.5 Arial,\"Helvetica Neue\",Helvetica,sans-serif}"
    ".header{background:#005eb8;color:#fff;padding:12px 16px}"
    ".header a{color:#fff;font-weight:bold;margin-right:16px;"
    "display:inline-block;min-height:44px;padding:10px 0}"
    ".header form{display:inline}"
    ".header .link{background:none;border:0;color:#fff;font:inherit;"
    "text-decoration:underline;min-height:44px;cursor:pointer}"
    "main{max-width:64rem;margin:0 auto;padding:24px 16px 48px}"
    "h1{font-size:2rem;margin:0 0 24px}h2{font-size:1.5rem}"
    "a{color:#005eb8}"
    "pre{white-space:pre-wrap;overflow-wrap:anywhere}"
    "a:focus,input:focus,button:focus,select:focus{outline:4px solid "
    "transparent;box-shadow:0 0 0 4px #ffeb3b,0 4px 0 4px #212b32}"
    "table{border-collapse:collapse;background:#fff;width:100%;"
    "margin-bottom:24px}"
    "th,td{text-align:left;padding:8px;border-bottom:1px solid #d8dde0;"
    "vertical-align:top}"
    ".n{text-align:right}"
    ".panel{background:#fff;padding:16px 24px;margin-bottom:24px}"
    ".warning{border-left:8px solid #d5281b;background:#fff;"
    "padding:16px 24px;margin-bottom:24px}"
    ".label{display:block;font-weight:bold;margin:16px 0 8px}"
    ".input{display:block;width:100%;max-width:30em;min-height:44px;"
    "padding:8px;font:inherit;border:2px solid #4c6272}"
    ".button{min-height:44px;padding:10px 20px;border:0;border-radius:4px;"
    "background:#007f3b;color:#fff;font:bold 1rem Arial,sans-serif;"
    "cursor:pointer;margin:16px 8px 0 0}"
    ".button.secondary{background:#4c6272}"
    ".error-summary{border:4px solid #d5281b;background:#fff;padding:16px;"
    "margin-bottom:24px}"
    ".visually-hidden{position:absolute;width:1px;height:1px;margin:-1px;"
    "overflow:hidden;clip:rect(0 0 0 0);border:0;padding:0}"
    ".qr svg{width:12rem;height:12rem}"
    ".live:empty{display:none}.live{border-left:8px solid #4c6272;"
    "background:#fff;padding:8px 16px}.live-ok{border-color:#007f3b}"
    ".live-bad{border-color:#d5281b}";

/* Reply with the admin layout around body (HTML). */
void
admin_page(struct areq *ar, int status, const char *title, const char *body)
{
	struct buf b = {0};
	char *out;

	buf_add(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	            "<meta charset=\"utf-8\"><meta name=\"viewport\" "
	            "content=\"width=device-width, initial-scale=1\">"
	            "<meta name=\"robots\" content=\"noindex, nofollow\">"
	            "<title>");
	admin_esc(&b, title);
	buf_add(&b, " – ppgd admin</title><script src=\"/admin.js\" defer>"
	            "</script><style>");
	buf_add(&b, admin_style);
	buf_add(&b, "</style></head><body><header class=\"header\">"
	            "<nav aria-label=\"Admin\">");
	if (ar->signed_in && ar->s.ok && ar->u != NULL) {
		buf_add(&b, "<a href=\"/\">Home</a>");
		if (scope_role_may(ar->u->role, PERM_CONTACTS))
			buf_add(&b, "<a href=\"/members\">Members</a>");
		if (scope_role_may(ar->u->role, PERM_CONTACTS))
			buf_add(&b, "<a href=\"/joins\">Join requests</a>");
		if (scope_role_may(ar->u->role, PERM_SEND))
			buf_add(&b, "<a href=\"/campaigns\">Campaigns</a>");
		if (scope_role_may(ar->u->role, PERM_CONTACTS))
			buf_add(&b, "<a href=\"/inbox\">Inbox</a>");
		if (scope_role_may(ar->u->role, PERM_REPORTS))
			buf_add(&b, "<a href=\"/surveys\">Surveys</a>");
		if (scope_role_may(ar->u->role, PERM_SEND))
			buf_add(&b, "<a href=\"/templates\">Templates</a>");
		if (scope_role_may(ar->u->role, PERM_REPORTS))
			buf_add(&b, "<a href=\"/reports\">Reports</a>");
		if (scope_role_may(ar->u->role, PERM_MEETINGS))
			buf_add(&b, "<a href=\"/meetings\">Meetings</a>");
		if (scope_role_may(ar->u->role, PERM_ALERTS))
			buf_add(&b, "<a href=\"/alerts\">Care alerts</a>");
		if (scope_role_may(ar->u->role, PERM_MODERATE))
			buf_add(&b, "<a href=\"/comments\">Comments</a>");
		if (scope_role_may(ar->u->role, PERM_USERS))
			buf_add(&b, "<a href=\"/users\">Users</a>");
		if (scope_role_may(ar->u->role, PERM_SETTINGS))
			buf_add(&b, "<a href=\"/settings\">Settings</a>");
		buf_add(&b, "<a href=\"/account\">Your account</a>");
		admin_escf(&b,
		           "<form method=\"post\" action=\"/logout\"><input "
		           "type=\"hidden\" name=\"csrf\" value=\"%s\"><button "
		           "class=\"link\" type=\"submit\">Sign out "
		           "%s</button></form>",
		           ar->s.csrf, ar->u->name);
	} else
		buf_add(&b, "<span>Patient participation group: admin</span>");
	buf_add(&b, "</nav></header><main id=\"main-content\">");
	buf_add(&b, body);
	buf_add(&b, "</main></body></html>\n");
	out = buf_take(&b);
	http_reply(ar->req, status, "text/html; charset=utf-8", out,
	           strlen(out));
	free(out);
}

void
admin_message(struct areq *ar, int status, const char *heading,
              const char *text)
{
	struct buf b = {0};
	char *body;

	admin_escf(&b, "<h1>%s</h1><p>%s</p>", heading, text);
	body = buf_take(&b);
	admin_page(ar, status, heading, body);
	free(body);
}

/* The hidden CSRF field of a form. */
void
admin_csrf_field(struct areq *ar, struct buf *b)
{
	admin_escf(b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">",
	           ar->s.csrf);
}

/* 1 if a POST came from a page of ours: its Origin (when sent and not
 * "null") is this host, and it carries the session's CSRF token. */
int
admin_post_ok(struct areq *ar, int need_csrf)
{
	const char *origin = header(ar, "Origin"), *host = header(ar, "Host");
	const char *o, *c;

	/* "null" is what a browser sends for our own forms too, since the
	 * pages say Referrer-Policy: no-referrer: the CSRF token decides. */
	if (origin != NULL && strcmp(origin, "null") != 0) {
		o = strstr(origin, "://");
		if (o == NULL || host == NULL || strcmp(o + 3, host) != 0)
			return 0;
	}
	if (!need_csrf)
		return 1;
	c = admin_pget(ar, "csrf");
	return ar->signed_in && c != NULL && crypto_equal(c, ar->s.csrf);
}

void
admin_error_summary(struct buf *b, const char *error)
{
	if (error != NULL)
		admin_escf(
		    b,
		    "<div class=\"error-summary\" role=\"alert\" "
		    "tabindex=\"-1\"><h2>There is a problem</h2><p>%s</p>"
		    "</div>",
		    error);
}

char *
admin_actor(struct areq *ar)
{
	return xasprintf("web:%s", ar->u != NULL ? ar->u->email : "-");
}

void
admin_audit(struct areq *ar, const char *action, const char *object)
{
	char *who = admin_actor(ar);

	db_audit(ar->db, who, action, object, NULL);
	free(who);
}

/* ---- sign-in ------------------------------------------------------------ */

static void
login_form(struct areq *ar, int status, const char *error)
{
	struct buf b = {0};
	char *body;

	buf_add(&b, "<h1>Sign in</h1>");
	admin_error_summary(&b, error);
	buf_add(&b, "<form method=\"post\" action=\"/login\" novalidate>");
	pre_csrf_field(ar, &b);
	buf_add(&b,
	        "<label class=\"label\" for=\"email\">Email address</label>"
	        "<input class=\"input\" id=\"email\" name=\"email\" "
	        "type=\"email\" autocomplete=\"username\" spellcheck=\"false\">"
	        "<label class=\"label\" for=\"password\">Password</label>"
	        "<input class=\"input\" id=\"password\" name=\"password\" "
	        "type=\"password\" autocomplete=\"current-password\">"
	        "<button class=\"button\" type=\"submit\">Sign in</button>"
	        "</form><p>Forgotten your password? Ask your practice's "
	        "ppgd administrator for a reset link.</p>");
	body = buf_take(&b);
	admin_page(ar, status, "Sign in", body);
	free(body);
}

/* Start a session for id: full (ok) or waiting for its second factor. */
static int
start_session(struct areq *ar, int64_t id, int ok)
{
	char token[23];

	if (ar->signed_in)
		session_end(ar->db, ar->token);
	if (session_new(ar->db, id, ok, time(NULL), token) == -1)
		return -1;
	set_cookie(ar, token);
	return 0;
}

static void
login_post(struct areq *ar)
{
	const char *email = admin_pget(ar, "email"),
	           *pw = admin_pget(ar, "password");
	int64_t id, wait;
	struct user *u;
	char obj[32];
	int need;

	if (!pre_post_ok(ar)) {
		log_info("event=admin_login result=csrf");
		pre_refused(ar, "/login", "Go to the sign-in page");
		return;
	}
	switch (user_login(ar->db, email ? email : "", pw ? pw : "", time(NULL),
	                   &id, &wait)) {
	case LOGIN_LOCKED:
	case LOGIN_BAD:
		/* One answer for an unknown address, a wrong password and a
		 * locked account: the page tells nobody which accounts exist.
		 */
		log_info("event=admin_login result=refused");
		login_form(ar, 401,
		           "The email address or the password is "
		           "not right, or after too many wrong tries "
		           "the account is locked for a while: try again "
		           "later.");
		return;
	case LOGIN_OK:
		break;
	}
	u = user_load(ar->db, id);
	need = u->totp_enabled ||
	       (config_int(ar->cfg, CFG_ADMIN_REQUIRE_2FA) &&
	        (u->role == ROLE_ADMIN || u->role == ROLE_MANAGER));
	snprintf(obj, sizeof obj, "user:%lld", (long long)id);
	db_audit(ar->db, obj, "user.login", obj, need ? "password" : "ok");
	if (start_session(ar, id, !need) == -1)
		admin_message(ar, 500, "Sorry",
		              "The sign-in could not be stored.");
	else
		admin_redirect(ar, !need             ? "/"
		                   : u->totp_enabled ? "/login/code"
		                                     : "/account/2fa");
	user_free(u);
}

static void
code_form(struct areq *ar, int status, const char *error)
{
	struct buf b = {0};
	char *body;

	buf_add(&b, "<h1>Enter your code</h1>");
	admin_error_summary(&b, error);
	buf_add(&b, "<form method=\"post\" action=\"/login/code\" novalidate>");
	admin_csrf_field(ar, &b);
	buf_add(&b, "<label class=\"label\" for=\"code\">The 6-digit code "
	            "from your authenticator app</label><input class=\"input\" "
	            "id=\"code\" name=\"code\" inputmode=\"numeric\" "
	            "autocomplete=\"one-time-code\" maxlength=\"7\">"
	            "<button class=\"button\" type=\"submit\">Continue</button>"
	            "</form>");
	body = buf_take(&b);
	admin_page(ar, status, "Enter your code", body);
	free(body);
}

static void
code_post(struct areq *ar)
{
	const char *code = admin_pget(ar, "code");

	if (!admin_post_ok(ar, 1)) {
		admin_message(ar, 403, "Not allowed",
		              "The form has expired: sign in again.");
		return;
	}
	if (code == NULL ||
	    !user_totp_check(ar->db, ar->s.user_id, code, time(NULL))) {
		code_form(ar, 401,
		          "That code is not right, or was used already.");
		return;
	}
	if (start_session(ar, ar->s.user_id, 1) == -1)
		admin_message(ar, 500, "Sorry",
		              "The sign-in could not be stored.");
	else
		admin_redirect(ar, "/");
}

static void
logout_post(struct areq *ar)
{
	if (ar->signed_in && admin_post_ok(ar, 1))
		session_end(ar->db, ar->token);
	set_cookie(ar, NULL);
	admin_redirect(ar, "/login");
}

/* ---- password reset ----------------------------------------------------- */

static void
reset_form(struct areq *ar, const char *token, int status, const char *error)
{
	struct buf b = {0};
	char *body;

	buf_add(&b, "<h1>Choose a password</h1>");
	admin_error_summary(&b, error);
	admin_escf(&b, "<form method=\"post\" action=\"/reset/%s\" novalidate>",
	           token);
	pre_csrf_field(ar, &b);
	admin_escf(&b,
	           "<p>At least %lld characters; three random words make a "
	           "strong password that is easy to remember.</p>",
	           (long long)USER_PASSWORD_MIN);
	buf_add(&b, "<label class=\"label\" for=\"password\">New password"
	            "</label><input class=\"input\" id=\"password\" "
	            "name=\"password\" type=\"password\" "
	            "autocomplete=\"new-password\"><button class=\"button\" "
	            "type=\"submit\">Save the password</button></form>");
	body = buf_take(&b);
	admin_page(ar, status, "Choose a password", body);
	free(body);
}

static void
reset_route(struct areq *ar, const char *token)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(ar->req);
	char *cause = NULL, *back;

	if (user_reset_user(ar->db, token, time(NULL)) == 0) {
		admin_message(
		    ar, 404, "Link expired",
		    "This link has expired or was used. Ask your ppgd "
		    "administrator for a new one.");
		return;
	}
	if (m != EVHTTP_REQ_POST) {
		reset_form(ar, token, 200, NULL);
		return;
	}
	if (!pre_post_ok(ar)) {
		back = xasprintf("/reset/%s", token);
		pre_refused(ar, back, "Open the form again");
		free(back);
		return;
	}
	if (user_reset_use(ar->db, token, admin_pget(ar, "password"),
	                   time(NULL), &cause) == -1) {
		reset_form(ar, token, 422, cause);
		free(cause);
		return;
	}
	admin_message(ar, 200, "Password saved",
	              "Your password is saved. You can now sign in.");
}

/* ---- two-factor enrolment ---------------------------------------------- */

static void
twofa_page(struct areq *ar, int status, const char *error)
{
	char *secret = user_totp_pending(ar->db, ar->s.user_id), *uri, *svg;
	char fresh[40];
	struct buf b = {0};
	char *body;

	if (secret == NULL) {
		user_totp_begin(ar->db, ar->s.user_id, fresh);
		secret = xstrdup(fresh);
	}
	uri = totp_uri("ppgd", ar->u->email, secret);
	svg = qr_svg(uri, "12rem",
	             "QR code to add ppgd to your authenticator app");
	buf_add(&b, "<h1>Set up your second factor</h1>");
	admin_error_summary(&b, error);
	buf_add(&b, "<p>Scan this code with an authenticator app (for example "
	            "Microsoft Authenticator or Google Authenticator), or type "
	            "the key below into it. Then enter the 6-digit code it "
	            "shows.</p><div class=\"qr\">");
	buf_add(&b, svg != NULL ? svg : "");
	admin_escf(&b, "</div><p>Key: <code>%s</code></p>", secret);
	buf_add(&b,
	        "<form method=\"post\" action=\"/account/2fa\" novalidate>");
	admin_csrf_field(ar, &b);
	buf_add(&b, "<label class=\"label\" for=\"code\">6-digit code</label>"
	            "<input class=\"input\" id=\"code\" name=\"code\" "
	            "inputmode=\"numeric\" autocomplete=\"one-time-code\" "
	            "maxlength=\"7\"><button class=\"button\" type=\"submit\">"
	            "Turn on</button></form>");
	body = buf_take(&b);
	admin_page(ar, status, "Set up your second factor", body);
	free(body);
	free(svg);
	free(uri);
	free(secret);
}

static void
twofa_route(struct areq *ar)
{
	char obj[32];

	if (evhttp_request_get_command(ar->req) != EVHTTP_REQ_POST) {
		twofa_page(ar, 200, NULL);
		return;
	}
	if (!admin_post_ok(ar, 1)) {
		admin_message(ar, 403, "Not allowed",
		              "The form has expired: sign in again.");
		return;
	}
	if (admin_pget(ar, "code") == NULL ||
	    !user_totp_confirm(ar->db, ar->s.user_id, admin_pget(ar, "code"),
	                       time(NULL))) {
		twofa_page(ar, 422,
		           "That code is not right: check the time on "
		           "your phone and try the next code.");
		return;
	}
	snprintf(obj, sizeof obj, "user:%lld", (long long)ar->s.user_id);
	if (start_session(ar, ar->s.user_id, 1) == -1)
		admin_message(ar, 500, "Sorry",
		              "The sign-in could not be stored.");
	else
		admin_redirect(ar, "/");
}

/* ---- pages -------------------------------------------------------------- */

void
admin_forbidden(struct areq *ar)
{
	admin_message(
	    ar, 403, "Not allowed",
	    "Your role does not include this page, or this practice.");
}

/* The practice of code if the user may do perm there; else 0. */
int64_t
admin_practice_scoped(struct areq *ar, const char *code, enum perm p)
{
	struct practice *pr = code != NULL ? practice_find(ar->db, code) : NULL;
	int64_t id = 0;

	if (pr != NULL && scope_allows(ar->u, p, pr->id))
		id = pr->id;
	practice_free(pr);
	return id;
}

/* The codes of the practices where the user may do perm (an admin: every
 * practice), in order. */
static json_t *
scoped_codes(struct areq *ar, enum perm perm)
{
	json_t *out = json_array(), *all, *e;
	struct practice *p;
	size_t i;

	if (ar->u->role == ROLE_ADMIN) {
		all = practice_list_json(ar->db);
		json_array_foreach(all, i, e)
		    json_array_append(out, json_object_get(e, "code"));
		json_decref(all);
		return out;
	}
	for (i = 0; i < ar->u->npractices; i++) {
		if ((p = practice_get(ar->db, ar->u->practices[i])) == NULL)
			continue;
		if (scope_allows(ar->u, perm, p->id))
			json_array_append_new(out, json_string(p->code));
		practice_free(p);
	}
	return out;
}

void
admin_practice_options(struct areq *ar, struct buf *b, enum perm perm,
                       const char *selected)
{
	json_t *codes = scoped_codes(ar, perm), *c;
	struct practice *p;
	size_t i;

	json_array_foreach(codes, i, c)
	{
		if ((p = practice_find(ar->db, json_string_value(c))) == NULL)
			continue;
		admin_escf(
		    b, "<option value=\"%s\"%s>%s (%s)</option>", p->code,
		    selected && strcmp(p->code, selected) == 0 ? " selected"
		                                               : "",
		    p->name, p->code);
		practice_free(p);
	}
	json_decref(codes);
}

char *
admin_first_practice(struct areq *ar, enum perm perm)
{
	json_t *codes = scoped_codes(ar, perm);
	const char *c = json_string_value(json_array_get(codes, 0));
	char *code = c != NULL ? xstrdup(c) : NULL;

	json_decref(codes);
	return code;
}

static void
home_alerts(struct areq *ar, struct buf *b)
{
	struct practice *p;
	json_t *a, *e;
	size_t i, k, n = 0;

	for (k = 0; k < ar->u->npractices; k++) {
		if ((p = practice_get(ar->db, ar->u->practices[k])) == NULL)
			continue;
		a = care_alert_list(ar->db, p->code, "new", 20);
		json_array_foreach(a, i, e)
		{
			if (n++ == 0)
				buf_add(
				    b, "<div class=\"warning\"><h2>Care alerts "
				       "waiting</h2><ul>");
			admin_escf(
			    b, "<li>%s, %s: %s message (%s)</li>",
			    json_string_value(
			        json_object_get(e, "received_at")),
			    p->name,
			    json_string_value(json_object_get(e, "urgency")),
			    json_string_value(json_object_get(e, "source")));
		}
		json_decref(a);
		practice_free(p);
	}
	if (n > 0)
		buf_add(b, "</ul><p><a href=\"/alerts\">Read and acknowledge "
		           "them</a></p></div>");
}

/* Representation at a glance: the groups under-represented among members,
 * or how to get the comparison. */
static void
home_representation(struct areq *ar, struct buf *b, const struct practice *p)
{
	json_t *rep = NULL, *f, *g;
	char *cause = NULL, *label;
	size_t i, j;
	int n = 0, profile = 0;

	if (!scope_allows(ar->u, PERM_REPORTS, p->id))
		return;
	if (represent_report(ar->db, p->code, time(NULL), &rep, &cause) == -1) {
		free(cause);
		return;
	}
	json_array_foreach(json_object_get(rep, "fields"), i, f)
	{
		profile |=
		    json_integer_value(json_object_get(f, "patients")) > 0;
		json_array_foreach(json_object_get(f, "groups"), j, g)
		{
			if (!json_is_true(
			        json_object_get(g, "under_represented")))
				continue;
			label = publish_value(
			    json_string_value(json_object_get(f, "field")),
			    json_string_value(json_object_get(g, "value")));
			if (n++ == 0)
				buf_add(b, "<h3>Representation</h3><p>Fewer "
				           "members than among the practice's "
				           "patients: ");
			else
				buf_add(b, "; ");
			admin_escf(b, "%s %s",
			           publish_field(json_string_value(
			               json_object_get(f, "field"))),
			           label);
			free(label);
		}
	}
	if (n > 0)
		admin_escf(b,
		           ".</p><p><a href=\"/reports/representation?"
		           "practice=%s\">The representation report</a></p>",
		           p->code);
	else if (!profile)
		admin_escf(b,
		           "<h3>Representation</h3><p>No population profile "
		           "yet: load one in <a href=\"/settings?practice=%s\">"
		           "Settings</a> to compare the group with the "
		           "practice's patients.</p>",
		           p->code);
	else
		buf_add(b, "<h3>Representation</h3><p>No group is "
		           "under-represented.</p>");
	json_decref(rep);
}

static void
home_practice(struct areq *ar, struct buf *b, const struct practice *p)
{
	int contacts = scope_allows(ar->u, PERM_CONTACTS, p->id);
	json_t *d = dashboard_json(ar->db, p->id, time(NULL), contacts), *e;
	int64_t joins;
	size_t i;

	admin_escf(b, "<section class=\"panel\"><h2>%s (%s)</h2>", p->name,
	           p->code);
	admin_escf(
	    b,
	    "<table><caption class=\"visually-hidden\">Members of %s"
	    "</caption><thead><tr><th scope=\"col\">Members</th><th "
	    "scope=\"col\" class=\"n\">Number</th></tr></thead><tbody>"
	    "<tr><th scope=\"row\">Active</th><td class=\"n\">%lld</td></tr>"
	    "<tr><th scope=\"row\">Reachable by email</th><td "
	    "class=\"n\">%lld</td></tr><tr><th scope=\"row\">Reachable by "
	    "text</th><td class=\"n\">%lld</td></tr></tbody></table>",
	    p->name,
	    (long long)json_integer_value(json_object_get(d, "active")),
	    (long long)json_integer_value(
	        json_object_get(d, "reachable_email")),
	    (long long)json_integer_value(json_object_get(d, "reachable_sms")));
	if (contacts && (joins = join_count(ar->db, p->id, "pending")) > 0)
		admin_escf(b,
		           "<p><a href=\"/joins?practice=%s\">Join requests "
		           "waiting for you: %lld</a></p>",
		           p->code, (long long)joins);
	if (scope_allows(ar->u, PERM_SEND, p->id))
		admin_escf(
		    b,
		    "<p>Messages waiting to be sent: %lld; failed: %lld.</p>",
		    (long long)json_integer_value(
		        json_object_get(d, "waiting")),
		    (long long)json_integer_value(
		        json_object_get(d, "failed")));
	home_representation(ar, b, p);
	if (json_array_size(json_object_get(d, "next")) > 0) {
		buf_add(b, "<h3>Campaigns due next</h3><ul>");
		json_array_foreach(json_object_get(d, "next"), i, e)
		    admin_escf(b, "<li>%s: %s</li>",
		               json_string_value(json_object_get(e, "name")),
		               json_string_value(json_object_get(e, "at")));
		buf_add(b, "</ul>");
	}
	if (contacts && json_array_size(json_object_get(d, "latest")) > 0) {
		buf_add(b, "<h3>Latest replies</h3><ul>");
		json_array_foreach(json_object_get(d, "latest"), i, e)
		    admin_escf(
		        b, "<li>%s, %s (%s): %s</li>",
		        json_string_value(json_object_get(e, "at")),
		        json_string_value(json_object_get(e, "channel")),
		        json_string_value(json_object_get(e, "disposition")),
		        json_string_value(json_object_get(e, "body")));
		buf_add(b, "</ul>");
	}
	buf_add(b, "</section>");
	json_decref(d);
}

static void
home_page(struct areq *ar)
{
	struct buf b = {0};
	struct practice *p;
	size_t k;
	char *body;

	buf_add(&b, "<h1>Your patient participation groups</h1>");
	if (scope_allows(ar->u, PERM_ALERTS, 0))
		home_alerts(ar, &b);
	if (ar->u->npractices == 0)
		buf_add(&b, "<p>No practice yet: add one with ppgd practice "
		            "add.</p>");
	for (k = 0; k < ar->u->npractices; k++)
		if ((p = practice_get(ar->db, ar->u->practices[k])) != NULL) {
			if (scope_allows(ar->u, PERM_COUNTS, p->id))
				home_practice(ar, &b, p);
			else
				admin_escf(
				    &b,
				    "<section class=\"panel\"><h2>%s</h2>"
				    "<p>Reports are published on the "
				    "practice's "
				    "site.</p></section>",
				    p->name);
			practice_free(p);
		}
	body = buf_take(&b);
	admin_page(ar, 200, "Home", body);
	free(body);
}

/* One alert, with its acknowledge form unless it is actioned. */
static void
alert_html(struct areq *ar, struct buf *b, const char *practice,
           const json_t *e)
{
	const char *state = json_string_value(json_object_get(e, "state"));
	long long id =
	    (long long)json_integer_value(json_object_get(e, "alert"));

	admin_escf(b,
	           "<section class=\"%s\"><h2>%s: %s</h2><p>Received %s by "
	           "%s. State: <strong>%s</strong>.</p>",
	           strcmp(state, "new") == 0 ? "warning" : "panel", practice,
	           json_string_value(json_object_get(e, "urgency")),
	           json_string_value(json_object_get(e, "received_at")),
	           json_string_value(json_object_get(e, "source")), state);
	if (json_is_string(json_object_get(e, "body")))
		admin_escf(b, "<blockquote>%s</blockquote>",
		           json_string_value(json_object_get(e, "body")));
	if (strcmp(state, "actioned") != 0) {
		admin_escf(b, "<form method=\"post\" action=\"/alerts/%lld\">",
		           id);
		admin_csrf_field(ar, b);
		admin_escf(
		    b,
		    "<label class=\"label\" for=\"note%lld\">What was "
		    "done</label><input class=\"input\" id=\"note%lld\" "
		    "name=\"note\"><button class=\"button\" name=\"state\" "
		    "value=\"actioned\">Actioned</button><button "
		    "class=\"button secondary\" name=\"state\" "
		    "value=\"seen\">Seen</button></form>",
		    id, id);
	}
	buf_add(b, "</section>");
}

static void
alerts_page(struct areq *ar)
{
	struct buf b = {0};
	struct practice *p;
	json_t *a, *e;
	size_t i, k, n = 0;
	char *body;

	buf_add(&b, "<h1>Care alerts</h1><p>Messages that read as a request "
	            "for care. Each patient was sent the safety message; "
	            "check whether they need a call from the practice.</p>");
	for (k = 0; k < ar->u->npractices; k++) {
		if ((p = practice_get(ar->db, ar->u->practices[k])) == NULL)
			continue;
		if (!scope_allows(ar->u, PERM_ALERTS, p->id)) {
			practice_free(p);
			continue;
		}
		a = care_alert_list(ar->db, p->code, NULL, 50);
		json_array_foreach(a, i, e)
		{
			n++;
			alert_html(ar, &b, p->name, e);
		}
		json_decref(a);
		practice_free(p);
	}
	/* A message no practice could be found for (a text to a number no
	 * practice owns): every admin sees it. */
	if (ar->u->role == ROLE_ADMIN) {
		a = care_alert_list(ar->db, NULL, NULL, 200);
		json_array_foreach(
		    a, i, e) if (json_is_null(json_object_get(e, "practice")))
		{
			n++;
			alert_html(ar, &b, "No practice", e);
		}
		json_decref(a);
	}
	if (n == 0)
		buf_add(&b, "<p>No care alerts.</p>");
	body = buf_take(&b);
	admin_page(ar, 200, "Care alerts", body);
	free(body);
}

/* The practice id an alert belongs to, or 0. */
static int64_t
alert_practice(struct db *db, int64_t id)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT practice_id FROM care_alerts WHERE id = ?");
	int64_t p = 0;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		p = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return p;
}

static void
alert_post(struct areq *ar, const char *rest)
{
	int64_t id = atoll(rest);
	const char *state = admin_pget(ar, "state");
	char *cause = NULL, obj[32];

	if (!admin_post_ok(ar, 1)) {
		admin_message(ar, 403, "Not allowed",
		              "The form has expired: try again.");
		return;
	}
	/* An alert with no practice is an admin's to acknowledge. */
	if (id <= 0 || (alert_practice(ar->db, id) == 0
	                    ? ar->u->role != ROLE_ADMIN
	                    : !scope_allows(ar->u, PERM_ALERTS,
	                                    alert_practice(ar->db, id)))) {
		admin_forbidden(ar);
		return;
	}
	if (care_alert_ack(ar->db, id,
	                   state != NULL && strcmp(state, "seen") == 0
	                       ? CARE_SEEN
	                       : CARE_ACTIONED,
	                   ar->u->name, admin_pget(ar, "note"), time(NULL),
	                   &cause) == -1) {
		admin_message(ar, 422, "Not saved", cause);
		free(cause);
		return;
	}
	snprintf(obj, sizeof obj, "care_alert:%lld", (long long)id);
	admin_audit(ar, "care.ack", obj);
	admin_redirect(ar, "/alerts");
}

static void
comments_page(struct areq *ar)
{
	const char *target = admin_qget(ar, "target");
	struct buf b = {0};
	char *body, *cause = NULL;
	json_t *a, *e;
	size_t i;

	buf_add(&b, "<h1>Comments</h1><p>Free-text answers are published only "
	            "once approved. Names, numbers and addresses are already "
	            "replaced by [removed].</p><form method=\"get\" "
	            "action=\"/comments\"><label class=\"label\" "
	            "for=\"target\">Survey or campaign</label>");
	admin_escf(&b,
	           "<input class=\"input\" id=\"target\" name=\"target\" "
	           "value=\"%s\"><button class=\"button\" type=\"submit\">Show"
	           "</button></form>",
	           target != NULL ? target : "");
	if (target != NULL && *target != '\0') {
		comments_sync(ar->db, time(NULL));
		if ((a = comments_list_json(ar->db, target, 1, &cause)) ==
		    NULL) {
			admin_escf(&b, "<p>%s</p>", cause);
			free(cause);
		} else {
			json_array_foreach(a, i, e)
			{
				/* Only the comments of the user's practices. */
				if (!scope_allows(
				        ar->u, PERM_MODERATE,
				        json_integer_value(json_object_get(
				            e, "practice_id")))) {
					json_array_remove(a, i);
					i--;
					continue;
				}
				admin_escf(&b,
				           "<section class=\"panel\"><p>%s</p>",
				           json_string_value(
				               json_object_get(e, "text")));
				admin_escf(&b,
				           "<form method=\"post\" "
				           "action=\"/comments/%lld\">",
				           (long long)json_integer_value(
				               json_object_get(e, "id")));
				admin_csrf_field(ar, &b);
				admin_escf(
				    &b,
				    "<input type=\"hidden\" name=\"target\" "
				    "value=\"%s\">",
				    target);
				buf_add(
				    &b,
				    "<button class=\"button\" name=\"status\" "
				    "value=\"approved\">Approve</button>"
				    "<button class=\"button secondary\" "
				    "name=\"status\" value=\"hidden\">Hide"
				    "</button></form></section>");
			}
			if (json_array_size(a) == 0)
				buf_add(&b, "<p>No comments waiting.</p>");
			json_decref(a);
		}
	}
	body = buf_take(&b);
	admin_page(ar, 200, "Comments", body);
	free(body);
}

static void
comment_post(struct areq *ar, const char *rest)
{
	const char *status = admin_pget(ar, "status"),
	           *target = admin_pget(ar, "target");
	char *cause = NULL, *back, obj[32];
	int64_t id = atoll(rest);
	json_t *c;
	int allowed;

	if (!admin_post_ok(ar, 1)) {
		admin_message(ar, 403, "Not allowed",
		              "The form has expired: try again.");
		return;
	}
	/* The comment's practice (its response's) must be the user's. */
	c = comments_get_json(ar->db, id);
	allowed =
	    c != NULL &&
	    scope_allows(ar->u, PERM_MODERATE,
	                 json_integer_value(json_object_get(c, "practice_id")));
	json_decref(c);
	if (!allowed) {
		admin_forbidden(ar);
		return;
	}
	if (status == NULL ||
	    (strcmp(status, "approved") != 0 &&
	     strcmp(status, "hidden") != 0) ||
	    comments_set_status(ar->db, id, status, time(NULL), &cause) == -1) {
		admin_message(ar, 422, "Not saved",
		              cause ? cause : "Unknown action.");
		free(cause);
		return;
	}
	snprintf(obj, sizeof obj, "comment:%lld", (long long)id);
	admin_audit(ar,
	            strcmp(status, "approved") == 0 ? "comment.approve"
	                                            : "comment.hide",
	            obj);
	back = xasprintf("/comments?target=%s", target ? target : "");
	/* target is a slug or campaign name: [a-z0-9-]; anything else is
	 * dropped rather than put in a header. */
	if (target != NULL &&
	    strspn(target, "abcdefghijklmnopqrstuvwxyz"
	                   "0123456789-_@") != strlen(target)) {
		free(back);
		back = xstrdup("/comments");
	}
	admin_redirect(ar, back);
	free(back);
}

static void
account_page(struct areq *ar)
{
	struct buf b = {0};
	char *body;

	admin_escf(&b, "<h1>Your account</h1><p>%s (%s), role %s.</p>",
	           ar->u->name, ar->u->email, user_role_name(ar->u->role));
	if (ar->u->totp_enabled)
		buf_add(&b, "<p>Your second factor is on.</p>");
	else
		buf_add(&b, "<p>Your second factor is off. <a "
		            "href=\"/account/2fa\">Set it up</a> to protect "
		            "patients' data if your password is ever "
		            "guessed.</p>");
	body = buf_take(&b);
	admin_page(ar, 200, "Your account", body);
	free(body);
}

/* ---- dispatch ----------------------------------------------------------- */

/* The query and a POST's body (a form, or multipart with files); -1 after
 * a reply. */
static int
parse_request(struct areq *ar)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ar->req);
	const char *q = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	char *cause = NULL;

	if (q != NULL &&
	    form_parse(q, strlen(q), MAX_FIELDS, &ar->query, &cause) == -1) {
		free(cause);
		admin_message(ar, 400, "Bad request",
		              "The request could not be read.");
		return -1;
	}
	if (evhttp_request_get_command(ar->req) == EVHTTP_REQ_POST)
		return admin_body_read(ar, MAX_FIELDS);
	return 0;
}

/* Load the session and its user. */
static void
load_session(struct areq *ar)
{
	cookie_get(ar, COOKIE, ar->token);
	cookie_get(ar, PRE_COOKIE, ar->pre);
	if (ar->token[0] != '\0' &&
	    session_get(ar->db, ar->token, time(NULL),
	                config_int(ar->cfg, CFG_ADMIN_SESSION_IDLE),
	                config_int(ar->cfg, CFG_ADMIN_SESSION_MAX),
	                &ar->s) == 0 &&
	    (ar->u = user_load(ar->db, ar->s.user_id)) != NULL)
		ar->signed_in = 1;
}

/* Pages for a signed-in user (second factor done). */
static void
route_signed_in(struct areq *ar, int post)
{
	const char *p = ar->path;

	if (admin_members_route(ar, post) || admin_campaigns_route(ar, post) ||
	    admin_reports_route(ar, post) || admin_cycle_route(ar, post) ||
	    admin_settings_route(ar, post) || admin_inbox_route(ar, post) ||
	    admin_surveys_route(ar, post) || admin_join_route(ar, post) ||
	    admin_users_route(ar, post))
		return;
	if (strcmp(p, "") == 0 && !post)
		home_page(ar);
	else if (strcmp(p, "alerts") == 0 && !post)
		scope_allows(ar->u, PERM_ALERTS, 0) ? alerts_page(ar)
		                                    : admin_forbidden(ar);
	else if (strncmp(p, "alerts/", 7) == 0 && post)
		alert_post(ar, p + 7);
	else if (strcmp(p, "comments") == 0 && !post)
		scope_allows(ar->u, PERM_MODERATE, 0) ? comments_page(ar)
		                                      : admin_forbidden(ar);
	else if (strncmp(p, "comments/", 9) == 0 && post)
		comment_post(ar, p + 9);
	else if (strcmp(p, "account") == 0 && !post)
		account_page(ar);
	else if (strcmp(p, "account/2fa") == 0)
		twofa_route(ar);
	else
		admin_message(ar, 404, "Page not found",
		              "There is no such page.");
}

static void
admin_http(struct evhttp_request *req, struct server *srv, const char *rest)
{
	struct areq ar = {.req = req, .srv = srv};
	int post = evhttp_request_get_command(req) == EVHTTP_REQ_POST;
	char *path = xstrdup(rest != NULL ? rest : ""), *actor;

	path[strcspn(path, "?")] = '\0';
	ar.path = path;
	/* With no-referrer, Chromium sends "Origin: null" on a form's POST,
	 * which says nothing of where it came from: same-origin keeps the
	 * referrer from other sites and lets our own forms name their origin
	 * for admin_post_ok to check. */
	add_header(&ar, "Referrer-Policy", "same-origin");
	/* As every page's, with the admin's own script (admin_script.c) and
	 * its checks back to the admin. */
	add_header(&ar, "Content-Security-Policy",
	           "default-src 'none'; style-src 'unsafe-inline';"
	           " img-src data:; script-src 'self'; connect-src 'self';"
	           " form-action 'self'; frame-ancestors 'none'");
	ar.db = server_db(srv);
	ar.cfg = server_config(srv);
	if (parse_request(&ar) == -1)
		goto out;
	load_session(&ar);
	if (strcmp(path, "admin.js") == 0 && !post)
		admin_script(&ar);
	else if (strcmp(path, "login") == 0)
		post ? login_post(&ar) : login_form(&ar, 200, NULL);
	else if (strcmp(path, "logout") == 0 && post)
		logout_post(&ar);
	else if (strncmp(path, "reset/", 6) == 0 && web_token(path + 6) != NULL)
		reset_route(&ar, path + 6);
	else if (!ar.signed_in)
		admin_redirect(&ar, "/login");
	else if (strcmp(path, "login/code") == 0 && !ar.s.ok)
		post ? code_post(&ar) : code_form(&ar, 200, NULL);
	else if (!ar.s.ok)
		/* Password given, second factor due: only enrolment. */
		strcmp(path, "account/2fa") == 0
		    ? twofa_route(&ar)
		    : admin_redirect(&ar, ar.u->totp_enabled ? "/login/code"
		                                             : "/account/2fa");
	else {
		/* Audit rows the modules write name the user too. */
		actor = admin_actor(&ar);
		db_set_actor(ar.db, actor);
		route_signed_in(&ar, post);
		db_set_actor(ar.db, "daemon");
		free(actor);
	}
out:
	form_free(ar.query);
	form_free(ar.post);
	admin_body_free(&ar);
	user_free(ar.u);
	free(path);
}

static const struct http_route routes[] = {
    {EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST, "/", "admin",
     admin_http},
    {0, NULL, NULL, NULL},
};

const struct http_route *
admin_routes(void)
{
	return routes;
}
