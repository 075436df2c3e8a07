/* SMS text analysis: GSM 03.38 or UCS-2 encoding, length and segments. */
#ifndef PPGD_SMS_H
#define PPGD_SMS_H

#include <stddef.h>

enum sms_encoding { SMS_GSM7, SMS_UCS2 };

struct sms_info {
	enum sms_encoding encoding;
	size_t characters; /* Unicode code points */
	size_t units;      /* GSM-7 septets or UTF-16 code units */
	size_t segments;   /* parts a sender would send; 1 for empty text */
};

/* Analyse UTF-8 text as an SMS: encoding, characters, segments. -1 on invalid
 * UTF-8. */
int sms_analyse(const char *utf8, struct sms_info *out);
/* "GSM-7" or "UCS-2". */
const char *sms_encoding_name(enum sms_encoding);

/* A character that keeps a text out of GSM-7, and its GSM-7 stand-in. */
struct sms_ucs2_char {
	unsigned long cp;        /* the code point */
	char utf8[5];            /* it, as UTF-8 */
	const char *replacement; /* GSM-7 text for it, or NULL if none */
};
/*
 * The distinct characters of utf8 that are not in GSM-7, in order, at most
 * max of them into out. Returns how many there are (which may exceed max),
 * -1 on invalid UTF-8. *all_replaceable (if not NULL) is set to 1 when every
 * one has a replacement, so the text could go as GSM-7.
 */
/* utf8 with each look-alike replaced by its GSM-7 stand-in. Caller frees;
 * NULL on invalid UTF-8. */
char *sms_gsm7_text(const char *utf8);
int sms_ucs2_chars(const char *utf8, struct sms_ucs2_char *out, size_t max,
                   int *all_replaceable);

#endif
