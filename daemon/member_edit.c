/*
 * Adding and changing one member. The CLI (member add/update) and the API
 * (POST/PATCH /api/v1/members) both call member_edit_save, so a duplicate is
 * refused the same way and the audit row has one shape.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "consent.h"
#include "member_edit.h"
#include "xmalloc.h"

/*
 * Another live member of the practice with this value, or 0. A value the
 * member already had is not checked: a household number shared before
 * does not block an unrelated change.
 */
static int64_t
member_edit_other(struct db *db, const struct member *m, const char *sql,
                  const char *v)
{
	sqlite3_stmt *st;
	int64_t id = 0;

	if (v == NULL || *v == '\0')
		return 0;
	st = db_stmt(db, sql);
	db_bind_int(st, 1, m->practice_id);
	db_bind_text(st, 2, v);
	db_bind_int(st, 3, m->id);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return id;
}

#define OTHER_SQL(col)                                                         \
	"SELECT id FROM members WHERE practice_id=?1 AND " col "=?2"           \
	" AND id<>?3 AND erased_at IS NULL AND NOT EXISTS (SELECT 1 FROM"      \
	" members s WHERE s.id=?3 AND s.practice_id=?1 AND s." col "=?2)"      \
	" ORDER BY id LIMIT 1"

/* The field another member already has, or NULL; *other set. */
static const char *
member_edit_duplicate(struct db *db, const struct member *m, int shared,
                      int64_t *other)
{
	if ((*other = member_edit_other(db, m, OTHER_SQL("external_ref"),
	                                m->external_ref)) != 0)
		return "external_ref";
	if ((*other = member_edit_other(db, m, OTHER_SQL("email"), m->email)) !=
	    0)
		return "email";
	if (!shared && (*other = member_edit_other(db, m, OTHER_SQL("mobile"),
	                                           m->mobile)) != 0)
		return "mobile";
	return NULL;
}

/*
 * An opt-out set or cleared by an edit goes through the consent module (its
 * audit row, SMS sessions closed): the member is saved with the opt-outs it
 * had, then each change is applied. 0 or -1.
 */
static int
member_edit_consent(struct db *db, struct member *m, const int64_t had[2],
                    const int64_t want[2], const char *actor)
{
	static const int ch[2] = {CONSENT_EMAIL, CONSENT_SMS};
	int i, rv = 0;

	for (i = 0; i < 2 && rv != -1; i++) {
		if ((had[i] != 0) == (want[i] != 0))
			continue;
		rv = want[i] != 0 ? member_optout(db, m->id, ch[i], want[i],
		                                  actor, "edit")
		                  : member_optin(db, m->id, ch[i], time(NULL),
		                                 actor, "edit");
	}
	m->optout_email_at = want[0];
	m->optout_sms_at = want[1];
	return rv == -1 ? -1 : 0;
}

/* The opt-outs member id has now (0, 0 for a new member). */
static void
member_edit_had(struct db *db, int64_t id, int64_t had[2])
{
	struct member *before = id != 0 ? member_load(db, id) : NULL;

	had[0] = before != NULL ? before->optout_email_at : 0;
	had[1] = before != NULL ? before->optout_sms_at : 0;
	member_free(before);
}

enum member_edit_status
member_edit_save(struct db *db, struct member *m,
                 const struct member_edit_opts *o, int64_t *other, char **cause)
{
	const char *dup, *action = m->id == 0 ? "member.add" : "member.update";
	int64_t had[2], want[2] = {m->optout_email_at, m->optout_sms_at};
	char obj[32];

	*other = 0;
	member_defaults(m, o->term_months);
	if (o->postcode_outward)
		member_postcode_outward(m);
	if (member_validate(m, cause) == -1)
		return MEMBER_EDIT_INVALID;
	if ((dup = member_edit_duplicate(db, m, o->shared_number, other)) !=
	    NULL) {
		*cause = xasprintf(
		    "member %lld has this %s%s", (long long)*other, dup,
		    strcmp(dup, "mobile") == 0
		        ? " (a household number shared on purpose "
		          "needs --shared-number)"
		        : "");
		return MEMBER_EDIT_CONFLICT;
	}
	switch (db_try_begin(db)) {
	case 1:
		return MEMBER_EDIT_BUSY;
	case -1:
		goto fail;
	}
	member_edit_had(db, m->id, had);
	if (m->id != 0) {
		m->optout_email_at = had[0];
		m->optout_sms_at = had[1];
	}
	if (member_save(db, m, cause) == -1) {
		db_rollback(db);
		return MEMBER_EDIT_FAILED;
	}
	snprintf(obj, sizeof obj, "member:%lld", (long long)m->id);
	if (db_audit(db, o->actor, action, obj, NULL) == -1 ||
	    (had[0] != want[0] || had[1] != want[1]
	         ? member_edit_consent(db, m, had, want, o->actor) == -1
	         : 0) ||
	    db_commit(db) == -1)
		goto fail;
	return MEMBER_EDIT_OK;
fail:
	*cause = xasprintf("cannot save member: %s", db_errmsg(db));
	db_rollback(db);
	return MEMBER_EDIT_FAILED;
}
