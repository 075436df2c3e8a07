/*
 * Fuzz the webhook core: the first byte picks the route, the rest is the
 * body (a form, or JSON for Notify). Parsing must accept or refuse cleanly;
 * what parses is applied to a :memory: database holding a practice, a
 * member with an open FFT session, a sent message and reply tokens, and must
 * never hit a database error or answer other than 200 or 400. Each input
 * is rolled back, so runs are independent. Signatures are not fuzzed here
 * (see fuzz_signature.c): webhook_apply is what runs after they pass.
 * FUZZ_SOURCES: all
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "survey.h"
#include "webhook.h"

#define NOW 1750000000

static struct db *db;
static struct config *cfg;

static void
run(const char *sql)
{
	char *cause = NULL;

	if (db_exec(db, sql, &cause) == -1)
		abort();
}

static void
add_token(const char *token, const char *kind)
{
	sqlite3_stmt *st = db_stmt(db, "INSERT INTO tokens (hash, kind,"
	                               " member_id, campaign_id, created_at)"
	                               " VALUES (?1, ?2, 1, 1, 0)");
	char hash[65];

	crypto_token_hash(token, hash);
	db_bind_text(st, 1, hash);
	db_bind_text(st, 2, kind);
	if (db_done(db, st) == -1)
		abort();
}

static void
add_survey(void)
{
	struct survey *s = NULL;
	char *errors = NULL, *def;
	sqlite3_stmt *st;

	if (survey_load_file("surveys/fft.yaml", &s, &errors) == -1)
		abort(); /* run from the top of the tree */
	def = survey_dumps(s);
	st = db_stmt(db, "INSERT INTO surveys (slug, version, title, anonymous,"
	                 " definition, hash, loaded_at) VALUES ('fft', 1, 'F',"
	                 " 1, ?1, 'h', 0)");
	db_bind_text(st, 1, def);
	if (db_done(db, st) == -1)
		abort();
	free(def);
	survey_free(s);
}

static void
setup(void)
{
	char *cause = NULL, *errors = NULL;

	if (config_load(NULL, &cfg, &errors) == -1 ||
	    db_open(":memory:", &db, &cause) == -1 ||
	    db_migrate(db, 0, &cause) == -1)
		abort();
	run("INSERT INTO practices (code, name, sms_from, phone, created_at)"
	    " VALUES ('A81001', 'Riverside', '+447700900000', '01632', 0);"
	    "INSERT INTO members (practice_id, email, mobile, joined_at,"
	    " created_at, updated_at) VALUES (1, 'ann@example.org',"
	    " '+447700900123', 0, 0, 0);"
	    "INSERT INTO meetings (practice_id, at, place, created_at)"
	    " VALUES (1, 0, 'Library', 0);"
	    "INSERT INTO campaigns (name, practice_id, kind, template, "
	    "channels,"
	    " meeting_id, created_at) VALUES ('c', 1, 'k', 't', 'sms', 1, 0);");
	add_survey();
	run("INSERT INTO responses (survey_id, practice_id, channel, "
	    "started_at)"
	    " VALUES (1, 1, 'sms', 0);"
	    "INSERT INTO sms_sessions (member_id, response_id, expires_at,"
	    " updated_at) VALUES (1, 1, 9999999999, 0);"
	    "INSERT INTO outbox (practice_id, member_id, channel, state, "
	    "to_addr,"
	    " body, next_attempt_at, created_at, provider_id) VALUES (1, 1,"
	    " 'sms', 'sent', '+447700900123', 'hi', 0, 0, 'SM1');");
	add_token("replytoken1", "reply");
	add_token("unsubtoken1", "unsubscribe");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webhook_in in;
	struct webhook_out out;
	char *body, *cause = NULL;

	if (db == NULL)
		setup();
	if (size == 0)
		return 0;
	body = strndup((const char *)data + 1, size - 1);
	if (webhook_parse(data[0] % 5, body, strlen(body), &in, &cause) == -1) {
		if (cause == NULL)
			abort();
		free(cause);
		free(body);
		return 0;
	}
	in.now = NOW;
	(void)webhook_authentic(cfg, &in, "https://x/webhooks", "sig",
	                        "Bearer x");
	if (db_begin(db) == -1 || webhook_apply(db, cfg, &in, &out) == -1 ||
	    (out.status != 200 && out.status != 400))
		abort();
	db_rollback(db);
	webhook_in_clear(&in);
	free(body);
	return 0;
}
