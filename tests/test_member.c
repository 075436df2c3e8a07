/* The member register: fields, matching, import/export, erasure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db.h"
#include "member.h"
#include "member_edit.h"
#include "member_io.h"
#include "practice.h"

static struct db *
setup_db(void)
{
	struct db *db;
	char *cause = NULL;
	struct practice p = {.code = "A81001", .name = "Riverside"};

	assert_int_equal(db_open(":memory:", &db, &cause), 0);
	assert_int_equal(db_migrate(db, 0, &cause), 0);
	assert_int_equal(practice_add(db, &p, &cause), 0);
	return db;
}

static void
test_set_and_normalise(void **state)
{
	struct member *m = member_new(1, "A81001");
	char *cause = NULL, *v;

	assert_int_equal(member_set(m, "mobile", "+44 (0)7700 900123", &cause),
	                 0);
	assert_string_equal(m->mobile, "+447700900123");
	assert_int_equal(member_set(m, "email", " Ann@Example.ORG ", &cause),
	                 0);
	assert_string_equal(m->email, "ann@example.org");
	assert_int_equal(member_set(m, "sex", "F", &cause), 0);
	assert_string_equal(m->sex, "female");
	assert_int_equal(member_set(m, "sex", "Man", &cause), 0);
	assert_string_equal(m->sex, "male");
	assert_int_equal(member_set(m, "age_band", "85 and over", &cause), 0);
	assert_string_equal(m->age_band, "85+");
	assert_int_equal(member_set(m, "sex", "Prefer not to say", &cause), 0);
	assert_string_equal(m->sex, "prefer-not-to-say");
	assert_int_equal(
	    member_set(m, "tags", "Young Parent; carer;carer", &cause), 0);
	assert_string_equal(m->tags, "carer,young-parent");
	assert_int_equal(member_set(m, "joined", "2025-04-01", &cause), 0);
	v = member_get_text(m, "joined");
	assert_string_equal(v, "2025-04-01T00:00:00Z");
	free(v);
	assert_int_equal(member_set(m, "carer", "yes", &cause), 0);
	assert_int_equal(m->carer, 1);
	member_free(m);
}

static void
test_set_errors(void **state)
{
	struct member *m = member_new(1, "A81001");
	char *cause = NULL;

	assert_int_equal(member_set(m, "mobile", "07700 9001", &cause), -1);
	assert_non_null(strstr(cause, "mobile: '07700 9001'"));
	free(cause);
	assert_int_equal(member_set(m, "email", "not-an-email", &cause), -1);
	free(cause);
	assert_int_equal(member_set(m, "age_band", "12-15", &cause), -1);
	assert_non_null(strstr(cause, "16-24"));
	free(cause);
	assert_int_equal(member_set(m, "first_name", "Ann\r\nBcc: x", &cause),
	                 -1);
	free(cause);
	assert_int_equal(member_set(m, "joined", "2025-02-30", &cause), -1);
	free(cause);
	assert_int_equal(member_set(m, "nope", "x", &cause), -1);
	free(cause);
	/* No contact at all is not a member. */
	assert_int_equal(member_validate(m, &cause), -1);
	free(cause);
	member_free(m);
}

static void
test_save_load_match(void **state)
{
	struct db *db = setup_db();
	struct member *m = member_new(1, "A81001"), *l;
	char *cause = NULL;

	member_set(m, "external_ref", "EMIS-1", &cause);
	member_set(m, "email", "ann@example.org", &cause);
	member_set(m, "mobile", "07700900123", &cause);
	member_set(m, "tags", "carer", &cause);
	member_defaults(m, 36);
	assert_int_equal(member_save(db, m, &cause), 0);
	assert_true(m->id > 0);
	assert_true(m->term_ends_at > m->joined_at + 3 * 360 * 86400LL);
	l = member_load(db, m->id);
	assert_non_null(l);
	{
		json_t *jl = member_to_json(l), *jm = member_to_json(m);
		assert_true(json_equal(jl, jm));
		json_decref(jl);
		json_decref(jm);
	}
	assert_string_equal(l->tags, "carer");
	assert_int_equal(member_match(db, 1, "EMIS-1", NULL, NULL), m->id);
	assert_int_equal(member_match(db, 1, NULL, "ann@example.org", NULL),
	                 m->id);
	assert_int_equal(member_match(db, 1, NULL, NULL, "+447700900123"),
	                 m->id);
	/* A different external reference is a different person. */
	assert_int_equal(member_match(db, 1, "EMIS-2", "ann@example.org", NULL),
	                 0);
	assert_int_equal(member_by_mobile(db, "+447700900123"), m->id);
	member_free(l);
	member_free(m);
	db_close(db);
}

