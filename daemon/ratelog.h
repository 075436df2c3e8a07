/* Refusal log lines at most once a second per kind, with a count. */
#ifndef PPGD_RATELOG_H
#define PPGD_RATELOG_H

#include "log.h"

/*
 * Log a warning of this kind ("webhook_forbidden", "accept") unless one was
 * logged less than a second ago; the lines skipped are counted, and the
 * next line carries "repeated=N". kind must be a string literal.
 */
void ratelog_warnx(const char *kind, const char *fmt, ...) PRINTFLIKE(2, 3);
/* Log the counts of kinds whose last line is a second old (a 1 s timer). */
void ratelog_flush(double now);
/* The lines skipped so far for kind (tests). */
unsigned long ratelog_skipped(const char *kind);

#endif
