/* The member register. */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demog.h"
#include "log.h"
#include "member.h"
#include "outbox.h"
#include "phone.h"
#include "util.h"
#include "xmalloc.h"

const char *const member_age_bands[] = {
    "16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85+", NULL};
const char *const member_sexes[] = {
    "female", "male", "indeterminate", "other", "prefer-not-to-say", NULL};
const char *const member_ethnicities[] = {
    "white", "mixed", "asian", "black", "other", "prefer-not-to-say", NULL};
static const char *const member_channels[] = {"email", "sms", NULL};

enum mf_type {
	MF_TEXT,
	MF_EMAIL,
	MF_MOBILE,
	MF_TIME,
	MF_CONSENT,
	MF_BOOL,
	MF_ENUM,
	MF_TAGS,
	MF_SEX,
	MF_ETHNICITY,        /* the broad group; sets the detail too */
	MF_ETHNICITY_DETAIL, /* the category; sets the broad group too */
	MF_BIRTH,
	MF_POSTCODE,
	MF_NEEDS,
};

struct mf_def {
	struct member_field pub;
	enum mf_type type;
	size_t off;
	const char *const *choices;
};

#define OFF(f) offsetof(struct member, f)
static const struct mf_def mf_table[] = {
    {{"external_ref",
      "ref,nhs_ref,patient_id,id,emis_id,systmone_id,emis_number,emis_no,"
      "patient_number,patient_no,patient_reference,patient_ref,"
      "systmone_number,vision_id,vision_number,registration_number,"
      "internal_id,record_number",
      "the practice system's id (not the NHS number)", 0},
     MF_TEXT,
     OFF(external_ref),
     NULL},
    {{"first_name",
      "first,forename,forenames,given_name,given_names,firstname,"
      "first_names,forename_s,preferred_name,known_as,calling_name",
      "first name", 0},
     MF_TEXT,
     OFF(first_name),
     NULL},
    {{"last_name", "last,surname,family_name,lastname,last_names", "last name",
      0},
     MF_TEXT,
     OFF(last_name),
     NULL},
    {{"email",
      "email_address,e-mail,mail,e_mail_address,email_addr,"
      "patient_email,patient_email_address,contact_email,"
      "preferred_email,home_email,email_address_home",
      "email address", 0},
     MF_EMAIL,
     OFF(email),
     NULL},
    {{"mobile",
      "mobile_number,mobile_phone,mobile_telephone,mobile_tel,"
      "mobile_telephone_number,mobile_phone_number,mobile_no,tel_mobile,"
      "telephone_mobile,mobile_telephone_no,patient_mobile,contact_mobile,"
      "mobile_sms_number,sms_number,preferred_mobile,cell,sms,phone,"
      "telephone,tel",
      "UK mobile or international number (stored as E.164)", 0},
     MF_MOBILE,
     OFF(mobile),
     NULL},
    {{"preferred_channel",
      "channel,preferred,contact_by,preferred_contact,"
      "preferred_contact_method,contact_preference",
      "email or sms", 0},
     MF_ENUM,
     OFF(preferred_channel),
     member_channels},
    {{"consent_email",
      "email_consent,consent_to_email,consent_email_given,"
      "email_consent_given",
      "yes/no or when consent was given", 0},
     MF_CONSENT,
     OFF(consent_email_at),
     NULL},
    {{"consent_email_how", "", "how email consent was given", 0},
     MF_TEXT,
     OFF(consent_email_how),
     NULL},
    {{"consent_sms",
      "sms_consent,text_consent,consent_to_sms,consent_to_text,"
      "sms_consent_given",
      "yes/no or when", 0},
     MF_CONSENT,
     OFF(consent_sms_at),
     NULL},
    {{"consent_sms_how", "", "how SMS consent was given", 0},
     MF_TEXT,
     OFF(consent_sms_how),
     NULL},
    {{"optout_email", "email_optout", "when the member opted out of email", 0},
     MF_TIME,
     OFF(optout_email_at),
     NULL},
    {{"optout_sms", "sms_optout", "when the member opted out of SMS", 0},
     MF_TIME,
     OFF(optout_sms_at),
     NULL},
    {{"confidentiality_signed", "confidentiality,agreement_signed",
      "date the confidentiality agreement was signed", 0},
     MF_TIME,
     OFF(confidentiality_at),
     NULL},
    {{"confidentiality_version", "agreement_version",
      "version of the agreement", 0},
     MF_TEXT,
     OFF(confidentiality_version),
     NULL},
    {{"joined",
      "joined_at,join_date,joined_on,ppg_joined,joined_ppg,"
      "date_joined_ppg",
      "date joined", 0},
     MF_TIME,
     OFF(joined_at),
     NULL},
    {{"term_ends", "term_end,term_ends_at,membership_ends",
      "end of the membership term", 0},
     MF_TIME,
     OFF(term_ends_at),
     NULL},
    {{"age_band", "age,age_group", "16-24 ... 85+", 1},
     MF_ENUM,
     OFF(age_band),
     member_age_bands},
    {{"sex", "gender,sex_gender,gender_identity,stated_gender",
      "female, male, indeterminate, other, prefer-not-to-say (NHS codes "
      "1, 2, 9, 0 too)",
      1},
     MF_SEX,
     OFF(sex),
     member_sexes},
    {{"ethnicity",
      "ethnic_group,ethnicity_group,ethnic_origin,ethnic_category,"
      "ethnicity_description,ethnic_category_code,ethnicity_code",
      "white, mixed, asian, black, other, prefer-not-to-say; or an NHS "
      "ethnic category or 2021 census group",
      1},
     MF_ETHNICITY,
     OFF(ethnicity),
     member_ethnicities},
    {{"disability", "disabled,has_disability", "yes/no", 1},
     MF_BOOL,
     OFF(disability),
     NULL},
    {{"carer", "is_carer,carer_status", "yes/no", 1},
     MF_BOOL,
     OFF(carer),
     NULL},
    {{"tags", "seldom_heard,groups,ppg_groups,seldom_heard_groups",
      "seldom-heard tags, ; separated", 0},
     MF_TAGS,
     OFF(tags),
     NULL},
    {{"birth_month",
      "date_of_birth,dob,birth_date,birthdate,d_o_b,date_of_birth_dob,"
      "born",
      "date of birth; only the year and month are kept (YYYY-MM)", 1},
     MF_BIRTH,
     OFF(birth_ym),
     NULL},
    {{"ethnicity_detail", "ethnic_category_detail",
      "the NHS or census ethnic category", 1},
     MF_ETHNICITY_DETAIL,
     OFF(ethnicity_detail),
     NULL},
    {{"postcode", "post_code,postal_code,zip,home_postcode,address_postcode",
      "postcode (or only its outward code, see [daemon] postcode)", 1},
     MF_POSTCODE,
     OFF(postcode),
     NULL},
    {{"language",
      "preferred_language,main_language,main_spoken_language,"
      "first_language,spoken_language,language_spoken",
      "preferred language", 1},
     MF_TEXT,
     OFF(language),
     NULL},
    {{"communication_needs",
      "accessible_information,accessible_information_needs,ais,"
      "ais_needs,information_needs,communication_need,"
      "communication_support",
      "Accessible Information Standard needs, ; separated", 1},
     MF_NEEDS,
     OFF(communication_needs),
     NULL},
};
#undef OFF
#define NFIELDS (sizeof mf_table / sizeof mf_table[0])

