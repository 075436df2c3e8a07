/* The confidentiality agreement members accept. */
#include <stdlib.h>
#include <string.h>

#include "agreement.h"
#include "crypto.h"
#include "log.h"
#include "outbox.h"
#include "template.h"
#include "util.h"
#include "xmalloc.h"

#define AGREEMENT_MAX (64 * 1024)
#define ASK_SLICE     200

void
agreement_clear(struct agreement *a)
{
	free(a->version);
	free(a->text);
	a->version = a->text = NULL;
}

int
agreement_load(const struct config *cfg, struct agreement *a, char **cause)
{
	const char *path = config_str(cfg, CFG_MEMBERSHIP_AGREEMENT);
	char *text, *nl, *v;
	size_t len;

	memset(a, 0, sizeof *a);
	if (*path == '\0')
		return 0;
	if (util_read_file(path, AGREEMENT_MAX, &text, &len, cause) == -1)
		return -1;
	nl = strchr(text, '\n');
	if (strncmp(text, "Version:", 8) != 0 || nl == NULL) {
		free(text);
		*cause =
		    xasprintf("%s: the first line must be 'Version: V'", path);
		return -1;
	}
	*nl = '\0';
	v = util_trim(text + 8);
	if (*v == '\0' || strlen(v) > 32) {
		free(text);
		*cause = xasprintf("%s: no version on the first line", path);
		return -1;
	}
	a->version = xstrdup(v);
	a->text = util_trim(xstrdup(nl + 1));
	free(text);
	return 1;
}

int
agreement_current(const struct config *cfg, const char *signed_version)
{
	struct agreement a;
	char *cause = NULL;
	int rc;

	if ((rc = agreement_load(cfg, &a, &cause)) <= 0) {
		free(cause);
		return 1;
	}
	rc = signed_version != NULL && strcmp(signed_version, a.version) == 0;
	agreement_clear(&a);
	return rc;
}

int
agreement_accept(struct db *db, int64_t member_id, const char *version,
                 const char *how, int64_t now)
{
	sqlite3_stmt *st =
	    db_stmt(db, "UPDATE members SET confidentiality_at=?2,"
	                " confidentiality_version=?3, updated_at=?2 WHERE id=?1"
	                " AND erased_at IS NULL");
	char obj[32];

	db_bind_int(st, 1, member_id);
	db_bind_int(st, 2, now);
	db_bind_text(st, 3, version);
	if (db_done(db, st) == -1 || db_changes(db) != 1)
		return -1;
	st = db_stmt(db, "UPDATE agreement_links SET used_at=coalesce(used_at,"
	                 " ?3) WHERE member_id=?1 AND version=?2");
	db_bind_int(st, 1, member_id);
	db_bind_text(st, 2, version);
	db_bind_int(st, 3, now);
	snprintf(obj, sizeof obj, "member:%lld", (long long)member_id);
	if (db_done(db, st) == -1)
		return -1;
	return db_audit(db, NULL, "confidentiality-accept", obj, how);
}

int
agreement_link_new(struct db *db, int64_t member_id, const char *version,
                   int64_t now, char token[23])
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO agreement_links (hash,"
	                               " member_id, version, created_at)"
	                               " VALUES (?1, ?2, ?3, ?4)");
	char hash[65];

	if (crypto_token_new(token) == -1)
		return -1;
	crypto_token_hash(token, hash);
	db_bind_text(st, 1, hash);
	db_bind_int(st, 2, member_id);
	db_bind_text(st, 3, version);
	db_bind_int(st, 4, now);
	return db_done(db, st);
}

int64_t
agreement_link_find(struct db *db, const char *token, char **version)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT l.member_id, l.version FROM agreement_links l"
	                " JOIN members m ON m.id = l.member_id"
	                " WHERE l.hash=?1 AND m.erased_at IS NULL");
	char hash[65];
	int64_t id = 0;

	crypto_token_hash(token, hash);
	db_bind_text(st, 1, hash);
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		*version = xstrdup(db_col_text(st, 1));
	}
	sqlite3_reset(st);
	return id;
}

