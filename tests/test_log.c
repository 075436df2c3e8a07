/* Tests for log: logfmt fields at the top level, journald priorities, time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static void
check_fields(const char *in, const char *want)
{
	char out[512];

	assert_int_equal(log_fields(in, out, sizeof out), 0);
	assert_string_equal(out, want);
}

static void
test_fields_top_level(void **state)
{
	check_fields("event=ready version=0.1.0 listen=127.0.0.1:8080",
	             "event=ready version=0.1.0 listen=127.0.0.1:8080");
	check_fields("event=fire campaign=\"Spring survey\" run=3",
	             "event=fire campaign=\"Spring survey\" run=3");
	/* The caller's quotes are kept; a bare value that needs them gets
	 * them. */
	check_fields("event=x error=\"disk\"", "event=x error=\"disk\"");
	check_fields("event=x a=b\001c", "event=x a=\"b\\x01c\"");
	/* An empty value is written "" so the next key stays a key. */
	check_fields("event=x code=\"\" n=1", "event=x code=\"\" n=1");
	/* A quote inside a name, control characters made visible. */
	check_fields("event=fire campaign=\"Bob \"the\" one\"",
	             "event=fire campaign=\"Bob \\\"the\\\" one\"");
	check_fields("event=x detail=\"a\nb\x1b[2J\"",
	             "event=x detail=\"a\\nb\\x1b[2J\"");
	check_fields("event=x error=\"a \\\"q\\\"\"",
	             "event=x error=\"a \\\"q\\\"\"");
}

static void
test_fields_refused(void **state)
{
	char out[256];

	assert_int_equal(log_fields("database: no such table", out, sizeof out),
	                 -1);
	assert_int_equal(log_fields("event=x and more", out, sizeof out), -1);
	assert_int_equal(log_fields("event=\"unterminated", out, sizeof out),
	                 -1);
	assert_int_equal(log_fields("", out, sizeof out), -1);
}

/* Run fn with stderr sent to a file; return what it wrote. Caller frees. */
static char *
capture(void (*fn)(void), int journal)
{
	char path[] = "/tmp/test_log.XXXXXX", env[64], *buf;
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	struct stat sb;
	FILE *fp;
	long n;

	assert_true(fd >= 0);
	fstat(fd, &sb);
	snprintf(env, sizeof env, "%llu:%llu", (unsigned long long)sb.st_dev,
	         (unsigned long long)sb.st_ino);
	if (journal)
		setenv("JOURNAL_STREAM", env, 1);
	else
		unsetenv("JOURNAL_STREAM");
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	log_init(1);
	fn();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	fp = fopen(path, "r");
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	close(fd);
	unlink(path);
	unsetenv("JOURNAL_STREAM");
	return buf;
}

static void
emit(void)
{
	log_info("event=ready version=%s listen=%s", "0.1.0", "127.0.0.1:1");
	log_warnx("event=stop in_flight=%d", 2);
	log_debug("database: %s", "locked \"x\"");
}

static void
test_plain_lines(void **state)
{
	char *s;

	log_set_time(0);
	s = capture(emit, 0);
	assert_string_equal(
	    s, "level=info event=ready version=0.1.0 listen=127.0.0.1:1\n"
	       "level=warn event=stop in_flight=2\n"
	       "level=debug msg=\"database: locked \\\"x\\\"\"\n");
	free(s);
}

static void
test_journald_priorities(void **state)
{
	char *s;

	log_set_time(0);
	s = capture(emit, 1);
	assert_string_equal(s, "<6>level=info event=ready version=0.1.0 "
	                       "listen=127.0.0.1:1\n"
	                       "<4>level=warn event=stop in_flight=2\n"
	                       "<7>level=debug msg=\"database: locked "
	                       "\\\"x\\\"\"\n");
	free(s);
}

static void
one(void)
{
	log_info("event=reloaded");
}

static void
test_timestamp(void **state)
{
	char *s;

	log_set_time(1);
	s = capture(one, 0);
	/* ts=2026-12-03T14:05:08.123Z level=info event=reloaded */
	assert_int_equal(strlen(s), strlen("ts=2026-12-03T14:05:08.123Z "
	                                   "level=info event=reloaded\n"));
	assert_memory_equal(s, "ts=", 3);
	assert_int_equal(s[13], 'T');
	assert_int_equal(s[26], 'Z');
	assert_string_equal(s + 28, "level=info event=reloaded\n");
	free(s);
	log_set_time(0);
}

static void
test_quiet(void **state)
{
	char *s;

	log_set_time(0);
	log_set_quiet(1);
	s = capture(emit, 0);
	log_set_quiet(0);
	/* Info is left out; warnings and debug are still written. */
	assert_null(strstr(s, "level=info"));
	assert_non_null(strstr(s, "level=warn event=stop in_flight=2\n"));
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields_top_level),
	    cmocka_unit_test(test_fields_refused),
	    cmocka_unit_test(test_plain_lines),
	    cmocka_unit_test(test_journald_priorities),
	    cmocka_unit_test(test_timestamp),
	    cmocka_unit_test(test_quiet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
