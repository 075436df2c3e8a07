/*
 * SMS conversations: opt-out keywords, survey sessions one question at a
 * time, feedback, and replies that ask for care.
 */
#ifndef PPGD_SMSCONV_H
#define PPGD_SMSCONV_H

#include <stdint.h>

#include "config.h"
#include "db.h"

enum smsconv_keyword { KW_NONE, KW_STOP, KW_START, KW_HELP };

/* Re-prompts after an invalid answer before the session moves on. */
#define SMSCONV_MAX_REPROMPTS 2

/* One inbound text. */
struct smsconv_msg {
	const char *from; /* the sender, E.164 */
	const char *to;   /* our number, E.164 if it parsed */
	const char *text;
	int64_t now;
};

/* What became of it. */
struct smsconv_result {
	int64_t member_id;       /* 0: no member */
	int64_t practice_id;     /* 0: unknown */
	const char *disposition; /* static: optout, optin, help, answer,
	                            reprompt, skipped, feedback, unmatched,
	                            stop-request, meeting-reply */
	int queued;              /* outbox rows queued (kick the dispatcher) */
};

/*
 * The keyword a whole message is, after textnorm_words(): any case, width
 * or accents, zero-width characters and surrounding punctuation ignored
 * (" Stop.", "STOP!", fullwidth STOP are all KW_STOP).
 */
enum smsconv_keyword smsconv_keyword(const char *text);
/* 1 if a message of several words clearly asks to stop ("please stop
 * texting me", "unsubscribe me"). */
int smsconv_stop_request(const char *text);
/*
 * Handle one inbound SMS inside the caller's transaction: the practice by
 * the number it was sent to, then the sender's members there; keywords
 * first, then a request to stop in words, then the sender's open survey
 * session, else feedback (or unmatched).
 * Replies are queued in the outbox. 0, or -1 on a database error.
 */
int smsconv_handle(struct db *, const struct config *,
                   const struct smsconv_msg *, struct smsconv_result *);

#endif
