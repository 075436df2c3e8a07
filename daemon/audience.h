/* Audiences: who a campaign is for, and on which channel each member gets it.
 */
#ifndef PPGD_AUDIENCE_H
#define PPGD_AUDIENCE_H

#include <stdint.h>

#include "db.h"

struct audience;  /* a parsed audience expression */
struct aud_query; /* the members of one audience, one at a time */

/* Why a matched member gets nothing. */
enum aud_skip {
	AUD_OK,
	AUD_ERASED,
	AUD_TERM_ENDED,
	AUD_OPTED_OUT,
	AUD_NO_CONSENT,
	AUD_NO_CONTACT,
	AUD_FREQUENCY_CAP,
	AUD_NSKIP
};

/* Where and how to look: the practice, the channels in order of preference. */
struct aud_scope {
	int64_t practice_id;
	const char *channels[2];
	int nchannels;
	int64_t now;
	int frequency_cap;   /* messages in 7 days; 0: no cap */
	int64_t member_id;   /* one member only, or 0 */
	int64_t invited_run; /* reminders: invited by this run, or 0 */
	int64_t campaign_id; /* reminders: not completed this campaign */
	int term_ended_ok;   /* set by a leaving: term (the exit survey) */
	/* confidentiality=signed: this version; NULL: any version */
	const char *agreement_version;
	int64_t after_id; /* members with a greater id only (a fire's slice) */
};

/* One member; strings are borrowed until the next audience_next. */
struct aud_member {
	int64_t id;
	const char *first_name, *last_name, *email, *mobile;
	const char *age_band, *sex, *ethnicity;
	const char *channel; /* the chosen channel, NULL when skipped */
	enum aud_skip skip;
};

/*
 * Parse "everyone", or comma-separated terms ANDed: FIELD=V[|V...] (age_band,
 * sex, ethnicity, carer, disability, preferred_channel; age_band is
 * computed from the birth month when known), extra.NAME=V[|V...] (a
 * custom field, any case), tag:T[|T...], not-responded:CAMPAIGN,
 * attended:MEETING (recorded by meeting attendance), invited:MEETING (whose
 * invitation or reminder of that meeting was sent), renewal-due:DURATION
 * (term ends within it, not yet sent the term-renewal survey for this
 * term), leaving:DURATION (term ended, or opted out of a channel, within
 * it, never sent the exit survey; term-ended members are not skipped).
 * Caller frees *out with audience_free, *cause.
 */
int audience_parse(const char *expr, struct audience **out, char **cause);
void audience_free(struct audience *);
/* Check the names an audience refers to (campaigns) exist. */
int audience_check(struct db *, const struct audience *, char **cause);
/* The SQL text of the member query (for tests and debugging). Caller frees. */
char *audience_sql(const struct audience *, const struct aud_scope *);

/* Start the query (one SELECT, values bound). Caller frees with
 * audience_query_free. */
int audience_query_new(struct db *, const struct audience *,
                       const struct aud_scope *, struct aud_query **out,
                       char **cause);
/* The next member with its channel or skip reason; 0 at the end, -1 on
 * error. */
int audience_next(struct aud_query *, struct aud_member *);
void audience_query_free(struct aud_query *);
/* "opted_out", "term_ended"... as used in JSON. */
const char *audience_skip_name(enum aud_skip);
/* Parse "email,sms" into scope->channels; -1 on an unknown or repeated one. */
int audience_channels(const char *list, struct aud_scope *, char **cause);

#endif
