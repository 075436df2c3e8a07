/* Audience expressions: parsing, the one bound query, channel choice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audience.h"
#include "campaign_fixture.h"

/* Matched members as "id:channel-or-skip,..." in id order. Caller frees. */
static char *
walk(struct db *db, const char *expr, const char *channels, int64_t now,
     int cap)
{
	struct aud_scope sc = {
	    .practice_id = 1, .now = now, .frequency_cap = cap};
	struct audience *a;
	struct aud_query *q;
	struct aud_member m;
	char *cause = NULL, *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	assert_int_equal(audience_channels(channels, &sc, &cause), 0);
	assert_int_equal(audience_parse(expr, &a, &cause), 0);
	assert_int_equal(audience_query_new(db, a, &sc, &q, &cause), 0);
	while (audience_next(q, &m) == 1)
		fprintf(fp, "%s%lld:%s", ftell(fp) ? "," : "", (long long)m.id,
		        m.channel ? m.channel : audience_skip_name(m.skip));
	audience_query_free(q);
	audience_free(a);
	fclose(fp);
	return out;
}

static void
assert_walk(struct db *db, const char *expr, const char *want)
{
	char *got = walk(db, expr, "email,sms", FX_NOON, 0);

	assert_string_equal(got, want);
	free(got);
}

static void
parse_fails(const char *expr, const char *needle)
{
	struct audience *a = NULL;
	char *cause = NULL;

	assert_int_equal(audience_parse(expr, &a, &cause), -1);
	assert_non_null(strstr(cause, needle));
	free(cause);
}

static void
test_parse_errors(void **state)
{
	parse_fails("age=16-24", "unknown field 'age'");
	parse_fails("age_band=16-25", "unknown value '16-25'");
	parse_fails("sex=male|robot", "unknown value 'robot'");
	parse_fails("carer=maybe", "unknown value 'maybe'");
	parse_fails("sex=", "no value");
	parse_fails("tag:", "no value");
	parse_fails("not-responded:", "no campaign name");
	parse_fails("young people", "is not everyone");
}

static void
test_sql_has_no_values(void **state)
{
	struct aud_scope sc = {.practice_id = 1};
	struct audience *a;
	char *cause = NULL, *sql;

	assert_int_equal(audience_parse("sex=male|female,tag:o'brien,"
	                                "not-responded:x'; DROP TABLE members",
	                                &a, &cause),
	                 0);
	sql = audience_sql(a, &sc);
	assert_null(strstr(sql, "male"));
	assert_null(strstr(sql, "brien"));
	assert_null(strstr(sql, "DROP"));
	assert_non_null(strstr(sql, "m.sex IN (?8, ?9)"));
	assert_non_null(strstr(sql, "t.tag IN (?10)"));
	assert_non_null(strstr(sql, "name = ?11"));
	free(sql);
	audience_free(a);
}

/* Six members with different fields, all reachable by email. */
static struct db *
filter_db(void)
{
	struct db *db = fx_db();
	static const struct fx_member ms[] = {
	    {.first = "A",
	     .email = "a@x.org",
	     .consent_email = 1,
	     .age_band = "16-24",
	     .sex = "male",
	     .ethnicity = "asian",
	     .carer = 1,
	     .disability = 0,
	     .tag = "young-parent"},
	    {.first = "B",
	     .email = "b@x.org",
	     .consent_email = 1,
	     .age_band = "16-24",
	     .sex = "female",
	     .ethnicity = "white",
	     .carer = 0,
	     .disability = 1},
	    {.first = "C",
	     .email = "c@x.org",
	     .consent_email = 1,
	     .age_band = "65-74",
	     .sex = "male",
	     .ethnicity = "black",
	     .carer = 0,
	     .disability = 0,
	     .tag = "young-parent"},
	    {.first = "D",
	     .email = "d@x.org",
	     .consent_email = 1,
	     .age_band = "25-34",
	     .sex = "other",
	     .ethnicity = "asian",
	     .carer = -1,
	     .disability = -1},
	    {.first = "E",
	     .email = "e@x.org",
	     .consent_email = 1,
	     .carer = 1,
	     .disability = 1,
	     .tag = "carer"},
	};
	size_t i;

	for (i = 0; i < sizeof ms / sizeof ms[0]; i++)
		fx_member_add(db, &ms[i]);
	return db;
}