static void
test_erase(void **state)
{
	struct db *db = setup_db();
	struct member *m = member_new(1, "A81001"), *l;
	char *cause = NULL;
	sqlite3_stmt *st;

	member_set(m, "first_name", "Ann", &cause);
	member_set(m, "email", "ann@example.org", &cause);
	member_set(m, "age_band", "25-34", &cause);
	member_set(m, "birth_month", "1990-05-06", &cause);
	member_set(m, "postcode", "LS1 4AP", &cause);
	member_set(m, "extra.school", "Hillcrest", &cause);
	assert_int_equal(member_save(db, m, &cause), 0);
	assert_int_equal(
	    db_exec(
	        db,
	        "INSERT INTO surveys (slug, version, title, anonymous,"
	        " definition, hash, loaded_at) VALUES ('s',1,'S',0,'{}',"
	        "'h',1);"
	        "INSERT INTO responses (survey_id, practice_id, member_id,"
	        " channel, started_at, completed_at) VALUES (1,1,1,'web',1,1);"
	        "INSERT INTO answers (response_id, question, value)"
	        " VALUES (1, 'q', 'Good')",
	        &cause),
	    0);
	assert_int_equal(member_erase(db, m->id, "test", &cause), 0);
	l = member_load(db, m->id);
	assert_null(l->first_name);
	assert_null(l->email);
	assert_null(l->age_band);
	assert_int_equal(l->birth_ym, 0);
	assert_null(l->postcode);
	assert_int_equal(json_object_size(l->extra), 0);
	assert_true(l->erased_at > 0);
	/* The answer stays, without the member. */
	st = db_stmt(db, "SELECT r.member_id, a.value FROM responses r JOIN"
	                 " answers a ON a.response_id = r.id");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(st, 0), SQLITE_NULL);
	assert_string_equal(db_col_text(st, 1), "Good");
	sqlite3_reset(st);
	/* The audit row names the member id only. */
	st = db_stmt(db, "SELECT object, detail FROM audit WHERE"
	                 " action='member.erase'");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(db_col_text(st, 0), "member:1");
	assert_null(db_col_text(st, 1));
	sqlite3_reset(st);
	assert_int_equal(member_erase(db, m->id, "test", &cause), -1);
	free(cause);
	member_free(l);
	member_free(m);
	db_close(db);
}

static FILE *
csv_file(const char *text)
{
	FILE *fp = tmpfile();

	fputs(text, fp);
	rewind(fp);
	return fp;
}

static const char *import_csv =
    "\xef\xbb\xbfRef,First Name,Surname,Phone,E-mail,Age,Gender\r\n"
    "R1,Ann,\"O'Brien, Jr\",07700 900001,ann@example.org,25-34,F\r\n"
    "R2,Bob,Smith,0044 7700900002,,35-44,m\r\n"
    "R3,Cat,Jones,12345,cat@example.org,45-54,female\r\n"
    "R4,Dan,\"Multi\nLine\",+44 (0)7700 900004,,99-100,male\r\n"
    "R5,Eve,Ng,,eve@example.org,16-24,female\r\n"
    "R6,Fay,Ali,07700 900006,,about 40,robot\r\n";

