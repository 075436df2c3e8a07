/* Moderated free-text comments: masking, listing, approval. */
#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "comments.h"
#include "jsonx.h"
#include "log.h"
#include "response.h"
#include "survey.h"
#include "textnorm.h"
#include "util.h"
#include "xmalloc.h"

#define MAX_THEME 40

/* ---- masking ------------------------------------------------------------ */

#define MONTHS                                                                 \
	"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\\.?"
/* Patterns of personal details; numbers are checked further in C. */
static const char *const patterns[] = {
    /* email */
    "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+",
    /* full dates: 3/12/1985, 3-12-85, 1985-12-03, 3rd December 1985,
     * December 3, 1985 */
    "[0-9]{1,2}[/.-][0-9]{1,2}[/.-]([0-9]{4}|[0-9]{2})",
    "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}",
    "[0-9]{1,2}(st|nd|rd|th)?( of)? " MONTHS ",? [0-9]{2,4}",
    MONTHS " [0-9]{1,2}(st|nd|rd|th)?,? [0-9]{4}",
    /* runs of digits with separators: phone or NHS numbers */
    "\\+?[0-9][0-9 ()-]{8,}[0-9]",
};
#define NPATTERNS  (sizeof patterns / sizeof patterns[0])
#define PAT_NUMBER (NPATTERNS - 1)

int
comments_nhs_valid(const char *s)
{
	int d[10], n = 0, sum = 0, i, check;

	for (; *s != '\0'; s++) {
		if (isdigit((unsigned char)*s)) {
			if (n == 10)
				return 0;
			d[n++] = *s - '0';
		} else if (*s != ' ' && *s != '-')
			return 0;
	}
	if (n != 10)
		return 0;
	for (i = 0; i < 9; i++)
		sum += d[i] * (10 - i);
	check = 11 - sum % 11;
	if (check == 11)
		check = 0;
	return check != 10 && check == d[9];
}

/* A phone number: UK, 0 then 9 or 10 digits, or +44 / 0044 then 9 or 10. */
static int
phone_like(const char *s, size_t len)
{
	char digits[32];
	size_t i, n = 0;

	for (i = 0; i < len && n < sizeof digits - 1; i++)
		if (isdigit((unsigned char)s[i]))
			digits[n++] = s[i];
	digits[n] = '\0';
	if (strncmp(digits, "0044", 4) == 0)
		return n == 13 || n == 14;
	if (strncmp(digits, "44", 2) == 0 && s[0] == '+')
		return n == 11 || n == 12;
	return digits[0] == '0' && (n == 10 || n == 11);
}

/* A number run to mask: a phone number or a valid NHS number. */
static int
number_personal(const char *s, size_t len)
{
	char *run = xstrndup(s, len);
	int personal = phone_like(s, len) || comments_nhs_valid(run);

	free(run);
	return personal;
}

static int
word_byte(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

/* Mark the matches of every pattern in mark[]. */
static void
mask_patterns(const char *text, char *mark)
{
	static regex_t re[NPATTERNS];
	static int compiled;
	regmatch_t m;
	size_t i, len = strlen(text), off;

	if (!compiled) {
		for (i = 0; i < NPATTERNS; i++)
			if (regcomp(&re[i], patterns[i],
			            REG_EXTENDED | REG_ICASE) != 0)
				fatalx("comments: bad pattern %zu", i);
		compiled = 1;
	}
	for (i = 0; i < NPATTERNS; i++) {
		off = 0;
		while (off < len && regexec(&re[i], text + off, 1, &m,
		                            off > 0 ? REG_NOTBOL : 0) == 0) {
			size_t a = off + (size_t)m.rm_so,
			       b = off + (size_t)m.rm_eo;
			int bounded =
			    (a == 0 || !word_byte(text[a - 1])) &&
			    (b == len || !word_byte(text[b]) || i == 0);

			if (b == a) {
				off = a + 1;
				continue;
			}
			if (bounded && (i != PAT_NUMBER ||
			                number_personal(text + a, b - a)))
				memset(mark + a, 1, b - a);
			off = b;
		}
	}
}

static const char *const titles[] = {"dr",     "doctor", "mr",       "mrs",
                                     "ms",     "miss",   "mx",       "nurse",
                                     "sister", "prof",   "professor"};

static int
is_title(const char *folded)
{
	size_t i, n = strlen(folded);

	if (n > 0 && folded[n - 1] == '.')
		n--;
	for (i = 0; i < sizeof titles / sizeof titles[0]; i++)
		if (strlen(titles[i]) == n &&
		    strncmp(titles[i], folded, n) == 0)
			return 1;
	return 0;
}

static int
is_name(const char *folded, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(folded, names[i]) == 0)
			return 1;
	return 0;
}

