/* Phone numbers: normalisation to E.164, UK first. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "phone.h"
#include "xmalloc.h"

#define PHONE_MAX_DIGITS 24
#define UK_NATIONAL_LEN  10

struct phone_digits {
	char d[PHONE_MAX_DIGITS + 1];
	size_t n;
	int plus;
	int depth;  /* bracket nesting */
	size_t grp; /* digit count when the open bracket was seen */
};

static int
phone_fail(char **cause, const char *msg)
{
	if (cause != NULL)
		*cause = xstrdup(msg);
	return -1;
}

/*
 * A "(0)" after some digits is the trunk prefix written beside an
 * international code ("+44 (0)7700 900123", "+49 (0)30 ..."): drop it.
 */
static const char *
phone_close_bracket(struct phone_digits *pd)
{
	if (pd->depth-- == 0)
		return "unbalanced brackets";
	if (pd->grp > 0 && pd->n == pd->grp + 1 && pd->d[pd->grp] == '0')
		pd->n--;
	return NULL;
}

/* Feed one input character; returns NULL or why the number is invalid. */
static const char *
phone_feed(struct phone_digits *pd, unsigned char c)
{
	if (isdigit(c)) {
		if (pd->n == PHONE_MAX_DIGITS)
			return "too long";
		pd->d[pd->n++] = (char)c;
	} else if (c == '+') {
		if (pd->plus || pd->n > 0)
			return "'+' is only allowed at the start";
		pd->plus = 1;
	} else if (c == '(') {
		if (pd->depth++ > 0)
			return "unbalanced brackets";
		pd->grp = pd->n;
	} else if (c == ')') {
		return phone_close_bracket(pd);
	} else if (isalpha(c)) {
		return "contains letters";
	} else if (c != ' ' && c != '-' && c != '.' && c != '\t') {
		return "contains an unexpected character";
	}
	return NULL;
}

static const char *
phone_scan(const char *in, struct phone_digits *pd)
{
	const char *msg;

	memset(pd, 0, sizeof *pd);
	for (; *in != '\0'; in++) {
		if ((msg = phone_feed(pd, (unsigned char)*in)) != NULL)
			return msg;
	}
	if (pd->depth != 0)
		return "unbalanced brackets";
	if (pd->n == 0)
		return pd->plus ? "too short" : "empty";
	pd->d[pd->n] = '\0';
	return NULL;
}

/* n is the national significant number, without the trunk 0. */
static const char *
phone_uk(const char *n, char out[17])
{
	size_t len = strlen(n);

	if (len < UK_NATIONAL_LEN)
		return "too short for a UK number";
	if (len > UK_NATIONAL_LEN)
		return "too long for a UK number";
	if (strchr("1235789", n[0]) == NULL)
		return "not a valid UK number";
	snprintf(out, 17, "+44%s", n);
	return NULL;
}

/* d is the country code and number, without "+" or "00". */
static const char *
phone_intl(const char *d, char out[17])
{
	size_t len = strlen(d);

	if (strncmp(d, "44", 2) == 0) {
		d += 2;
		if (*d == '0')
			d++;
		return phone_uk(d, out);
	}
	if (d[0] == '0')
		return "no country code after the international prefix";
	if (len < 8)
		return "too short";
	if (len > 15)
		return "too long";
	snprintf(out, 17, "+%s", d);
	return NULL;
}

static const char *
phone_classify(const char *d, size_t n, int plus, char out[17])
{
	if (plus)
		return phone_intl(d, out);
	if (strncmp(d, "00", 2) == 0)
		return phone_intl(d + 2, out);
	if (d[0] == '0')
		return phone_uk(d + 1, out);
	/* "44 7700 900123" and "44 07700 900123", the + forgotten */
	if (strncmp(d, "44", 2) == 0 &&
	    (n == 2 + UK_NATIONAL_LEN ||
	     (n == 3 + UK_NATIONAL_LEN && d[2] == '0')))
		return phone_intl(d, out);
	/* "7700 900123": a spreadsheet stored the number and lost the 0 */
	return phone_uk(d, out);
}

int
phone_normalise(const char *in, char out[17], char **cause)
{
	struct phone_digits pd;
	const char *msg;

	out[0] = '\0';
	if ((msg = phone_scan(in, &pd)) == NULL)
		msg = phone_classify(pd.d, pd.n, pd.plus, out);
	if (msg != NULL) {
		out[0] = '\0';
		return phone_fail(cause, msg);
	}
	return 0;
}

/*
 * Mobiles are 071-075, 077-079 and 07624 (Isle of Man). 070 (personal
 * numbers) and 076 (pagers) also start +447 but cannot take an SMS.
 */
int
phone_is_uk_mobile(const char *e164)
{
	size_t i;

	if (e164 == NULL || strlen(e164) != 3 + UK_NATIONAL_LEN ||
	    strncmp(e164, "+447", 4) != 0)
		return 0;
	for (i = 1; e164[i] != '\0'; i++) {
		if (!isdigit((unsigned char)e164[i]))
			return 0;
	}
	if (e164[4] == '6')
		return strncmp(e164 + 4, "624", 3) == 0;
	return e164[4] != '0';
}
