/* Phone numbers: normalisation to E.164, UK first. */
#ifndef PPGD_PHONE_H
#define PPGD_PHONE_H

/*
 * Normalise a phone number to E.164 in out (17 bytes). UK forms such as
 * "07700 900123", "+44 7700 900123", "+44 (0)7700 900123", "0044 7700900123",
 * "44 7700 900123" and "7700 900123" (a spreadsheet that dropped the leading
 * 0), with spaces, dashes, dots and brackets, become "+447700900123". Any UK
 * number of 10 national digits is accepted, landlines too: ask
 * phone_is_uk_mobile() before sending an SMS. Other countries, "+<country>
 * <number>" or "00<country><number>" of 8 to 15 digits, are kept as given.
 * Returns 0, or -1 with *cause set (if cause is not NULL; caller frees).
 */
int phone_normalise(const char *in, char out[17], char **cause);

/* 1 if an E.164 number is a UK mobile (+4471-75, +4477-79, +447624), else 0. */
int phone_is_uk_mobile(const char *e164);

#endif
