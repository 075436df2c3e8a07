/* A meeting as an iCalendar file: the invitation's attachment and the
 * /m/{token}.ics download. */
#ifndef PPGD_MEETING_ICS_H
#define PPGD_MEETING_ICS_H

#include <stdint.h>

#include "db.h"

/* How long a meeting is shown for in calendars. */
#define MEETING_ICS_DURATION (2 * 3600)

/* The .ics text of meeting id (public_url names its UID's host); NULL if
 * there is no such meeting or it was cancelled. Caller frees. */
char *meeting_ics(struct db *, int64_t id, const char *public_url);
/*
 * The .ics to attach to outbox row id: the meeting of an email from a
 * meeting's invitation or reminder campaign or a meeting-moved notice;
 * NULL for any other row. Caller frees.
 */
char *meeting_ics_for_outbox(struct db *, int64_t outbox_id,
                             const char *public_url);

#endif