/* Members who signed an older version and were not asked about this one. */
static int
to_ask(struct db *db, const char *version, int64_t ids[], int max)
{
	sqlite3_stmt *st =
	    db_stmt(db, "SELECT m.id FROM members m WHERE m.erased_at IS NULL"
	                " AND m.confidentiality_version IS NOT NULL"
	                " AND m.confidentiality_version != ?1"
	                " AND NOT EXISTS (SELECT 1 FROM agreement_links l"
	                " WHERE l.member_id = m.id AND l.version = ?1)"
	                " ORDER BY m.id LIMIT ?2");
	int n = 0;

	db_bind_text(st, 1, version);
	db_bind_int(st, 2, max);
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

/* The member's contact for the ask: channel and address; 0 if none. */
static int
ask_contact(struct db *db, int64_t id, struct tvars *v, char **ch, char **to,
            int64_t *practice)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT m.practice_id, m.first_name, p.name, p.phone,"
	        " CASE WHEN m.email IS NOT NULL AND m.consent_email_at IS NOT"
	        " NULL AND m.optout_email_at IS NULL THEN m.email END,"
	        " CASE WHEN m.mobile IS NOT NULL AND m.consent_sms_at IS NOT"
	        " NULL AND m.optout_sms_at IS NULL THEN m.mobile END"
	        " FROM members m JOIN practices p ON p.id = m.practice_id"
	        " WHERE m.id=?1");
	int found = 0;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (db_col_text(st, 4) != NULL || db_col_text(st, 5) != NULL)) {
		*practice = sqlite3_column_int64(st, 0);
		tvars_set(v, "member.first_name",
		          db_col_text(st, 1) != NULL ? db_col_text(st, 1)
		                                     : "member");
		tvars_set(v, "practice.name", db_col_text(st, 2));
		tvars_set(v, "practice.phone", db_col_text(st, 3));
		*ch = xstrdup(db_col_text(st, 4) != NULL ? "email" : "sms");
		*to = xstrdup(
		    db_col_text(st, db_col_text(st, 4) != NULL ? 4 : 5));
		found = 1;
	}
	sqlite3_reset(st);
	return found;
}

/* Record the ask (a link row) and queue the message with its link. */
static int
ask_one(struct db *db, const struct config *cfg, int64_t id,
        const char *version, int64_t now)
{
	struct tvars *v = tvars_new();
	struct template *t = NULL;
	struct rendered out = {0};
	char tok[23], *ch = NULL, *to = NULL, *link, *cause = NULL;
	int64_t practice = 0;
	int rc = -1;

	if (agreement_link_new(db, id, version, now, tok) == -1)
		goto done;
	if (!ask_contact(db, id, v, &ch, &to, &practice)) {
		rc = 0;
		goto done;
	}
	link =
	    xasprintf("%s/agreement/%s", config_str(cfg, CFG_PUBLIC_URL), tok);
	tvars_set(v, "agreement.link", link);
	free(link);
	if (template_load(config_str(cfg, CFG_TEMPLATES), "confidentiality",
	                  strcmp(ch, "sms") == 0 ? TMPL_SMS : TMPL_EMAIL, 0, &t,
	                  &cause) == 0 &&
	    template_render(t, v, &out, &cause) == 0 &&
	    outbox_queue(db, practice, id, ch, "transactional", to, out.subject,
	                 out.text, out.html) != -1)
		rc = 1;
	if (cause != NULL)
		log_warnx("event=template name=confidentiality error=\"%s\"",
		          cause);
done:
	free(cause);
	free(ch);
	free(to);
	rendered_clear(&out);
	template_free(t);
	tvars_free(v);
	return rc;
}

int
agreement_ask_again(struct db *db, const struct config *cfg, int64_t now)
{
	struct agreement a;
	int64_t ids[ASK_SLICE];
	char *cause = NULL;
	int i, n, rc = 0, asked = 0;

	if (agreement_load(cfg, &a, &cause) <= 0) {
		free(cause);
		return 0;
	}
	while (rc != -1 && (n = to_ask(db, a.version, ids, ASK_SLICE)) > 0) {
		if (db_begin(db) == -1) {
			rc = -1;
			break;
		}
		for (i = 0; i < n && rc != -1; i++)
			if ((rc = ask_one(db, cfg, ids[i], a.version, now)) ==
			    1)
				asked++;
		if (rc == -1 || db_commit(db) == -1) {
			db_rollback(db);
			rc = -1;
		}
	}
	agreement_clear(&a);
	return rc == -1 ? -1 : asked;
}
