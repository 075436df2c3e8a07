/*
 * The evidence log. The framework criteria a practice is assessed on name
 * things ppgd cannot count (a newsletter issued, NAPP membership, a health
 * event); staff record them here, dated, with the document stored in the
 * database or a link to where it is published. Removal keeps the row (the
 * audit trail of a self-assessment must not change silently) but drops
 * the file.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "evidence.h"
#include "jsonx.h"
#include "practice.h"
#include "util.h"
#include "xmalloc.h"

#define MAX_TEXT 2000

static const struct {
	const char *kind;
	const char *label;
} kinds[] = {
    {"terms-of-reference", "Terms of reference agreed with the group"},
    {"ppg-lead", "Named PPG lead in the practice, with a contact email"},
    {"chair", "Chair or patient lead of the group"},
    {"gp-partner-attended", "GP partner or contract lead met the group"},
    {"minutes", "Minutes or notes of a meeting"},
    {"newsletter", "Newsletter or joint publication issued"},
    {"website", "Practice website updated with the group's information"},
    {"notice", "Notice board or poster in the practice"},
    {"social-media", "Social media post about the group"},
    {"health-event", "Health awareness session or event"},
    {"community-group", "Contact with a community group or local publication"},
    {"network-meeting", "Patient network, PCN or ICS meeting attended"},
    {"napp-membership", "Membership of the National Association for Patient "
                        "Participation"},
    {"social-prescribing", "Social prescribing promoted with the group"},
    {"volunteering", "Volunteering or support service run by members"},
    {"patient-led-project", "Patient-led project (recruitment panel, bid, "
                            "flu clinic recruitment)"},
    {"other", "Other evidence"},
};

int
evidence_kind_valid(const char *kind)
{
	size_t i;

	for (i = 0; kind != NULL && i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return 1;
	return 0;
}

const char *
evidence_kind_label(const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return kinds[i].label;
	return kind;
}

json_t *
evidence_kinds_json(void)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		o = json_object();
		jsonx_set(o, "kind", json_string(kinds[i].kind));
		jsonx_set(o, "label", json_string(kinds[i].label));
		jsonx_push(a, o);
	}
	return a;
}

static const char *
ext_of(const char *name)
{
	const char *dot = name != NULL ? strrchr(name, '.') : NULL;

	return dot != NULL ? dot + 1 : "";
}

/* Office documents are zip files: the extension says which. */
static const char *
sniff_zip(const char *ext)
{
	static const struct {
		const char *ext, *type;
	} z[] = {
	    {"docx", "application/vnd.openxmlformats-officedocument."
	             "wordprocessingml.document"},
	    {"xlsx", "application/vnd.openxmlformats-officedocument."
	             "spreadsheetml.sheet"},
	    {"pptx", "application/vnd.openxmlformats-officedocument."
	             "presentationml.presentation"},
	    {"odt", "application/vnd.oasis.opendocument.text"},
	    {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
	    {"odp", "application/vnd.oasis.opendocument.presentation"},
	};
	size_t i;

	for (i = 0; i < sizeof z / sizeof z[0]; i++)
		if (strcasecmp(ext, z[i].ext) == 0)
			return z[i].type;
	return NULL;
}

const char *
evidence_sniff(const char *name, const void *data, size_t len, char **cause)
{
	const unsigned char *d = data;
	const char *ext = ext_of(name), *t = NULL;

	if (len == 0)
		*cause = xstrdup("the file is empty");
	else if (len > EVIDENCE_MAX_FILE)
		*cause = xasprintf("the file is larger than %d MB",
		                   EVIDENCE_MAX_FILE / (1024 * 1024));
	else if (len >= 5 && memcmp(d, "%PDF-", 5) == 0)
		t = "application/pdf";
	else if (len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
		t = "image/png";
	else if (len >= 3 && memcmp(d, "\xff\xd8\xff", 3) == 0)
		t = "image/jpeg";
	else if (len >= 4 && memcmp(d, "PK\x03\x04", 4) == 0 &&
	         (t = sniff_zip(ext)) == NULL)
		*cause =
		    xasprintf("a zip file named .%s is not a document "
		              "ppgd keeps (docx, xlsx, pptx, odt, ods, odp)",
		              ext);
	else if (t == NULL && memchr(d, '\0', len) == NULL &&
	         util_utf8_valid((const char *)d, len) &&
	         (strcasecmp(ext, "txt") == 0 || strcasecmp(ext, "md") == 0 ||
	          strcasecmp(ext, "csv") == 0))
		t = "text/plain; charset=utf-8";
	if (t == NULL && *cause == NULL)
		*cause =
		    xstrdup("the file is not a PDF, PNG or JPEG image, "
		            "office document or plain text (.txt, .md, .csv)");
	return t;
}

static int
text_ok(const char *name, const char *v, size_t max, char **cause)
{
	if (v == NULL)
		return 0;
	if (v[strspn(v, " \t")] == '\0')
		*cause = xasprintf("%s is empty", name);
	else if (strlen(v) > max)
		*cause = xasprintf("%s is longer than %zu bytes", name, max);
	else if (util_has_crlf(v) || !util_utf8_valid(v, strlen(v)))
		*cause = xasprintf("%s must be one line of UTF-8 text", name);
	else
		return 0;
	return -1;
}

static int
link_ok(const char *link, char **cause)
{
	size_t i;

	if (link == NULL)
		return 0;
	if (strncmp(link, "https://", 8) != 0 &&
	    strncmp(link, "http://", 7) != 0) {
		*cause = xasprintf("link must start with https:// or http://");
		return -1;
	}
	for (i = 0; link[i] != '\0'; i++)
		if ((unsigned char)link[i] <= ' ' || link[i] == '"' ||
		    link[i] == '<' || link[i] == '>' || link[i] == 0x7f) {
			*cause = xstrdup("link must be a URL without spaces, "
			                 "quotes or angle brackets");
			return -1;
		}
	return text_ok("link", link, MAX_TEXT, cause);
}

static int
meeting_of(struct db *db, int64_t meeting, int64_t practice, char **cause)
{
	sqlite3_stmt *st;
	int rc;

	if (meeting == 0)
		return 0;
	st = db_stmt(db, "SELECT practice_id FROM meetings WHERE id = ?");
	db_bind_int(st, 1, meeting);
	rc = sqlite3_step(st) == SQLITE_ROW &&
	     sqlite3_column_int64(st, 0) == practice;
	sqlite3_reset(st);
	if (!rc)
		*cause = xasprintf("no meeting %lld at this practice",
		                   (long long)meeting);
	return rc ? 0 : -1;
}

static int
evidence_check(const struct evidence_new *e, const char **type, char **cause)
{
	int64_t t;

	*type = NULL;
	if (!evidence_kind_valid(e->kind)) {
		*cause =
		    xasprintf("unknown evidence kind %s (see ppgd evidence "
		              "kinds)",
		              e->kind != NULL ? e->kind : "(none)");
		return -1;
	}
	if (e->day == NULL || strlen(e->day) != 10 ||
	    util_parse_time(e->day, &t) == -1) {
		*cause = xasprintf("date %s is not YYYY-MM-DD",
		                   e->day != NULL ? e->day : "(none)");
		return -1;
	}
	if (text_ok("title", e->title, 200, cause) == -1 ||
	    text_ok("note", e->note, MAX_TEXT, cause) == -1 ||
	    link_ok(e->link, cause) == -1)
		return -1;
	if (e->data != NULL &&
	    (text_ok("file name", e->file_name, 255, cause) == -1 ||
	     (*type = evidence_sniff(e->file_name, e->data, e->len, cause)) ==
	         NULL))
		return -1;
	return 0;
}

int
evidence_add(struct db *db, const struct evidence_new *e, int64_t *id,
             char **cause)
{
	struct practice *p;
	sqlite3_stmt *st;
	const char *type;
	int rc;

	if (evidence_check(e, &type, cause) == -1)
		return -1;
	if ((p = practice_find(db, e->practice)) == NULL) {
		*cause =
		    xasprintf("no practice %s",
		              e->practice != NULL ? e->practice : "(none)");
		return -1;
	}
	if (meeting_of(db, e->meeting_id, p->id, cause) == -1) {
		practice_free(p);
		return -1;
	}
	st = db_stmt(
	    db, "INSERT INTO evidence (practice_id, kind, day, title, link,"
	        " note, meeting_id, file_name, content_type, file,"
	        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	db_bind_int(st, 1, p->id);
	db_bind_text(st, 2, e->kind);
	db_bind_text(st, 3, e->day);
	db_bind_text(
	    st, 4, e->title != NULL ? e->title : evidence_kind_label(e->kind));
	db_bind_text(st, 5, e->link);
	db_bind_text(st, 6, e->note);
	if (e->meeting_id != 0)
		db_bind_int(st, 7, e->meeting_id);
	else
		sqlite3_bind_null(st, 7);
	db_bind_text(st, 8, e->data != NULL ? e->file_name : NULL);
	db_bind_text(st, 9, type);
	if (e->data != NULL)
		sqlite3_bind_blob64(st, 10, e->data, e->len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 10);
	db_bind_int(st, 11, time(NULL));
	practice_free(p);
	rc = db_done(db, st);
	if (rc == -1) {
		*cause =
		    xasprintf("cannot add the evidence: %s", db_errmsg(db));
		return -1;
	}
	*id = db_last_id(db);
	db_audit(db, NULL, "evidence.add", "evidence", e->kind);
	return 0;
}

int
evidence_remove(struct db *db, int64_t id, char **cause)
{
	sqlite3_stmt *st = db_stmt(db, "UPDATE evidence SET removed_at = ?,"
	                               " file = NULL WHERE id = ? AND"
	                               " removed_at IS NULL");

	db_bind_int(st, 1, time(NULL));
	db_bind_int(st, 2, id);
	if (db_done(db, st) == -1 || db_changes(db) != 1) {
		*cause = xasprintf("no evidence %lld", (long long)id);
		return -1;
	}
	db_audit(db, NULL, "evidence.remove", "evidence", NULL);
	return 0;
}

static json_t *
evidence_row(sqlite3_stmt *st)
{
	json_t *o = json_object(), *f;
	const char *s;

	jsonx_set(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	jsonx_set(o, "practice", json_string(db_col_text(st, 1)));
	jsonx_set(o, "kind", json_string(db_col_text(st, 2)));
	jsonx_set(o, "label",
	          json_string(evidence_kind_label(db_col_text(st, 2))));
	jsonx_set(o, "date", json_string(db_col_text(st, 3)));
	jsonx_set(o, "title", json_string(db_col_text(st, 4)));
	s = db_col_text(st, 5);
	jsonx_set(o, "link", s != NULL ? json_string(s) : json_null());
	s = db_col_text(st, 6);
	jsonx_set(o, "note", s != NULL ? json_string(s) : json_null());
	jsonx_set(o, "meeting",
	          sqlite3_column_type(st, 7) == SQLITE_NULL
	              ? json_null()
	              : json_integer(sqlite3_column_int64(st, 7)));
	if ((s = db_col_text(st, 8)) != NULL) {
		f = json_object();
		jsonx_set(f, "name", json_string(s));
		jsonx_set(f, "type", json_string(db_col_text(st, 9)));
		jsonx_set(f, "bytes",
		          json_integer(sqlite3_column_int64(st, 10)));
		jsonx_set(o, "file", f);
	} else
		jsonx_set(o, "file", json_null());
	return o;
}

/* The columns evidence_row reads. */
#define EVIDENCE_ROW_SQL                                                       \
	"SELECT e.id, p.code, e.kind, e.day, e.title, e.link, e.note,"         \
	" e.meeting_id, e.file_name, e.content_type, length(e.file)"           \
	" FROM evidence e JOIN practices p ON p.id = e.practice_id"            \
	" WHERE e.removed_at IS NULL"

json_t *
evidence_get_json(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, EVIDENCE_ROW_SQL " AND e.id = ?1");
	json_t *o = NULL;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = evidence_row(st);
	sqlite3_reset(st);
	return o;
}

json_t *
evidence_list_json(struct db *db, const char *practice, const char *kind,
                   const char *from, const char *to)
{
	sqlite3_stmt *st =
	    db_stmt(db, EVIDENCE_ROW_SQL
	            " AND (?1 IS NULL OR p.code = ?1)"
	            " AND (?2 IS NULL OR e.kind = ?2) AND (?3 IS NULL OR"
	            " e.day >= ?3) AND (?4 IS NULL OR e.day <= ?4)"
	            " ORDER BY e.day DESC, e.id DESC");
	json_t *a = json_array();

	db_bind_text(st, 1, practice);
	db_bind_text(st, 2, kind);
	db_bind_text(st, 3, from);
	db_bind_text(st, 4, to);
	while (sqlite3_step(st) == SQLITE_ROW)
		jsonx_push(a, evidence_row(st));
	sqlite3_reset(st);
	return a;
}

int
evidence_file(struct db *db, int64_t id, void **data, size_t *len, char **name,
              char **cause)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT file_name, file FROM evidence"
	                               " WHERE id = ? AND removed_at IS NULL");
	int rc = -1;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		*cause = xasprintf("no evidence %lld", (long long)id);
	else if (sqlite3_column_type(st, 1) != SQLITE_BLOB)
		*cause = xasprintf("evidence %lld has no stored file",
		                   (long long)id);
	else {
		*len = (size_t)sqlite3_column_bytes(st, 1);
		*data = xmalloc(*len + 1);
		memcpy(*data, sqlite3_column_blob(st, 1), *len);
		*name = xstrdup(db_col_text(st, 0));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}
