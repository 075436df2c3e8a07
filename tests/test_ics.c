/* iCalendar output: structure, escaping, folding at 75 octets without
 * splitting UTF-8, CRLF line ends and the VTIMEZONE from the zone data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ics.h"

/* 2026-07-15 18:30 BST */
#define JULY ((int64_t)1784136600)
/* 2026-01-14 18:30 GMT */
#define JANUARY ((int64_t)1768415400)

static char *
build(int64_t start, const char *tz, const char *summary, const char *location)
{
	struct ics_event e = {
	    .uid = "meeting-5@ppg.example.org",
	    .dtstamp = 1767225600, /* 2026-01-01T00:00:00Z */
	    .start = start,
	    .end = start + 7200,
	    .tz = tz,
	    .summary = summary,
	    .location = location,
	    .url = "https://meet.example.org/x",
	    .sequence = 2,
	};

	return ics_build(&e);
}

/* Unfold (RFC 5545 3.1): CRLF followed by one space joins lines. */
static char *
unfold(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	while (*s != '\0') {
		if (s[0] == '\r' && s[1] == '\n' && s[2] == ' ')
			s += 3;
		else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

static int
has_line(const char *text, const char *line)
{
	char *u = unfold(text), *p = u;
	size_t n = strlen(line);
	int found = 0;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == u || p[-1] == '\n') && p[n] == '\r' &&
		    p[n + 1] == '\n') {
			found = 1;
			break;
		}
		p++;
	}
	free(u);
	return found;
}

static void
test_event(void **state)
{
	char *s =
	    build(JULY, "Europe/London", "Patient group meeting", "Room 1");

	(void)state;
	assert_non_null(s);
	assert_true(strncmp(s, "BEGIN:VCALENDAR\r\n", 17) == 0);
	assert_true(has_line(s, "VERSION:2.0"));
	assert_true(has_line(s, "METHOD:PUBLISH"));
	assert_true(has_line(s, "UID:meeting-5@ppg.example.org"));
	assert_true(has_line(s, "DTSTAMP:20260101T000000Z"));
	assert_true(has_line(s, "SEQUENCE:2"));
	assert_true(has_line(s, "DTSTART;TZID=Europe/London:20260715T183000"));
	assert_true(has_line(s, "DTEND;TZID=Europe/London:20260715T203000"));
	assert_true(has_line(s, "LOCATION:Room 1"));
	assert_true(has_line(s, "URL:https://meet.example.org/x"));
	assert_true(has_line(s, "END:VCALENDAR"));
	free(s);
}

/* The zone's real changes: BST starts 29 March 2026 01:00 UTC (01:00
 * local GMT) and ends 25 October 2026 01:00 UTC (02:00 local BST). */
static void
test_vtimezone_london(void **state)
{
	char *s = build(JULY, "Europe/London", "M", NULL);

	(void)state;
	assert_true(has_line(s, "BEGIN:VTIMEZONE"));
	assert_true(has_line(s, "TZID:Europe/London"));
	assert_true(has_line(s, "DTSTART:20260329T010000"));
	assert_true(has_line(s, "DTSTART:20261025T020000"));
	assert_true(has_line(s, "TZOFFSETFROM:+0000"));
	assert_true(has_line(s, "TZOFFSETTO:+0100"));
	assert_true(has_line(s, "TZNAME:BST"));
	assert_true(has_line(s, "TZNAME:GMT"));
	assert_true(has_line(s, "BEGIN:DAYLIGHT"));
	assert_true(has_line(s, "BEGIN:STANDARD"));
	free(s);
	/* A winter meeting still has the offset in force defined. */
	s = build(JANUARY, "Europe/London", "M", NULL);
	assert_true(has_line(s, "DTSTART;TZID=Europe/London:20260114T183000"));
	assert_true(has_line(s, "DTSTART:20251026T020000"));
	free(s);
}

static void
test_vtimezone_fixed(void **state)
{
	char *s = build(JULY, "UTC", "M", NULL);

	(void)state;
	assert_true(has_line(s, "TZID:UTC"));
	assert_true(has_line(s, "TZOFFSETFROM:+0000"));
	assert_true(has_line(s, "TZOFFSETTO:+0000"));
	assert_null(strstr(s, "DAYLIGHT"));
	assert_true(has_line(s, "DTSTART;TZID=UTC:20260715T173000"));
	free(s);
	assert_null(build(JULY, "Not/AZone", "M", NULL));
}

static void
test_escaping(void **state)
{
	char *s = build(JULY, "UTC", "Meeting; agenda, notes\\ and\nmore",
	                "Hall, Room; 2");

	(void)state;
	assert_true(has_line(s, "SUMMARY:Meeting\\; agenda\\, notes\\\\ and"
	                        "\\nmore"));
	assert_true(has_line(s, "LOCATION:Hall\\, Room\\; 2"));
	free(s);
}

/* Every line is CRLF-terminated and at most 75 octets; a fold never splits
 * a UTF-8 character. */
static void
test_folding(void **state)
{
	char summary[400], *s, *line, *end;
	size_t i, len;

	(void)state;
	summary[0] = '\0';
	for (i = 0; i < 60; i++)
		strcat(summary, "caf\xc3\xa9 "); /* "café " */
	s = build(JULY, "Europe/London", summary, NULL);
	for (line = s; *line != '\0'; line = end + 2) {
		end = strstr(line, "\r\n");
		assert_non_null(end);
		len = (size_t)(end - line);
		assert_true(len <= 75);
		assert_null(memchr(line, '\n', len));
		/* A continuation line starts with a space, then not with a
		 * UTF-8 continuation byte. */
		if (line[0] == ' ')
			assert_true(((unsigned char)line[1] & 0xc0) != 0x80);
	}
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_event),
	    cmocka_unit_test(test_vtimezone_london),
	    cmocka_unit_test(test_vtimezone_fixed),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_folding),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
