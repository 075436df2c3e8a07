/* Shared set-up for the campaign tests: a database, a config, members. */
#ifndef PPGD_CAMPAIGN_FIXTURE_H
#define PPGD_CAMPAIGN_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "practice.h"
#include "survey.h"
#include "survey_store.h"

#define FX_UNUSED __attribute__((unused))

/* 2026-06-10 12:00 in London (BST): not quiet hours, a Wednesday. */
#define FX_NOON ((int64_t)1781089200)
#define FX_DAY  ((int64_t)86400)

struct fx_member {
	const char *first, *email, *mobile, *pref;
	int consent_email, consent_sms, optout_email, optout_sms;
	int64_t term_ends; /* 0: none */
	int erased;
	const char *age_band, *sex, *ethnicity;
	int carer, disability; /* -1 unknown */
	const char *tag;
};

static FX_UNUSED struct db *
fx_db(void)
{
	struct db *db;
	char *cause = NULL;
	struct practice p = {.code = "A81001",
	                     .name = "Riverside Surgery",
	                     .phone = "0161 496 0000",
	                     .timezone = "Europe/London"};

	if (db_open(":memory:", &db, &cause) == -1 ||
	    db_migrate(db, 0, &cause) == -1 ||
	    practice_add(db, &p, &cause) == -1) {
		fprintf(stderr, "fixture: %s\n", cause);
		abort();
	}
	return db;
}

/* A config with the templates in dir (NULL: the repo's) and extra INI
 * text. Caller frees. */
static FX_UNUSED struct config *
fx_config_templates(const char *dir, const char *extra)
{
	char path[] = "/tmp/ppgd-test-XXXXXX", cwd[4096], *errors = NULL;
	struct config *cfg;
	FILE *fp;
	int fd = mkstemp(path);

	if (fd == -1 || getcwd(cwd, sizeof cwd) == NULL ||
	    (fp = fdopen(fd, "w")) == NULL)
		abort();
	fprintf(fp,
	        "[daemon]\ntemplates = %s%s\n"
	        "public_url = https://ppg.example.org\n%s\n",
	        dir != NULL ? dir : cwd, dir != NULL ? "" : "/templates",
	        extra ? extra : "");
	fclose(fp);
	if (config_load(path, &cfg, &errors) == -1) {
		fprintf(stderr, "fixture config: %s\n", errors);
		abort();
	}
	unlink(path);
	return cfg;
}

/* A config with the repo's templates and extra INI text. Caller frees. */
static FX_UNUSED struct config *
fx_config(const char *extra)
{
	return fx_config_templates(NULL, extra);
}

static FX_UNUSED int64_t
fx_member_add(struct db *db, const struct fx_member *m)
{
	sqlite3_stmt *st = db_stmt(
	    db, "INSERT INTO members (practice_id, first_name, email, mobile,"
	        " preferred_channel, consent_email_at, consent_sms_at,"
	        " optout_email_at, optout_sms_at, joined_at, term_ends_at,"
	        " age_band, sex, ethnicity, disability, carer, erased_at,"
	        " created_at, updated_at) VALUES (1, ?1, ?2, ?3, ?4,"
	        " nullif(?5, 0), nullif(?6, 0), nullif(?7, 0), nullif(?8, 0),"
	        " 1, nullif(?9, 0), ?10, ?11, ?12, nullif(?13, -1),"
	        " nullif(?14, -1), nullif(?15, 0), 1, 1)");
	int64_t id;

	db_bind_text(st, 1, m->first);
	db_bind_text(st, 2, m->email);
	db_bind_text(st, 3, m->mobile);
	db_bind_text(st, 4, m->pref ? m->pref : "email");
	db_bind_int(st, 5, m->consent_email);
	db_bind_int(st, 6, m->consent_sms);
	db_bind_int(st, 7, m->optout_email);
	db_bind_int(st, 8, m->optout_sms);
	db_bind_int(st, 9, m->term_ends);
	db_bind_text(st, 10, m->age_band);
	db_bind_text(st, 11, m->sex);
	db_bind_text(st, 12, m->ethnicity);
	db_bind_int(st, 13, m->disability);
	db_bind_int(st, 14, m->carer);
	db_bind_int(st, 15, m->erased);
	if (db_done(db, st) == -1)
		abort();
	id = db_last_id(db);
	if (m->tag != NULL) {
		st = db_stmt(db, "INSERT INTO member_tags VALUES (?, ?)");
		db_bind_int(st, 1, id);
		db_bind_text(st, 2, m->tag);
		db_done(db, st);
	}
	return id;
}

/* Load a survey from the repo (or YAML text) and store it; its row id. */
static FX_UNUSED int64_t
fx_survey(struct db *db, const char *file, const char *yaml)
{
	struct survey *s;
	enum survey_saved how;
	char *errors = NULL;
	int64_t id;
	int version, rc;

	rc = yaml ? survey_load_string(yaml, strlen(yaml), "test", &s, &errors)
	          : survey_load_file(file, &s, &errors);
	if (rc == -1) {
		fprintf(stderr, "fixture survey: %s\n", errors);
		abort();
	}
	if (survey_store_save(db, s, 1, &id, &version, &how, &errors) == -1)
		abort();
	survey_free(s);
	return id;
}

static FX_UNUSED int64_t
fx_count(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	int64_t n = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

#endif
