/* The member register: contact, consent, opt-outs, term, demographics. */
#ifndef PPGD_MEMBER_H
#define PPGD_MEMBER_H

#include <stdint.h>
#include <jansson.h>

#include "db.h"

/* Times are seconds since the epoch; 0 means not set. */
struct member {
	int64_t id;
	int64_t practice_id;
	char *practice_code;
	char *external_ref;
	char *first_name;
	char *last_name;
	char *email;
	char *mobile; /* E.164 */
	char *preferred_channel;
	int64_t consent_email_at;
	char *consent_email_how;
	int64_t consent_sms_at;
	char *consent_sms_how;
	int64_t optout_email_at;
	int64_t optout_sms_at;
	int64_t confidentiality_at;
	char *confidentiality_version;
	int64_t joined_at;
	int64_t term_ends_at;
	char *age_band;
	char *sex;
	char *ethnicity;
	int disability; /* -1 unknown, 0 no, 1 yes */
	int carer;
	char *tags; /* sorted, comma-separated */
	int64_t erased_at;
	int birth_ym;           /* year * 12 + month - 1 of birth; 0 unknown */
	char *ethnicity_detail; /* category label, see demog_ethnicity */
	char *postcode;
	char *language;
	char *communication_needs; /* sorted, comma-separated */
	json_t *extra; /* custom fields {"NAME": "text"}; NULL if none */
};

/* A member field as it is named in CSV, the CLI and the API. */
struct member_field {
	const char *name;
	const char *aliases; /* comma-separated, for CSV headers */
	const char *help;
	int demographic; /* an unreadable value is only a warning on import */
};

/* Custom fields are named "extra.NAME"; NAME is letters, digits, '_', '-'. */
#define MEMBER_EXTRA_PREFIX "extra."
#define MEMBER_EXTRA_MAX    32 /* custom fields a member may have */

/* The fields in export order; n set to their count. */
const struct member_field *member_fields(size_t *n);
struct member *member_new(int64_t practice_id, const char *practice_code);
void member_free(struct member *);
/* Set a field by name from text (validated, normalised). */
int member_set(struct member *, const char *field, const char *value,
               char **cause);
/* Set the i-th field of member_fields(). */
int member_set_index(struct member *, size_t i, const char *value,
                     char **cause);
/* A field as text, as export writes it. Caller frees. */
char *member_get_text(const struct member *, const char *field);
/* 1 if field names a custom field ("extra.NAME" with a good NAME). */
int member_extra_name_ok(const char *field);
/* Keep only the outward code of the postcode ("LS1 4AP" -> "LS1"). */
void member_postcode_outward(struct member *);
/* The age band at time now: from the birth month if known, else as
 * recorded; NULL if neither. */
const char *member_age_band(const struct member *, int64_t now);
/* Check the whole record (contact for the preferred channel...). */
int member_validate(const struct member *, char **cause);
/* Fill in defaults for a new member: joined now, term end from months. */
void member_defaults(struct member *, int term_months);
/* Insert (id 0) or update; tags replaced. Sets m->id. */
int member_save(struct db *, struct member *, char **cause);
/* Load by id. Caller frees. NULL if none. */
struct member *member_load(struct db *, int64_t id);
/* The member matching, in order, external_ref, email, mobile in a practice. */
int64_t member_match(struct db *, int64_t practice_id, const char *ref,
                     const char *email, const char *mobile);
/* Find members by E.164 mobile or email, across practices. */
int64_t member_by_mobile(struct db *, const char *e164);
int64_t member_by_email(struct db *, const char *email);
/* Erase every personal field; keep anonymised answers; audit it. */
int member_erase(struct db *, int64_t id, const char *actor, char **cause);
json_t *member_to_json(const struct member *);

/* The custom field names used in a practice (all if NULL), sorted, as a
 * JSON array of strings. */
json_t *member_extra_names(struct db *, const char *practice);

/* Filters for member_list: NULL means any. */
struct member_filter {
	const char *practice;
	const char *age_band;
	const char *sex;
	const char *ethnicity;
	const char *tag;
	const char *channel; /* members reachable on it */
	const char *search;  /* substring of name, email or mobile */
	int include_erased;
	int active_only;       /* term not ended, not erased */
	int64_t after;         /* only ids above this (a page's start) */
	long long limit;       /* at most this many; 0: no limit */
	const char *practices; /* "A81001,B82002": only these; NULL any */
};

/* Call fn for each member matching f, in id order. */
int member_list(struct db *, const struct member_filter *f,
                int (*fn)(struct member *, void *), void *arg);

/* Allowed values of the demographic fields. */
extern const char *const member_age_bands[];
extern const char *const member_sexes[];
extern const char *const member_ethnicities[];

#endif
