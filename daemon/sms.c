/* SMS text analysis after 3GPP TS 23.038 (GSM 03.38). */
#include <stdint.h>
#include <string.h>

#include "sms.h"

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

/* "GSM-7" or "UCS-2". */
const char *
sms_encoding_name(enum sms_encoding enc)
{
	return enc == SMS_GSM7 ? "GSM-7" : "UCS-2";
}
