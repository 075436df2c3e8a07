/* Tests for framework.c and evidence.c: the self-assessment is computed
 * from data and evidence, as the framework file says, and nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "db.h"
#include "evidence.h"
#include "framework.h"
#include "practice.h"

static struct framework *
builtin(void)
{
	struct config *cfg;
	struct framework *fw;
	char *errors = NULL;

	assert_int_equal(config_load(NULL, &cfg, &errors), 0);
	if (framework_load_config(cfg, NULL, &fw, &errors) != 0)
		print_error("%s", errors);
	assert_non_null(fw);
	config_free(cfg);
	return fw;
}

/* The errors of loading yaml, or NULL if it loads. Caller frees. */
static char *
load_errors(const char *yaml)
{
	struct framework *fw;
	char *errors = NULL;

	if (framework_load_string(yaml, strlen(yaml), "t.yaml", &fw, &errors) ==
	    0) {
		framework_free(fw);
		return NULL;
	}
	assert_null(fw);
	return errors;
}

static void
assert_load_error(const char *yaml, const char *want)
{
	char *e = load_errors(yaml);

	if (e == NULL || strstr(e, want) == NULL)
		print_error("want \"%s\" in: %s\n", want, e ? e : "(loaded)");
	assert_non_null(e);
	assert_non_null(strstr(e, want));
	free(e);
}

#define HEAD "framework: t\ntitle: T\nlevels:\n - id: one\n   title: One\n"

static void
test_load_errors(void **state)
{
	(void)state;
	assert_load_error("framework: [\n", "t.yaml:");
	assert_load_error("", "no framework here");
	assert_load_error(HEAD "   need: all\n   criteria:\n    - id: a\n"
	                       "      text: A\n      requires:\n"
	                       "       - fact: meetings\n         label: x\n",
	                  "levels[0] one.criteria[0] a.requires[0]: unknown "
	                  "fact meetings");
	assert_load_error(HEAD
	                  "   need: all\n   criteria:\n    - id: a\n"
	                  "      text: A\n      requires:\n"
	                  "       - evidence: leaflet\n         label: x\n",
	                  "unknown evidence kind leaflet");
	assert_load_error(HEAD "   need: all\n   criteria:\n    - id: a\n"
	                       "      text: A\n      requires:\n"
	                       "       - evidence: newsletter\n",
	                  "label is required");
	/* A list of lists passed the check and crashed the assessment. */
	assert_load_error(HEAD "   need: all\n   criteria:\n    - id: a\n"
	                       "      text: A\n      requires:\n"
	                       "       - evidence: [[minutes]]\n"
	                       "         label: x\n",
	                  "not a list of lists");
	assert_load_error(HEAD "   need: all\n   criteria:\n    - id: a\n"
	                       "      text: A\n      requires:\n"
	                       "       - fact: [members]\n         label: x\n",
	                  "unknown fact (not a name)");
	assert_load_error("framework: t\ntitle: T\nlevels:\n - id: levels\n"
	                  "   title: L\n   need: all\n   criteria:\n"
	                  "    - id: a\n      text: A\n      requires:\n"
	                  "       - fact: members\n         label: x\n",
	                  "may not be called levels");
	assert_load_error(HEAD "   need: all\n   criteria:\n    - id: a\n"
	                       "      text: A\n      requires:\n"
	                       "       - evidence: newsletter\n"
	                       "         within: 2y\n         label: x\n",
	                  "within must be year, ever or a number of days");
	assert_load_error(HEAD "   need: 2\n   criteria:\n    - id: a\n"
	                       "      text: A\n      requires:\n"
	                       "       - fact: members\n         label: x\n",
	                  "need is all or a number of its criteria");
	assert_load_error(HEAD "   need: all\n   criteria:\n    - id: a\n"
	                       "      text: A\n      requires:\n"
	                       "       - fact: members\n         min: 0\n"
	                       "         label: x\n",
	                  "min must be a whole number of 1 or more");
	assert_load_error(HEAD
	                  "   need: all\n   criteria:\n    - id: a\n"
	                  "      text: A\n      requires:\n"
	                  "       - of: [{fact: members}]\n         min: 2\n"
	                  "         label: x\n",
	                  "min is more than the requirements listed");
}

/* A practice's year that reaches bronze: every figure and the evidence
 * bronze names. */
static json_t *
bronze_facts(void)
{
	return json_pack(
	    "{si si si si si si si si si si si si si si si si}", "members", 42,
	    "members_start", 30, "profile_loaded", 1,
	    "groups_under_represented", 2, "meetings_held", 4,
	    "meetings_with_minutes", 4, "quarters_with_a_meeting", 4,
	    "half_years_with_messages", 2, "emails_sent", 120, "sms_sent", 80,
	    "messages_sent", 200, "broadcasts_sent", 2, "survey_responses", 35,
	    "actions_agreed", 3, "actions_done", 1, "priority_areas", 3);
}

static json_t *
ev(int id, const char *kind, const char *day)
{
	return json_pack("{si ss ss ss}", "id", id, "kind", kind, "date", day,
	                 "title", kind);
}

