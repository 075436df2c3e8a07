/* Practices: code, name and sender identity. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "cron.h"
#include "practice.h"
#include "util.h"
#include "xmalloc.h"

#define PRACTICE_COLS                                                          \
	"id, code, name, email_from, sms_from, phone, website, timezone"

/* A practice code: an ODS code such as A81001, or any short token. */
static int
practice_code_ok(const char *code)
{
	size_t n = strlen(code), i;

	if (n == 0 || n > 16)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)code[i]) && code[i] != '-')
			return 0;
	return 1;
}

/* local@domain: one @, both sides present, no space, comma or bracket. */
static int
practice_addr_ok(const char *a, size_t n)
{
	const char *at = memchr(a, '@', n);
	size_t i;

	if (at == NULL || at == a || at == a + n - 1 ||
	    memchr(at + 1, '@', n - (size_t)(at + 1 - a)) != NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (strchr(" \t,;:<>()[]\"", a[i]) != NULL)
			return 0;
	return 1;
}

/*
 * One mailbox (RFC 5322 3.4): "addr" or "Name <addr>", the name quoted if
 * it holds specials. Two mailboxes ("a@x, b@y", "A <a@x> <b@y>") would put
 * two authors in a From header, and some mail servers would send to both.
 */
static int
practice_mailbox_ok(const char *s)
{
	const char *lt = NULL, *gt = NULL, *p;
	int quoted = 0, at = 0;
	size_t n;

	for (p = s; *p != '\0'; p++) {
		if (quoted && *p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (quoted)
			continue;
		else if (*p == ',' || *p == ';' || (*p == '<' && lt != NULL) ||
		         (*p == '>' && (lt == NULL || gt != NULL)))
			return 0;
		else if (*p == '<')
			lt = p;
		else if (*p == '>')
			gt = p;
		else if (*p == '@' && lt == NULL)
			at++;
	}
	if (quoted)
		return 0;
	if (lt == NULL) {
		n = strlen(s);
		while (n > 0 && s[n - 1] == ' ')
			n--;
		while (*s == ' ')
			s++, n--;
		return practice_addr_ok(s, n);
	}
	/* Name <addr>: no @ in an unquoted name, nothing after the >. */
	if (at > 0 || gt == NULL || gt[1 + strspn(gt + 1, " ")] != '\0')
		return 0;
	return practice_addr_ok(lt + 1, (size_t)(gt - lt - 1));
}

static int
practice_check(const struct practice *p, char **cause)
{
	const char *vals[] = {p->name, p->email_from, p->sms_from, p->phone,
	                      p->website};
	size_t i;

	if (p->code == NULL || !practice_code_ok(p->code)) {
		*cause = xasprintf("practice code must be 1-16 letters, digits "
		                   "or '-' (an ODS code such as A81001)");
		return -1;
	}
	if (p->name == NULL || *p->name == '\0') {
		*cause = xstrdup("practice needs a --name");
		return -1;
	}
	for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		if (util_has_crlf(vals[i])) {
			*cause = xstrdup("practice values may not contain "
			                 "line breaks");
			return -1;
		}
	}
	if (p->timezone != NULL && cron_check_tz(p->timezone, cause) == -1)
		return -1;
	if (p->email_from != NULL && *p->email_from != '\0' &&
	    practice_mailbox_ok(p->email_from) != 1) {
		*cause = xasprintf("--email-from must be one email address, "
		                   "as addr@example.org or "
		                   "\"Name\" <addr@example.org>");
		return -1;
	}
	return 0;
}

int
practice_add(struct db *db, const struct practice *p, char **cause)
{
	sqlite3_stmt *st;
	struct practice *old;

	if (practice_check(p, cause) == -1)
		return -1;
	if ((old = practice_find(db, p->code)) != NULL) {
		practice_free(old);
		*cause = xasprintf("practice %s already exists", p->code);
		return -1;
	}
	st = db_stmt(db, "INSERT INTO practices (code, name, email_from,"
	                 " sms_from, phone, website, timezone, created_at)"
	                 " VALUES (?,?,?,?,?,?,?,?)");
	db_bind_text(st, 1, p->code);
	db_bind_text(st, 2, p->name);
	db_bind_text(st, 3, p->email_from ? p->email_from : "");
	db_bind_text(st, 4, p->sms_from ? p->sms_from : "");
	db_bind_text(st, 5, p->phone ? p->phone : "");
	db_bind_text(st, 6, p->website ? p->website : "");
	db_bind_text(st, 7, p->timezone ? p->timezone : "Europe/London");
	db_bind_int(st, 8, time(NULL));
	if (db_done(db, st) == -1) {
		*cause = xasprintf("cannot add practice: %s", db_errmsg(db));
		return -1;
	}
	db_audit(db, NULL, "practice.add", p->code, NULL);
	return 0;
}

int
practice_update(struct db *db, const struct practice *p, char **cause)
{
	sqlite3_stmt *st;

	if (practice_check(p, cause) == -1)
		return -1;
	st = db_stmt(db, "UPDATE practices SET name=?, email_from=?,"
	                 " sms_from=?, phone=?, website=?, timezone=?"
	                 " WHERE code=?");
	db_bind_text(st, 1, p->name);
	db_bind_text(st, 2, p->email_from ? p->email_from : "");
	db_bind_text(st, 3, p->sms_from ? p->sms_from : "");
	db_bind_text(st, 4, p->phone ? p->phone : "");
	db_bind_text(st, 5, p->website ? p->website : "");
	db_bind_text(st, 6, p->timezone ? p->timezone : "Europe/London");
	db_bind_text(st, 7, p->code);
	if (db_done(db, st) == -1 || db_changes(db) != 1) {
		*cause = xasprintf("no practice %s", p->code);
		return -1;
	}
	return 0;
}

static char *
dup_col(sqlite3_stmt *st, int i)
{
	const char *s = db_col_text(st, i);

	return xstrdup(s ? s : "");
}

static struct practice *
practice_row(sqlite3_stmt *st)
{
	struct practice *p = xcalloc(1, sizeof *p);

	p->id = sqlite3_column_int64(st, 0);
	p->code = dup_col(st, 1);
	p->name = dup_col(st, 2);
	p->email_from = dup_col(st, 3);
	p->sms_from = dup_col(st, 4);
	p->phone = dup_col(st, 5);
	p->website = dup_col(st, 6);
	p->timezone = dup_col(st, 7);
	return p;
}

static void
practice_row_fn(sqlite3_stmt *st, void *arg)
{
	*(struct practice **)arg = practice_row(st);
}

struct practice *
practice_find(struct db *db, const char *code)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT " PRACTICE_COLS " FROM practices WHERE code=?");
	struct practice *p = NULL;

	db_bind_text(st, 1, code);
	db_row(db, st, practice_row_fn, &p);
	return p;
}

