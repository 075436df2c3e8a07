/* Publishable figures: suppression, labels, dates. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "publish.h"
#include "util.h"
#include "xmalloc.h"

int
publish_small(long n)
{
	return n > 0 && n < PUBLISH_SMALL;
}

void
publish_suppress(const long *v, size_t n, int total_shown, unsigned char *flags)
{
	size_t i, hidden = 0, best = n;

	for (i = 0; i < n; i++) {
		flags[i] = publish_small(v[i]) ? PUB_SMALL : PUB_SHOWN;
		hidden += flags[i] != PUB_SHOWN;
	}
	if (!total_shown || hidden != 1)
		return;
	/* The smallest shown cell, a zero only if nothing else is left. */
	for (i = 0; i < n; i++)
		if (flags[i] == PUB_SHOWN &&
		    (best == n || (v[best] == 0 && v[i] > 0) ||
		     (v[i] > 0 && v[i] < v[best])))
			best = i;
	if (best < n)
		flags[best] = PUB_HIDDEN;
}

char *
publish_count(long n, int internal)
{
	if (!internal && publish_small(n))
		return xstrdup("<5");
	return xasprintf("%ld", n);
}

char *
publish_cell(long n, unsigned char flag)
{
	if (flag == PUB_SMALL)
		return xstrdup("<5");
	if (flag == PUB_HIDDEN)
		return xstrdup("*");
	return xasprintf("%ld", n);
}

const char *
publish_date(int64_t t, char buf[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	buf[0] = '\0';
	if (gmtime_r(&tt, &tm) != NULL)
		strftime(buf, 32, "%-d %B %Y", &tm);
	return buf;
}

char *
publish_iso_date(const char *iso)
{
	int64_t t;
	char buf[32];

	if (iso == NULL || strlen(iso) != 10 || util_parse_time(iso, &t) == -1)
		return xstrdup(iso != NULL ? iso : "");
	return xstrdup(publish_date(t, buf));
}

static const char *const fields[][2] = {
    {"age_band", "Age band"},
    {"sex", "Sex"},
    {"ethnicity", "Ethnic group"},
    {"disability", "Disability"},
    {"carer", "Carer"},
    {"month", "Month"},
    {"quarter", "Quarter"},
};

const char *
publish_field(const char *field)
{
	size_t i;

	for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (strcmp(fields[i][0], field) == 0)
			return fields[i][1];
	return field;
}

static const char *const values[][2] = {
    {"prefer-not-to-say", "Prefer not to say"},
    {"unknown", "Not known"},
    {"white", "White"},
    {"mixed", "Mixed or multiple ethnic groups"},
    {"asian", "Asian or Asian British"},
    {"black", "Black, Black British, Caribbean or African"},
    {"other", "Other"},
    {"female", "Female"},
    {"male", "Male"},
    {"yes", "Yes"},
    {"no", "No"},
    {"85+", "85 and over"},
    {"email", "Email"},
    {"sms", "Text message (SMS)"},
    {"web", "Web form"},
};

/* "mental-health" -> "Mental health"; other text as it is. */
static char *
word_label(const char *value)
{
	char *out = xstrdup(value), *p;

	if (strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789-_") !=
	    strlen(value))
		return out;
	for (p = out; *p != '\0'; p++)
		if (*p == '-' || *p == '_')
			*p = ' ';
	out[0] = (char)toupper((unsigned char)out[0]);
	return out;
}

char *
publish_value(const char *field, const char *value)
{
	size_t i;
	int lo, hi;
	char c;

	for (i = 0; i < sizeof values / sizeof values[0]; i++)
		if (strcmp(values[i][0], value) == 0)
			return xstrdup(values[i][1]);
	if (strcmp(field, "age_band") == 0 &&
	    sscanf(value, "%d-%d%c", &lo, &hi, &c) == 2)
		return xasprintf("%d to %d", lo, hi);
	return word_label(value);
}