static const char *
status_of(const json_t *a, const char *level, const char *id)
{
	const json_t *c;
	size_t i;

	json_array_foreach(
	    json_object_get(a, level), i,
	    c) if (strcmp(json_string_value(json_object_get(c, "id")), id) ==
	           0) return json_string_value(json_object_get(c, "status"));
	fail_msg("no criterion %s", id);
	return NULL;
}

static void
test_assess_bronze_from_data(void **state)
{
	struct framework *fw = builtin();
	json_t *facts = bronze_facts(), *evid = json_array(), *a;

	(void)state;
	/* The figures alone: bronze 2 and 3 want evidence. */
	a = framework_assess(fw, facts, evid, "2026-04-01", "2027-03-31");
	assert_string_equal(json_string_value(json_object_get(a, "level")),
	                    "none");
	assert_string_equal(status_of(a, "bronze", "bronze-1"), "met");
	assert_string_equal(status_of(a, "bronze", "bronze-2"), "partly");
	assert_non_null(strstr(
	    json_string_value(json_object_get(
	        json_array_get(json_object_get(a, "bronze"), 1), "missing")),
	    "terms of reference"));
	assert_string_equal(status_of(a, "bronze", "bronze-4"), "met");
	json_decref(a);

	/* Terms of reference two years ago (within three) and the website
	 * this year: bronze. */
	json_array_append_new(evid, ev(1, "terms-of-reference", "2025-01-10"));
	json_array_append_new(evid, ev(2, "website", "2026-06-01"));
	a = framework_assess(fw, facts, evid, "2026-04-01", "2027-03-31");
	assert_string_equal(json_string_value(json_object_get(a, "level")),
	                    "bronze");
	assert_string_equal(status_of(a, "silver", "silver-3"), "met");
	assert_string_equal(status_of(a, "silver", "silver-1"), "not-met");
	json_decref(a);

	/* Silver: a named lead (any time), a health event and a network
	 * meeting this year. */
	json_array_append_new(evid, ev(3, "ppg-lead", "2019-05-01"));
	json_array_append_new(evid, ev(4, "health-event", "2026-10-01"));
	a = framework_assess(fw, facts, evid, "2026-04-01", "2027-03-31");
	assert_string_equal(json_string_value(json_object_get(a, "level")),
	                    "silver");
	json_decref(a);
	json_decref(evid);
	json_decref(facts);
	framework_free(fw);
}

static void
test_assess_windows(void **state)
{
	struct framework *fw = builtin();
	json_t *facts = bronze_facts(), *evid = json_array(), *a;

	(void)state;
	/* Terms of reference four years old; the website after the period;
	 * NAPP membership 400 days before its end (within: 365d). */
	json_array_append_new(evid, ev(1, "terms-of-reference", "2023-01-10"));
	json_array_append_new(evid, ev(2, "website", "2027-04-02"));
	json_array_append_new(evid, ev(3, "napp-membership", "2026-02-25"));
	a = framework_assess(fw, facts, evid, "2026-04-01", "2027-03-31");
	assert_string_equal(status_of(a, "bronze", "bronze-2"), "partly");
	assert_string_equal(status_of(a, "bronze", "bronze-3"), "partly");
	assert_string_equal(status_of(a, "gold", "gold-8"), "not-met");
	json_decref(a);
	/* 300 days before: in. */
	json_array_append_new(evid, ev(4, "napp-membership", "2026-06-04"));
	a = framework_assess(fw, facts, evid, "2026-04-01", "2027-03-31");
	assert_string_equal(status_of(a, "gold", "gold-8"), "met");
	json_decref(a);
	/* Gold 1 asks for two: one is partly nothing. */
	json_array_append_new(evid, ev(5, "network-meeting", "2026-06-04"));
	a = framework_assess(fw, facts, evid, "2026-04-01", "2027-03-31");
	assert_string_equal(status_of(a, "gold", "gold-1"), "not-met");
	json_decref(a);
	json_array_append_new(evid, ev(6, "community-group", "2026-07-04"));
	a = framework_assess(fw, facts, evid, "2026-04-01", "2027-03-31");
	assert_string_equal(status_of(a, "gold", "gold-1"), "met");
	json_decref(a);
	json_decref(evid);
	json_decref(facts);
	framework_free(fw);
}

/* A level's need is read from the file, not from code. */
static void
test_need_from_file(void **state)
{
	static const char yaml[] =
	    "framework: t\ntitle: T\nlevels:\n"
	    " - id: one\n   title: One\n   need: 1\n   criteria:\n"
	    "    - id: a\n      text: A\n      requires:\n"
	    "       - fact: members\n         label: members\n"
	    "    - id: b\n      text: B\n      requires:\n"
	    "       - evidence: [newsletter, notice]\n         min: 2\n"
	    "         within: ever\n         label: two publications\n";
	struct framework *fw;
	char *errors = NULL;
	json_t *facts = json_pack("{si}", "members", 0), *evid = json_array(),
	       *a;

	(void)state;
	assert_int_equal(
	    framework_load_string(yaml, sizeof yaml - 1, "t", &fw, &errors), 0);
	json_array_append_new(evid, ev(1, "newsletter", "2001-01-01"));
	json_array_append_new(evid, ev(2, "notice", "2002-01-01"));
	a = framework_assess(fw, facts, evid, "2026-01-01", "2026-12-31");
	assert_string_equal(json_string_value(json_object_get(a, "level")),
	                    "one");
	assert_string_equal(status_of(a, "one", "a"), "not-met");
	assert_string_equal(status_of(a, "one", "b"), "met");
	json_decref(a);
	json_decref(evid);
	json_decref(facts);
	framework_free(fw);
}

