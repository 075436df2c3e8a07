/* Inbound messages (not delivery receipts) as listed by `ppgd inbox` and
 * the web admin's inbox: one query for both. */
#ifndef PPGD_INBOX_STORE_H
#define PPGD_INBOX_STORE_H

#include <stdint.h>
#include <jansson.h>

#include "db.h"

struct inbox_filter {
	int unmatched;        /* only messages matched to no member */
	int stop_requests;    /* only stop requests */
	const char *practice; /* a practice code, or NULL for every one */
	int64_t before_id;    /* only ids below this (the next page); 0: none */
	long limit;           /* at most this many */
};

/*
 * The messages of f, newest first, as a JSON array of objects: id,
 * received_at, provider, channel, disposition, practice, from, to, body,
 * member, care_flag, meeting.
 */
json_t *inbox_list_json(struct db *, const struct inbox_filter *f);

#endif