const struct member_field *
member_fields(size_t *n)
{
	static struct member_field pub[NFIELDS];
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		pub[i] = mf_table[i].pub;
	*n = NFIELDS;
	return pub;
}

struct member *
member_new(int64_t practice_id, const char *practice_code)
{
	struct member *m = xcalloc(1, sizeof *m);

	m->practice_id = practice_id;
	m->practice_code = xstrdup(practice_code ? practice_code : "");
	m->preferred_channel = xstrdup("email");
	m->disability = m->carer = -1;
	return m;
}

void
member_free(struct member *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < NFIELDS; i++) {
		enum mf_type t = mf_table[i].type;
		if (t != MF_TIME && t != MF_CONSENT && t != MF_BOOL &&
		    t != MF_BIRTH && t != MF_ETHNICITY)
			free(*(char **)((char *)m + mf_table[i].off));
	}
	free(m->ethnicity);
	json_decref(m->extra);
	free(m->practice_code);
	free(m);
}

static const struct mf_def *
mf_find(const char *name)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		if (strcmp(mf_table[i].pub.name, name) == 0)
			return &mf_table[i];
	return NULL;
}

static int
parse_yesno(const char *v, int *out)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "y") == 0 ||
	    strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "n") == 0 ||
	         strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = 0;
	else if (*v == '\0' || strcasecmp(v, "unknown") == 0)
		*out = -1;
	else
		return -1;
	return 0;
}

static int
email_ok(const char *e)
{
	const char *at = strchr(e, '@');
	const char *p;

	if (at == NULL || at == e || strchr(at + 1, '@') != NULL ||
	    strchr(at, '.') == NULL || strlen(e) > 254)
		return 0;
	for (p = e; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || strchr("<>()[],;:\\\"", *p))
			return 0;
	return at[strlen(at) - 1] != '.';
}

/* Normalise tags: lower case, '-' for spaces, sorted, unique. */
static char *
tags_normalise(const char *v)
{
	char *copy = xstrdup(v), *tok, *save = NULL, **list = NULL, *out;
	size_t n = 0, i, j, len = 1;

	for (tok = strtok_r(copy, ";,|", &save); tok != NULL;
	     tok = strtok_r(NULL, ";,|", &save)) {
		util_lower(util_trim(tok));
		for (i = 0; tok[i] != '\0'; i++)
			if (tok[i] == ' ')
				tok[i] = '-';
		if (*tok == '\0')
			continue;
		for (i = 0; i < n && strcmp(list[i], tok) < 0; i++)
			;
		if (i < n && strcmp(list[i], tok) == 0)
			continue;
		list = xreallocarray(list, n + 1, sizeof *list);
		for (j = n; j > i; j--)
			list[j] = list[j - 1];
		list[i] = tok;
		n++;
		len += strlen(tok) + 1;
	}
	out = xcalloc(1, len);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, ",");
		strcat(out, list[i]);
	}
	free(list);
	free(copy);
	return out;
}

