/*
 * Free-text comments from surveys, moderated before they are published.
 * Every text answer gets a comment row with its text masked (phone numbers,
 * email addresses, NHS numbers, full dates and the names of members and
 * staff ppgd knows become "[removed]"); staff then approve, hide, redact or
 * theme it. Published reports show approved comments only. This module is
 * the one writer of the comments table.
 */
#ifndef PPGD_COMMENTS_H
#define PPGD_COMMENTS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "db.h"

#define COMMENTS_REMOVED "[removed]"

/*
 * text with personal details masked: email addresses, UK phone numbers,
 * 10-digit numbers that pass the NHS number check digit (mod 11), full
 * dates, the words in names[0..n) (compared case-folded) and the word after
 * a title (Dr, Mr, Mrs, Ms, Miss, Nurse). Caller frees.
 */
char *comments_mask(const char *text, const char *const *names, size_t n);
/* 1 if the 10 digits of s (spaces and dashes between allowed) form a
 * valid NHS number. */
int comments_nhs_valid(const char *s);
/* Give every text answer not yet seen a pending, masked comment. Returns
 * the number added, or -1. */
int comments_sync(struct db *, int64_t now);
/*
 * Comments on a survey (slug, every version) or a campaign (name):
 * id, question, status, text, theme, date; pending only if asked.
 * NULL with *cause if target is neither. Caller decrefs.
 */
json_t *comments_list_json(struct db *, const char *target, int pending,
                           char **cause);
/* Set a comment's status: "approved", "hidden" or "pending". */
int comments_set_status(struct db *, int64_t id, const char *status,
                        int64_t now, char **cause);
/* Replace a comment's text with staff's wording (masked again). */
int comments_redact(struct db *, int64_t id, const char *text, int64_t now,
                    char **cause);
/* Set a comment's theme ("access"); NULL or "" clears it. */
int comments_tag(struct db *, int64_t id, const char *theme, int64_t now,
                 char **cause);
/* One comment as JSON, or NULL if there is none. Caller decrefs. */
json_t *comments_get_json(struct db *, int64_t id);

#endif
