/*
 * The schema, as numbered migrations. Migration N takes a database at
 * user_version N-1 to N; never edit one that has shipped, add another.
 */
#include <stddef.h>

#include "schema.h"

static const char *const migrations[] = {
    /* 1: practices, the member register, audit. */
    "CREATE TABLE practices ("
    " id INTEGER PRIMARY KEY,"
    " code TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL,"
    " email_from TEXT NOT NULL DEFAULT '',"
    " sms_from TEXT NOT NULL DEFAULT '',"
    " phone TEXT NOT NULL DEFAULT '',"
    " website TEXT NOT NULL DEFAULT '',"
    " timezone TEXT NOT NULL DEFAULT 'Europe/London',"
    " created_at INTEGER NOT NULL);"
    "CREATE TABLE members ("
    " id INTEGER PRIMARY KEY,"
    " practice_id INTEGER NOT NULL REFERENCES practices(id),"
    " external_ref TEXT,"
    " first_name TEXT, last_name TEXT, email TEXT, mobile TEXT,"
    " preferred_channel TEXT NOT NULL DEFAULT 'email'"
    "  CHECK (preferred_channel IN ('email','sms')),"
    " consent_email_at INTEGER, consent_email_how TEXT,"
    " consent_sms_at INTEGER, consent_sms_how TEXT,"
    " optout_email_at INTEGER, optout_sms_at INTEGER,"
    " confidentiality_at INTEGER, confidentiality_version TEXT,"
    " joined_at INTEGER NOT NULL, term_ends_at INTEGER,"
    " age_band TEXT, sex TEXT, ethnicity TEXT,"
    " disability INTEGER, carer INTEGER,"
    " erased_at INTEGER,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX members_ref ON members(practice_id, external_ref)"
    " WHERE external_ref IS NOT NULL;"
    "CREATE INDEX members_email ON members(practice_id, email);"
    "CREATE INDEX members_mobile ON members(mobile);"
    "CREATE TABLE member_tags ("
    " member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
    " tag TEXT NOT NULL, PRIMARY KEY (member_id, tag)) WITHOUT ROWID;"
    "CREATE INDEX member_tags_tag ON member_tags(tag);"
    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,"
    " action TEXT NOT NULL, object TEXT NOT NULL, detail TEXT);",

    /* 2: surveys, meetings, campaigns, runs, the outbox, tokens. */
    "CREATE TABLE surveys ("
    " id INTEGER PRIMARY KEY, slug TEXT NOT NULL, version INTEGER NOT NULL,"
    " title TEXT NOT NULL, anonymous INTEGER NOT NULL,"
    " definition TEXT NOT NULL, hash TEXT NOT NULL,"
    " loaded_at INTEGER NOT NULL, UNIQUE (slug, version));"
    "CREATE TABLE meetings ("
    " id INTEGER PRIMARY KEY,"
    " practice_id INTEGER NOT NULL REFERENCES practices(id),"
    " at INTEGER NOT NULL, place TEXT NOT NULL, agenda TEXT, minutes TEXT,"
    " created_at INTEGER NOT NULL);"
    "CREATE TABLE campaigns ("
    " id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " practice_id INTEGER NOT NULL REFERENCES practices(id),"
    " kind TEXT NOT NULL, survey_id INTEGER REFERENCES surveys(id),"
    " template TEXT NOT NULL, channels TEXT NOT NULL,"
    " audience TEXT NOT NULL DEFAULT 'everyone',"
    " schedule TEXT, at INTEGER,"
    " meeting_id INTEGER REFERENCES meetings(id), offset_s INTEGER,"
    " remind_after_s INTEGER, max_reminders INTEGER NOT NULL DEFAULT 0,"
    " message TEXT, state TEXT NOT NULL DEFAULT 'active'"
    "  CHECK (state IN ('active','paused','done')),"
    " next_fire_at INTEGER, created_at INTEGER NOT NULL);"
    "CREATE INDEX campaigns_next ON campaigns(state, next_fire_at);"
    "CREATE TABLE runs ("
    " id INTEGER PRIMARY KEY,"
    " campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,"
    " scheduled_for INTEGER NOT NULL, reminder INTEGER NOT NULL DEFAULT 0,"
    " fired_at INTEGER NOT NULL, messages INTEGER NOT NULL DEFAULT 0,"
    " UNIQUE (campaign_id, scheduled_for, reminder));"
    "CREATE TABLE outbox ("
    " id INTEGER PRIMARY KEY,"
    " run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,"
    " member_id INTEGER REFERENCES members(id),"
    " practice_id INTEGER NOT NULL REFERENCES practices(id),"
    " channel TEXT NOT NULL CHECK (channel IN ('email','sms')),"
    " purpose TEXT NOT NULL DEFAULT 'campaign',"
    " state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN"
    "  ('pending','held','sending','sent','delivered','failed','cancelled')),"
    " held_reason TEXT,"
    " to_addr TEXT NOT NULL, subject TEXT, body TEXT NOT NULL, body_html TEXT,"
    " reply_token TEXT, unsubscribe_token TEXT,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt_at INTEGER NOT NULL, transport TEXT,"
    " provider_id TEXT, error_code TEXT, error_text TEXT,"
    " created_at INTEGER NOT NULL, sent_at INTEGER, settled_at INTEGER,"
    " UNIQUE (run_id, member_id, channel));"
    "CREATE INDEX outbox_due ON outbox(state, next_attempt_at);"
    "CREATE INDEX outbox_member ON outbox(member_id, created_at);"
    "CREATE UNIQUE INDEX outbox_provider ON outbox(provider_id)"
    " WHERE provider_id IS NOT NULL;"
    "CREATE TABLE tokens ("
    " id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE,"
    " kind TEXT NOT NULL CHECK (kind IN ('survey','unsubscribe','reply')),"
    " member_id INTEGER REFERENCES members(id),"
    " campaign_id INTEGER REFERENCES campaigns(id) ON DELETE SET NULL,"
    " survey_id INTEGER REFERENCES surveys(id),"
    " created_at INTEGER NOT NULL, expires_at INTEGER, used_at INTEGER);"
    "CREATE INDEX tokens_member ON tokens(member_id, kind);",

    /* 3: replies: the raw inbound log, responses, answers, SMS sessions. */
    "CREATE TABLE inbound ("
    " id INTEGER PRIMARY KEY, provider TEXT NOT NULL,"
    " provider_msg_id TEXT NOT NULL, received_at INTEGER NOT NULL,"
    " channel TEXT NOT NULL, from_addr TEXT, to_addr TEXT, body TEXT,"
    " raw TEXT, member_id INTEGER REFERENCES members(id),"
    " practice_id INTEGER REFERENCES practices(id),"
    " disposition TEXT NOT NULL DEFAULT 'feedback',"
    " care_flag INTEGER NOT NULL DEFAULT 0, meeting_id INTEGER"
    " REFERENCES meetings(id), purged_at INTEGER,"
    " UNIQUE (provider, provider_msg_id));"
    "CREATE INDEX inbound_disposition ON inbound(disposition, received_at);"
    "CREATE TABLE responses ("
    " id INTEGER PRIMARY KEY,"
    " survey_id INTEGER NOT NULL REFERENCES surveys(id),"
    " campaign_id INTEGER REFERENCES campaigns(id) ON DELETE SET NULL,"
    " practice_id INTEGER NOT NULL REFERENCES practices(id),"
    " member_id INTEGER REFERENCES members(id),"
    " channel TEXT NOT NULL, started_at INTEGER NOT NULL,"
    " completed_at INTEGER,"
    " age_band TEXT, sex TEXT, ethnicity TEXT);"
    "CREATE INDEX responses_survey ON responses(survey_id, completed_at);"
    "CREATE INDEX responses_campaign ON responses(campaign_id);"
    "CREATE TABLE answers ("
    " response_id INTEGER NOT NULL REFERENCES responses(id)"
    "  ON DELETE CASCADE,"
    " question TEXT NOT NULL, value TEXT NOT NULL, num REAL,"
    " PRIMARY KEY (response_id, question, value)) WITHOUT ROWID;"
    "CREATE INDEX answers_question ON answers(question, value);"
    "CREATE TABLE sms_sessions ("
    " id INTEGER PRIMARY KEY,"
    " member_id INTEGER NOT NULL REFERENCES members(id),"
    " response_id INTEGER NOT NULL REFERENCES responses(id),"
    " question_index INTEGER NOT NULL DEFAULT 0,"
    " reprompts INTEGER NOT NULL DEFAULT 0,"
    " state TEXT NOT NULL DEFAULT 'open',"
    " expires_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE INDEX sms_sessions_member ON sms_sessions(member_id, state);",

    /* 4: the PPG cycle: action plan, population profile, agenda items. */
    "CREATE TABLE actions ("
    " id INTEGER PRIMARY KEY,"
    " practice_id INTEGER NOT NULL REFERENCES practices(id),"
    " area TEXT NOT NULL, title TEXT NOT NULL, owner TEXT, due TEXT,"
    " status TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN"
    "  ('proposed','agreed','in-progress','done','dropped')),"
    " from_survey TEXT, created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE TABLE action_notes ("
    " id INTEGER PRIMARY KEY,"
    " action_id INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,"
    " at INTEGER NOT NULL, status TEXT NOT NULL, note TEXT);"
    "CREATE TABLE population ("
    " practice_id INTEGER NOT NULL REFERENCES practices(id),"
    " field TEXT NOT NULL, value TEXT NOT NULL, patients INTEGER NOT NULL,"
    " PRIMARY KEY (practice_id, field, value)) WITHOUT ROWID;",

    /* 5: campaigns: the actions a "you said, we did" update lists. */
    "ALTER TABLE campaigns ADD COLUMN action_ids TEXT;",

    /* 6: the replay cache of signed webhooks (Mailgun's token). */
    "CREATE TABLE webhook_nonces ("
    " provider TEXT NOT NULL, nonce TEXT NOT NULL, seen_at INTEGER NOT NULL,"
    " PRIMARY KEY (provider, nonce)) WITHOUT ROWID;"
    "CREATE INDEX webhook_nonces_seen ON webhook_nonces(seen_at);",

    /* 7: SMS session states checked; survey tokens tied to the run they
     * answer (one response per member per run); early delivery receipts
     * kept until their send is recorded. */
    "CREATE TABLE sms_sessions_new ("
    " id INTEGER PRIMARY KEY,"
    " member_id INTEGER NOT NULL REFERENCES members(id),"
    " response_id INTEGER NOT NULL REFERENCES responses(id),"
    " question_index INTEGER NOT NULL DEFAULT 0,"
    " reprompts INTEGER NOT NULL DEFAULT 0,"
    " state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','done',"
    "  'expired','stopped','superseded','broken')),"
    " expires_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "INSERT INTO sms_sessions_new SELECT id, member_id, response_id,"
    " question_index, reprompts, CASE WHEN state IN ('open','done',"
    " 'expired','stopped','superseded','broken') THEN state"
    " WHEN state = 'closed' THEN 'stopped' ELSE 'broken' END,"
    " expires_at, updated_at FROM sms_sessions;"
    "DROP TABLE sms_sessions;"
    "ALTER TABLE sms_sessions_new RENAME TO sms_sessions;"
    "CREATE INDEX sms_sessions_member ON sms_sessions(member_id, state);"
    "ALTER TABLE tokens ADD COLUMN run_id INTEGER"
    " REFERENCES runs(id) ON DELETE SET NULL;"
    "CREATE INDEX tokens_run ON tokens(run_id, member_id)"
    " WHERE run_id IS NOT NULL;"
    "CREATE TABLE receipts_parked ("
    " provider_id TEXT PRIMARY KEY, outbox_id INTEGER,"
    " state TEXT NOT NULL CHECK (state IN ('delivered','failed')),"
    " code TEXT, text TEXT, received_at INTEGER NOT NULL);"
    "CREATE INDEX receipts_parked_outbox ON receipts_parked(outbox_id)"
    " WHERE outbox_id IS NOT NULL;"
    "CREATE INDEX receipts_parked_age ON receipts_parked(received_at);",
    /* 8: members: birth month, ethnic category, postcode, language,
     * communication needs, custom fields. */
    "ALTER TABLE members ADD COLUMN birth_ym INTEGER;"
    "ALTER TABLE members ADD COLUMN ethnicity_detail TEXT;"
    "ALTER TABLE members ADD COLUMN postcode TEXT;"
    "ALTER TABLE members ADD COLUMN language TEXT;"
    "ALTER TABLE members ADD COLUMN communication_needs TEXT;"
    "CREATE TABLE member_extra ("
    " member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY (member_id, name)) WITHOUT ROWID;"
    "CREATE INDEX member_extra_name ON member_extra(name, value);",
    /* 9: reports to publish: the channel that invited a response, a
     * meeting's status, moderated comments with themes, action outcomes. */
    "ALTER TABLE responses ADD COLUMN invited_channel TEXT;"
    "ALTER TABLE meetings ADD COLUMN status TEXT"
    " CHECK (status IN ('held','cancelled'));"
    "CREATE TABLE comments ("
    " id INTEGER PRIMARY KEY,"
    " response_id INTEGER NOT NULL REFERENCES responses(id)"
    "  ON DELETE CASCADE,"
    " question TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending'"
    "  CHECK (status IN ('pending','approved','hidden')),"
    " text TEXT NOT NULL, redacted INTEGER NOT NULL DEFAULT 0,"
    " theme TEXT, updated_at INTEGER NOT NULL,"
    " UNIQUE (response_id, question));"
    "CREATE INDEX comments_status ON comments(status);"
    "ALTER TABLE actions ADD COLUMN outcome TEXT;"
    "ALTER TABLE actions ADD COLUMN benefit TEXT;",
    /* 10: care alerts: a message flagged for care, its reply and the staff
     * alert, with who saw and actioned it. */
    "CREATE TABLE care_alerts ("
    " id INTEGER PRIMARY KEY,"
    " practice_id INTEGER REFERENCES practices(id),"
    " member_id INTEGER REFERENCES members(id),"
    " inbound_id INTEGER REFERENCES inbound(id),"
    " response_id INTEGER REFERENCES responses(id) ON DELETE SET NULL,"
    " source TEXT NOT NULL, urgency TEXT NOT NULL"
    "  CHECK (urgency IN ('urgent','crisis','emergency')),"
    " phrase TEXT, replied INTEGER NOT NULL DEFAULT 0,"
    " state TEXT NOT NULL DEFAULT 'new'"
    "  CHECK (state IN ('new','seen','actioned')),"
    " created_at INTEGER NOT NULL, alerts INTEGER NOT NULL DEFAULT 0,"
    " last_alert_at INTEGER, seen_by TEXT, seen_at INTEGER,"
    " actioned_by TEXT, actioned_at INTEGER, note TEXT);"
    "CREATE INDEX care_alerts_state ON care_alerts(state, created_at);"
    "CREATE INDEX care_alerts_member ON care_alerts(member_id, urgency,"
    " created_at);"
    /* Messages flagged before: listed, marked seen so none escalates. */
    "INSERT INTO care_alerts (practice_id, member_id, inbound_id, source,"
    " urgency, phrase, replied, state, created_at, seen_by, seen_at)"
    " SELECT practice_id, member_id, id, channel, 'urgent', 'care_words',"
    " 1, 'seen', received_at, 'upgrade',"
    " CAST(strftime('%s', 'now') AS INTEGER) FROM inbound"
    " WHERE care_flag = 1 ORDER BY id;",

    /* 11: the evidence log and the self-assessment sign-off. */
    "CREATE TABLE evidence ("
    " id INTEGER PRIMARY KEY,"
    " practice_id INTEGER NOT NULL REFERENCES practices(id),"
    " kind TEXT NOT NULL, day TEXT NOT NULL, title TEXT NOT NULL,"
    " link TEXT, note TEXT, meeting_id INTEGER REFERENCES meetings(id),"
    " file_name TEXT, content_type TEXT, file BLOB,"
    " created_at INTEGER NOT NULL, removed_at INTEGER);"
    "CREATE INDEX evidence_practice ON evidence(practice_id, kind, day);"
    "CREATE TABLE signoffs ("
    " id INTEGER PRIMARY KEY,"
    " practice_id INTEGER NOT NULL REFERENCES practices(id),"
    " year INTEGER NOT NULL, financial INTEGER NOT NULL,"
    " signed_by TEXT NOT NULL, level TEXT NOT NULL, at INTEGER NOT NULL);",

    /* 12: staff accounts, their practices, reset links and sessions. */
    "CREATE TABLE users ("
    " id INTEGER PRIMARY KEY,"
    " email TEXT NOT NULL UNIQUE COLLATE NOCASE, name TEXT NOT NULL,"
    " role TEXT NOT NULL CHECK (role IN ('admin','manager','lead','viewer')),"
    " password_hash TEXT, totp_secret TEXT, totp_pending TEXT,"
    " totp_enabled INTEGER NOT NULL DEFAULT 0, totp_last_step INTEGER,"
    " failed INTEGER NOT NULL DEFAULT 0,"
    " locked_until INTEGER NOT NULL DEFAULT 0, disabled_at INTEGER,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE TABLE user_practices ("
    " user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " practice_id INTEGER NOT NULL REFERENCES practices(id),"
    " PRIMARY KEY (user_id, practice_id)) WITHOUT ROWID;"
    "CREATE TABLE user_links ("
    " hash TEXT PRIMARY KEY,"
    " user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " purpose TEXT NOT NULL CHECK (purpose IN ('reset')),"
    " expires_at INTEGER NOT NULL, used_at INTEGER) WITHOUT ROWID;"
    "CREATE TABLE sessions ("
    " hash TEXT PRIMARY KEY,"
    " user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " csrf TEXT NOT NULL, ok INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL, seen_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX sessions_user ON sessions(user_id);",
    /* 13: join requests, welcomes, confidentiality agreement links. */
    "CREATE TABLE join_requests ("
    " id INTEGER PRIMARY KEY,"
    " practice_id INTEGER NOT NULL REFERENCES practices(id),"
    " state TEXT NOT NULL DEFAULT 'unconfirmed' CHECK (state IN"
    "  ('unconfirmed','pending','approved','rejected','expired')),"
    " via TEXT NOT NULL, source TEXT NOT NULL DEFAULT 'direct',"
    " first_name TEXT, email TEXT, mobile TEXT, data TEXT,"
    " ref_hash TEXT UNIQUE, email_hash TEXT UNIQUE,"
    " code_hash TEXT, code_attempts INTEGER NOT NULL DEFAULT 0,"
    " sms_step TEXT,"
    " email_confirmed_at INTEGER, mobile_confirmed_at INTEGER,"
    " member_id INTEGER REFERENCES members(id),"
    " external_ref TEXT, reason TEXT, decided_by TEXT,"
    " created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
    " confirmed_at INTEGER, decided_at INTEGER, purged_at INTEGER);"
    "CREATE INDEX join_requests_state ON join_requests(state, expires_at);"
    "CREATE INDEX join_requests_mobile ON join_requests(mobile, state);"
    "CREATE TABLE welcomes ("
    " member_id INTEGER PRIMARY KEY REFERENCES members(id),"
    " at INTEGER NOT NULL, outbox_id INTEGER);"
    "INSERT INTO welcomes (member_id, at)"
    " SELECT id, strftime('%s','now') FROM members;"
    "CREATE TABLE agreement_links ("
    " hash TEXT PRIMARY KEY,"
    " member_id INTEGER NOT NULL REFERENCES members(id),"
    " version TEXT NOT NULL, created_at INTEGER NOT NULL,"
    " used_at INTEGER) WITHOUT ROWID;"
    "CREATE INDEX agreement_links_member ON agreement_links(member_id,"
    " version);",

    /* 14: meetings through the year: online link, series, members'
     * replies, attendance, RSVP tokens and actions from a meeting. */
    "ALTER TABLE meetings ADD COLUMN link TEXT;"
    "ALTER TABLE meetings ADD COLUMN series_id INTEGER;"
    "ALTER TABLE meetings ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE meetings ADD COLUMN published_at INTEGER;"
    "ALTER TABLE meetings ADD COLUMN feedback_to TEXT"
    " CHECK (feedback_to IN ('attended','invited'));"
    "ALTER TABLE actions ADD COLUMN meeting_id INTEGER"
    " REFERENCES meetings(id);"
    "CREATE TABLE meeting_replies ("
    " meeting_id INTEGER NOT NULL REFERENCES meetings(id),"
    " member_id INTEGER NOT NULL REFERENCES members(id),"
    " answer TEXT NOT NULL CHECK (answer IN ('yes','no')),"
    " channel TEXT NOT NULL, at INTEGER NOT NULL,"
    " PRIMARY KEY (meeting_id, member_id));"
    "CREATE TABLE meeting_attendance ("
    " id INTEGER PRIMARY KEY,"
    " meeting_id INTEGER NOT NULL REFERENCES meetings(id),"
    " member_id INTEGER REFERENCES members(id), name TEXT,"
    " role TEXT NOT NULL CHECK (role IN ('member','staff','gp-partner')),"
    " recorded_at INTEGER NOT NULL);"
    "CREATE INDEX meeting_attendance_meeting ON"
    " meeting_attendance(meeting_id);"
    "CREATE TABLE meeting_tokens ("
    " hash TEXT PRIMARY KEY,"
    " meeting_id INTEGER NOT NULL REFERENCES meetings(id),"
    " member_id INTEGER NOT NULL REFERENCES members(id),"
    " created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);"
    "CREATE TABLE meeting_notices ("
    " outbox_id INTEGER PRIMARY KEY REFERENCES outbox(id) ON DELETE CASCADE,"
    " meeting_id INTEGER NOT NULL REFERENCES meetings(id),"
    " kind TEXT NOT NULL);"
    "CREATE INDEX meeting_notices_meeting ON meeting_notices(meeting_id);",

    /* 15: a run keeps the sample its bodies are packed against and
     * is `firing` until its last slice commits; the due indexes hold only
     * the rows still to send, not every sent one. */
    "ALTER TABLE runs ADD COLUMN body_dict BLOB;"
    "ALTER TABLE runs ADD COLUMN firing INTEGER NOT NULL DEFAULT 0;"
    "DROP INDEX outbox_due;"
    "CREATE INDEX outbox_pending ON outbox(next_attempt_at)"
    " WHERE state = 'pending';"
    "CREATE INDEX outbox_waiting ON outbox(state, next_attempt_at)"
    " WHERE state = 'held' OR state = 'sending';",
    /* 16: a staff account's last sign-in, shown on the admin's users page. */
    "ALTER TABLE users ADD COLUMN last_login_at INTEGER;",
    /* 17: files uploaded to the web admin, kept from a preview to its
     * confirm; message templates edited in the admin, each saved version
     * kept as it was (a NULL text is a revert to the shipped file). */
    "CREATE TABLE admin_uploads ("
    " hash TEXT PRIMARY KEY,"
    " user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " practice_id INTEGER NOT NULL REFERENCES practices(id),"
    " kind TEXT NOT NULL, name TEXT NOT NULL, content BLOB NOT NULL,"
    " created_at INTEGER NOT NULL);"
    "CREATE INDEX admin_uploads_created ON admin_uploads(created_at);"
    "CREATE TABLE template_versions ("
    " id INTEGER PRIMARY KEY,"
    " channel TEXT NOT NULL CHECK (channel IN ('email','sms')),"
    " name TEXT NOT NULL, version INTEGER NOT NULL,"
    " text TEXT, html TEXT,"
    " created_at INTEGER NOT NULL, created_by TEXT NOT NULL,"
    " UNIQUE (channel, name, version));"
    "CREATE TRIGGER template_versions_no_update BEFORE UPDATE ON"
    " template_versions BEGIN"
    " SELECT RAISE(ABORT, 'template versions are kept as saved'); END;"
    "CREATE TRIGGER template_versions_no_delete BEFORE DELETE ON"
    " template_versions BEGIN"
    " SELECT RAISE(ABORT, 'template versions are kept as saved'); END;",
    /* 18: messages rendered when sent: a run keeps the snapshot they are
     * rendered from and the survey version it asks; links are derived by
     * HMAC, so a survey answered through one is recorded here, once per
     * member per run (the invitation's, shared by its reminders). The
     * outbox's and SMS sessions' state CHECKs are rewritten as comparisons
     * (the same rule): SQLite builds a temporary b-tree for an IN list of
     * more than two values on every INSERT and UPDATE that checks it, a
     * quarter of a fire's work. Only the CHECK text changes (the documented
     * writable_schema way for a CHECK; no row is touched); the ALTER TABLEs
     * after it bump the schema version, so every connection reloads it. */
    "PRAGMA writable_schema = ON;"
    "UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (state IN "
    " (''pending'',''held'',''sending'',''sent'',''delivered'',''failed'',"
    "''cancelled''))', 'CHECK (state = ''pending'' OR state = ''held'' OR"
    " state = ''sending'' OR state = ''sent'' OR state = ''delivered'' OR"
    " state = ''failed'' OR state = ''cancelled'')')"
    " WHERE type = 'table' AND name = 'outbox';"
    "UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (state IN (''open'',"
    "''done'',  ''expired'',''stopped'',''superseded'',''broken''))',"
    " 'CHECK (state = ''open'' OR state = ''done'' OR state = ''expired'' OR"
    " state = ''stopped'' OR state = ''superseded'' OR state = ''broken'')')"
    " WHERE type = 'table' AND name = 'sms_sessions';"
    "PRAGMA writable_schema = OFF;"
    "ALTER TABLE runs ADD COLUMN snapshot TEXT;"
    "ALTER TABLE runs ADD COLUMN survey_id INTEGER REFERENCES surveys(id);"
    "CREATE TABLE token_uses ("
    " run_id INTEGER NOT NULL, member_id INTEGER NOT NULL,"
    " kind TEXT NOT NULL, used_at INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, member_id, kind)) WITHOUT ROWID;"
    "CREATE INDEX token_uses_member ON token_uses(member_id);",
    /* 19: telling those invited that a meeting moved or was cancelled is
     * a job of slices, each its own transaction: this row is where it has
     * got to (members up to after_member are told), kept until the last
     * slice, so a crash or a stop is finished at the next start. */
    "CREATE TABLE meeting_notice_jobs ("
    " meeting_id INTEGER PRIMARY KEY REFERENCES meetings(id),"
    " template TEXT NOT NULL, sent_only INTEGER NOT NULL,"
    " old_when TEXT, changed_at INTEGER NOT NULL,"
    " after_member INTEGER NOT NULL DEFAULT 0,"
    " last_member INTEGER NOT NULL,"
    " campaigns INTEGER NOT NULL DEFAULT 0,"
    " cancelled INTEGER NOT NULL DEFAULT 0,"
    " messages INTEGER NOT NULL DEFAULT 0,"
    " email INTEGER NOT NULL DEFAULT 0, sms INTEGER NOT NULL DEFAULT 0);",
};

int
schema_latest(void)
{
	return (int)(sizeof migrations / sizeof migrations[0]);
}

const char *
schema_migration(int version)
{
	if (version < 1 || version > schema_latest())
		return NULL;
	return migrations[version - 1];
}