static int
enum_value(const struct mf_def *d, const char *v, char **out, char **cause)
{
	char *low = util_lower(xstrdup(v)), *p;
	const char *alias = NULL;
	size_t i;

	for (p = low; *p != '\0'; p++)
		if (*p == ' ' || *p == '_')
			*p = '-';
	/* Common spellings people type (spaces are '-' by now). */
	if (strcmp(low, "f") == 0 || strcmp(low, "woman") == 0)
		alias = "female";
	else if (strcmp(low, "m") == 0 || strcmp(low, "man") == 0)
		alias = "male";
	else if (strcmp(low, "85-+") == 0 || strcmp(low, "85-and-over") == 0)
		alias = "85+";
	if (alias != NULL) {
		free(low);
		low = xstrdup(alias);
	}
	for (i = 0; d->choices[i] != NULL; i++) {
		if (strcmp(d->choices[i], low) == 0) {
			*out = low;
			return 0;
		}
	}
	free(low);
	*cause = xasprintf("%s: '%s' is not one of", d->pub.name, v);
	for (i = 0; d->choices[i] != NULL; i++) {
		char *c = *cause;
		*cause = xasprintf("%s%s %s", c, i ? "," : "", d->choices[i]);
		free(c);
	}
	return -1;
}

static int
set_time(const struct mf_def *d, const char *v, int64_t *slot, char **cause)
{
	int64_t t;

	if (*v == '\0' || strcasecmp(v, "no") == 0) {
		*slot = 0;
		return 0;
	}
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "now") == 0) {
		/* Keep an earlier date: re-importing "yes" changes nothing. */
		if (*slot == 0)
			*slot = time(NULL);
		return 0;
	}
	if (util_parse_time(v, &t) == -1) {
		*cause = xasprintf("%s: '%s' is not a date (YYYY-MM-DD)%s",
		                   d->pub.name, v,
		                   d->type == MF_CONSENT ? " or yes/no" : "");
		return -1;
	}
	*slot = t;
	return 0;
}

int
member_extra_name_ok(const char *field)
{
	size_t n = strlen(MEMBER_EXTRA_PREFIX), i;

	if (strncmp(field, MEMBER_EXTRA_PREFIX, n) != 0 || field[n] == '\0' ||
	    strlen(field + n) > 40)
		return 0;
	for (i = n; field[i] != '\0'; i++)
		if (!isalnum((unsigned char)field[i]) && field[i] != '_' &&
		    field[i] != '-')
			return 0;
	return 1;
}

/* Set (or, when empty, remove) a custom field. */
static int
member_set_extra(struct member *m, const char *name, const char *value,
                 char **cause)
{
	char *v = util_trim(xstrdup(value ? value : ""));
	char *low = util_lower(xstrdup(name));

	if (util_has_crlf(v) || !util_utf8_valid(v, strlen(v)) ||
	    strlen(v) > 1000) {
		*cause = xasprintf("extra.%s: line breaks, invalid UTF-8 or "
		                   "over 1000 bytes",
		                   name);
		free(v);
		free(low);
		return -1;
	}
	if (m->extra == NULL)
		m->extra = json_object();
	if (*v == '\0')
		json_object_del(m->extra, low);
	else if (json_object_get(m->extra, low) == NULL &&
	         json_object_size(m->extra) >= MEMBER_EXTRA_MAX) {
		*cause = xasprintf("extra.%s: a member has at most %d custom "
		                   "fields",
		                   name, MEMBER_EXTRA_MAX);
		free(v);
		free(low);
		return -1;
	} else
		json_object_set_new(m->extra, low, json_string(v));
	free(v);
	free(low);
	return 0;
}

/* The broad group and category of an ethnicity. */
static int
set_ethnicity(struct member *m, const struct mf_def *d, const char *v,
              char **cause)
{
	const char *broad, *detail;

	if (*v == '\0') {
		if (d->type == MF_ETHNICITY) {
			free(m->ethnicity);
			m->ethnicity = NULL;
		}
		free(m->ethnicity_detail);
		m->ethnicity_detail = NULL;
		return 0;
	}
	if (demog_ethnicity(v, &broad, &detail) == -1) {
		*cause = xasprintf("%s: '%s' is not an ethnic category (NHS "
		                   "code A-Z or 99, its description, a 2021 "
		                   "census group, or white, mixed, asian, "
		                   "black, other, not stated)",
		                   d->pub.name, v);
		return -1;
	}
	/* A broad group alone keeps a category of the same group. */
	if (detail == NULL && broad != NULL && m->ethnicity != NULL &&
	    strcmp(m->ethnicity, broad) == 0)
		return 0;
	free(m->ethnicity);
	m->ethnicity = broad ? xstrdup(broad) : NULL;
	free(m->ethnicity_detail);
	m->ethnicity_detail = detail ? xstrdup(detail) : NULL;
	return 0;
}

