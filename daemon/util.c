/* Small helpers shared by every module. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "util.h"
#include "xmalloc.h"

int
util_parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, oh, om;
	const char *p;
	int64_t t;

	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	p = s + 10;
	if (*p == 'T' || *p == ' ') {
		n = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &n) != 2 || n != 5)
			return -1;
		p += 1 + n;
		if (*p == ':') {
			if (sscanf(p + 1, "%2d%n", &sec, &n) != 1 || n != 2)
				return -1;
			p += 3;
		}
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (tm.tm_mday != d)
		return -1; /* 31 February */
	if (*p == 'Z' && p[1] == '\0')
		p++;
	else if ((*p == '+' || *p == '-') &&
	         sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) == 2 && n == 5 &&
	         p[6] == '\0') {
		int sign = *p == '+' ? 1 : -1;
		t -= sign * (oh * 3600 + om * 60);
		p += 6;
	}
	if (*p != '\0')
		return -1;
	*out = t;
	return 0;
}

char *
util_format_time(int64_t t, char buf[21])
{
	struct tm tm;
	time_t tt = (time_t)t;

	buf[0] = '\0';
	if (t != 0 && gmtime_r(&tt, &tm) != NULL)
		strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

char *
util_format_date(int64_t t, char buf[11])
{
	struct tm tm;
	time_t tt = (time_t)t;

	buf[0] = '\0';
	if (t != 0 && gmtime_r(&tt, &tm) != NULL)
		strftime(buf, 11, "%Y-%m-%d", &tm);
	return buf;
}

char *
util_trim(char *s)
{
	char *start = s, *end;

	while (isspace((unsigned char)*start))
		start++;
	end = start + strlen(start);
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	memmove(s, start, end - start);
	s[end - start] = '\0';
	return s;
}

int
util_has_crlf(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") != NULL;
}

int
util_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n, k;
	unsigned cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0)
			n = 1, cp = s[i] & 0x1f;
		else if ((s[i] & 0xf0) == 0xe0)
			n = 2, cp = s[i] & 0x0f;
		else if ((s[i] & 0xf8) == 0xf0)
			n = 3, cp = s[i] & 0x07;
		else
			return 0;
		for (k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and values past U+10FFFF. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

char *
util_lower(char *s)
{
	char *p;

	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

double
util_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
util_read_file(const char *path, size_t max, char **out, size_t *lenp,
               char **cause)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	size_t len = 0, cap = 8192, n;

	if (fp == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	buf = xmalloc(cap);
	while ((n = fread(buf + len, 1, cap - len - 1, fp)) > 0) {
		len += n;
		if (len > max) {
			*cause =
			    xasprintf("%s: larger than %zu bytes", path, max);
			free(buf);
			fclose(fp);
			return -1;
		}
		if (cap - len < 2)
			buf = xrealloc(buf, cap *= 2);
	}
	fclose(fp);
	buf[len] = '\0';
	*out = buf;
	if (lenp != NULL)
		*lenp = len;
	return 0;
}

/* fsync the folder holding path, so a rename in it is durable. */
static void
util_sync_dir(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int dfd;

	if (slash != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	free(dir);
}

int
util_private_open(const char *path, char **tmp, char **cause)
{
	unsigned char rnd[6];
	int fd, tries;

	for (tries = 0; tries < 8; tries++) {
		if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
			memset(rnd, tries, sizeof rnd);
		*tmp = xasprintf("%s.tmp.%ld.%02x%02x%02x%02x%02x%02x", path,
		                 (long)getpid(), rnd[0], rnd[1], rnd[2], rnd[3],
		                 rnd[4], rnd[5]);
		fd = open(*tmp,
		          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		          0600);
		if (fd != -1)
			return fd;
		free(*tmp);
		*tmp = NULL;
		if (errno != EEXIST)
			break;
	}
	*cause = xasprintf("%s: %s", path, strerror(errno));
	return -1;
}

int
util_private_commit(int fd, char *tmp, const char *path, int ok, char **cause)
{
	if (ok && fsync(fd) == 0 && rename(tmp, path) == 0) {
		util_sync_dir(path);
		free(tmp);
		return 0;
	}
	if (ok)
		*cause = xasprintf("%s: %s", path, strerror(errno));
	unlink(tmp);
	free(tmp);
	return -1;
}

int
util_write_private(const char *path, const void *data, size_t len, char **cause)
{
	char *tmp;
	int fd, ok, rc;

	if ((fd = util_private_open(path, &tmp, cause)) == -1)
		return -1;
	ok = write(fd, data, len) == (ssize_t)len;
	if (!ok)
		*cause = xasprintf("%s: %s", path, strerror(errno));
	rc = util_private_commit(fd, tmp, path, ok, cause);
	if (close(fd) != 0 && rc == 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}

int
util_write_atomic(const char *path, const void *data, size_t len, char **cause)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	char *dir = xstrdup(path), *slash;
	int fd, dfd, ok;

	/* A stale temporary of a dead process with our pid, or a link. */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	          0640);
	ok = fd != -1 && write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
	if (fd != -1 && close(fd) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		free(dir);
		return -1;
	}
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(dfd);
		close(dfd);
	}
	free(tmp);
	free(dir);
	return 0;
}
