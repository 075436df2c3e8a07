/* The public minutes pages. Only what staff wrote and chose to publish. */
#include <stdlib.h>
#include <string.h>

#include "htmlout.h"
#include "http.h"
#include "meeting.h"
#include "minutes_page.h"
#include "practice.h"
#include "server.h"
#include "xmalloc.h"

#define LIST "/meetings"

/* Paragraphs from the minutes: a blank line starts a new one. */
static void
minutes_text(struct html *h, const char *text)
{
	const char *p = text, *end;
	char *para;

	while (*p != '\0') {
		while (*p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		end = strstr(p, "\n\n");
		if (end == NULL)
			end = p + strlen(p);
		para = xstrndup(p, (size_t)(end - p));
		html_elem(h, "p", para);
		free(para);
		p = end;
	}
}

static void
one_page(struct evhttp_request *req, struct db *db, const struct practice *p,
         int64_t id)
{
	struct meeting *m = meeting_get(db, id);
	char *title, *when, *where;
	struct html *h;
	size_t len;
	char *page;

	if (m == NULL || m->practice_id != p->id || m->published_at == 0 ||
	    m->minutes == NULL) {
		meeting_free(m);
		http_reply_text(req, 404, "not found");
		return;
	}
	when = meeting_when(m->at, p->timezone);
	title = xasprintf("%s: notes of the patient group meeting", p->name);
	h = html_new(title);
	where = xasprintf("%s, %s", when, m->place);
	html_elem(h, "p", where);
	html_raw(h, "<h2>Notes</h2>\n");
	minutes_text(h, m->minutes);
	page = html_finish(h, &len);
	http_reply(req, 200, "text/html; charset=utf-8", page, len);
	free(page);
	free(where);
	free(title);
	free(when);
	meeting_free(m);
}

static void
list_page(struct evhttp_request *req, struct db *db, const struct practice *p)
{
	static const char *const heads[] = {"Meeting", "Notes"};
	sqlite3_stmt *st = db_stmt(db, "SELECT id, at FROM meetings WHERE"
	                               " practice_id = ? AND published_at IS"
	                               " NOT NULL AND minutes IS NOT NULL"
	                               " ORDER BY at DESC, id DESC");
	char *title = xasprintf("%s: notes of our meetings", p->name);
	const char *cells[2];
	struct html *h = html_new(title);
	char *when, *ref, *page;
	size_t len;

	html_elem(h, "p",
	          "The notes of our Patient Participation Group "
	          "meetings, newest first. Each is at the address "
	          "shown.");
	html_table_begin(h, "Published notes", heads, 2);
	db_bind_int(st, 1, p->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		when = meeting_when(sqlite3_column_int64(st, 1), p->timezone);
		ref = xasprintf("/practice/%s/meetings/%lld", p->code,
		                (long long)sqlite3_column_int64(st, 0));
		cells[0] = when;
		cells[1] = ref;
		html_table_row(h, cells, 2);
		free(ref);
		free(when);
	}
	sqlite3_reset(st);
	html_table_end(h);
	page = html_finish(h, &len);
	http_reply(req, 200, "text/html; charset=utf-8", page, len);
	free(page);
	free(title);
}

void
minutes_http(struct evhttp_request *req, struct server *s, const char *code,
             const char *tail)
{
	struct db *db = server_db(s);
	struct practice *p = practice_find(db, code);
	const char *id = tail + strlen(LIST) + 1;
	char *end;
	long long v;

	if (p == NULL || strncmp(tail, LIST, strlen(LIST)) != 0) {
		http_reply_text(req, 404, "not found");
		practice_free(p);
		return;
	}
	if (strcmp(tail, LIST) == 0)
		list_page(req, db, p);
	else if (tail[strlen(LIST)] == '/' && (v = strtoll(id, &end, 10)) > 0 &&
	         *end == '\0' && *id != '+' && *id != '-' && *id != ' ')
		one_page(req, db, p, (int64_t)v);
	else
		http_reply_text(req, 404, "not found");
	practice_free(p);
}
