/*
 * The web admin's inbox: replies, unmatched messages and stop requests,
 * newest first, a page at a time, with the same query as `ppgd inbox`
 * (inbox_list_json). Message text comes from outside and is escaped. Care
 * alerts have their own page (/alerts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_page.h"
#include "inbox_store.h"
#include "xmalloc.h"

#define INBOX_PAGE 50

static const struct {
	const char *value, *label;
} shows[] = {
    {"all", "All messages"},
    {"unmatched", "Unmatched (no member found)"},
    {"stop", "Stop requests"},
};

/* The practice code the page lists (NULL: every practice, admins only);
 * *ok = 0 when the user may not read that practice's messages. */
static char *
inbox_practice(struct areq *ar, int *ok)
{
	const char *code = admin_qget(ar, "practice");
	char *c = NULL;

	*ok = 1;
	if (code != NULL && *code != '\0') {
		if (admin_practice_scoped(ar, code, PERM_CONTACTS) == 0)
			*ok = 0;
		return *ok ? xstrdup(code) : NULL;
	}
	if (ar->u->role == ROLE_ADMIN)
		return NULL;
	if ((c = admin_first_practice(ar, PERM_CONTACTS)) == NULL)
		*ok = 0;
	return c;
}

/* The filter form: which messages, which practice. */
static void
inbox_filters(struct areq *ar, struct buf *b, const char *code,
              const char *show)
{
	size_t i;

	buf_add(b, "<form method=\"get\" action=\"/inbox\" class=\"panel\">"
	           "<label class=\"label\" for=\"show\">Show</label><select "
	           "class=\"input\" id=\"show\" name=\"show\">");
	for (i = 0; i < sizeof shows / sizeof shows[0]; i++)
		admin_escf(b, "<option value=\"%s\"%s>%s</option>",
		           shows[i].value,
		           strcmp(show, shows[i].value) == 0 ? " selected" : "",
		           shows[i].label);
	buf_add(b, "</select><label class=\"label\" for=\"practice\">"
	           "Practice</label><select class=\"input\" id=\"practice\" "
	           "name=\"practice\">");
	if (ar->u->role == ROLE_ADMIN)
		admin_escf(b, "<option value=\"\"%s>Every practice</option>",
		           code == NULL ? " selected" : "");
	admin_practice_options(ar, b, PERM_CONTACTS, code);
	buf_add(b, "</select><button class=\"button\" type=\"submit\">Show"
	           "</button></form>");
}

/* One message as a table row. */
static void
inbox_row(struct buf *b, const json_t *e)
{
	const char *body = json_string_value(json_object_get(e, "body"));
	const char *from = json_string_value(json_object_get(e, "from"));
	const char *pr = json_string_value(json_object_get(e, "practice"));
	const json_t *m = json_object_get(e, "member");

	admin_escf(b,
	           "<tr><td>%lld</td><td>%s</td><td>%s</td><td>%s</td>"
	           "<td>%s</td><td>",
	           (long long)json_integer_value(json_object_get(e, "id")),
	           json_string_value(json_object_get(e, "received_at")),
	           json_string_value(json_object_get(e, "channel")),
	           pr != NULL ? pr : "none", from != NULL ? from : "");
	if (json_is_integer(m))
		admin_escf(b, "<a href=\"/members/%lld\">member %lld</a>",
		           (long long)json_integer_value(m),
		           (long long)json_integer_value(m));
	else
		buf_add(b, "not matched");
	admin_escf(b, "</td><td>%s%s</td><td>%s</td></tr>",
	           json_string_value(json_object_get(e, "disposition")),
	           json_is_true(json_object_get(e, "care_flag"))
	               ? " (care alert)"
	               : "",
	           body != NULL ? body : "");
}

static void
inbox_page(struct areq *ar)
{
	const char *show = admin_qget(ar, "show"),
	           *before = admin_qget(ar, "before");
	struct inbox_filter f = {.limit = INBOX_PAGE};
	struct buf b = {0};
	json_t *a, *e;
	char *code, *body, *end;
	size_t i;
	int ok;

	code = inbox_practice(ar, &ok);
	if (!ok) {
		admin_forbidden(ar);
		return;
	}
	if (show == NULL ||
	    (strcmp(show, "unmatched") != 0 && strcmp(show, "stop") != 0))
		show = "all";
	f.unmatched = strcmp(show, "unmatched") == 0;
	f.stop_requests = strcmp(show, "stop") == 0;
	f.practice = code;
	if (before != NULL) {
		f.before_id = strtoll(before, &end, 10);
		if (*before == '\0' || *end != '\0' || f.before_id < 1) {
			free(code);
			admin_message(
			    ar, 422, "Bad request",
			    "The page asked for is not a message number.");
			return;
		}
	}
	buf_add(&b,
	        "<h1>Inbox</h1><p>Replies and other messages received, "
	        "newest first. Messages that read as a request for care are "
	        "also on <a href=\"/alerts\">Care alerts</a>, to acknowledge "
	        "there.</p>");
	inbox_filters(ar, &b, code, show);
	a = inbox_list_json(ar->db, &f);
	if (json_array_size(a) == 0)
		buf_add(&b, "<p>No messages.</p>");
	else {
		buf_add(&b,
		        "<table><caption>Messages</caption><thead><tr>"
		        "<th scope=\"col\">Number</th><th scope=\"col\">"
		        "Received</th><th scope=\"col\">Channel</th><th "
		        "scope=\"col\">Practice</th><th scope=\"col\">From"
		        "</th><th scope=\"col\">Member</th><th scope=\"col\">"
		        "Outcome</th><th scope=\"col\">Text</th></tr></thead>"
		        "<tbody>");
		json_array_foreach(a, i, e) inbox_row(&b, e);
		buf_add(&b, "</tbody></table>");
	}
	if (json_array_size(a) == INBOX_PAGE)
		admin_escf(&b,
		           "<p><a href=\"/inbox?show=%s&amp;practice=%s&amp;"
		           "before=%lld\">Older messages</a></p>",
		           show, code != NULL ? code : "",
		           (long long)json_integer_value(json_object_get(
		               json_array_get(a, INBOX_PAGE - 1), "id")));
	json_decref(a);
	free(code);
	body = buf_take(&b);
	admin_page(ar, 200, "Inbox", body);
	free(body);
}

int
admin_inbox_route(struct areq *ar, int post)
{
	if (strcmp(ar->path, "inbox") != 0)
		return 0;
	if (post)
		admin_message(ar, 405, "Not allowed",
		              "The inbox has nothing to post.");
	else if (!scope_allows(ar->u, PERM_CONTACTS, 0))
		admin_forbidden(ar);
	else
		inbox_page(ar);
	return 1;
}
