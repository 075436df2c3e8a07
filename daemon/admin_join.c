/*
 * The web admin's join requests: people who asked to join the PPG on the
 * join page or by texting JOIN, and confirmed their address or number,
 * wait here for the practice to check them against the registered list
 * (`ppgd member pending|approve|reject`). Approving makes a member and
 * queues the welcome; rejecting keeps the reason for the audit log and,
 * unless unticked, tells the person by the channel they confirmed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_page.h"
#include "env.h"
#include "join.h"
#include "server.h"
#include "xmalloc.h"

static const struct {
	const char *value, *label;
} states[] = {
    {"pending", "Waiting for the practice"},
    {"unconfirmed", "Not confirmed yet"},
    {"approved", "Approved"},
    {"rejected", "Rejected"},
    {"expired", "Expired or withdrawn"},
};

static const char *
jstr(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v != NULL ? v : "";
}

/* "a@b.org (confirmed)", or "" when none was given. */
static void
contact_cell(struct buf *b, const json_t *r, const char *k, const char *conf)
{
	const char *v = jstr(r, k);

	admin_escf(b, "<td>%s%s</td>", v,
	           *v == '\0' ? ""
	           : json_is_string(json_object_get(r, conf))
	               ? " (confirmed)"
	               : " (not confirmed)");
}

static void
join_filters(struct areq *ar, struct buf *b, const char *code,
             const char *state)
{
	size_t i;

	buf_add(b,
	        "<form method=\"get\" action=\"/joins\" class=\"panel\">"
	        "<label class=\"label\" for=\"practice\">Practice</label>"
	        "<select class=\"input\" id=\"practice\" name=\"practice\">");
	admin_practice_options(ar, b, PERM_CONTACTS, code);
	buf_add(b, "</select><label class=\"label\" for=\"state\">Show</label>"
	           "<select class=\"input\" id=\"state\" name=\"state\">");
	for (i = 0; i < sizeof states / sizeof states[0]; i++)
		admin_escf(
		    b, "<option value=\"%s\"%s>%s</option>", states[i].value,
		    strcmp(state, states[i].value) == 0 ? " selected" : "",
		    states[i].label);
	buf_add(b, "</select><button class=\"button\" type=\"submit\">Show"
	           "</button></form>");
}

static void
list_page(struct areq *ar)
{
	const char *code = admin_qget(ar, "practice"),
	           *state = admin_qget(ar, "state");
	struct buf b = {0};
	json_t *a, *r, *d;
	char *first = NULL, *body;
	size_t i, k;

	if (code == NULL || *code == '\0')
		code = first = admin_first_practice(ar, PERM_CONTACTS);
	if (code == NULL ||
	    admin_practice_scoped(ar, code, PERM_CONTACTS) == 0) {
		free(first);
		admin_forbidden(ar);
		return;
	}
	for (k = 0; state != NULL && k < sizeof states / sizeof states[0]; k++)
		if (strcmp(state, states[k].value) == 0)
			break;
	if (state == NULL || k == sizeof states / sizeof states[0])
		state = "pending";
	buf_add(&b, "<h1>Join requests</h1><p>People who asked to join the "
	            "patient group on the join page or by texting JOIN. "
	            "Check each against your registered patients, then "
	            "approve or reject it. Only confirmed addresses and "
	            "numbers are kept when a request is approved.</p>");
	join_filters(ar, &b, code, state);
	a = join_list(ar->db, code, state);
	if (json_array_size(a) == 0)
		buf_add(&b, "<p>No join requests.</p>");
	else {
		buf_add(&b, "<table><caption>Join requests</caption><thead><tr>"
		            "<th scope=\"col\">Number</th><th scope=\"col\">"
		            "Asked</th><th scope=\"col\">Name</th><th "
		            "scope=\"col\">Email</th><th scope=\"col\">Mobile"
		            "</th><th scope=\"col\">How</th></tr></thead>"
		            "<tbody>");
		json_array_foreach(a, i, r)
		{
			d = json_object_get(r, "details");
			admin_escf(
			    &b,
			    "<tr><td><a href=\"/joins/%lld\">Request %lld</a>"
			    "</td><td>%s</td><td>%s %s</td>",
			    (long long)json_integer_value(
			        json_object_get(r, "id")),
			    (long long)json_integer_value(
			        json_object_get(r, "id")),
			    jstr(r, "created"), jstr(d, "first_name"),
			    jstr(d, "last_name"));
			contact_cell(&b, r, "email", "email_confirmed");
			contact_cell(&b, r, "mobile", "mobile_confirmed");
			admin_escf(&b, "<td>%s, from %s</td></tr>",
			           jstr(r, "via"), jstr(r, "source"));
		}
		buf_add(&b, "</tbody></table>");
	}
	json_decref(a);
	free(first);
	body = buf_take(&b);
	admin_page(ar, 200, "Join requests", body);
	free(body);
}

