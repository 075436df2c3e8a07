/*
 * Demographics as GP systems print them. Values are compared after
 * textnorm_words (lower case, punctuation to spaces), so "White - British",
 * "WHITE BRITISH" and "White: British" read alike.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demog.h"
#include "textnorm.h"
#include "xmalloc.h"

/*
 * The NHS Data Dictionary ethnic categories (2001 census codes) with the
 * 2021 census additions. keys: the words after the group's name, or the
 * whole text, '|' separated. Chinese is Asian, as in the 2011 and 2021
 * censuses the population figures come from.
 */
static const struct eth {
	char code;
	const char *broad;
	const char *label;
	const char *keys;
} eths[] = {
    {'A', "white", "White: British",
     "british|english welsh scottish northern irish or british|english|"
     "welsh|scottish|northern irish|white british|british white|"
     "british or mixed british|cornish"},
    {'B', "white", "White: Irish", "irish|white irish"},
    {0, "white", "White: Gypsy or Irish Traveller",
     "gypsy or irish traveller|irish traveller|traveller|gypsy|"
     "gypsy traveller|traveller of irish heritage"},
    {0, "white", "White: Roma", "roma"},
    {'C', "white", "White: Any other White background",
     "any other white background|other white background|other white|"
     "any other white|other|any other|white other|other white ethnic "
     "group"},
    {'D', "mixed", "Mixed: White and Black Caribbean",
     "white and black caribbean"},
    {'E', "mixed", "Mixed: White and Black African", "white and black african"},
    {'F', "mixed", "Mixed: White and Asian", "white and asian"},
    {'G', "mixed", "Mixed: Any other mixed background",
     "any other mixed background|other mixed background|other mixed|"
     "any other mixed or multiple ethnic background|other|any other|"
     "mixed other|any other mixed"},
    {'H', "asian", "Asian: Indian", "indian|indian or british indian"},
    {'J', "asian", "Asian: Pakistani",
     "pakistani|pakistani or british pakistani"},
    {'K', "asian", "Asian: Bangladeshi",
     "bangladeshi|bangladeshi or british bangladeshi"},
    {'R', "asian", "Asian: Chinese", "chinese"},
    {'L', "asian", "Asian: Any other Asian background",
     "any other asian background|other asian background|other asian|"
     "other|any other|asian other"},
    {'M', "black", "Black: Caribbean", "caribbean"},
    {'N', "black", "Black: African", "african"},
    {'P', "black", "Black: Any other Black background",
     "any other black background|other black background|other black|"
     "other|any other|black other|"
     "any other black black british or caribbean background|"
     "any other black african or caribbean background"},
    {0, "other", "Other: Arab", "arab"},
    {'S', "other", "Other: Any other ethnic group",
     "any other ethnic group|other ethnic group|any other|other|"
     "other ethnic background"},
    {'Z', "prefer-not-to-say", "Not stated",
     "not stated|not given|prefer not to say|declined|refused|"
     "patient declined|not disclosed|declined to give|"
     "ethnic category not stated"},
};
#define NETHS (sizeof eths / sizeof eths[0])

/* The group names that may lead a description, longest first. */
static const struct {
	const char *words;
	const char *broad;
} eth_prefixes[] = {
    {"black black british black welsh caribbean or african", "black"},
    {"asian asian british or asian welsh", "asian"},
    {"mixed or multiple ethnic groups", "mixed"},
    {"mixed or multiple ethnic group", "mixed"},
    {"black or african or caribbean or black british", "black"},
    {"black african caribbean or black british", "black"},
    {"black or black british", "black"},
    {"asian or asian british", "asian"},
    {"other ethnic groups", "other"},
    {"other ethnic group", "other"},
    {"mixed or multiple", "mixed"},
    {"black british", "black"},
    {"asian british", "asian"},
    {"mixed multiple", "mixed"},
    {"white", "white"},
    {"mixed", "mixed"},
    {"asian", "asian"},
    {"black", "black"},
    {"other", "other"},
};

/* 1 if key is one of the '|' separated phrases in keys. */
static int
eth_key(const char *keys, const char *key)
{
	size_t n = strlen(key);
	const char *p = keys;

	for (;;) {
		if (strncmp(p, key, n) == 0 && (p[n] == '|' || p[n] == '\0'))
			return 1;
		if ((p = strchr(p, '|')) == NULL)
			return 0;
		p++;
	}
}

/* The one category in group broad (any group if NULL) with this key. */
static const struct eth *
eth_lookup(const char *broad, const char *key)
{
	const struct eth *found = NULL;
	size_t i;

	for (i = 0; i < NETHS; i++) {
		if (broad != NULL && strcmp(eths[i].broad, broad) != 0)
			continue;
		if (!eth_key(eths[i].keys, key))
			continue;
		if (found != NULL)
			return NULL; /* ambiguous */
		found = &eths[i];
	}
	return found;
}

