/* iCalendar (RFC 5545): one event with its time zone, for calendar apps. */
#ifndef PPGD_ICS_H
#define PPGD_ICS_H

#include <stdint.h>

struct ics_event {
	const char *uid;         /* globally unique, e.g. meeting-5@host */
	int64_t dtstamp;         /* when this version was made */
	int64_t start, end;      /* seconds since the epoch */
	const char *tz;          /* IANA zone the times are shown in */
	const char *summary;     /* one line */
	const char *location;    /* or NULL */
	const char *url;         /* or NULL */
	const char *description; /* or NULL */
	int sequence;            /* revision: higher after each change */
};

/*
 * A VCALENDAR with METHOD:PUBLISH, a VTIMEZONE for e->tz (its real offsets
 * and changes from the year before the event to the year after) and the
 * VEVENT with DTSTART/DTEND in that zone. Text is escaped, lines end in
 * CRLF and are folded at 75 octets without splitting a UTF-8 character.
 * NULL if the zone is unknown. Caller frees.
 */
char *ics_build(const struct ics_event *e);

#endif