/* The request of "ID" the user may read (PERM_CONTACTS), or NULL after
 * answering 404. */
static json_t *
scoped_request(struct areq *ar, const char *idtext)
{
	char *end;
	long long id = strtoll(idtext, &end, 10);
	json_t *r = *idtext != '\0' && *end == '\0' && id > 0
	                ? join_get(ar->db, id)
	                : NULL;

	if (r != NULL && admin_practice_scoped(ar, jstr(r, "practice"),
	                                       PERM_CONTACTS) == 0) {
		json_decref(r);
		r = NULL;
	}
	if (r == NULL)
		admin_message(ar, 404, "Not found",
		              "There is no such join request in your "
		              "practices.");
	return r;
}

/* "first_name" as people read it: "First name". Caller frees. */
static char *
field_label(const char *k)
{
	char *s = xstrdup(k), *p;

	for (p = s; *p != '\0'; p++)
		if (*p == '_')
			*p = ' ';
	if (*s >= 'a' && *s <= 'z')
		*s = (char)(*s - 'a' + 'A');
	return s;
}

static void
request_page(struct areq *ar, const json_t *r, int status, const char *error)
{
	long long id = json_integer_value(json_object_get(r, "id"));
	const json_t *d = json_object_get(r, "details"), *v;
	const char *k;
	struct buf b = {0};
	char *body, *label, *title = xasprintf("Join request %lld", id);

	admin_escf(&b, "<h1>%s</h1>", title);
	admin_error_summary(&b, error);
	admin_escf(&b,
	           "<table><caption class=\"visually-hidden\">The request"
	           "</caption><tbody><tr><th scope=\"row\">Practice</th>"
	           "<td>%s</td></tr><tr><th scope=\"row\">State</th><td>%s"
	           "</td></tr><tr><th scope=\"row\">Asked</th><td>%s</td>"
	           "</tr><tr><th scope=\"row\">How</th><td>%s, from %s</td>"
	           "</tr><tr><th scope=\"row\">Email</th>",
	           jstr(r, "practice"), jstr(r, "state"), jstr(r, "created"),
	           jstr(r, "via"), jstr(r, "source"));
	contact_cell(&b, r, "email", "email_confirmed");
	buf_add(&b, "</tr><tr><th scope=\"row\">Mobile</th>");
	contact_cell(&b, r, "mobile", "mobile_confirmed");
	buf_add(&b, "</tr>");
	json_object_foreach((json_t *)d, k, v)
	{
		label = field_label(k);
		admin_escf(&b, "<tr><th scope=\"row\">%s</th><td>%s</td></tr>",
		           label,
		           json_is_string(v) ? json_string_value(v) : "");
		free(label);
	}
	if (*jstr(r, "reason") != '\0')
		admin_escf(&b,
		           "<tr><th scope=\"row\">Reason</th><td>%s</td>"
		           "</tr>",
		           jstr(r, "reason"));
	if (json_is_integer(json_object_get(r, "member_id")))
		admin_escf(&b,
		           "<tr><th scope=\"row\">Member</th><td><a href=\""
		           "/members/%lld\">member %lld</a></td></tr>",
		           (long long)json_integer_value(
		               json_object_get(r, "member_id")),
		           (long long)json_integer_value(
		               json_object_get(r, "member_id")));
	buf_add(&b, "</tbody></table>");
	if (admin_practice_scoped(ar, jstr(r, "practice"), PERM_MEMBERS) != 0) {
		if (strcmp(jstr(r, "state"), "pending") == 0) {
			admin_escf(
			    &b,
			    "<form method=\"post\" action=\"/joins/%lld/"
			    "approve\" class=\"panel\"><h2>Approve</h2><p>"
			    "The person becomes a member with the "
			    "confirmed address or number, and gets the "
			    "welcome message.</p><label class=\"label\" "
			    "for=\"external_ref\">Their id in the practice "
			    "system (optional)</label><input class=\"input\""
			    " id=\"external_ref\" name=\"external_ref\" "
			    "autocomplete=\"off\">",
			    id);
			admin_csrf_field(ar, &b);
			buf_add(&b, "<button class=\"button\" type=\"submit\">"
			            "Approve</button></form>");
		}
		if (strcmp(jstr(r, "state"), "pending") == 0 ||
		    strcmp(jstr(r, "state"), "unconfirmed") == 0) {
			admin_escf(
			    &b,
			    "<form method=\"post\" "
			    "action=\"/joins/%lld/reject\""
			    " class=\"panel\"><h2>Reject</h2><label "
			    "class=\"label\" for=\"reason\">Why (for the audit "
			    "log; it is not sent)</label><input "
			    "class=\"input\" "
			    "id=\"reason\" name=\"reason\" required "
			    "autocomplete=\"off\"><p><input type=\"checkbox\" "
			    "id=\"notify\" name=\"notify\" value=\"yes\" "
			    "checked> <label for=\"notify\">Tell them we could "
			    "not add them (by the address or number they "
			    "confirmed)</label></p>",
			    id);
			admin_csrf_field(ar, &b);
			buf_add(&b, "<button class=\"button secondary\" "
			            "type=\"submit\">Reject</button></form>");
		}
	}
	admin_escf(&b,
	           "<p><a href=\"/joins?practice=%s\">All join requests</a>"
	           "</p>",
	           jstr(r, "practice"));
	body = buf_take(&b);
	admin_page(ar, status, title, body);
	free(body);
	free(title);
}