/* Remove words that say what the field is ("ethnic category 2001
 * census") from the ends of w, in place. */
static void
eth_strip(char *w)
{
	static const char *const noise[] = {"ethnic category 2001 census",
	                                    "ethnic category 2011 census",
	                                    "ethnic category 2021 census",
	                                    "2001 census",
	                                    "2011 census",
	                                    "2021 census",
	                                    "ethnic category",
	                                    "ethnic group",
	                                    "ethnicity"};
	size_t i, n, len;

	for (i = 0; i < sizeof noise / sizeof noise[0]; i++) {
		n = strlen(noise[i]);
		len = strlen(w);
		if (len > n + 1 && strcmp(w + len - n, noise[i]) == 0 &&
		    w[len - n - 1] == ' ')
			w[len - n - 1] = '\0';
		len = strlen(w);
		if (len > n + 1 && strncmp(w, noise[i], n) == 0 && w[n] == ' ')
			memmove(w, w + n + 1, len - n);
	}
}

/* A code as printed: one capital letter, or a letter and a letter or
 * digit (local extensions, e.g. "CA"). */
static const struct eth *
eth_code(const char *v)
{
	size_t i, n = strlen(v);

	if (n < 1 || n > 2 || !isupper((unsigned char)v[0]) ||
	    (n == 2 && !isupper((unsigned char)v[1]) &&
	     !isdigit((unsigned char)v[1])))
		return NULL;
	for (i = 0; i < NETHS; i++)
		if (eths[i].code == v[0])
			return &eths[i];
	return NULL;
}

static char *
trimmed(const char *v)
{
	const char *e;

	while (isspace((unsigned char)*v))
		v++;
	e = v + strlen(v);
	while (e > v && isspace((unsigned char)e[-1]))
		e--;
	return xstrndup(v, (size_t)(e - v));
}

/* The category of normalised words w, by group name then phrase. */
static const struct eth *
eth_match(const char *w)
{
	const struct eth *e = NULL;
	size_t i, n;

	for (i = 0;
	     e == NULL && i < sizeof eth_prefixes / sizeof eth_prefixes[0];
	     i++) {
		n = strlen(eth_prefixes[i].words);
		if (strncmp(w, eth_prefixes[i].words, n) != 0 || w[n] != ' ')
			continue;
		if ((e = eth_lookup(eth_prefixes[i].broad, w + n + 1)) == NULL)
			e = eth_lookup(NULL, w + n + 1);
	}
	return e != NULL ? e : eth_lookup(NULL, w);
}

/*
 * A file has few distinct ethnicity values and many rows: remember the
 * last ones read (per thread), so each is normalised once.
 */
#define ETH_MEMO 64
static _Thread_local struct {
	char *raw;
	const char *broad, *detail;
	int rc;
} eth_memo[ETH_MEMO];
static _Thread_local size_t eth_nmemo;

static int demog_ethnicity_read(const char *, const char **, const char **);

int
demog_ethnicity(const char *v, const char **broad, const char **detail)
{
	size_t i;
	int rc;

	for (i = 0; i < eth_nmemo; i++)
		if (strcmp(eth_memo[i].raw, v) == 0) {
			*broad = eth_memo[i].broad;
			*detail = eth_memo[i].detail;
			return eth_memo[i].rc;
		}
	rc = demog_ethnicity_read(v, broad, detail);
	if (eth_nmemo < ETH_MEMO && strlen(v) < 200) {
		eth_memo[eth_nmemo].raw = xstrdup(v);
		eth_memo[eth_nmemo].broad = *broad;
		eth_memo[eth_nmemo].detail = *detail;
		eth_memo[eth_nmemo++].rc = rc;
	}
	return rc;
}

static int
demog_ethnicity_read(const char *v, const char **broad, const char **detail)
{
	static const char *const broads[] = {"white", "mixed", "asian", "black",
	                                     "other"};
	const struct eth *e;
	char *t = trimmed(v), *w;
	size_t i;

	*broad = *detail = NULL;
	/* The usual case first: a broad group as ppgd writes it. */
	for (i = 0; i < sizeof broads / sizeof broads[0]; i++)
		if (strcasecmp(t, broads[i]) == 0) {
			*broad = broads[i];
			free(t);
			return 0;
		}
	if ((e = eth_code(t)) != NULL) {
		free(t);
		*broad = e->broad;
		*detail = e->label;
		return 0;
	}
	w = textnorm_words(t);
	free(t);
	if ((e = eth_match(w)) == NULL) {
		eth_strip(w);
		e = eth_match(w);
	}
	if (e == NULL && (strcmp(w, "prefer not to say") == 0))
		e = eth_lookup(NULL, w);
	if (e != NULL) {
		free(w);
		*broad = e->broad;
		*detail = e->label;
		return 0;
	}
	for (i = 0; i < sizeof broads / sizeof broads[0]; i++)
		if (strcmp(w, broads[i]) == 0)
			*broad = broads[i];
	i = *broad != NULL || *w == '\0' || strcmp(w, "99") == 0 ||
	    strcmp(w, "not known") == 0 || strcmp(w, "unknown") == 0 ||
	    strcmp(w, "not recorded") == 0;
	free(w);
	return i ? 0 : -1;
}

