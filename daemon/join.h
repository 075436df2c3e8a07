/*
 * Joining the group: join requests from the public page and by SMS, double
 * opt-in (an email link, a 6-digit SMS code or a YES reply), the practice's
 * approval, expiry and purging. The one writer of join_requests.
 */
#ifndef PPGD_JOIN_H
#define PPGD_JOIN_H

#include <stdint.h>
#include <jansson.h>

#include "config.h"
#include "db.h"

/* What a person typed on the join page; NULL or "" means not given. */
struct join_form {
	const char *first_name, *last_name, *email, *mobile;
	const char *consent_email, *consent_sms; /* "yes" when ticked */
	const char *age_band, *dob, *sex, *ethnicity;
	const char *disability, *carer, *communication; /* yes|no|"" */
	const char *agree;                              /* "yes" when ticked */
	const char *source;
};

/* The form fields, in page order (each may carry an error). */
enum join_field {
	JF_FIRST_NAME,
	JF_LAST_NAME,
	JF_CONTACT,
	JF_EMAIL,
	JF_CONSENT_EMAIL,
	JF_MOBILE,
	JF_CONSENT_SMS,
	JF_AGE_BAND,
	JF_DOB,
	JF_SEX,
	JF_ETHNICITY,
	JF_DISABILITY,
	JF_CARER,
	JF_COMMUNICATION,
	JF_AGREE,
	JF_NFIELDS
};

/* An error message per field (static strings; NULL: none). */
struct join_errors {
	const char *msg[JF_NFIELDS];
	int n;
};

/* What a submitted request asks the person to do next. */
struct join_next {
	int email;          /* a confirmation link was emailed */
	int sms;            /* a code was texted */
	char ref[23];       /* the handle the code form posts back */
	int64_t request_id; /* 0 when nothing was stored */
};

/* Check a form (now for the age from a date of birth); e->n errors. */
void join_check(const struct join_form *, int64_t now, struct join_errors *e);
/* A source label from a link ("waiting-room"), or "direct". Static or sv. */
const char *join_source(const char *sv);
/*
 * Store a request checked by join_check and send the confirmation link
 * and/or code. An email or mobile that is already a member's gets "you are
 * already a member" through that channel instead, and nothing is stored;
 * next looks the same either way. agreement_version is the version
 * accepted, or NULL. 0, or -1 with *cause.
 */
int join_submit(struct db *, const struct config *, int64_t practice_id,
                const struct join_form *, const char *agreement_version,
                int64_t now, struct join_next *next, char **cause);

/* The outcome of a confirmation. */
enum join_confirm {
	JC_CONFIRMED, /* now waiting for the practice, or a member (auto) */
	JC_ALREADY,   /* confirmed before */
	JC_WRONG,     /* wrong code; attempts remain */
	JC_LOCKED,    /* too many wrong codes */
	JC_UNKNOWN,   /* no such request, or it expired */
	JC_ERROR
};

/* The email link's token. */
enum join_confirm join_confirm_email(struct db *, const struct config *,
                                     const char *token, int64_t now);
/* The 6-digit code, for the request whose handle is ref; *left set. */
enum join_confirm join_confirm_code(struct db *, const struct config *,
                                    const char *ref, const char *code,
                                    int64_t now, int *left);
/* A confirmed mobile (a YES reply, an SMS conversation). */
enum join_confirm join_confirm_mobile(struct db *, const struct config *,
                                      int64_t request_id, int64_t now);

/*
 * Make a confirmed request a member (welcome queued); external_ref may be
 * NULL. Sets *member_id. 0, or -1 with *cause.
 */
int join_approve(struct db *, const struct config *, int64_t id,
                 const char *external_ref, const char *actor,
                 int64_t *member_id, char **cause);
/*
 * Refuse a request, with the reason (kept until the retention purge; never
 * sent). With cfg, the person is told by their confirmed channel (template
 * join-declined, in the same transaction); with NULL, nothing is sent.
 */
int join_reject(struct db *, const struct config *cfg, int64_t id,
                const char *reason, const char *actor, char **cause);
/* One request as join_list shows it, or NULL. */
json_t *join_get(struct db *, int64_t id);
/* How many of a practice's requests are in state. */
int64_t join_count(struct db *, int64_t practice_id, const char *state);
/* Requests waiting for the practice ("pending"), or of one state. */
json_t *join_list(struct db *, const char *practice, const char *state);
/*
 * Expire unconfirmed requests past their time (their personal data goes at
 * once) and purge the personal data of requests decided more than
 * retention_days ago. Returns how many rows changed, or -1.
 */
int join_purge(struct db *, int retention_days, int64_t now);
/*
 * New members who joined through a request in [from, to), counted by
 * source and by each demographic value: {"age_band": {"16-24":
 * {"waiting-room": 2}}, ...}.
 */
json_t *join_sources(struct db *, int64_t practice_id, int64_t from,
                     int64_t to);

/* Open a request by SMS (JOIN from an unknown number). */
int join_sms_open(struct db *, int64_t practice_id, const char *mobile,
                  const char *first_name, int64_t now, int64_t expiry,
                  int64_t *id);
/* The newest unconfirmed request for this mobile: id, step; 0 if none. */
int64_t join_by_mobile(struct db *, const char *mobile, int64_t now,
                       char **sms_step);
/* Move an SMS request on: its name, the next step. */
int join_sms_step(struct db *, int64_t id, const char *first_name,
                  const char *step);
/* Record in an SMS request that the agreement version was accepted. */
int join_sms_agree(struct db *, int64_t id, const char *version, int64_t now);
/* Withdraw an unconfirmed request (STOP): its personal data goes now. */
int join_cancel(struct db *, int64_t id, int64_t now);

#endif
