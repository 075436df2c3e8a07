/* SMS survey sessions: their states, and the one way to close them. */
#ifndef PPGD_SMS_SESSION_H
#define PPGD_SMS_SESSION_H

#include <stdint.h>

#include "db.h"

/* The states of sms_sessions.state (a CHECK constraint holds them). */
enum sms_session_state {
	SS_OPEN,       /* waiting for the answer to question_index */
	SS_DONE,       /* every question asked; the response is complete */
	SS_EXPIRED,    /* out of time (expires_at passed) */
	SS_STOPPED,    /* the member opted out of SMS */
	SS_SUPERSEDED, /* a newer campaign started another session */
	SS_BROKEN,     /* the survey or question it points at is gone */
};

const char *sms_session_strstate(enum sms_session_state);
/* -1 if s names no state. */
int sms_session_state_parse(const char *s, enum sms_session_state *);
/*
 * Close member's open sessions as `to` (SS_EXPIRED: only those whose time
 * is up at now). Logs how many at debug. 0, or -1 on a database error.
 */
int sms_session_close(struct db *, int64_t member, enum sms_session_state to,
                      int64_t now);

#endif