static void
test_import_keep_good(void **state)
{
	struct db *db = setup_db();
	struct import_report r;
	char *cause = NULL;
	FILE *fp = csv_file(import_csv);
	json_t *e;

	assert_int_equal(member_import(db, fp, "t.csv", "A81001",
	                               IMPORT_KEEP_GOOD, 36, 0, &r, &cause),
	                 0);
	assert_int_equal(r.rows, 6);
	assert_int_equal(r.added, 4);
	assert_int_equal(r.bad, 2);
	assert_true(r.written);
	/* Bad rows carry their physical line numbers. */
	e = json_array_get(r.errors, 0);
	assert_int_equal(json_integer_value(json_object_get(e, "line")), 4);
	assert_non_null(
	    strstr(json_string_value(json_object_get(e, "error")), "mobile"));
	e = json_array_get(r.errors, 1);
	assert_int_equal(json_integer_value(json_object_get(e, "line")), 5);
	/* Unreadable demographics keep the member, with a warning each. */
	assert_int_equal(r.warned, 2);
	e = json_array_get(r.warnings, 0);
	assert_int_equal(json_integer_value(json_object_get(e, "line")), 8);
	assert_non_null(strstr(json_string_value(json_object_get(e, "warning")),
	                       "age_band: 'about 40'"));
	e = json_array_get(r.warnings, 1);
	assert_non_null(strstr(json_string_value(json_object_get(e, "warning")),
	                       "sex: 'robot'"));
	import_report_clear(&r);
	/* The same file again changes nothing. */
	rewind(fp);
	assert_int_equal(member_import(db, fp, "t.csv", "A81001",
	                               IMPORT_KEEP_GOOD, 36, 0, &r, &cause),
	                 0);
	assert_int_equal(r.added, 0);
	assert_int_equal(r.updated, 0);
	assert_int_equal(r.unchanged, 4);
	import_report_clear(&r);
	fclose(fp);
	db_close(db);
}

static int
count_members(struct db *db)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM members");
	int n;

	sqlite3_step(st);
	n = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return n;
}

static void
test_import_strict_and_dry_run(void **state)
{
	struct db *db = setup_db();
	struct import_report r;
	char *cause = NULL;
	FILE *fp = csv_file(import_csv);

	assert_int_equal(member_import(db, fp, "t.csv", "A81001", IMPORT_STRICT,
	                               36, 0, &r, &cause),
	                 0);
	assert_int_equal(r.bad, 2);
	assert_false(r.written);
	assert_int_equal(count_members(db), 0);
	import_report_clear(&r);
	rewind(fp);
	assert_int_equal(member_import(db, fp, "t.csv", "A81001",
	                               IMPORT_DRY_RUN, 36, 0, &r, &cause),
	                 0);
	assert_int_equal(r.added, 4);
	assert_false(r.written);
	assert_int_equal(count_members(db), 0);
	import_report_clear(&r);
	fclose(fp);
	db_close(db);
}

static int64_t
add_member(struct db *db, const char *first, const char *last,
           const char *email, const char *mobile)
{
	struct member *m = member_new(1, "A81001");
	char *cause = NULL;
	int64_t id;

	member_set(m, "first_name", first, &cause);
	member_set(m, "last_name", last, &cause);
	member_set(m, "email", email, &cause);
	member_set(m, "mobile", mobile, &cause);
	member_set(m, "consent_sms", "2025-01-01", &cause);
	member_defaults(m, 36);
	assert_int_equal(member_save(db, m, &cause), 0);
	id = m->id;
	member_free(m);
	return id;
}

/*
 * Issue 10 fault 6: a household mobile shared by Margaret (registered) and
 * David (in the file) must not turn Margaret into David.
 */
static void
test_import_shared_mobile_conflict(void **state)
{
	struct db *db = setup_db();
	struct import_report r;
	char *cause = NULL;
	struct member *l;
	int64_t id = add_member(db, "Margaret", "Hill", "margaret@example.org",
	                        "07700 900111");
	FILE *fp = csv_file("first_name,last_name,email,mobile,consent_sms\n"
	                    "David,Hill,david@example.org,07700900111,no\n"
	                    "David,Hill,,07700900111,no\n"
	                    "Margaret,Hill,margaret@example.org,07700900111,"
	                    "2025-01-01\n");
	json_t *e;

	assert_int_equal(member_import(db, fp, "t.csv", "A81001",
	                               IMPORT_KEEP_GOOD, 36, 0, &r, &cause),
	                 0);
	assert_int_equal(r.rows, 3);
	assert_int_equal(r.bad, 2);
	assert_int_equal(r.updated, 0);
	assert_int_equal(r.unchanged, 1);
	e = json_array_get(r.errors, 0);
	assert_int_equal(json_integer_value(json_object_get(e, "line")), 2);
	assert_non_null(strstr(json_string_value(json_object_get(e, "error")),
	                       "conflicts with member 1"));
	e = json_array_get(r.errors, 1);
	assert_int_equal(json_integer_value(json_object_get(e, "line")), 3);
	import_report_clear(&r);
	l = member_load(db, id);
	assert_string_equal(l->first_name, "Margaret");
	assert_string_equal(l->email, "margaret@example.org");
	assert_true(l->consent_sms_at > 0);
	assert_int_equal(count_members(db), 1);
	member_free(l);
	fclose(fp);
	db_close(db);
}