/* Mark known names, and the capitalised word after a title. */
static void
mask_names(const char *text, char *mark, const char *const *names, size_t n)
{
	size_t i = 0, j, len = strlen(text);
	int after_title = 0;
	char *w, *f;

	while (i < len) {
		if (!word_byte((unsigned char)text[i])) {
			if (text[i] != ' ' && text[i] != '.')
				after_title = 0;
			i++;
			continue;
		}
		for (j = i;
		     j < len &&
		     (word_byte((unsigned char)text[j]) ||
		      ((text[j] == '\'' || text[j] == '-') && j + 1 < len &&
		       word_byte((unsigned char)text[j + 1])));
		     j++)
			;
		w = xstrndup(text + i, j - i);
		f = textnorm_fold(w);
		if ((after_title && isupper((unsigned char)text[i])) ||
		    (strlen(f) >= 2 && is_name(f, names, n)))
			memset(mark + i, 1, j - i);
		after_title = is_title(f);
		free(w);
		free(f);
		i = j;
	}
}

char *
comments_mask(const char *text, const char *const *names, size_t n)
{
	size_t len = strlen(text), i, j, k;
	char *mark = xcalloc(len + 1, 1);
	char *out;
	size_t o = 0;

	mask_patterns(text, mark);
	mask_names(text, mark, names, n);
	/* "Ann Smith" is one "[removed]", not two. */
	for (i = 0; i < len; i++) {
		if (!mark[i] || i + 1 >= len || mark[i + 1])
			continue;
		for (j = i + 1; j < len && text[j] == ' '; j++)
			;
		if (j < len && j > i + 1 && mark[j])
			memset(mark + i + 1, 1, j - i - 1);
	}
	/* A masked byte may grow to the whole marker. */
	out = xmalloc(len * sizeof COMMENTS_REMOVED + 1);
	for (i = 0; i < len;) {
		if (!mark[i]) {
			out[o++] = text[i++];
			continue;
		}
		for (k = i; k < len && mark[k]; k++)
			;
		memcpy(out + o, COMMENTS_REMOVED, strlen(COMMENTS_REMOVED));
		o += strlen(COMMENTS_REMOVED);
		i = k;
	}
	out[o] = '\0';
	free(mark);
	return out;
}

/* ---- the known names of a practice -------------------------------------- */

struct names {
	char **v;
	size_t n;
};

static void
names_add_words(struct names *nm, const char *s)
{
	char *f, *p, *save = NULL, *tok;

	if (s == NULL)
		return;
	f = textnorm_fold(s);
	for (p = f; (tok = strtok_r(p, " \t,;/()", &save)) != NULL; p = NULL) {
		if (strlen(tok) < 2 || is_title(tok))
			continue;
		nm->v = xreallocarray(nm->v, nm->n + 1, sizeof *nm->v);
		nm->v[nm->n++] = xstrdup(tok);
	}
	free(f);
}

/* Members' first and last names and the owners of actions (staff). */
static void
names_load(struct db *db, int64_t practice_id, struct names *nm)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT first_name, last_name FROM members WHERE"
	        " practice_id = ?1 UNION SELECT owner, NULL FROM actions"
	        " WHERE practice_id = ?1 AND owner IS NOT NULL");

	db_bind_int(st, 1, practice_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		names_add_words(nm, db_col_text(st, 0));
		names_add_words(nm, db_col_text(st, 1));
	}
	sqlite3_reset(st);
}

static void
names_free(struct names *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->v[i]);
	free(nm->v);
	nm->v = NULL;
	nm->n = 0;
}

/* ---- the store ---------------------------------------------------------- */

struct newc {
	int64_t rid, pid;
	char *question, *text;
};

/* Append the answers to question key of survey sid without a comment. */
static void
unseen_question(struct db *db, int64_t sid, const char *key, struct newc **out,
                size_t *n)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT a.response_id, r.practice_id, a.value"
	        " FROM answers a JOIN responses r ON r.id = a.response_id"
	        " WHERE r.survey_id = ?1 AND a.question = ?2 AND a.value <> ''"
	        " AND NOT EXISTS (SELECT 1 FROM comments c WHERE"
	        " c.response_id = a.response_id AND c.question = a.question)");

	db_bind_int(st, 1, sid);
	db_bind_text(st, 2, key);
	while (sqlite3_step(st) == SQLITE_ROW) {
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		(*out)[*n].rid = sqlite3_column_int64(st, 0);
		(*out)[*n].pid = sqlite3_column_int64(st, 1);
		(*out)[*n].question = xstrdup(key);
		(*out)[*n].text = xstrdup(db_col_text(st, 2));
		(*n)++;
	}
	sqlite3_reset(st);
}