int
demog_sex(const char *v, const char **out)
{
	static const struct {
		const char *value;
		const char *keys;
	} sexes[] = {
	    {"male", "|1|m|male|man|boy|"},
	    {"female", "|2|f|female|woman|girl|"},
	    {"indeterminate", "|9|i|indeterminate|intersex|"},
	    {"other", "|other|non binary|nonbinary|"},
	    {"prefer-not-to-say", "|not stated|not specified|prefer not to "
	                          "say|declined|refused|"},
	    {NULL, "|0|u|x|unknown|not known|not recorded||"},
	};
	static const char *const plain[] = {"female", "male", "indeterminate",
	                                    "other", "prefer-not-to-say"};
	char *w, *key;
	size_t i;
	int rc = -1;

	for (i = 0; i < sizeof plain / sizeof plain[0]; i++)
		if (strcasecmp(v, plain[i]) == 0) {
			*out = plain[i];
			return 0;
		}
	w = textnorm_words(v);
	key = xasprintf("|%s|", w);
	for (i = 0; i < sizeof sexes / sizeof sexes[0]; i++)
		if (strstr(sexes[i].keys, key) != NULL) {
			*out = sexes[i].value;
			rc = 0;
			break;
		}
	free(key);
	free(w);
	return rc;
}

static int
month_name(const char *s)
{
	static const char *const names[] = {"jan", "feb", "mar", "apr",
	                                    "may", "jun", "jul", "aug",
	                                    "sep", "oct", "nov", "dec"};
	size_t i, n = strlen(s);

	if (n < 3)
		return 0;
	for (i = 0; i < 12; i++)
		if (strncasecmp(s, names[i], 3) == 0)
			return (int)i + 1;
	return 0;
}

/* Read 1 to max digits at *p; the count read (0 if none). */
static int
digits(const char **p, int max, int *out)
{
	int n = 0;

	*out = 0;
	while (n < max && isdigit((unsigned char)**p)) {
		*out = *out * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n;
}

/* YYYY-MM-DD (a time may follow), YYYY-MM, D/M/YYYY (/ . - or space),
 * D-Mon-YYYY; -1 if none. */
static int
birth_parse(const char *p, int *y, int *m, int *d)
{
	char mon[16];
	size_t k = 0;
	int n = digits(&p, 4, y), sep;

	if (n == 4) {
		if (*p++ != '-' || digits(&p, 2, m) == 0)
			return -1;
		*d = 1;
		if (*p == '\0')
			return 0;
		if (*p++ != '-' || digits(&p, 2, d) == 0)
			return -1;
		return *p == '\0' || *p == 'T' || *p == ' ' ? 0 : -1;
	}
	if (n == 0 || n > 2 || strchr("/.- ", *p) == NULL || *p == '\0')
		return -1;
	*d = *y;
	sep = *p++;
	if (isdigit((unsigned char)*p)) {
		if (digits(&p, 2, m) == 0 || *p++ != sep)
			return -1;
	} else {
		while (isalpha((unsigned char)*p) && k < sizeof mon - 1)
			mon[k++] = *p++;
		mon[k] = '\0';
		if ((*m = month_name(mon)) == 0 || (*p != '-' && *p != ' '))
			return -1;
		p++;
	}
	/* A spreadsheet may have added a time: "14/03/1950 00:00". */
	return digits(&p, 4, y) == 4 && (*p == '\0' || *p == ' ') ? 0 : -1;
}

int
demog_birth(const char *v, int *ym)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};
	char *t = trimmed(v);
	int y = 0, m = 0, d = 0, rc = birth_parse(t, &y, &m, &d);

	free(t);
	if (rc == -1 || y < 1880 || y > 2200 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] ||
	    (m == 2 && d == 29 &&
	     (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0))))
		return -1;
	*ym = y * 12 + m - 1;
	return 0;
}

const char *
demog_birth_text(int ym, char buf[8])
{
	if (ym <= 0)
		buf[0] = '\0';
	else
		snprintf(buf, 8, "%04d-%02d", (ym / 12) % 10000, ym % 12 + 1);
	return buf;
}

