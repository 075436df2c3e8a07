/*
 * The web admin's staff accounts, as `ppgd user` offers them: the list, add
 * (with a one-time link to set a password, shown once), change the role
 * and the practices, disable (confirmed) and enable, a new password link,
 * second factor off, unlock, and each account's history.
 *
 * Who may act on whom is scope.c's (scope_user_*): an admin on everyone, a
 * manager on the accounts of their own practices only. The rules every
 * face keeps (the last active admin stays one) are user.c's. This page
 * adds one of its own: nobody changes their own account here, so a stolen
 * session cannot turn off the factor or the lock that guard it, and nobody
 * locks themselves out by mistake.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "admin_page.h"
#include "form.h"
#include "practice.h"
#include "scope.h"
#include "user.h"
#include "util.h"
#include "xmalloc.h"

#define MAX_PRACTICES 64

static const char *const role_help[] = {
    [ROLE_ADMIN] = "every practice, and every account",
    [ROLE_MANAGER] = "everything for their practices, their staff included",
    [ROLE_LEAD] = "counts, reports, comments, meetings and actions; no "
                  "contact details",
    [ROLE_VIEWER] = "reports only",
};

/* The practices posted (every "practice" field), as codes into out. */
static size_t
posted_codes(struct areq *ar, const char **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; ar->post != NULL && i < form_count(ar->post); i++)
		if (strcmp(form_key(ar->post, i), "practice") == 0 && n < max)
			out[n++] = form_value(ar->post, i);
	return n;
}

/* The ids of codes into ids; -1 if one is not a practice. */
static int
codes_ids(struct areq *ar, const char *const *codes, size_t n, int64_t *ids)
{
	struct practice *p;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((p = practice_find(ar->db, codes[i])) == NULL)
			return -1;
		ids[i] = p->id;
		practice_free(p);
	}
	return 0;
}

/* The codes of a user's practices, ", "-joined; "every practice" for an
 * admin. Caller frees. */
static char *
practice_codes(struct areq *ar, const struct user *t)
{
	struct buf b = {0};
	struct practice *p;
	size_t i;

	if (t->role == ROLE_ADMIN)
		return xstrdup("every practice");
	for (i = 0; i < t->npractices; i++)
		if ((p = practice_get(ar->db, t->practices[i])) != NULL) {
			buf_printf(&b, "%s%s", i > 0 ? ", " : "", p->code);
			practice_free(p);
		}
	return b.len > 0 ? buf_take(&b) : xstrdup("none");
}

static const char *
when(int64_t t, char buf[21])
{
	return t != 0 ? util_format_time(t, buf) : "never";
}

/* The state of an account in words. Caller frees. */
static char *
state_text(const struct user *t)
{
	char day[21];

	if (t->disabled_at != 0)
		return xasprintf("disabled since %s",
		                 util_format_time(t->disabled_at, day));
	if (t->locked_until > time(NULL))
		return xasprintf("locked until %s after %d failed sign-ins",
		                 util_format_time(t->locked_until, day),
		                 t->failed);
	return xstrdup("active");
}

/* The user of the path's id if ar->u may see it; else answers (404). */
static struct user *
target(struct areq *ar, const char *idtext)
{
	struct user *t = NULL;

	if (strspn(idtext, "0123456789") == strlen(idtext) && *idtext != '\0')
		t = user_load(ar->db, atoll(idtext));
	if (t != NULL && scope_user_visible(ar->u, t))
		return t;
	user_free(t);
	admin_message(ar, 404, "Page not found", "There is no such user.");
	return NULL;
}

/* 1 if ar->u may change t here; else answers (403) and returns 0. */
static int
may_change(struct areq *ar, const struct user *t)
{
	if (t->id == ar->u->id) {
		admin_message(ar, 403, "Not allowed",
		              "You cannot change your own account here: "
		              "another administrator can.");
		return 0;
	}
	if (!scope_user_manage(ar->u, t)) {
		admin_message(ar, 403, "Not allowed",
		              "This account is an admin's, or also works for a "
		              "practice that is not yours: an admin can "
		              "change it.");
		return 0;
	}
	return 1;
}