/* An opt-out the file sets on a member we had goes through the consent
 * module: the column once, and the member's audit row. */
static void
test_import_optout_consent(void **state)
{
	struct db *db = setup_db();
	struct import_report r;
	char *cause = NULL;
	struct member *l;
	sqlite3_stmt *st;
	int64_t id = add_member(db, "Margaret", "Hill", "margaret@example.org",
	                        "07700 900111");
	FILE *fp = csv_file("email,optout_sms\n"
	                    "margaret@example.org,2026-01-05\n");

	assert_int_equal(member_import(db, fp, "t.csv", "A81001",
	                               IMPORT_KEEP_GOOD, 36, 0, &r, &cause),
	                 0);
	assert_int_equal(r.updated, 1);
	import_report_clear(&r);
	fclose(fp);
	l = member_load(db, id);
	assert_true(l->optout_sms_at > 0);
	member_free(l);
	st = db_stmt(db, "SELECT count(*) FROM audit WHERE action ="
	                 " 'optout-sms' AND object = 'member:1' AND detail"
	                 " = 'import'");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	sqlite3_reset(st);
	db_close(db);
}

/* The use case both faces call: a duplicate is refused unless the number
 * is deliberately shared; one audit row per save, on member:ID. */
static void
test_member_edit_duplicate(void **state)
{
	struct db *db = setup_db();
	struct member_edit_opts o = {.actor = "test", .term_months = 36};
	struct member *m;
	char *cause = NULL;
	int64_t other = 0;
	sqlite3_stmt *st;

	add_member(db, "Margaret", "Hill", "margaret@example.org",
	           "07700900111");
	m = member_new(1, "A81001");
	member_set(m, "first_name", "David", &cause);
	member_set(m, "mobile", "07700900111", &cause);
	assert_int_equal(member_edit_save(db, m, &o, &other, &cause),
	                 MEMBER_EDIT_CONFLICT);
	assert_int_equal(other, 1);
	assert_non_null(strstr(cause, "mobile"));
	free(cause);
	cause = NULL;
	assert_int_equal(count_members(db), 1);
	o.shared_number = 1;
	assert_int_equal(member_edit_save(db, m, &o, &other, &cause),
	                 MEMBER_EDIT_OK);
	assert_int_equal(m->id, 2);
	/* A shared number does not share an email. */
	member_set(m, "email", "MARGARET@example.org", &cause);
	assert_int_equal(member_edit_save(db, m, &o, &other, &cause),
	                 MEMBER_EDIT_CONFLICT);
	free(cause);
	cause = NULL;
	member_set(m, "email", "", &cause);
	member_set(m, "last_name", "Hill", &cause);
	assert_int_equal(member_edit_save(db, m, &o, &other, &cause),
	                 MEMBER_EDIT_OK);
	st = db_stmt(db, "SELECT group_concat(action || ' ' || object, ';')"
	                 " FROM audit WHERE action LIKE 'member.%'");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(db_col_text(st, 0),
	                    "member.add member:2;member.update member:2");
	sqlite3_reset(st);
	/* An invalid record is refused before anything is written. */
	member_set(m, "mobile", "", &cause);
	assert_int_equal(member_edit_save(db, m, &o, &other, &cause),
	                 MEMBER_EDIT_INVALID);
	free(cause);
	member_free(m);
	db_close(db);
}

/* Consent for the whole list without how it was collected is refused
 * before anything is read (a NULL how used to crash the import). */