static int
newc_cmp(const void *a, const void *b)
{
	const struct newc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The answers to text questions (by each survey's definition) without a
 * comment row, grouped by practice. */
static size_t
unseen(struct db *db, struct newc **out)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT DISTINCT survey_id FROM responses");
	int64_t *ids = NULL;
	size_t nids = 0, n = 0, i, q;
	struct survey *s;

	*out = NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		ids = xreallocarray(ids, nids + 1, sizeof *ids);
		ids[nids++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	for (i = 0; i < nids; i++) {
		if ((s = response_survey(db, ids[i])) == NULL)
			continue;
		for (q = 0; q < s->nquestions; q++)
			if (s->questions[q].type == Q_TEXT)
				unseen_question(db, ids[i], s->questions[q].key,
				                out, &n);
		survey_free(s);
	}
	free(ids);
	if (n > 1)
		qsort(*out, n, sizeof **out, newc_cmp);
	return n;
}

/*
 * Inside db_begin; commits in slices (db_slice) so a long backlog does not
 * hold the write lock against the webhooks. A slice is safe to keep: every
 * insert is OR IGNORE, and the next sync adds what an error left out.
 */
static int
insert_all(struct db *db, struct newc *c, size_t n, int64_t now)
{
	double started = util_monotonic();
	struct names nm = {0};
	int64_t pid = 0;
	sqlite3_stmt *st;
	char *masked;
	size_t i;
	int rv = 0;

	for (i = 0; i < n && rv == 0; i++) {
		if (i == 0 || c[i].pid != pid) {
			names_free(&nm);
			names_load(db, pid = c[i].pid, &nm);
		}
		masked =
		    comments_mask(c[i].text, (const char *const *)nm.v, nm.n);
		st = db_stmt(db, "INSERT OR IGNORE INTO comments (response_id,"
		                 " question, text, updated_at)"
		                 " VALUES (?, ?, ?, ?)");
		db_bind_int(st, 1, c[i].rid);
		db_bind_text(st, 2, c[i].question);
		db_bind_text(st, 3, masked);
		db_bind_int(st, 4, now);
		rv = db_done(db, st);
		free(masked);
		if (rv == 0 && db_slice(db, &started) == -1)
			rv = -1;
	}
	names_free(&nm);
	return rv;
}

int
comments_sync(struct db *db, int64_t now)
{
	struct newc *c;
	size_t n = unseen(db, &c), i;
	int rv = 0;

	if (n > 0) {
		if (db_begin(db) == -1)
			rv = -1;
		else if (insert_all(db, c, n, now) == -1 ||
		         db_commit(db) == -1) {
			db_rollback(db);
			rv = -1;
		}
	}
	for (i = 0; i < n; i++) {
		free(c[i].question);
		free(c[i].text);
	}
	free(c);
	if (rv == -1)
		log_warnx("comments: sync: %s", db_errmsg(db));
	return rv == -1 ? -1 : (int)n;
}

#define COMMENT_COLS                                                           \
	"SELECT c.id, c.question, c.status, c.text, c.theme, r.started_at,"    \
	" c.redacted, s.slug, cp.name, r.practice_id FROM comments c"          \
	" JOIN responses r ON"                                                 \
	" r.id = c.response_id JOIN surveys s ON s.id = r.survey_id"           \
	" LEFT JOIN campaigns cp ON cp.id = r.campaign_id"

static json_t *
comment_row(sqlite3_stmt *st)
{
	json_t *o = json_object();
	const char *theme = db_col_text(st, 4), *camp = db_col_text(st, 8);
	char day[11];

	jsonx_set(o, "id", json_integer(sqlite3_column_int64(st, 0)));
	jsonx_set(o, "survey", json_string(db_col_text(st, 7)));
	jsonx_set(o, "campaign", camp ? json_string(camp) : json_null());
	jsonx_set(o, "question", json_string(db_col_text(st, 1)));
	jsonx_set(o, "status", json_string(db_col_text(st, 2)));
	jsonx_set(o, "text", json_string(db_col_text(st, 3)));
	jsonx_set(o, "redacted", json_boolean(sqlite3_column_int(st, 6)));
	jsonx_set(o, "theme", theme ? json_string(theme) : json_null());
	jsonx_set(o, "practice_id", json_integer(sqlite3_column_int64(st, 9)));
	jsonx_set(
	    o, "date",
	    json_string(util_format_date(sqlite3_column_int64(st, 5), day)));
	return o;
}

json_t *
comments_list_json(struct db *db, const char *target, int pending, char **cause)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT (SELECT count(*) FROM surveys WHERE slug = ?1) +"
	        " (SELECT count(*) FROM campaigns WHERE name = ?1)");
	json_t *arr;

	db_bind_text(st, 1, target);
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) == 0) {
		sqlite3_reset(st);
		*cause = xasprintf("no survey or campaign %s", target);
		return NULL;
	}
	sqlite3_reset(st);
	st = db_stmt(db, COMMENT_COLS " WHERE (s.slug = ?1 OR cp.name = ?1)"
	                              " AND (?2 = 0 OR c.status = 'pending')"
	                              " ORDER BY c.id");
	db_bind_text(st, 1, target);
	db_bind_int(st, 2, pending);
	arr = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		jsonx_push(arr, comment_row(st));
	sqlite3_reset(st);
	return arr;
}