/* The age band comes from the birth month at evaluation time; custom
 * fields filter as extra.NAME=V, ignoring case. */
static void
test_birth_month_and_extra(void **state)
{
	struct db *db = filter_db();
	char *cause = NULL;

	assert_int_equal(
	    db_exec(db,
	            "UPDATE members SET birth_ym = 1956 * 12 WHERE id = 2;"
	            "INSERT INTO member_extra VALUES (1, 'school', 'Yes');"
	            "INSERT INTO member_extra VALUES (4, 'school', 'no');"
	            "INSERT INTO member_extra VALUES (4, 'ward', 'yes');",
	            &cause),
	    0);
	/* Member 2 is recorded 16-24 but was born in January 1956. */
	assert_walk(db, "age_band=16-24", "1:email");
	assert_walk(db, "age_band=65-74", "2:email,3:email");
	assert_walk(db, "extra.school=yes", "1:email");
	assert_walk(db, "Extra.School=YES|no", "1:email,4:email");
	assert_walk(db, "extra.school=yes,age_band=16-24", "1:email");
	assert_walk(db, "extra.ward=no", "");
	parse_fails("extra.bad name=x", "not a custom field name");
	parse_fails("extra.school=", "no value");
	db_close(db);
}

static void
test_filters(void **state)
{
	struct db *db = filter_db();

	assert_walk(db, "everyone", "1:email,2:email,3:email,4:email,5:email");
	assert_walk(db, "age_band=16-24", "1:email,2:email");
	assert_walk(db, "age_band=16-24,sex=male", "1:email");
	assert_walk(db, "sex=male|other", "1:email,3:email,4:email");
	assert_walk(db, "ethnicity=asian", "1:email,4:email");
	assert_walk(db, "carer=yes", "1:email,5:email");
	assert_walk(db, "disability=yes", "2:email,5:email");
	assert_walk(db, "disability=no", "1:email,3:email");
	assert_walk(db, "tag:young-parent", "1:email,3:email");
	assert_walk(db, "tag:young-parent|carer", "1:email,3:email,5:email");
	assert_walk(db, "tag:young-parent, age_band=65-74", "3:email");
	assert_walk(db, "Sex=MALE", "1:email,3:email");
	assert_walk(db, "tag:x' OR '1'='1", "");
	db_close(db);
}

/* Members that confidentiality=signed selects, for one agreement version. */
static char *
walk_signed(struct db *db, const char *version)
{
	struct aud_scope sc = {.practice_id = 1, .now = FX_NOON};
	struct audience *a;
	struct aud_query *q;
	struct aud_member m;
	char *cause = NULL, *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	sc.agreement_version = version;
	assert_int_equal(audience_channels("email", &sc, &cause), 0);
	assert_int_equal(audience_parse("confidentiality=signed", &a, &cause),
	                 0);
	assert_int_equal(audience_query_new(db, a, &sc, &q, &cause), 0);
	while (audience_next(q, &m) == 1)
		fprintf(fp, "%s%lld", ftell(fp) ? "," : "", (long long)m.id);
	audience_query_free(q);
	audience_free(a);
	fclose(fp);
	return out;
}

static void
test_confidentiality_signed(void **state)
{
	struct db *db = filter_db();
	char *got, *cause = NULL;

	assert_int_equal(db_exec(db,
	                         "UPDATE members SET confidentiality_at=1,"
	                         " confidentiality_version='2' WHERE id=1;"
	                         "UPDATE members SET confidentiality_at=1,"
	                         " confidentiality_version='1' WHERE id=3",
	                         &cause),
	                 0);
	got = walk_signed(db, "2");
	assert_string_equal(got, "1"); /* member 3 signed an older version */
	free(got);
	got = walk_signed(db, NULL);
	assert_string_equal(got, "1,3"); /* no file: any version counts */
	free(got);
	parse_fails("confidentiality=maybe", "the only value is signed");
	db_close(db);
}