static void
decide_post(struct areq *ar, json_t *r, int approve)
{
	long long id = json_integer_value(json_object_get(r, "id"));
	const char *ref = admin_pget(ar, "external_ref"),
	           *reason = admin_pget(ar, "reason"),
	           *notify = admin_pget(ar, "notify");
	char *actor, *cause = NULL, *text, *to;
	int64_t member = 0;
	int rc;

	if (!admin_post_ok(ar, 1)) {
		admin_message(ar, 403, "Not allowed",
		              "The form has expired: sign in again.");
		return;
	}
	if (admin_practice_scoped(ar, jstr(r, "practice"), PERM_MEMBERS) == 0) {
		admin_forbidden(ar);
		return;
	}
	actor = admin_actor(ar);
	if (approve)
		rc = join_approve(ar->db, ar->cfg, id,
		                  ref != NULL && *ref != '\0' ? ref : NULL,
		                  actor, &member, &cause);
	else
		rc = join_reject(
		    ar->db,
		    notify != NULL && strcmp(notify, "yes") == 0 ? ar->cfg
		                                                 : NULL,
		    id, reason != NULL ? reason : "", actor, &cause);
	free(actor);
	if (rc == -1) {
		request_page(ar, r, 422, cause);
		free(cause);
		return;
	}
	env_kick(server_env(ar->srv));
	if (approve) {
		to = xasprintf("/members/%lld", (long long)member);
		admin_redirect(ar, to);
		free(to);
	} else {
		text = xasprintf("/joins?practice=%s", jstr(r, "practice"));
		admin_redirect(ar, text);
		free(text);
	}
}

int
admin_join_route(struct areq *ar, int post)
{
	const char *p = ar->path;
	char *idtext, *slash;
	json_t *r;

	if (strcmp(p, "joins") != 0 && strncmp(p, "joins/", 6) != 0)
		return 0;
	if (!scope_role_may(ar->u->role, PERM_CONTACTS)) {
		admin_forbidden(ar);
		return 1;
	}
	if (strcmp(p, "joins") == 0) {
		if (post)
			admin_message(ar, 405, "Not allowed",
			              "This page has nothing to post.");
		else
			list_page(ar);
		return 1;
	}
	idtext = xstrdup(p + 6);
	slash = strchr(idtext, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (!post && slash == NULL) {
		if ((r = scoped_request(ar, idtext)) != NULL)
			request_page(ar, r, 200, NULL);
	} else if (post && slash != NULL &&
	           (strcmp(slash, "approve") == 0 ||
	            strcmp(slash, "reject") == 0)) {
		if ((r = scoped_request(ar, idtext)) != NULL)
			decide_post(ar, r, strcmp(slash, "approve") == 0);
	} else {
		r = NULL;
		admin_message(ar, 404, "Page not found",
		              "There is no such page.");
	}
	json_decref(r);
	free(idtext);
	return 1;
}
