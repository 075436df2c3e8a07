/* Logging in logfmt to stderr, which journald keeps. */
#ifndef PPGD_LOG_H
#define PPGD_LOG_H

#include <stdarg.h>
#include <stddef.h>

#define PRINTFLIKE(a, b) __attribute__((format(printf, a, b)))

/* Set the verbosity: 0 info, 1 debug. */
void log_init(int verbose);
int log_verbose(void);
/* With on, info lines are not written (a command that reports itself). */
void log_set_quiet(int on);
/* Timestamp each line (ts=...): on, off; by default only on a terminal. */
void log_set_time(int on);
/* Whether stderr is journald's stream ($JOURNAL_STREAM, sd-daemon(3)). */
int log_journald(void);
/*
 * A message that is already key=value pairs as top-level logfmt fields in
 * out; -1 if it is not (it is then logged as msg="...").
 */
int log_fields(const char *in, char *out, size_t cap);
/* Log a warning with strerror(errno) appended. */
void log_warn(const char *, ...) PRINTFLIKE(1, 2);
void log_warnx(const char *, ...) PRINTFLIKE(1, 2);
void log_info(const char *, ...) PRINTFLIKE(1, 2);
/* Debug level: the only level that may carry personal data. */
void log_debug(const char *, ...) PRINTFLIKE(1, 2);
__attribute__((noreturn)) void fatal(const char *, ...) PRINTFLIKE(1, 2);
__attribute__((noreturn)) void fatalx(const char *, ...) PRINTFLIKE(1, 2);

#endif
