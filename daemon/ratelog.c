/*
 * Refusal log lines, rate-limited. A probe or a flood of bad requests must
 * not write a line for each (4,500 lines from one probe; millions from an
 * accept() that fails in a loop): each kind logs at most one line a second,
 * and the lines skipped are reported as a count.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "ratelog.h"
#include "util.h"

#define RATELOG_KINDS 16

static struct kind {
	const char *name;
	double last;           /* when its last line was written */
	unsigned long skipped; /* since then */
	unsigned long total;   /* skipped, ever */
} kinds[RATELOG_KINDS];

static struct kind *
kind_get(const char *name)
{
	size_t i;

	for (i = 0; i < RATELOG_KINDS && kinds[i].name != NULL; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	if (i == RATELOG_KINDS)
		return &kinds[RATELOG_KINDS - 1];
	kinds[i].name = name;
	kinds[i].last = -1e9;
	return &kinds[i];
}

void
ratelog_warnx(const char *name, const char *fmt, ...)
{
	struct kind *k = kind_get(name);
	double now = util_monotonic();
	char line[512];
	va_list ap;

	if (now - k->last < 1.0) {
		k->skipped++;
		k->total++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (k->skipped > 0)
		log_warnx("%s repeated=%lu", line, k->skipped);
	else
		log_warnx("%s", line);
	k->last = now;
	k->skipped = 0;
}

void
ratelog_flush(double now)
{
	size_t i;

	for (i = 0; i < RATELOG_KINDS && kinds[i].name != NULL; i++) {
		if (kinds[i].skipped == 0 || now - kinds[i].last < 1.0)
			continue;
		log_warnx("event=refused kind=%s repeated=%lu", kinds[i].name,
		          kinds[i].skipped);
		kinds[i].last = now;
		kinds[i].skipped = 0;
	}
}

unsigned long
ratelog_skipped(const char *name)
{
	return kind_get(name)->total;
}
