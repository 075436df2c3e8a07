/* Logging in logfmt (key=value) to stderr, after OpenSMTPD's log.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int log_level;
static int log_quiet;
static int log_time = -1;    /* -1: decide on first line (a terminal) */
static int log_journal = -1; /* -1: decide on first line ($JOURNAL_STREAM) */

void
log_init(int verbose)
{
	log_level = verbose;
	log_journal = -1;
}

int
log_verbose(void)
{
	return log_level;
}

void
log_set_quiet(int on)
{
	log_quiet = on;
}

void
log_set_time(int on)
{
	log_time = on;
}

/*
 * sd-daemon(3): stderr is journald's stream when $JOURNAL_STREAM names its
 * device and inode; then a "<N>" prefix carries each line's priority.
 */
int
log_journald(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &sb) == -1)
		return 0;
	return (unsigned long long)sb.st_dev == dev &&
	       (unsigned long long)sb.st_ino == ino;
}

static int
is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Append c to out, escaped for a quoted logfmt value. */
static size_t
put_escaped(char *out, size_t o, size_t cap, unsigned char c)
{
	if (o + 5 >= cap)
		return o;
	if (c == '"' || c == '\\') {
		out[o++] = '\\';
		out[o++] = (char)c;
	} else if (c == '\n') {
		out[o++] = '\\';
		out[o++] = 'n';
	} else if (c < 0x20 || c == 0x7f)
		o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	else
		out[o++] = (char)c;
	return o;
}

/* After a closing quote: the end, or a space and the next key=. */
static int
value_ends(const char *p)
{
	size_t k;

	if (*p == '\0')
		return 1;
	if (*p++ != ' ')
		return 0;
	for (k = 0; is_key_char(p[k]); k++)
		;
	return k > 0 && p[k] == '=';
}

/*
 * Re-emit a message that is already a run of key=value pairs (values bare
 * or double-quoted) as top-level fields, escaped; a bare value that needs
 * quotes gets them. A quote inside a quoted value ends it only at the end or
 * before " key=", so a name holding a quote still reads right. Returns -1 if
 * the message is not logfmt; it is then logged as msg="...".
 */
int
log_fields(const char *in, char *out, size_t cap)
{
	size_t o = 0, k;
	const char *p = in, *v, *end;
	int quoted, bare;

	while (*p != '\0') {
		for (k = 0; is_key_char(p[k]); k++)
			;
		if (k == 0 || p[k] != '=' || o + k + 2 >= cap)
			return -1;
		if (o > 0)
			out[o++] = ' ';
		memcpy(out + o, p, k + 1);
		o += k + 1;
		v = p + k + 1;
		if ((quoted = *v == '"')) {
			for (end = ++v; *end != '\0'; end++)
				if (*end == '"' && end[-1] != '\\' &&
				    value_ends(end + 1))
					break;
			if (*end == '\0')
				return -1;
		} else
			end = v + strcspn(v, " ");
		bare = !quoted && end > v;
		for (const char *q = v; q < end; q++)
			if (*q == ' ' || *q == '"' || *q == '=' || *q == '\\' ||
			    (unsigned char)*q < 0x21 || *q == 0x7f)
				bare = 0;
		if (!bare)
			out[o++] = '"';
		for (const char *q = v; q < end; q++) {
			/* Keep the caller's \" escapes as one character. */
			if (quoted && *q == '\\' &&
			    (q[1] == '"' || q[1] == '\\'))
				q++;
			o = put_escaped(out, o, cap, (unsigned char)*q);
		}
		if (!bare && o + 1 < cap)
			out[o++] = '"';
		p = end + (quoted && *end == '"');
		if (*p == ' ')
			p++;
		else if (*p != '\0')
			return -1;
	}
	out[o] = '\0';
	return o > 0 ? 0 : -1;
}

static int
level_priority(const char *level)
{
	if (strcmp(level, "debug") == 0)
		return 7;
	if (strcmp(level, "info") == 0)
		return 6;
	if (strcmp(level, "warn") == 0)
		return 4;
	return 2; /* fatal: LOG_CRIT */
}

static void
log_stamp(char *ts, size_t cap)
{
	struct timeval tv;
	struct tm tm;
	size_t n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(ts, cap, "ts=%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, cap - n, ".%03ldZ ", (long)(tv.tv_usec / 1000));
}

static void
log_vwrite(const char *level, const char *err, const char *fmt, va_list ap)
{
	char buf[2048], out[8200], ts[48] = "", pri[8] = "";
	size_t i, o = 0;

	if (log_journal == -1)
		log_journal = log_journald();
	if (log_time == -1)
		log_time = !log_journal && isatty(STDERR_FILENO);
	vsnprintf(buf, sizeof buf, fmt, ap);
	if (log_fields(buf, out, sizeof out) == -1) {
		o = (size_t)snprintf(out, sizeof out, "msg=\"");
		for (i = 0; buf[i] != '\0'; i++)
			o = put_escaped(out, o, sizeof out - 2,
			                (unsigned char)buf[i]);
		out[o++] = '"';
		out[o] = '\0';
	}
	if (log_journal)
		snprintf(pri, sizeof pri, "<%d>", level_priority(level));
	if (log_time)
		log_stamp(ts, sizeof ts);
	if (err != NULL)
		fprintf(stderr, "%s%slevel=%s %s error=\"%s\"\n", pri, ts,
		        level, out, err);
	else
		fprintf(stderr, "%s%slevel=%s %s\n", pri, ts, level, out);
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
	if (log_quiet)
		return;
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