json_t *
comments_get_json(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, COMMENT_COLS " WHERE c.id = ?");
	json_t *o = NULL;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		o = comment_row(st);
	sqlite3_reset(st);
	return o;
}

/* Run an UPDATE of comment ?1 that binds ?2 (text) and ?3 (now). */
static int
comment_update(struct db *db, const char *sql, int64_t id, const char *v,
               int64_t now, const char *audit, char **cause)
{
	sqlite3_stmt *st = db_stmt(db, sql);

	db_bind_int(st, 1, id);
	db_bind_text(st, 2, v);
	db_bind_int(st, 3, now);
	if (db_done(db, st) == -1) {
		*cause = xasprintf("cannot update comment %lld: %s",
		                   (long long)id, db_errmsg(db));
		return -1;
	}
	if (db_changes(db) != 1) {
		*cause = xasprintf("no comment %lld", (long long)id);
		return -1;
	}
	db_audit(db, NULL, audit, "comment", NULL);
	return 0;
}

int
comments_set_status(struct db *db, int64_t id, const char *status, int64_t now,
                    char **cause)
{
	if (strcmp(status, "approved") != 0 && strcmp(status, "hidden") != 0 &&
	    strcmp(status, "pending") != 0) {
		*cause = xasprintf("bad comment status %s (approved, hidden or "
		                   "pending)",
		                   status);
		return -1;
	}
	return comment_update(db,
	                      "UPDATE comments SET status = ?2, updated_at = ?3"
	                      " WHERE id = ?1",
	                      id, status, now, "comment.status", cause);
}

int
comments_redact(struct db *db, int64_t id, const char *text, int64_t now,
                char **cause)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT r.practice_id FROM comments c JOIN responses r ON"
	        " r.id = c.response_id WHERE c.id = ?");
	struct names nm = {0};
	char *masked;
	int rv;

	if (text == NULL || *text == '\0' || strlen(text) > 2000) {
		*cause = xstrdup("the redacted text must be 1 to 2000 bytes");
		return -1;
	}
	db_bind_int(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		*cause = xasprintf("no comment %lld", (long long)id);
		return -1;
	}
	names_load(db, sqlite3_column_int64(st, 0), &nm);
	sqlite3_reset(st);
	masked = comments_mask(text, (const char *const *)nm.v, nm.n);
	names_free(&nm);
	rv = comment_update(db,
	                    "UPDATE comments SET text = ?2, redacted = 1,"
	                    " updated_at = ?3 WHERE id = ?1",
	                    id, masked, now, "comment.redact", cause);
	free(masked);
	return rv;
}

int
comments_tag(struct db *db, int64_t id, const char *theme, int64_t now,
             char **cause)
{
	char *t = theme != NULL ? textnorm_words(theme) : NULL;
	int rv;

	if (t != NULL && strlen(t) > MAX_THEME) {
		*cause =
		    xasprintf("a theme is at most %d characters", MAX_THEME);
		free(t);
		return -1;
	}
	rv = comment_update(db,
	                    "UPDATE comments SET theme = nullif(?2, ''),"
	                    " updated_at = ?3 WHERE id = ?1",
	                    id, t, now, "comment.theme", cause);
	free(t);
	return rv;
}
