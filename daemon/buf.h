/* A growable string, built by appending; start from struct buf b = {0}. */
#ifndef PPGD_BUF_H
#define PPGD_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "log.h"

/* s is NUL-terminated once anything (even "") is added; NULL before. */
struct buf {
	char *s;
	size_t len, cap;
};

/* Append n bytes of s. */
void buf_addn(struct buf *, const char *s, size_t n);
/* Append the string s. */
void buf_add(struct buf *, const char *s);
/* Append a formatted string. */
void buf_printf(struct buf *, const char *fmt, ...) PRINTFLIKE(2, 3);
/* Append a formatted string from a va_list. */
void buf_vprintf(struct buf *, const char *fmt, va_list);
/* The string built, "" if nothing was added. Caller frees. */
char *buf_take(struct buf *);

#endif