static void
test_not_responded(void **state)
{
	struct db *db = filter_db();
	struct audience *a;
	char *cause = NULL;

	db_exec(
	    db,
	    "INSERT INTO surveys VALUES (1,'s',1,'S',0,'{}','h',1);"
	    "INSERT INTO campaigns (id, name, practice_id, kind, template,"
	    " channels, created_at) VALUES (1, 'spring', 1, 'survey',"
	    " 't', 'email', 1);"
	    "INSERT INTO responses (survey_id, campaign_id, practice_id,"
	    " member_id, channel, started_at, completed_at) VALUES"
	    " (1, 1, 1, 1, 'web', 1, 2), (1, 1, 1, 2, 'web', 1, NULL);"
	    "INSERT INTO tokens (hash, kind, member_id, campaign_id,"
	    " created_at, used_at) VALUES ('h3', 'survey', 3, 1, 1, 5);"
	    "INSERT INTO responses (id, survey_id, campaign_id, practice_id,"
	    " channel, started_at) VALUES (9, 1, 1, 1, 'sms', 1);"
	    "INSERT INTO sms_sessions (member_id, response_id, state,"
	    " expires_at, updated_at) VALUES (4, 9, 'done', 9, 9);",
	    &cause);
	/* 1 completed, 3 used its link, 4 finished by SMS; 2 only started. */
	assert_walk(db, "not-responded:spring", "2:email,5:email");
	assert_walk(db, "not-responded:spring,carer=yes", "5:email");
	assert_int_equal(audience_parse("not-responded:autumn", &a, &cause), 0);
	assert_int_equal(audience_check(db, a, &cause), -1);
	assert_non_null(strstr(cause, "no campaign autumn"));
	free(cause);
	audience_free(a);
	db_close(db);
}

static void
test_channel_choice(void **state)
{
	struct db *db = fx_db();
	static const struct fx_member ms[] = {
	    /* 1: prefers sms, can have both: sms wins */
	    {.first = "A",
	     .email = "a@x.org",
	     .mobile = "+447700900001",
	     .pref = "sms",
	     .consent_email = 1,
	     .consent_sms = 1,
	     .carer = -1,
	     .disability = -1},
	    /* 2: prefers sms but opted out of it: email */
	    {.first = "B",
	     .email = "b@x.org",
	     .mobile = "+447700900002",
	     .pref = "sms",
	     .consent_email = 1,
	     .consent_sms = 1,
	     .optout_sms = 5,
	     .carer = -1,
	     .disability = -1},
	    /* 3: prefers email, no email consent: sms */
	    {.first = "C",
	     .email = "c@x.org",
	     .mobile = "+447700900003",
	     .pref = "email",
	     .consent_sms = 1,
	     .carer = -1,
	     .disability = -1},
	    /* 4: opted out of both */
	    {.first = "D",
	     .email = "d@x.org",
	     .mobile = "+447700900004",
	     .pref = "email",
	     .consent_email = 1,
	     .consent_sms = 1,
	     .optout_email = 5,
	     .optout_sms = 5,
	     .carer = -1,
	     .disability = -1},
	    /* 5: no consent at all */
	    {.first = "E",
	     .email = "e@x.org",
	     .mobile = "+447700900005",
	     .pref = "email",
	     .carer = -1,
	     .disability = -1},
	    /* 6: consent for sms but no mobile */
	    {.first = "F",
	     .pref = "sms",
	     .consent_sms = 1,
	     .carer = -1,
	     .disability = -1},
	    /* 7: term ended yesterday */
	    {.first = "G",
	     .email = "g@x.org",
	     .pref = "email",
	     .consent_email = 1,
	     .term_ends = FX_NOON - FX_DAY,
	     .carer = -1,
	     .disability = -1},
	    /* 8: erased */
	    {.first = "H",
	     .pref = "email",
	     .consent_email = 1,
	     .erased = 9,
	     .carer = -1,
	     .disability = -1},
	    /* 9: term ends tomorrow: still a member */
	    {.first = "I",
	     .email = "i@x.org",
	     .pref = "email",
	     .consent_email = 1,
	     .term_ends = FX_NOON + FX_DAY,
	     .carer = -1,
	     .disability = -1},
	};
	char *got;
	size_t i;

	for (i = 0; i < sizeof ms / sizeof ms[0]; i++)
		fx_member_add(db, &ms[i]);
	assert_walk(db, "everyone",
	            "1:sms,2:email,3:sms,4:opted_out,5:no_consent,"
	            "6:no_consent,7:term_ended,8:erased,9:email");
	/* Campaign order decides when the preference is not listed. */
	got = walk(db, "everyone", "sms", FX_NOON, 0);
	assert_string_equal(got, "1:sms,2:opted_out,3:sms,4:opted_out,"
	                         "5:no_consent,6:no_contact,7:term_ended,"
	                         "8:erased,9:no_consent");
	free(got);
	got = walk(db, "everyone", "sms,email", FX_NOON, 0);
	assert_string_equal(got, "1:sms,2:email,3:sms,4:opted_out,"
	                         "5:no_consent,6:no_consent,7:term_ended,"
	                         "8:erased,9:email");
	free(got);
	db_close(db);
}