static void
redirect_user(struct areq *ar, const struct user *t)
{
	char to[40];

	snprintf(to, sizeof to, "/users/%lld", (long long)t->id);
	admin_redirect(ar, to);
}

/* ---- the list ----------------------------------------------------------- */

static void
list_row(struct areq *ar, struct buf *b, const struct user *t)
{
	char *codes = practice_codes(ar, t), *state = state_text(t), day[21];

	admin_escf(b,
	           "<tr><td><a href=\"/users/%lld\">%s</a></td><td>%s</td>"
	           "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
	           "</tr>",
	           (long long)t->id, t->name, t->email, user_role_name(t->role),
	           codes, t->totp_enabled ? "on" : "off",
	           when(t->last_login_at, day), state);
	free(codes);
	free(state);
}

static void
list_page(struct areq *ar)
{
	const char *code = admin_qget(ar, "practice");
	int64_t pid = 0, *ids = NULL;
	size_t i, n = 0;
	struct user *t;
	struct buf b = {0};
	sqlite3_stmt *st;
	char *body;

	if (code != NULL &&
	    (pid = admin_practice_scoped(ar, code, PERM_USERS)) == 0) {
		admin_forbidden(ar);
		return;
	}
	st = db_stmt(ar->db, "SELECT id FROM users ORDER BY id");
	while (sqlite3_step(st) == SQLITE_ROW) {
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (pid != 0)
		admin_escf(&b, "<h1>Users of %s</h1>", code);
	else
		buf_add(&b, "<h1>Users</h1>");
	admin_escf(&b,
	           "<p><a class=\"button\" href=\"/users/new%s%s\">Add a "
	           "user</a></p>",
	           pid != 0 ? "?practice=" : "", pid != 0 ? code : "");
	buf_add(&b, "<table><caption class=\"visually-hidden\">Users</caption>"
	            "<thead><tr><th scope=\"col\">Name</th><th scope=\"col\">"
	            "Email</th><th scope=\"col\">Role</th><th scope=\"col\">"
	            "Practices</th><th scope=\"col\">Second factor</th><th "
	            "scope=\"col\">Last sign-in</th><th scope=\"col\">State"
	            "</th></tr></thead><tbody>");
	for (i = 0; i < n; i++) {
		if ((t = user_load(ar->db, ids[i])) == NULL)
			continue;
		if (scope_user_visible(ar->u, t) &&
		    (pid == 0 || user_in_practice(t, pid)))
			list_row(ar, &b, t);
		user_free(t);
	}
	buf_add(&b, "</tbody></table>");
	free(ids);
	body = buf_take(&b);
	admin_page(ar, 200, "Users", body);
	free(body);
}

/* ---- the form of role and practices ------------------------------------ */

/* 1 if the practice id is checked: as posted, else as t holds it. */
static int
practice_checked(struct areq *ar, const struct user *t,
                 const struct practice *p)
{
	const char *codes[MAX_PRACTICES];
	size_t i, n;

	if (ar->post != NULL) {
		n = posted_codes(ar, codes, MAX_PRACTICES);
		for (i = 0; i < n; i++)
			if (strcmp(codes[i], p->code) == 0)
				return 1;
		return 0;
	}
	if (t == NULL) {
		const char *q = admin_qget(ar, "practice");
		return q != NULL && strcmp(q, p->code) == 0;
	}
	return t->role != ROLE_ADMIN && user_in_practice(t, p->id);
}

/* Role radios (those ar->u may give) and practice checkboxes (ar->u's). */
static void
role_fields(struct areq *ar, struct buf *b, const struct user *t)
{
	const char *posted = admin_pget(ar, "role");
	struct practice *p;
	enum user_role r;
	size_t k;
	int on;

	buf_add(b, "<fieldset><legend class=\"label\">Role</legend>");
	for (r = ROLE_ADMIN; r <= ROLE_VIEWER; r++) {
		if (!scope_user_grant(ar->u, r, NULL, 0))
			continue;
		on = posted != NULL ? strcmp(posted, user_role_name(r)) == 0
		                    : t != NULL && t->role == r;
		admin_escf(
		    b,
		    "<p><input type=\"radio\" name=\"role\" id=\"role-%s\""
		    " value=\"%s\"%s> <label for=\"role-%s\">%s: %s"
		    "</label></p>",
		    user_role_name(r), user_role_name(r), on ? " checked" : "",
		    user_role_name(r), user_role_name(r), role_help[r]);
	}
	buf_add(b, "</fieldset><fieldset><legend class=\"label\">Practices "
	           "(an admin has every practice)</legend>");
	for (k = 0; k < ar->u->npractices; k++) {
		if ((p = practice_get(ar->db, ar->u->practices[k])) == NULL)
			continue;
		admin_escf(b,
		           "<p><input type=\"checkbox\" name=\"practice\" "
		           "id=\"p-%s\" value=\"%s\"%s> <label for=\"p-%s\">%s "
		           "(%s)</label></p>",
		           p->code, p->code,
		           practice_checked(ar, t, p) ? " checked" : "",
		           p->code, p->name, p->code);
		practice_free(p);
	}
	buf_add(b, "</fieldset>");
}

/*
 * The role and practices posted, checked against what ar->u may give:
 * 0 with *role and codes[*n] set; -1 with *status and *error (static text)
 * otherwise.
 */
static int
posted_grant(struct areq *ar, const char **role, const char **codes, size_t *n,
             int *status, const char **error)
{
	int64_t ids[MAX_PRACTICES];
	enum user_role r;

	*role = admin_pget(ar, "role");
	*n = posted_codes(ar, codes, MAX_PRACTICES);
	*status = 422;
	if (user_role_parse(*role, &r) == -1)
		*error = "Choose a role.";
	else if (r != ROLE_ADMIN && *n == 0)
		*error =
		    "A manager, lead or viewer needs a practice: choose at "
		    "least one.";
	else if (codes_ids(ar, codes, *n, ids) == -1)
		*error = "A practice chosen does not exist.";
	else if (!scope_user_grant(ar->u, r, ids, *n)) {
		*status = 403;
		*error = "You may not give this role or these practices.";
	} else {
		if (r == ROLE_ADMIN)
			*n = 0; /* an admin has every practice */
		return 0;
	}
	return -1;
}

/* ---- add ---------------------------------------------------------------- */

static void
new_page(struct areq *ar, int status, const char *error)
{
	const char *email = admin_pget(ar, "email"),
	           *name = admin_pget(ar, "name");
	struct buf b = {0};
	char *body;

	buf_add(&b, "<h1>Add a user</h1>");
	admin_error_summary(&b, error);
	buf_add(&b, "<p>The new user gets a link to choose a password; "
	            "it is shown once, on the next page, for you to pass "
	            "on.</p><form method=\"post\" action=\"/users/new\" "
	            "novalidate>");
	admin_csrf_field(ar, &b);
	admin_escf(&b,
	           "<label class=\"label\" for=\"email\">Email address</label>"
	           "<input class=\"input\" id=\"email\" name=\"email\" "
	           "type=\"email\" spellcheck=\"false\" autocomplete=\"off\" "
	           "value=\"%s\"><label class=\"label\" for=\"name\">Name"
	           "</label><input class=\"input\" id=\"name\" name=\"name\" "
	           "autocomplete=\"off\" value=\"%s\">",
	           email ? email : "", name ? name : "");
	role_fields(ar, &b, NULL);
	buf_add(&b, "<button class=\"button\" type=\"submit\">Add the user"
	            "</button></form>");
	body = buf_take(&b);
	admin_page(ar, status, "Add a user", body);
	free(body);
}

/* The page that shows a one-time link (once: only its hash is kept). */
static void
link_page(struct areq *ar, const char *heading, const struct user *t,
          const char *token)
{
	char *base = admin_base_url(ar->cfg), *body;
	struct buf b = {0};

	admin_escf(&b,
	           "<h1>%s</h1><div class=\"panel\" role=\"status\"><p>Give "
	           "%s (%s) this link to choose a password. It works once, "
	           "for 24 hours, and is not shown again:</p><p><code "
	           "id=\"link\">%s/reset/%s</code></p></div><p><a "
	           "href=\"/users/%lld\">Back to %s</a></p>",
	           heading, t->name, t->email, base, token, (long long)t->id,
	           t->name);
	body = buf_take(&b);
	admin_page(ar, 200, heading, body);
	free(body);
	free(base);
}

static void
new_post(struct areq *ar)
{
	const char *role, *codes[MAX_PRACTICES],
	    *error = NULL, *name = admin_pget(ar, "name"),
	    *email = admin_pget(ar, "email");
	char *cause = NULL, token[23];
	struct user *t;
	int status = 422;
	int64_t id;
	size_t n;

	if (name == NULL || *name == '\0')
		error = "Enter the person's name.";
	else if (email == NULL || *email == '\0')
		error = "Enter their email address, for example "
		        "name@practice.example.";
	else
		posted_grant(ar, &role, codes, &n, &status, &error);
	if (error != NULL) {
		new_page(ar, status, error);
		return;
	}
	if (user_add(ar->db, email, name, role, codes, n, &id, &cause) == -1) {
		new_page(ar, strstr(cause, "has this email") ? 409 : 422,
		         cause);
		free(cause);
		return;
	}
	t = user_load(ar->db, id);
	if (user_reset_link(ar->db, id, time(NULL), token, &cause) == -1) {
		admin_message(ar, 500, "Link not made", cause);
		free(cause);
	} else
		link_page(ar, "User added", t, token);
	user_free(t);
}

/* ---- one user ----------------------------------------------------------- */

static int
history_row(int64_t at, const char *actor, const char *action,
            const char *detail, void *arg)
{
	char day[21];

	admin_escf(arg, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
	           util_format_time(at, day), actor, action,
	           detail ? detail : "");
	return 0;
}

static void
summary(struct areq *ar, struct buf *b, const struct user *t)
{
	char *codes = practice_codes(ar, t), *state = state_text(t), day[21];

	admin_escf(b,
	           "<dl class=\"panel\"><dt>Email</dt><dd>%s</dd><dt>Role</dt>"
	           "<dd>%s</dd><dt>Practices</dt><dd>%s</dd><dt>Second "
	           "factor</dt><dd>%s</dd><dt>Last sign-in</dt><dd>%s</dd>"
	           "<dt>State</dt><dd>%s</dd></dl>",
	           t->email, user_role_name(t->role), codes,
	           t->totp_enabled ? "on" : "off", when(t->last_login_at, day),
	           state);
	free(codes);
	free(state);
}

/* A form of one button posting to /users/ID/action. */
static void
button_form(struct areq *ar, struct buf *b, const struct user *t,
            const char *action, const char *label)
{
	admin_escf(b, "<form method=\"post\" action=\"/users/%lld/%s\">",
	           (long long)t->id, action);
	admin_csrf_field(ar, b);
	admin_escf(b,
	           "<button class=\"button secondary\" type=\"submit\">%s"
	           "</button></form>",
	           label);
}

static void
actions(struct areq *ar, struct buf *b, const struct user *t)
{
	admin_escf(b,
	           "<section class=\"panel\"><h2>Role and practices</h2><form "
	           "method=\"post\" action=\"/users/%lld/edit\" novalidate>",
	           (long long)t->id);
	admin_csrf_field(ar, b);
	role_fields(ar, b, t);
	buf_add(b, "<button class=\"button\" type=\"submit\">Save the role "
	           "and practices</button></form></section><section "
	           "class=\"panel\"><h2>Password and sign-in</h2><p>A new "
	           "link replaces any earlier one; the password works until "
	           "the link is used.</p>");
	if (t->disabled_at == 0)
		button_form(ar, b, t, "reset", "Make a new password link");
	if (t->totp_enabled)
		button_form(
		    ar, b, t, "2fa-off",
		    "Turn the second factor off (they set it up again)");
	if (t->locked_until > time(NULL) || t->failed > 0)
		button_form(ar, b, t, "unlock",
		            "Unlock and forget failed tries");
	buf_add(b, "</section><section class=\"panel\"><h2>Access</h2>");
	if (t->disabled_at == 0)
		admin_escf(b,
		           "<p><a href=\"/users/%lld/disable\">Disable this "
		           "user</a></p>",
		           (long long)t->id);
	else
		button_form(ar, b, t, "enable", "Enable this user again");
	buf_add(b, "</section>");
}

static void
user_page(struct areq *ar, struct user *t, int status, const char *error)
{
	struct buf b = {0};
	char *body, obj[32];

	admin_escf(&b, "<h1>%s</h1>", t->name);
	admin_error_summary(&b, error);
	summary(ar, &b, t);
	if (t->id == ar->u->id)
		buf_add(&b, "<p>This is your account: another administrator "
		            "can change it.</p>");
	else if (!scope_user_manage(ar->u, t))
		buf_add(&b, "<p>This account is an admin's, or also works for "
		            "a practice that is not yours: an admin can change "
		            "it.</p>");
	else
		actions(ar, &b, t);
	buf_add(&b, "<h2>History</h2><table><caption "
	            "class=\"visually-hidden\">Changes to this account"
	            "</caption><thead><tr><th scope=\"col\">When</th><th "
	            "scope=\"col\">By</th><th scope=\"col\">What</th><th "
	            "scope=\"col\">Detail</th></tr></thead><tbody>");
	snprintf(obj, sizeof obj, "user:%lld", (long long)t->id);
	db_audit_each(ar->db, obj, 20, history_row, &b);
	buf_add(&b, "</tbody></table>");
	body = buf_take(&b);
	admin_page(ar, status, t->name, body);
	free(body);
}

static void
disable_page(struct areq *ar, const struct user *t, int status,
             const char *error)
{
	struct buf b = {0};
	char *body;

	admin_escf(&b, "<h1>Disable %s?</h1>", t->name);
	admin_error_summary(&b, error);
	admin_escf(&b,
	           "<p>%s (%s) will no longer be able to sign in, and any "
	           "page they have open stops working now. You can enable "
	           "the account again later.</p><form method=\"post\" "
	           "action=\"/users/%lld/disable\">",
	           t->name, t->email, (long long)t->id);
	admin_csrf_field(ar, &b);
	admin_escf(&b,
	           "<input type=\"hidden\" name=\"confirm\" value=\"yes\">"
	           "<button class=\"button\" type=\"submit\">Yes, disable "
	           "%s</button></form><p><a href=\"/users/%lld\">No, go "
	           "back</a></p>",
	           t->name, (long long)t->id);
	body = buf_take(&b);
	admin_page(ar, status, "Disable a user", body);
	free(body);
}

static void
edit_post(struct areq *ar, struct user *t)
{
	const char *role, *codes[MAX_PRACTICES], *error;
	char *cause = NULL;
	int status;
	size_t n;

	if (posted_grant(ar, &role, codes, &n, &status, &error) == -1)
		user_page(ar, t, status, error);
	else if (user_update(ar->db, t->id, role, codes, n, &cause) == -1) {
		user_page(ar, t, 422, cause);
		free(cause);
	} else
		redirect_user(ar, t);
}

/* One POST /users/ID/ACTION of a user ar->u may change. */
static void
action_post(struct areq *ar, struct user *t, const char *action)
{
	const char *confirm = admin_pget(ar, "confirm");
	char token[23], *cause = NULL;
	int rc = 0;

	if (strcmp(action, "edit") == 0) {
		edit_post(ar, t);
		return;
	} else if (strcmp(action, "disable") == 0) {
		if (confirm == NULL || strcmp(confirm, "yes") != 0) {
			disable_page(ar, t, 422,
			             "Confirm to disable the user.");
			return;
		}
		rc = user_disable(ar->db, t->id, NULL, &cause);
	} else if (strcmp(action, "enable") == 0)
		rc = user_enable(ar->db, t->id, &cause);
	else if (strcmp(action, "unlock") == 0)
		rc = user_unlock(ar->db, t->id, &cause);
	else if (strcmp(action, "2fa-off") == 0)
		rc = user_totp_reset(ar->db, t->id, &cause);
	else if (strcmp(action, "reset") == 0) {
		if (t->disabled_at != 0)
			cause =
			    xstrdup("the user is disabled: enable them first");
		else if (user_reset_link(ar->db, t->id, time(NULL), token,
		                         &cause) == 0) {
			link_page(ar, "New password link", t, token);
			return;
		}
		rc = -1;
	} else {
		admin_message(ar, 404, "Page not found",
		              "There is no such page.");
		return;
	}
	if (rc == -1) {
		user_page(ar, t, 422, cause);
		free(cause);
	} else
		redirect_user(ar, t);
}

/* users/ID[/ACTION] */
static void
user_route(struct areq *ar, const char *rest, int post)
{
	char *idtext = xstrdup(rest), *action = strchr(idtext, '/');
	struct user *t;

	if (action != NULL)
		*action++ = '\0';
	if ((t = target(ar, idtext)) == NULL)
		goto out;
	if (!post && action == NULL)
		user_page(ar, t, 200, NULL);
	else if (!post && strcmp(action, "disable") == 0) {
		if (may_change(ar, t))
			disable_page(ar, t, 200, NULL);
	} else if (!post)
		admin_message(ar, 404, "Page not found",
		              "There is no such page.");
	else if (!admin_post_ok(ar, 1))
		admin_message(ar, 403, "Not allowed",
		              "The form has expired: try again.");
	else if (action != NULL && may_change(ar, t))
		action_post(ar, t, action);
	else if (action == NULL)
		admin_message(ar, 404, "Page not found",
		              "There is no such page.");
out:
	user_free(t);
	free(idtext);
}

int
admin_users_route(struct areq *ar, int post)
{
	const char *p = ar->path;

	if (strcmp(p, "users") != 0 && strncmp(p, "users/", 6) != 0)
		return 0;
	if (!scope_allows(ar->u, PERM_USERS, 0))
		admin_forbidden(ar);
	else if (strcmp(p, "users") == 0 && !post)
		list_page(ar);
	else if (strcmp(p, "users/new") == 0 && !post) {
		if (admin_qget(ar, "practice") != NULL &&
		    admin_practice_scoped(ar, admin_qget(ar, "practice"),
		                          PERM_USERS) == 0)
			admin_forbidden(ar);
		else
			new_page(ar, 200, NULL);
	} else if (strcmp(p, "users/new") == 0) {
		if (!admin_post_ok(ar, 1))
			admin_message(ar, 403, "Not allowed",
			              "The form has expired: try again.");
		else
			new_post(ar);
	} else if (strncmp(p, "users/", 6) == 0)
		user_route(ar, p + 6, post);
	else
		admin_message(ar, 404, "Page not found",
		              "There is no such page.");
	return 1;
}