/* A demographic type other than an enum; -1 with *cause if unreadable. */
static int
set_demog(struct member *m, const struct mf_def *d, const char *v, char **nv,
          char **cause)
{
	const char *sex;
	int ym;

	switch (d->type) {
	case MF_SEX:
		if (*v != '\0' && demog_sex(v, &sex) == -1) {
			*cause = xasprintf("sex: '%s' is not one of female, "
			                   "male, indeterminate, not known, "
			                   "not stated, other (or 1, 2, 9, 0)",
			                   v);
			return -1;
		}
		*nv = *v != '\0' && sex != NULL ? xstrdup(sex) : NULL;
		return 0;
	case MF_BIRTH:
		if (*v == '\0')
			ym = 0;
		else if (demog_birth(v, &ym) == -1) {
			*cause =
			    xasprintf("%s: '%s' is not a date of birth "
			              "(YYYY-MM-DD, DD/MM/YYYY, DD-Mon-YYYY)",
			              d->pub.name, v);
			return -1;
		}
		m->birth_ym = ym;
		return 0;
	case MF_POSTCODE:
		if (*v != '\0' && (*nv = demog_postcode(v, 0)) == NULL) {
			*cause = xasprintf("postcode: '%s' is not a UK "
			                   "postcode",
			                   v);
			return -1;
		}
		return 0;
	case MF_NEEDS:
		*nv = demog_needs(v);
		if (**nv == '\0') {
			free(*nv);
			*nv = NULL;
		}
		return 0;
	default:
		return set_ethnicity(m, d, v, cause);
	}
}

/* A mobile: a UK mobile number or an international one, as E.164. */
static int
set_mobile(const char *v, char **nv, char **cause)
{
	char norm[17], *c = NULL;

	if (*v == '\0')
		return 0;
	if (phone_normalise(v, norm, &c) == -1) {
		*cause = xasprintf("mobile: '%s': %s", v, c);
		free(c);
		return -1;
	}
	if (strncmp(norm, "+44", 3) == 0 && !phone_is_uk_mobile(norm)) {
		*cause = xasprintf(
		    "mobile: '%s' is %s, not a mobile (a text to it would "
		    "not arrive, or become a voice call)",
		    v,
		    norm[3] == '1' || norm[3] == '2' ? "a landline"
		    : norm[3] == '3' ? "a non-geographic 03 number"
		    : norm[3] == '8' ? "an 08 freephone or special-rate number"
		    : norm[3] == '9' ? "an 09 premium-rate number"
		    : norm[3] == '7' && norm[4] == '0' ? "a 070 personal number"
		    : norm[3] == '7' && norm[4] == '6'
		        ? "a 076 pager number"
		        : "not a UK mobile range");
		return -1;
	}
	*nv = xstrdup(norm);
	return 0;
}

int
member_set(struct member *m, const char *field, const char *value, char **cause)
{
	const struct mf_def *d = mf_find(field);

	if (d == NULL && member_extra_name_ok(field))
		return member_set_extra(m, field + strlen(MEMBER_EXTRA_PREFIX),
		                        value, cause);
	if (d == NULL) {
		*cause = xasprintf("unknown member field %s", field);
		return -1;
	}
	return member_set_index(m, (size_t)(d - mf_table), value, cause);
}

int
member_set_index(struct member *m, size_t i, const char *value, char **cause)
{
	const struct mf_def *d = &mf_table[i];
	char *v, **slot, *nv = NULL;
	int b, rc = 0;

	v = util_trim(xstrdup(value ? value : ""));
	if (util_has_crlf(v) || !util_utf8_valid(v, strlen(v))) {
		*cause =
		    xasprintf("%s: line breaks or invalid UTF-8", d->pub.name);
		free(v);
		return -1;
	}
	slot = (char **)((char *)m + d->off);
	switch (d->type) {
	case MF_TEXT:
		nv = *v ? xstrdup(v) : NULL;
		break;
	case MF_EMAIL:
		if (*v != '\0' && !email_ok(v)) {
			*cause = xasprintf("email: '%s' is not an email "
			                   "address",
			                   v);
			rc = -1;
		} else
			nv = *v ? util_lower(xstrdup(v)) : NULL;
		break;
	case MF_MOBILE:
		rc = set_mobile(v, &nv, cause);
		break;
	case MF_ETHNICITY:
	case MF_ETHNICITY_DETAIL:
	case MF_BIRTH:
		rc = set_demog(m, d, v, &nv, cause);
		free(v);
		return rc;
	case MF_SEX:
	case MF_POSTCODE:
	case MF_NEEDS:
		rc = set_demog(m, d, v, &nv, cause);
		break;
	case MF_ENUM:
		if (*v != '\0')
			rc = enum_value(d, v, &nv, cause);
		if (rc == 0 && nv == NULL && d->choices == member_channels)
			nv = xstrdup("email");
		break;
	case MF_TAGS:
		nv = tags_normalise(v);
		break;
	case MF_TIME:
	case MF_CONSENT:
		rc = set_time(d, v, (int64_t *)((char *)m + d->off), cause);
		free(v);
		return rc;
	case MF_BOOL:
		if (parse_yesno(v, &b) == -1) {
			*cause = xasprintf("%s: expected yes or no, not '%s'",
			                   d->pub.name, v);
			rc = -1;
		} else
			*(int *)((char *)m + d->off) = b;
		free(v);
		return rc;
	}
	free(v);
	if (rc == 0) {
		free(*slot);
		*slot = nv;
	}
	return rc;
}

char *
member_get_text(const struct member *m, const char *field)
{
	const struct mf_def *d = mf_find(field);
	const char *s;
	char buf[21];
	int b;

	if (d == NULL && member_extra_name_ok(field)) {
		s = json_string_value(json_object_get(
		    m->extra, field + strlen(MEMBER_EXTRA_PREFIX)));
		return xstrdup(s ? s : "");
	}
	if (d == NULL)
		return NULL;
	switch (d->type) {
	case MF_BIRTH:
		return xstrdup(demog_birth_text(m->birth_ym, buf));
	case MF_ETHNICITY:
		return xstrdup(m->ethnicity ? m->ethnicity : "");
	case MF_TIME:
	case MF_CONSENT:
		return xstrdup(util_format_time(
		    *(const int64_t *)((const char *)m + d->off), buf));
	case MF_BOOL:
		b = *(const int *)((const char *)m + d->off);
		return xstrdup(b < 0 ? "" : b ? "yes" : "no");
	default:
		s = *(char *const *)((const char *)m + d->off);
		return xstrdup(s ? s : "");
	}
}