static void
test_import_consent_needs_how(void **state)
{
	struct db *db = setup_db();
	struct import_opts o = {.mode = IMPORT_DRY_RUN, .consent_email = 1};
	struct import_report r;
	char *cause = NULL;
	FILE *fp = csv_file("email\nann@example.org\n");

	assert_int_equal(
	    member_import_opts(db, fp, "r.csv", "A81001", &o, &r, &cause), -1);
	assert_string_equal(cause, "consent for the whole list needs how it "
	                           "was collected");
	free(cause);
	import_report_clear(&r);
	o.consent_how = "";
	rewind(fp);
	assert_int_equal(
	    member_import_opts(db, fp, "r.csv", "A81001", &o, &r, &cause), -1);
	free(cause);
	import_report_clear(&r);
	fclose(fp);
	db_close(db);
}

/* A GP-system report: title lines, spaced headers, a landline column next
 * to the mobile, custom fields, consent for the whole list. */
static void
test_import_gp_report(void **state)
{
	struct db *db = setup_db();
	struct import_opts o = {.mode = IMPORT_KEEP_GOOD,
	                        .term_months = 36,
	                        .consent_sms = 1,
	                        .consent_how = "signed-up list",
	                        .postcode_outward = 1};
	struct import_report r;
	char *cause = NULL;
	struct member *l;
	FILE *fp = csv_file(
	    "Practice list report\n"
	    "\n"
	    ",,,\n"
	    "\"Patient ID\",\"Forename\",\"Telephone\",\"Mobile Telephone\","
	    "\"E-Mail Address\",\"Date of Birth\",\"Ethnicity\",\"Post Code\","
	    "\"extra.School\",\"Usual GP\"\n"
	    "E1,Ann,0113 496 0123,07700 900001,,14/03/1950,White - British,"
	    "LS1 4AP,Hillcrest,Dr No\n"
	    "E2,Bob,,0113 496 0999,bob@example.org,1960-01-01,A,LS2 9JT,,"
	    "Dr No\n");

	assert_int_equal(
	    member_import_opts(db, fp, "r.csv", "A81001", &o, &r, &cause), 0);
	/* The less specific "Telephone" yields to "Mobile Telephone". */
	assert_string_equal(r.warning, "columns ignored: Telephone, Usual GP");
	assert_int_equal(r.rows, 2);
	assert_int_equal(r.added, 1);
	assert_int_equal(r.bad, 1);
	assert_non_null(strstr(json_string_value(json_object_get(
	                           json_array_get(r.errors, 0), "error")),
	                       "is a landline"));
	assert_int_equal(r.no_consent, 0);
	import_report_clear(&r);
	l = member_load(db, 1);
	assert_string_equal(l->mobile, "+447700900001");
	assert_string_equal(l->consent_sms_how, "signed-up list");
	assert_true(l->consent_sms_at > 0);
	assert_int_equal(l->birth_ym, 1950 * 12 + 2);
	assert_string_equal(l->ethnicity, "white");
	assert_string_equal(l->ethnicity_detail, "White: British");
	assert_string_equal(l->postcode, "LS1");
	assert_string_equal(
	    json_string_value(json_object_get(l->extra, "school")),
	    "Hillcrest");
	member_free(l);
	fclose(fp);

	/* No known column in the first lines: stop at once, naming them. */
	fp = csv_file("Report\nName,Shoe size\nAnn,5\n");
	assert_int_equal(
	    member_import_opts(db, fp, "r.csv", "A81001", &o, &r, &cause), -1);
	assert_int_equal(r.line, 1);
	assert_non_null(strstr(cause, "no known column in the header "
	                              "(found: Report, Name, Shoe size"));
	free(cause);
	import_report_clear(&r);
	fclose(fp);
	db_close(db);
}