static void
test_frequency_cap(void **state)
{
	struct db *db = fx_db();
	struct fx_member m = {.first = "A",
	                      .email = "a@x.org",
	                      .pref = "email",
	                      .consent_email = 1,
	                      .carer = -1,
	                      .disability = -1};
	char *got, *cause = NULL;
	int i;

	for (i = 0; i < 3; i++)
		fx_member_add(db, &m);
	/* 1: two campaign messages this week; 2: two 8 days ago; 3: two
	 * transactional ones this week. */
	assert_int_equal(
	    db_exec(db,
	            "INSERT INTO outbox (member_id, practice_id, channel,"
	            " purpose, to_addr, body, next_attempt_at, created_at)"
	            " VALUES (1,1,'email','campaign','a','b',0,1781000000),"
	            " (1,1,'email','campaign','a','b',0,1781080000),"
	            " (2,1,'email','campaign','a','b',0,1780400000),"
	            " (2,1,'email','campaign','a','b',0,1780400001),"
	            " (3,1,'email','reply','a','b',0,1781080000),"
	            " (3,1,'email','reply','a','b',0,1781080001)",
	            &cause),
	    0);
	got = walk(db, "everyone", "email", FX_NOON, 2);
	assert_string_equal(got, "1:frequency_cap,2:email,3:email");
	free(got);
	got = walk(db, "everyone", "email", FX_NOON, 3);
	assert_string_equal(got, "1:email,2:email,3:email");
	free(got);
	got = walk(db, "everyone", "email", FX_NOON, 0);
	assert_string_equal(got, "1:email,2:email,3:email");
	free(got);
	db_close(db);
}

static void
test_channels_parse(void **state)
{
	struct aud_scope sc;
	char *cause = NULL;

	assert_int_equal(audience_channels("sms, email", &sc, &cause), 0);
	assert_int_equal(sc.nchannels, 2);
	assert_string_equal(sc.channels[0], "sms");
	assert_string_equal(sc.channels[1], "email");
	assert_int_equal(audience_channels("email,email", &sc, &cause), -1);
	free(cause);
	assert_int_equal(audience_channels("fax", &sc, &cause), -1);
	free(cause);
	assert_int_equal(audience_channels("", &sc, &cause), -1);
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_sql_has_no_values),
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_birth_month_and_extra),
	    cmocka_unit_test(test_confidentiality_signed),
	    cmocka_unit_test(test_not_responded),
	    cmocka_unit_test(test_channel_choice),
	    cmocka_unit_test(test_frequency_cap),
	    cmocka_unit_test(test_channels_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