int
member_validate(const struct member *m, char **cause)
{
	if (m->email == NULL && m->mobile == NULL) {
		*cause = xstrdup("a member needs an email or a mobile number");
		return -1;
	}
	if (strcmp(m->preferred_channel, "sms") == 0 && m->mobile == NULL) {
		*cause = xstrdup("preferred channel is sms but there is no "
		                 "mobile number");
		return -1;
	}
	if (strcmp(m->preferred_channel, "email") == 0 && m->email == NULL &&
	    m->mobile == NULL) {
		*cause = xstrdup("preferred channel is email but there is no "
		                 "email address");
		return -1;
	}
	return 0;
}

void
member_defaults(struct member *m, int term_months)
{
	struct tm tm;
	time_t t;

	if (m->joined_at == 0)
		m->joined_at = time(NULL);
	if (m->term_ends_at == 0 && term_months > 0) {
		t = (time_t)m->joined_at;
		gmtime_r(&t, &tm);
		tm.tm_mon += term_months;
		m->term_ends_at = timegm(&tm);
	}
	/* A member whose only contact is a mobile prefers SMS. */
	if (m->email == NULL && m->mobile != NULL) {
		free(m->preferred_channel);
		m->preferred_channel = xstrdup("sms");
	}
}

void
member_postcode_outward(struct member *m)
{
	char *sp;

	if (m->postcode != NULL && (sp = strchr(m->postcode, ' ')) != NULL)
		*sp = '\0';
}

const char *
member_age_band(const struct member *m, int64_t now)
{
	const char *b = demog_age_band(m->birth_ym, now);

	return b != NULL ? b : m->age_band;
}

#define MEMBER_COLS                                                            \
	"m.id, m.practice_id, p.code, m.external_ref, m.first_name,"           \
	" m.last_name, m.email, m.mobile, m.preferred_channel,"                \
	" m.consent_email_at, m.consent_email_how, m.consent_sms_at,"          \
	" m.consent_sms_how, m.optout_email_at, m.optout_sms_at,"              \
	" m.confidentiality_at, m.confidentiality_version, m.joined_at,"       \
	" m.term_ends_at, m.age_band, m.sex, m.ethnicity, m.disability,"       \
	" m.carer, (SELECT group_concat(tag, ',') FROM (SELECT tag FROM"       \
	" member_tags t WHERE t.member_id = m.id ORDER BY tag)), m.erased_at," \
	" m.birth_ym, m.ethnicity_detail, m.postcode, m.language,"             \
	" m.communication_needs, (SELECT json_group_object(name, value) FROM"  \
	" member_extra e WHERE e.member_id = m.id)"

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const char *s = db_col_text(st, i);

	return s ? xstrdup(s) : NULL;
}

static int
col_bool(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return -1;
	return sqlite3_column_int(st, i) != 0;
}

static struct member *
member_row(sqlite3_stmt *st)
{
	struct member *m = xcalloc(1, sizeof *m);

	m->id = sqlite3_column_int64(st, 0);
	m->practice_id = sqlite3_column_int64(st, 1);
	m->practice_code = col_dup(st, 2);
	m->external_ref = col_dup(st, 3);
	m->first_name = col_dup(st, 4);
	m->last_name = col_dup(st, 5);
	m->email = col_dup(st, 6);
	m->mobile = col_dup(st, 7);
	m->preferred_channel = col_dup(st, 8);
	m->consent_email_at = sqlite3_column_int64(st, 9);
	m->consent_email_how = col_dup(st, 10);
	m->consent_sms_at = sqlite3_column_int64(st, 11);
	m->consent_sms_how = col_dup(st, 12);
	m->optout_email_at = sqlite3_column_int64(st, 13);
	m->optout_sms_at = sqlite3_column_int64(st, 14);
	m->confidentiality_at = sqlite3_column_int64(st, 15);
	m->confidentiality_version = col_dup(st, 16);
	m->joined_at = sqlite3_column_int64(st, 17);
	m->term_ends_at = sqlite3_column_int64(st, 18);
	m->age_band = col_dup(st, 19);
	m->sex = col_dup(st, 20);
	m->ethnicity = col_dup(st, 21);
	m->disability = col_bool(st, 22);
	m->carer = col_bool(st, 23);
	m->tags = col_dup(st, 24);
	if (m->tags == NULL)
		m->tags = xstrdup("");
	m->erased_at = sqlite3_column_int64(st, 25);
	m->birth_ym = sqlite3_column_int(st, 26);
	m->ethnicity_detail = col_dup(st, 27);
	m->postcode = col_dup(st, 28);
	m->language = col_dup(st, 29);
	m->communication_needs = col_dup(st, 30);
	m->extra = NULL;
	if (db_col_text(st, 31) != NULL)
		m->extra = json_loads(db_col_text(st, 31), 0, NULL);
	if (m->extra != NULL && !json_is_object(m->extra)) {
		json_decref(m->extra);
		m->extra = NULL;
	}
	if (m->preferred_channel == NULL)
		m->preferred_channel = xstrdup("email");
	return m;
}