struct practice *
practice_get(struct db *db, int64_t id)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT " PRACTICE_COLS " FROM practices WHERE id=?");
	struct practice *p = NULL;

	db_bind_int(st, 1, id);
	db_row(db, st, practice_row_fn, &p);
	return p;
}

void
practice_free(struct practice *p)
{
	if (p == NULL)
		return;
	free(p->code);
	free(p->name);
	free(p->email_from);
	free(p->sms_from);
	free(p->phone);
	free(p->website);
	free(p->timezone);
	free(p);
}

json_t *
practice_to_json(const struct practice *p)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "code", p->code,
	                 "name", p->name, "email_from", p->email_from,
	                 "sms_from", p->sms_from, "phone", p->phone, "website",
	                 p->website, "timezone", p->timezone);
}

json_t *
practice_list_json(struct db *db)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT " PRACTICE_COLS ", (SELECT count(*) FROM members m"
	        " WHERE m.practice_id = practices.id AND m.erased_at IS NULL)"
	        " FROM practices ORDER BY code");
	json_t *arr = json_array(), *o;
	struct practice *p;

	while (sqlite3_step(st) == SQLITE_ROW) {
		p = practice_row(st);
		o = practice_to_json(p);
		json_object_set_new(o, "members",
		                    json_integer(sqlite3_column_int64(st, 8)));
		json_array_append_new(arr, o);
		practice_free(p);
	}
	sqlite3_reset(st);
	return arr;
}