const char *
demog_age_band(int ym, int64_t now)
{
	static const char *const bands[] = {"16-24", "25-34", "35-44", "45-54",
	                                    "55-64", "65-74", "75-84"};
	time_t t = (time_t)now;
	struct tm tm;
	int age;

	if (ym <= 0)
		return NULL;
	gmtime_r(&t, &tm);
	age = ((tm.tm_year + 1900) * 12 + tm.tm_mon - ym) / 12;
	if (age < 16)
		return "0-15";
	if (age < 25)
		return bands[0];
	if (age >= 85)
		return "85+";
	return bands[(age - 15) / 10];
}

/* A UK outward code: A9, A99, AA9, AA99, A9A, AA9A. */
static int
postcode_outward(const char *s, size_t n)
{
	size_t i = 0;

	if (n < 2 || n > 4 || !isalpha((unsigned char)s[0]))
		return 0;
	i = isalpha((unsigned char)s[1]) ? 2 : 1;
	if (i >= n || !isdigit((unsigned char)s[i]))
		return 0;
	i++;
	if (i < n &&
	    (isdigit((unsigned char)s[i]) || isalpha((unsigned char)s[i])))
		i++;
	return i == n;
}

char *
demog_postcode(const char *v, int outward)
{
	char buf[16];
	size_t n = 0, i;

	for (i = 0; v[i] != '\0'; i++) {
		if (isspace((unsigned char)v[i]))
			continue;
		if (!isalnum((unsigned char)v[i]) || n >= 8)
			return NULL;
		buf[n++] = (char)toupper((unsigned char)v[i]);
	}
	buf[n] = '\0';
	if (postcode_outward(buf, n))
		return xstrdup(buf);
	if (n < 5 || !isdigit((unsigned char)buf[n - 3]) ||
	    !isalpha((unsigned char)buf[n - 2]) ||
	    !isalpha((unsigned char)buf[n - 1]) ||
	    !postcode_outward(buf, n - 3))
		return NULL;
	if (outward)
		return xstrndup(buf, n - 3);
	return xasprintf("%.*s %s", (int)(n - 3), buf, buf + n - 3);
}

/* Accessible Information Standard needs under the names ppgd stores. */
static const char *
need_name(const char *w)
{
	static const struct {
		const char *name;
		const char *keys;
	} needs[] = {
	    {"large-print", "|large print|large font|large text|"},
	    {"easy-read", "|easy read|easyread|"},
	    {"bsl-interpreter", "|bsl|bsl interpreter|british sign language|"
	                        "british sign language interpreter|sign "
	                        "language interpreter|sign language|"},
	    {"braille", "|braille|"},
	    {"audio", "|audio|audio format|audio cd|recorded audio|"},
	    {"deafblind-manual", "|deafblind manual|deafblind manual "
	                         "interpreter|"},
	    {"lipspeaker", "|lipspeaker|lip speaker|"},
	    {"hearing-loop", "|hearing loop|induction loop|"},
	    {"relay-uk", "|relay uk|text relay|textrelay|"},
	    {"interpreter", "|interpreter|language interpreter|spoken "
	                    "language interpreter|"},
	    {"makaton", "|makaton|"},
	    {"advocate", "|advocate|needs an advocate|"},
	    {"contact-by-email", "|email|by email|contact by email|requires "
	                         "contact by email|"},
	    {"contact-by-sms", "|sms|text|text message|by text|contact by "
	                       "text|contact by sms|requires contact by text "
	                       "message|"},
	    {"contact-by-phone", "|phone|telephone|contact by telephone|"
	                         "contact by phone|requires telephone "
	                         "contact|"},
	};
	char *key = xasprintf("|%s|", w);
	const char *name = NULL;
	size_t i;

	for (i = 0; name == NULL && i < sizeof needs / sizeof needs[0]; i++)
		if (strstr(needs[i].keys, key) != NULL)
			name = needs[i].name;
	free(key);
	return name;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
demog_needs(const char *v)
{
	char *copy = xstrdup(v), *tok, *save = NULL, *w, **list = NULL, *out;
	const char *name;
	size_t n = 0, i, len = 1;

	for (tok = strtok_r(copy, ";,|", &save); tok != NULL;
	     tok = strtok_r(NULL, ";,|", &save)) {
		w = textnorm_words(tok);
		if (*w == '\0') {
			free(w);
			continue;
		}
		if ((name = need_name(w)) != NULL) {
			free(w);
			w = xstrdup(name);
		} else
			for (i = 0; w[i] != '\0'; i++)
				if (w[i] == ' ')
					w[i] = '-';
		for (i = 0; i < n && strcmp(list[i], w) != 0; i++)
			;
		if (i < n) {
			free(w);
			continue;
		}
		list = xreallocarray(list, n + 1, sizeof *list);
		list[n++] = w;
		len += strlen(w) + 1;
	}
	if (n > 0)
		qsort(list, n, sizeof *list, str_cmp);
	out = xcalloc(1, len);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, ",");
		strcat(out, list[i]);
		free(list[i]);
	}
	free(list);
	free(copy);
	return out;
}