struct member *
member_load(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, "SELECT " MEMBER_COLS
	                               " FROM members m JOIN practices p ON"
	                               " p.id = m.practice_id WHERE m.id = ?");
	struct member *m = NULL;

	db_bind_int(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		m = member_row(st);
	sqlite3_reset(st);
	return m;
}

static void
bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	if (t == 0)
		sqlite3_bind_null(st, i);
	else
		db_bind_int(st, i, t);
}

static void
bind_bool(sqlite3_stmt *st, int i, int b)
{
	if (b < 0)
		sqlite3_bind_null(st, i);
	else
		db_bind_int(st, i, b);
}

static int
member_save_tags(struct db *db, const struct member *m, int is_new)
{
	sqlite3_stmt *st;
	char *copy, *tok, *save = NULL;
	int rc = 0;

	if (!is_new) {
		st = db_stmt(db, "DELETE FROM member_tags WHERE member_id = ?");
		db_bind_int(st, 1, m->id);
		if (db_done(db, st) == -1)
			return -1;
	}
	if (m->tags == NULL || *m->tags == '\0')
		return 0;
	copy = xstrdup(m->tags);
	st = db_stmt(db, "INSERT OR IGNORE INTO member_tags (member_id, tag)"
	                 " VALUES (?, ?)");
	for (tok = strtok_r(copy, ",", &save); tok != NULL && rc == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		sqlite3_reset(st);
		db_bind_int(st, 1, m->id);
		db_bind_text(st, 2, tok);
		rc = db_done(db, st);
	}
	free(copy);
	return rc;
}

static int
member_save_extra(struct db *db, const struct member *m, int is_new)
{
	sqlite3_stmt *st;
	const char *k;
	json_t *v;

	if (is_new && json_object_size(m->extra) == 0)
		return 0;
	if (!is_new) {
		st =
		    db_stmt(db, "DELETE FROM member_extra WHERE member_id = ?");
		db_bind_int(st, 1, m->id);
		if (db_done(db, st) == -1)
			return -1;
	}
	st = db_stmt(db, "INSERT OR REPLACE INTO member_extra (member_id,"
	                 " name, value) VALUES (?, ?, ?)");
	json_object_foreach(m->extra, k, v)
	{
		sqlite3_reset(st);
		db_bind_int(st, 1, m->id);
		db_bind_text(st, 2, k);
		db_bind_text(st, 3, json_string_value(v));
		if (db_done(db, st) == -1)
			return -1;
	}
	return 0;
}

int
member_save(struct db *db, struct member *m, char **cause)
{
	sqlite3_stmt *st;
	int64_t now = time(NULL);
	int is_new = m->id == 0;

	if (member_validate(m, cause) == -1)
		return -1;
	if (m->id == 0)
		st = db_stmt(
		    db,
		    "INSERT INTO members (practice_id, external_ref, "
		    "first_name,"
		    " last_name, email, mobile, preferred_channel,"
		    " consent_email_at, consent_email_how, consent_sms_at,"
		    " consent_sms_how, optout_email_at, optout_sms_at,"
		    " confidentiality_at, confidentiality_version, joined_at,"
		    " term_ends_at, age_band, sex, ethnicity, disability, "
		    "carer,"
		    " created_at, updated_at, birth_ym, ethnicity_detail,"
		    " postcode, language, communication_needs)"
		    " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,"
		    "?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,"
		    "?23,?23,?25,?26,?27,?28,?29)");
	else
		st = db_stmt(
		    db, "UPDATE members SET practice_id=?1, external_ref=?2,"
		        " first_name=?3, last_name=?4, email=?5, mobile=?6,"
		        " preferred_channel=?7, consent_email_at=?8,"
		        " consent_email_how=?9, consent_sms_at=?10,"
		        " consent_sms_how=?11, optout_email_at=?12,"
		        " optout_sms_at=?13, confidentiality_at=?14,"
		        " confidentiality_version=?15, joined_at=?16,"
		        " term_ends_at=?17, age_band=?18, sex=?19,"
		        " ethnicity=?20, disability=?21, carer=?22,"
		        " updated_at=?23, birth_ym=?25, ethnicity_detail=?26,"
		        " postcode=?27, language=?28, communication_needs=?29"
		        " WHERE id=?24");
	db_bind_int(st, 1, m->practice_id);
	db_bind_static(st, 2, m->external_ref);
	db_bind_static(st, 3, m->first_name);
	db_bind_static(st, 4, m->last_name);
	db_bind_static(st, 5, m->email);
	db_bind_static(st, 6, m->mobile);
	db_bind_static(st, 7, m->preferred_channel);
	bind_time(st, 8, m->consent_email_at);
	db_bind_static(st, 9, m->consent_email_how);
	bind_time(st, 10, m->consent_sms_at);
	db_bind_static(st, 11, m->consent_sms_how);
	bind_time(st, 12, m->optout_email_at);
	bind_time(st, 13, m->optout_sms_at);
	bind_time(st, 14, m->confidentiality_at);
	db_bind_static(st, 15, m->confidentiality_version);
	db_bind_int(st, 16, m->joined_at ? m->joined_at : now);
	bind_time(st, 17, m->term_ends_at);
	db_bind_static(st, 18, m->age_band);
	db_bind_static(st, 19, m->sex);
	db_bind_static(st, 20, m->ethnicity);
	bind_bool(st, 21, m->disability);
	bind_bool(st, 22, m->carer);
	db_bind_int(st, 23, now);
	if (m->id != 0)
		db_bind_int(st, 24, m->id);
	if (m->birth_ym > 0)
		db_bind_int(st, 25, m->birth_ym);
	else
		sqlite3_bind_null(st, 25);
	db_bind_static(st, 26, m->ethnicity_detail);
	db_bind_static(st, 27, m->postcode);
	db_bind_static(st, 28, m->language);
	db_bind_static(st, 29, m->communication_needs);
	if (db_done(db, st) == -1) {
		*cause = xasprintf("cannot save member: %s", db_errmsg(db));
		return -1;
	}
	if (m->id == 0)
		m->id = db_last_id(db);
	if (member_save_tags(db, m, is_new) == -1 ||
	    member_save_extra(db, m, is_new) == -1) {
		*cause = xasprintf("cannot save tags: %s", db_errmsg(db));
		return -1;
	}
	return 0;
}

