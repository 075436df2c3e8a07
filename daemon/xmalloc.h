/* Allocation that dies on exhaustion. */
#ifndef PPGD_XMALLOC_H
#define PPGD_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
/* Formatted allocation. Caller frees. */
char *xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
