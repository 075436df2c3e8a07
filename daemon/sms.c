/* SMS text analysis after 3GPP TS 23.038 (GSM 03.38). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sms.h"
#include "xmalloc.h"

#define GSM7_SINGLE 160
#define GSM7_MULTI  153 /* 7 septets go to the concatenation header */
#define UCS2_SINGLE 70
#define UCS2_MULTI  67

/* Non-ASCII characters of the GSM 7-bit default alphabet. */
static const uint32_t gsm7_basic_extra[] = {
    0x00A3, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7,
    0x00D8, 0x00F8, 0x00C5, 0x00E5, 0x0394, 0x03A6, 0x0393, 0x039B,
    0x03A9, 0x03A0, 0x03A8, 0x03A3, 0x0398, 0x039E, 0x00C6, 0x00E6,
    0x00DF, 0x00C9, 0x00A4, 0x00A1, 0x00C4, 0x00D6, 0x00D1, 0x00DC,
    0x00A7, 0x00BF, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* Septets for cp in GSM-7: 1 basic, 2 extension (escape pair), 0 absent. */
static int
gsm7_septets(uint32_t cp)
{
	size_t i;

	if (cp == '\n' || cp == '\r')
		return 1;
	if (cp == '\f' || cp == 0x20AC)
		return 2;
	if (cp >= 0x20 && cp < 0x7F) {
		if (cp == '`')
			return 0;
		return strchr("^{}\\[~]|", (int)cp) != NULL ? 2 : 1;
	}
	for (i = 0; i < sizeof gsm7_basic_extra / sizeof *gsm7_basic_extra; i++)
		if (gsm7_basic_extra[i] == cp)
			return 1;
	return 0;
}

/* Decode one code point from *p, advancing it: 1 got one, 0 end, -1 bad. */
static int
utf8_next(const unsigned char **p, uint32_t *cp)
{
	const unsigned char *s = *p;
	uint32_t c, min;
	int n, i;

	if (s[0] == '\0')
		return 0;
	if (s[0] < 0x80) {
		*cp = *s;
		*p = s + 1;
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0) {
		n = 1, c = s[0] & 0x1F, min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 2, c = s[0] & 0x0F, min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 3, c = s[0] & 0x07, min = 0x10000;
	} else
		return -1;
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1; /* also stops at the terminating NUL */
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return -1;
	*cp = c;
	*p = s + n + 1;
	return 1;
}

static int
char_units(uint32_t cp, enum sms_encoding enc)
{
	if (enc == SMS_GSM7)
		return gsm7_septets(cp);
	return cp > 0xFFFF ? 2 : 1;
}

/*
 * Senders never split a GSM-7 escape pair or a UTF-16 surrogate pair across
 * two parts, so a part may carry one unit less than the maximum: pack greedily.
 */
static size_t
count_parts(const char *utf8, enum sms_encoding enc, size_t per_part)
{
	const unsigned char *p = (const unsigned char *)utf8;
	size_t parts = 1, used = 0;
	uint32_t cp;
	int w;

	while (utf8_next(&p, &cp) == 1) {
		w = char_units(cp, enc);
		if (used + w > per_part) {
			parts++;
			used = 0;
		}
		used += w;
	}
	return parts;
}

/* Analyse UTF-8 text as an SMS: encoding, characters, segments. */
int
sms_analyse(const char *utf8, struct sms_info *out)
{
	const unsigned char *p = (const unsigned char *)utf8;
	size_t chars = 0, septets = 0, utf16 = 0;
	int gsm = 1, r, w;
	uint32_t cp;

	while ((r = utf8_next(&p, &cp)) == 1) {
		chars++;
		utf16 += char_units(cp, SMS_UCS2);
		if ((w = gsm7_septets(cp)) == 0)
			gsm = 0;
		septets += w;
	}
	if (r == -1)
		return -1;
	out->encoding = gsm ? SMS_GSM7 : SMS_UCS2;
	out->characters = chars;
	out->units = gsm ? septets : utf16;
	if (out->units <= (gsm ? GSM7_SINGLE : UCS2_SINGLE))
		out->segments = 1;
	else
		out->segments = count_parts(utf8, out->encoding,
		                            gsm ? GSM7_MULTI : UCS2_MULTI);
	return 0;
}

/*
 * Look-alikes that word processors and phones put in text, and the GSM-7
 * characters a reader would take for them.
 */
static const struct {
	uint32_t cp;
	const char *gsm;
} gsm7_lookalikes[] = {
    {0x00A0, " "},   {0x2002, " "},  {0x2003, " "},  {0x2009, " "},
    {0x200A, " "},   {0x202F, " "},  {0x200B, ""},   {0xFEFF, ""},
    {0x2010, "-"},   {0x2011, "-"},  {0x2012, "-"},  {0x2013, "-"},
    {0x2014, "-"},   {0x2015, "-"},  {0x2212, "-"},  {0x2018, "'"},
    {0x2019, "'"},   {0x201A, "'"},  {0x201B, "'"},  {0x2032, "'"},
    {0x00B4, "'"},   {0x201C, "\""}, {0x201D, "\""}, {0x201E, "\""},
    {0x2033, "\""},  {0x00AB, "\""}, {0x00BB, "\""}, {0x2026, "..."},
    {0x2022, "*"},   {0x00B7, "."},  {0x2122, "TM"}, {0x00A9, "(c)"},
    {0x00AE, "(R)"}, {0x00E1, "a"},  {0x00E2, "a"},  {0x00E3, "a"},
    {0x00E7, "c"},   {0x00EA, "e"},  {0x00EB, "e"},  {0x00ED, "i"},
    {0x00EE, "i"},   {0x00EF, "i"},  {0x00F3, "o"},  {0x00F4, "o"},
    {0x00F5, "o"},   {0x00FA, "u"},  {0x00FB, "u"},  {0x00FD, "y"},
    {0x00FF, "y"},   {0x00C1, "A"},  {0x00C2, "A"},  {0x00CD, "I"},
    {0x00D3, "O"},   {0x00DA, "U"},  {0x0060, "'"},  {0x00BD, "1/2"},
};

static const char *
gsm7_replacement(uint32_t cp)
{
	size_t i;

	for (i = 0; i < sizeof gsm7_lookalikes / sizeof *gsm7_lookalikes; i++)
		if (gsm7_lookalikes[i].cp == cp)
			return gsm7_lookalikes[i].gsm;
	return NULL;
}

char *
sms_gsm7_text(const char *utf8)
{
	const unsigned char *p = (const unsigned char *)utf8, *start;
	size_t cap = strlen(utf8) * 3 + 1, o = 0, len;
	char *out = xmalloc(cap);
	const char *rep;
	uint32_t cp;
	int r;

	for (start = p; (r = utf8_next(&p, &cp)) == 1; start = p) {
		if (gsm7_septets(cp) == 0 &&
		    (rep = gsm7_replacement(cp)) != NULL) {
			len = strlen(rep);
		} else {
			rep = (const char *)start;
			len = (size_t)(p - start);
		}
		memcpy(out + o, rep, len);
		o += len;
	}
	out[o] = '\0';
	if (r == -1) {
		free(out);
		return NULL;
	}
	return out;
}

int
sms_ucs2_chars(const char *utf8, struct sms_ucs2_char *out, size_t max,
               int *all_replaceable)
{
	const unsigned char *p = (const unsigned char *)utf8, *start;
	size_t n = 0, i, seen_n = 0, len;
	uint32_t cp, seen[64];
	int r, all = 1;

	for (start = p; (r = utf8_next(&p, &cp)) == 1; start = p) {
		if (gsm7_septets(cp) != 0)
			continue;
		for (i = 0; i < seen_n && seen[i] != cp; i++)
			;
		if (i < seen_n)
			continue;
		if (seen_n < sizeof seen / sizeof *seen)
			seen[seen_n++] = cp;
		if (gsm7_replacement(cp) == NULL)
			all = 0;
		if (n < max) {
			len = (size_t)(p - start);
			out[n].cp = cp;
			memcpy(out[n].utf8, start, len);
			out[n].utf8[len] = '\0';
			out[n].replacement = gsm7_replacement(cp);
		}
		n++;
	}
	if (r == -1)
		return -1;
	if (all_replaceable != NULL)
		*all_replaceable = n > 0 && all;
	return (int)n;
}

/* "GSM-7" or "UCS-2". */
const char *
sms_encoding_name(enum sms_encoding enc)
{
	return enc == SMS_GSM7 ? "GSM-7" : "UCS-2";
}