static int64_t
match_one(struct db *db, const char *sql, int64_t practice_id, const char *v)
{
	sqlite3_stmt *st;
	int64_t id = 0;

	if (v == NULL || *v == '\0')
		return 0;
	st = db_stmt(db, sql);
	db_bind_int(st, 1, practice_id);
	db_bind_text(st, 2, v);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return id;
}

int64_t
member_match(struct db *db, int64_t practice_id, const char *ref,
             const char *email, const char *mobile)
{
	int64_t id;

	if (ref != NULL && *ref != '\0')
		return match_one(db,
		                 "SELECT id FROM members WHERE practice_id=?"
		                 " AND external_ref=?",
		                 practice_id, ref);
	id = match_one(db,
	               "SELECT id FROM members WHERE practice_id=? AND"
	               " email=? AND erased_at IS NULL ORDER BY id LIMIT 1",
	               practice_id, email);
	if (id == 0)
		id = match_one(db,
		               "SELECT id FROM members WHERE practice_id=? AND"
		               " mobile=? AND erased_at IS NULL ORDER BY id"
		               " LIMIT 1",
		               practice_id, mobile);
	return id;
}

static int64_t
lookup_one(struct db *db, const char *sql, const char *v)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	int64_t id = 0;

	db_bind_text(st, 1, v);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return id;
}

int64_t
member_by_mobile(struct db *db, const char *e164)
{
	return lookup_one(db,
	                  "SELECT id FROM members WHERE mobile=? AND"
	                  " erased_at IS NULL ORDER BY id DESC LIMIT 1",
	                  e164);
}

int64_t
member_by_email(struct db *db, const char *email)
{
	return lookup_one(db,
	                  "SELECT id FROM members WHERE email=lower(?) AND"
	                  " erased_at IS NULL ORDER BY id DESC LIMIT 1",
	                  email);
}

/*
 * Erasure keeps rows (so counts and anonymised answers survive) but removes
 * every value that identifies the person, including copies in the outbox
 * and the inbound log. Inbound rows not matched to the member (delivery
 * receipts, texts before they joined) are found by address, first, while
 * the address is still known.
 */
int
member_erase(struct db *db, int64_t id, const char *actor, char **cause)
{
	static const char *const sql[] = {
	    "UPDATE inbound SET from_addr=NULL, to_addr=NULL, body=NULL,"
	    " raw=NULL WHERE id IN (SELECT i.id FROM inbound i JOIN members m"
	    " ON m.id=?1 WHERE i.from_addr=m.mobile OR i.to_addr=m.mobile"
	    " OR lower(i.from_addr)=m.email OR lower(i.to_addr)=m.email"
	    " OR substr(lower(i.from_addr), -length(m.email) - 2)"
	    " = '<' || m.email || '>')",
	    "UPDATE members SET external_ref=NULL, first_name=NULL,"
	    " last_name=NULL, email=NULL, mobile=NULL, consent_email_how=NULL,"
	    " consent_sms_how=NULL, age_band=NULL, sex=NULL, ethnicity=NULL,"
	    " disability=NULL, carer=NULL, erased_at=?2, updated_at=?2,"
	    " birth_ym=NULL, ethnicity_detail=NULL, postcode=NULL,"
	    " language=NULL, communication_needs=NULL"
	    " WHERE id=?1",
	    "DELETE FROM member_tags WHERE member_id=?1",
	    "DELETE FROM member_extra WHERE member_id=?1",
	    "UPDATE inbound SET from_addr=NULL, body=NULL, raw=NULL,"
	    " member_id=NULL WHERE member_id=?1",
	    "UPDATE responses SET member_id=NULL WHERE member_id=?1",
	    "UPDATE sms_sessions SET state='stopped' WHERE member_id=?1",
	    "UPDATE tokens SET used_at=coalesce(used_at, ?2) WHERE "
	    "member_id=?1",
	};
	struct member *m = member_load(db, id);
	char obj[32];
	size_t i;

	if (m == NULL || m->erased_at != 0) {
		*cause = xasprintf(m ? "member %lld is already erased"
		                     : "no member %lld",
		                   (long long)id);
		member_free(m);
		return -1;
	}
	member_free(m);
	if (db_begin(db) == -1)
		goto fail;
	for (i = 0; i < sizeof sql / sizeof sql[0]; i++) {
		sqlite3_stmt *st = db_stmt(db, sql[i]);
		db_bind_int(st, 1, id);
		if (sqlite3_bind_parameter_count(st) >= 2)
			db_bind_int(st, 2, time(NULL));
		if (db_done(db, st) == -1)
			goto fail;
	}
	/* The outbox's own rule for its rows (state machine, scrubbing). */
	if (outbox_erase_member(db, id, time(NULL)) == -1)
		goto fail;
	snprintf(obj, sizeof obj, "member:%lld", (long long)id);
	if (db_audit(db, actor, "member.erase", obj, NULL) == -1 ||
	    db_commit(db) == -1)
		goto fail;
	return 0;
fail:
	*cause = xasprintf("cannot erase member: %s", db_errmsg(db));
	db_rollback(db);
	return -1;
}

