/* Small helpers shared by every module. */
#ifndef PPGD_UTIL_H
#define PPGD_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Parse "YYYY-MM-DD" (midnight UTC) or ISO 8601 with a time and an optional Z
 * or offset (UTC if none). */
int util_parse_time(const char *, int64_t *);
/* Format t as "YYYY-MM-DDTHH:MM:SSZ" into buf[21]; "" for 0. */
char *util_format_time(int64_t t, char buf[21]);
/* Format t as "YYYY-MM-DD" into buf[11]; "" for 0. */
char *util_format_date(int64_t t, char buf[11]);
/* Trim spaces in place; returns s. */
char *util_trim(char *s);
/* 1 if s contains CR or LF. */
int util_has_crlf(const char *s);
/* 1 if s is valid UTF-8. */
int util_utf8_valid(const char *s, size_t len);
/* Lower-case ASCII in place; returns s. */
char *util_lower(char *s);
/* Monotonic clock in seconds (fractions). */
double util_monotonic(void);
/* Read a whole file (up to max bytes). Caller frees. */
int util_read_file(const char *path, size_t max, char **out, size_t *len,
                   char **cause);
/* Write a file atomically: temporary file, fsync, rename, fsync dir. */
/*
 * A new private file to fill then put in place: opens a fresh temporary
 * name beside path, mode 0600, O_EXCL|O_NOFOLLOW (never an existing file
 * or a symbolic link's target). Returns the descriptor, and *tmp (caller
 * frees); -1 with *cause.
 */
int util_private_open(const char *path, char **tmp, char **cause);
/*
 * Finish a util_private_open file: if ok, fsync it and rename it onto path
 * (a symbolic link at path is replaced, not followed); otherwise, or on
 * failure (-1, *cause), remove it. Frees tmp; does not close fd.
 */
int util_private_commit(int fd, char *tmp, const char *path, int ok,
                        char **cause);
/* util_write_atomic, for a private file (0600). */
int util_write_private(const char *path, const void *data, size_t len,
                       char **cause);
int util_write_atomic(const char *path, const void *data, size_t len,
                      char **cause);

#endif