static void
test_sniff(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_string_equal(evidence_sniff("a.pdf", "%PDF-1.7", 8, &cause),
	                    "application/pdf");
	assert_string_equal(
	    evidence_sniff("a.png", "\x89PNG\r\n\x1a\n", 8, &cause),
	    "image/png");
	assert_non_null(
	    strstr(evidence_sniff("ToR.DOCX", "PK\x03\x04", 4, &cause),
	           "wordprocessingml"));
	assert_string_equal(evidence_sniff("notes.txt", "minutes", 7, &cause),
	                    "text/plain; charset=utf-8");
	assert_null(cause);
	/* A zip that is not a document; HTML; a binary named .txt. */
	assert_null(evidence_sniff("a.zip", "PK\x03\x04", 4, &cause));
	assert_non_null(strstr(cause, "zip"));
	free(cause);
	cause = NULL;
	assert_null(evidence_sniff("a.html", "<script>", 8, &cause));
	free(cause);
	cause = NULL;
	assert_null(evidence_sniff("a.txt", "a\0b", 3, &cause));
	free(cause);
	cause = NULL;
	assert_null(evidence_sniff("a.txt", "", 0, &cause));
	assert_string_equal(cause, "the file is empty");
	free(cause);
}

static void
test_evidence_store(void **state)
{
	struct practice p = {.code = "A81001", .name = "Riverside"};
	struct practice q = {.code = "B82002", .name = "Hillside"};
	struct evidence_new e = {
	    .practice = "A81001", .kind = "newsletter", .day = "2026-03-01"};
	struct db *db;
	char *cause = NULL;
	int64_t id, mid;
	json_t *a;
	sqlite3_stmt *st;

	(void)state;
	assert_int_equal(db_open(":memory:", &db, &cause), 0);
	assert_int_equal(db_migrate(db, 0, &cause), 0);
	assert_int_equal(practice_add(db, &p, &cause), 0);
	assert_int_equal(practice_add(db, &q, &cause), 0);
	/* A meeting of the other practice cannot be linked. */
	st = db_stmt(db, "INSERT INTO meetings (practice_id, at, place,"
	                 " created_at) SELECT id, 0, 'x', 0 FROM practices"
	                 " WHERE code = 'B82002'");
	assert_int_equal(db_done(db, st), 0);
	mid = db_last_id(db);
	e.meeting_id = mid;
	assert_int_equal(evidence_add(db, &e, &id, &cause), -1);
	assert_non_null(strstr(cause, "no meeting"));
	free(cause);
	cause = NULL;
	e.meeting_id = 0;
	e.link = "javascript:alert(1)";
	assert_int_equal(evidence_add(db, &e, &id, &cause), -1);
	free(cause);
	cause = NULL;
	e.link = "https://x.example/a b";
	assert_int_equal(evidence_add(db, &e, &id, &cause), -1);
	free(cause);
	cause = NULL;
	e.link = NULL;
	e.title = "Spring\r\nBcc: x";
	assert_int_equal(evidence_add(db, &e, &id, &cause), -1);
	free(cause);
	cause = NULL;
	e.title = NULL;
	e.file_name = "n.pdf";
	e.data = "%PDF-1.4";
	e.len = 8;
	assert_int_equal(evidence_add(db, &e, &id, &cause), 0);
	a = evidence_list_json(db, "A81001", NULL, NULL, NULL);
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(a, 0), "title")),
	    "Newsletter or joint publication issued");
	json_decref(a);
	assert_int_equal(json_array_size(a = evidence_list_json(
	                                     db, "B82002", NULL, NULL, NULL)),
	                 0);
	json_decref(a);
	/* Removed: not listed, file gone, and not removed twice. */
	assert_int_equal(evidence_remove(db, id, &cause), 0);
	assert_int_equal(
	    json_array_size(a = evidence_list_json(db, NULL, NULL, NULL, NULL)),
	    0);
	json_decref(a);
	assert_int_equal(evidence_remove(db, id, &cause), -1);
	free(cause);
	db_close(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load_errors),
	    cmocka_unit_test(test_assess_bronze_from_data),
	    cmocka_unit_test(test_assess_windows),
	    cmocka_unit_test(test_need_from_file),
	    cmocka_unit_test(test_sniff),
	    cmocka_unit_test(test_evidence_store),
	};

	return cmocka_run_group_tests_name("framework", tests, NULL, NULL);
}