json_t *
member_to_json(const struct member *m)
{
	json_t *o = json_object();
	size_t i;
	char *v;

	json_object_set_new(o, "id", json_integer(m->id));
	json_object_set_new(o, "practice", json_string(m->practice_code));
	for (i = 0; i < NFIELDS; i++) {
		v = member_get_text(m, mf_table[i].pub.name);
		if (mf_table[i].type == MF_TAGS) {
			json_t *arr = json_array();
			char *tok, *save = NULL;
			for (tok = strtok_r(v, ",", &save); tok != NULL;
			     tok = strtok_r(NULL, ",", &save))
				json_array_append_new(arr, json_string(tok));
			json_object_set_new(o, "tags", arr);
		} else
			json_object_set_new(o, mf_table[i].pub.name,
			                    *v ? json_string(v) : json_null());
		free(v);
	}
	json_object_set_new(o, "extra",
	                    m->extra ? json_copy(m->extra) : json_object());
	if (m->erased_at != 0) {
		char buf[21];
		json_object_set_new(
		    o, "erased",
		    json_string(util_format_time(m->erased_at, buf)));
	}
	return o;
}

json_t *
member_extra_names(struct db *db, const char *practice)
{
	sqlite3_stmt *st = db_stmt(
	    db, "SELECT DISTINCT e.name FROM member_extra e JOIN members m ON"
	        " m.id = e.member_id JOIN practices p ON p.id = m.practice_id"
	        " WHERE ?1 IS NULL OR p.code = ?1 ORDER BY 1");
	json_t *a = json_array();

	db_bind_text(st, 1, practice);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_string(db_col_text(st, 0)));
	sqlite3_reset(st);
	return a;
}

int
member_list(struct db *db, const struct member_filter *f,
            int (*fn)(struct member *, void *), void *arg)
{
	sqlite3_stmt *st = db_stmt(
	    db,
	    "SELECT " MEMBER_COLS " FROM members m JOIN practices p ON"
	    " p.id = m.practice_id WHERE (?1 IS NULL OR p.code = ?1)"
	    " AND (?2 IS NULL OR " DEMOG_AGE_BAND_SQL(
	        "m.birth_ym", "m.age_band",
	        "unixepoch()") " = ?2)"
	                       " AND (?3 IS NULL OR m.sex = ?3)"
	                       " AND (?4 IS NULL OR m.ethnicity = ?4)"
	                       " AND (?5 IS NULL OR EXISTS (SELECT 1 FROM "
	                       "member_tags t WHERE"
	                       "  t.member_id = m.id AND t.tag = ?5))"
	                       " AND (?6 IS NULL OR (?6 = 'email' AND m.email "
	                       "IS NOT NULL AND"
	                       "  m.optout_email_at IS NULL) OR (?6 = 'sms' "
	                       "AND m.mobile IS NOT"
	                       "  NULL AND m.optout_sms_at IS NULL))"
	                       " AND (?7 IS NULL OR "
	                       "instr(lower(coalesce(m.first_name,'') || ' ' "
	                       "||"
	                       "  coalesce(m.last_name,'') || ' ' || "
	                       "coalesce(m.email,'') || ' ' "
	                       "||"
	                       "  coalesce(m.mobile,'')), lower(?7)) > 0)"
	                       " AND (?8 OR m.erased_at IS NULL)"
	                       " AND (NOT ?9 OR (m.erased_at IS NULL AND "
	                       "(m.term_ends_at IS NULL"
	                       "  OR m.term_ends_at > unixepoch())))"
	                       " AND m.id > ?10"
	                       " ORDER BY m.id LIMIT CASE WHEN ?11 > 0 THEN ?11"
	                       " ELSE -1 END");
	struct member *m;
	int rc = 0, step;

	db_bind_text(st, 1, f->practice);
	db_bind_text(st, 2, f->age_band);
	db_bind_text(st, 3, f->sex);
	db_bind_text(st, 4, f->ethnicity);
	db_bind_text(st, 5, f->tag);
	db_bind_text(st, 6, f->channel);
	db_bind_text(st, 7, f->search);
	db_bind_int(st, 8, f->include_erased);
	db_bind_int(st, 9, f->active_only);
	db_bind_int(st, 10, f->after);
	db_bind_int(st, 11, f->limit);
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		m = member_row(st);
		rc = fn(m, arg);
		member_free(m);
	}
	sqlite3_reset(st);
	return rc;
}
