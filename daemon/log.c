/* Logging in logfmt (key=value) to stderr, after OpenSMTPD's log.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int log_level;

void
log_init(int verbose)
{
	log_level = verbose;
}

int
log_verbose(void)
{
	return log_level;
}

/*
 * The message itself becomes msg="..."; quotes and control characters in it
 * are escaped so a line stays one logfmt record.
 */
static void
log_vwrite(const char *level, const char *err, const char *fmt, va_list ap)
{
	char buf[2048], out[4200];
	size_t i, o = 0;

	vsnprintf(buf, sizeof buf, fmt, ap);
	for (i = 0; buf[i] != '\0' && o < sizeof out - 8; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (c < 0x20) {
			out[o++] = '?';
		} else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	if (err != NULL)
		fprintf(stderr, "level=%s msg=\"%s\" error=\"%s\"\n", level,
		        out, err);
	else
		fprintf(stderr, "level=%s msg=\"%s\"\n", level, out);
	fflush(stderr);
}

#define LOG_BODY(level, err)                                                   \
	do {                                                                   \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_vwrite(level, err, fmt, ap);                               \
		va_end(ap);                                                    \
	} while (0)

void
log_warn(const char *fmt, ...)
{
	const char *err = strerror(errno);

	LOG_BODY("warn", err);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY("warn", NULL);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY("info", NULL);
}

void
log_debug(const char *fmt, ...)
{
	if (log_level < 1)
		return;
	LOG_BODY("debug", NULL);
}

void
fatal(const char *fmt, ...)
{
	const char *err = strerror(errno);

	LOG_BODY("fatal", err);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY("fatal", NULL);
	exit(1);
}