/* Export then import into a fresh database round-trips exactly. */
static void
test_export_round_trip(void **state)
{
	struct db *a = setup_db(), *b = setup_db();
	struct import_report r;
	char *cause = NULL;
	FILE *fp = csv_file(import_csv), *out = tmpfile(), *out2 = tmpfile();
	char buf1[8192], buf2[8192];
	size_t n1, n2;

	assert_int_equal(member_import(a, fp, "t.csv", "A81001",
	                               IMPORT_KEEP_GOOD, 36, 0, &r, &cause),
	                 0);
	import_report_clear(&r);
	assert_int_equal(member_export(a, out, "A81001", 1, &cause), 0);
	rewind(out);
	assert_int_equal(member_import(b, out, "e.csv", "A81001", IMPORT_STRICT,
	                               36, 0, &r, &cause),
	                 0);
	assert_int_equal(r.added, 4);
	assert_int_equal(r.bad, 0);
	import_report_clear(&r);
	assert_int_equal(member_export(b, out2, "A81001", 1, &cause), 0);
	rewind(out);
	rewind(out2);
	n1 = fread(buf1, 1, sizeof buf1, out);
	n2 = fread(buf2, 1, sizeof buf2, out2);
	assert_int_equal(n1, n2);
	assert_memory_equal(buf1, buf2, n1);
	/* And the names with commas and quotes survived. */
	buf1[n1] = '\0';
	assert_non_null(strstr(buf1, "\"O'Brien, Jr\""));
	fclose(fp);
	fclose(out);
	fclose(out2);
	db_close(a);
	db_close(b);
}

struct seen {
	int64_t ids[16];
	int n;
};

static int
collect(struct member *m, void *arg)
{
	struct seen *s = arg;

	s->ids[s->n++] = m->id;
	return 0;
}

/* A page comes from SQL: only its rows reach the callback. */
static void
test_list_page(void **state)
{
	struct db *db = setup_db();
	struct member_filter f = {0};
	struct seen s = {0};
	char *cause = NULL, email[32];
	int i;

	for (i = 0; i < 10; i++) {
		struct member *m = member_new(1, "A81001");
		snprintf(email, sizeof email, "m%d@example.org", i);
		member_set(m, "email", email, &cause);
		member_defaults(m, 36);
		assert_int_equal(member_save(db, m, &cause), 0);
		member_free(m);
	}
	f.after = 4;
	f.limit = 3;
	assert_int_equal(member_list(db, &f, collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ids[0], 5);
	assert_int_equal(s.ids[2], 7);
	s.n = 0;
	f.after = 8;
	f.limit = 0; /* no limit */
	member_list(db, &f, collect, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[1], 10);
	db_close(db);
}

/* An API token's practices (member_filter.practices): only theirs, paged
 * in SQL, and a code that only starts like another's does not match. */
static void
test_list_practices(void **state)
{
	static const char *const codes[] = {"A81001", "B82002", "A8100"};
	struct db *db = setup_db();
	struct member_filter f = {0};
	struct seen s = {0};
	char *cause = NULL, email[32];
	int i;

	for (i = 1; i < 3; i++) {
		struct practice p = {.code = (char *)codes[i], .name = "Other"};
		assert_int_equal(practice_add(db, &p, &cause), 0);
	}
	for (i = 0; i < 6; i++) {
		struct member *m = member_new(1 + i % 3, codes[i % 3]);
		snprintf(email, sizeof email, "p%d@example.org", i);
		member_set(m, "email", email, &cause);
		member_defaults(m, 36);
		assert_int_equal(member_save(db, m, &cause), 0);
		member_free(m);
	}
	f.practices = "A81001,B82002";
	assert_int_equal(member_list(db, &f, collect, &s), 0);
	assert_int_equal(s.n, 4); /* members 1, 2, 4, 5: not the A8100 ones */
	assert_int_equal(s.ids[0], 1);
	assert_int_equal(s.ids[1], 2);
	assert_int_equal(s.ids[2], 4);
	s.n = 0;
	f.practices = "A8100";
	f.limit = 1;
	member_list(db, &f, collect, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], 3);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_set_and_normalise),
	    cmocka_unit_test(test_set_errors),
	    cmocka_unit_test(test_save_load_match),
	    cmocka_unit_test(test_erase),
	    cmocka_unit_test(test_import_keep_good),
	    cmocka_unit_test(test_import_strict_and_dry_run),
	    cmocka_unit_test(test_export_round_trip),
	    cmocka_unit_test(test_import_shared_mobile_conflict),
	    cmocka_unit_test(test_import_optout_consent),
	    cmocka_unit_test(test_member_edit_duplicate),
	    cmocka_unit_test(test_import_consent_needs_how),
	    cmocka_unit_test(test_import_gp_report),
	    cmocka_unit_test(test_list_page),
	    cmocka_unit_test(test_list_practices),
	};
	return cmocka_run_group_tests_name("member", tests, NULL, NULL);
}
