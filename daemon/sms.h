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

#endif
