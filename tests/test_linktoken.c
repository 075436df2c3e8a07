/* Derived link tokens: round trip, refusals, the key file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "linktoken.h"
#include "xmalloc.h"

/* A config whose database is in a new folder (*dir, caller removes). */
static struct config *
cfg_in(char dir[], const char *extra)
{
	char path[512], *errors = NULL;
	struct config *cfg;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/ppgd.conf", dir);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "[daemon]\ndatabase = %s/ppgd.db\n%s", dir,
	        extra != NULL ? extra : "");
	fclose(fp);
	if (config_load(path, &cfg, &errors) == -1) {
		fprintf(stderr, "config: %s\n", errors);
		fail();
	}
	unlink(path);
	return cfg;
}

static void
test_round_trip(void **state)
{
	char dir[] = "/tmp/ppgd-lt-XXXXXX", tok[LINKTOKEN_MAX], *cause = NULL;
	char path[600];
	struct config *cfg = cfg_in(dir, NULL);
	int64_t run, member,
	    ids[][2] = {
	        {1, 1}, {127, 128}, {16384, 2000000}, {INT64_MAX, INT64_MAX}};
	size_t i;

	linktoken_set_key(NULL);
	for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		assert_int_equal(linktoken_make(cfg, LT_SURVEY, ids[i][0],
		                                ids[i][1], tok, &cause),
		                 0);
		assert_int_equal(
		    linktoken_parse(cfg, tok, LT_SURVEY, &run, &member), 1);
		assert_int_equal(run, ids[i][0]);
		assert_int_equal(member, ids[i][1]);
		/* Another kind's link is refused. */
		assert_int_equal(
		    linktoken_parse(cfg, tok, LT_REPLY, &run, &member), 0);
	}
	/* As short as the old random tokens for ids of a large install. */
	assert_int_equal(
	    linktoken_make(cfg, LT_SURVEY, 16000, 2000000, tok, &cause), 0);
	assert_true(strlen(tok) <= 22);
	linktoken_set_key(NULL);
	snprintf(path, sizeof path, "%s/ppgd.db.token-key", dir);
	unlink(path);
	rmdir(dir);
	config_free(cfg);
	(void)state;
}

/* The key file is made once, mode 0600, and links outlive the process's
 * copy of it; another install's key refuses them. */
static void
test_key_file(void **state)
{
	char dir[] = "/tmp/ppgd-lt-XXXXXX", tok[LINKTOKEN_MAX], path[600];
	char *cause = NULL;
	struct config *cfg = cfg_in(dir, NULL);
	struct stat st;
	int64_t run, member;

	linktoken_set_key(NULL);
	assert_int_equal(
	    linktoken_make(cfg, LT_UNSUBSCRIBE, 7, 42, tok, &cause), 0);
	snprintf(path, sizeof path, "%s/ppgd.db.token-key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(st.st_size >= 64);
	linktoken_set_key(NULL); /* as if a new process: read it again */
	assert_int_equal(
	    linktoken_parse(cfg, tok, LT_UNSUBSCRIBE, &run, &member), 1);
	assert_int_equal(run, 7);
	assert_int_equal(member, 42);
	linktoken_set_key("another install's key");
	assert_int_equal(
	    linktoken_parse(cfg, tok, LT_UNSUBSCRIBE, &run, &member), 0);
	linktoken_set_key(NULL);
	unlink(path);
	rmdir(dir);
	config_free(cfg);
	(void)state;
}

/* A key file of the config ([security] token_key_file) is used as is. */
static void
test_key_from_config(void **state)
{
	char dir[] = "/tmp/ppgd-lt-XXXXXX", tok[LINKTOKEN_MAX],
	     other[LINKTOKEN_MAX];
	char path[600], *cause = NULL, *ini;
	struct config *a, *b;
	FILE *fp;

	linktoken_set_key(NULL);
	a = cfg_in(dir, NULL);
	assert_int_equal(linktoken_make(a, LT_SURVEY, 1, 2, tok, &cause), 0);
	snprintf(path, sizeof path, "%s/key", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("a key from a credential\n", fp);
	fclose(fp);
	chmod(path, 0600);
	ini = xasprintf("[security]\ntoken_key_file = %s\n", path);
	{
		char d2[] = "/tmp/ppgd-lt-XXXXXX";
		b = cfg_in(d2, ini);
		rmdir(d2);
	}
	assert_int_equal(linktoken_make(b, LT_SURVEY, 1, 2, other, &cause), 0);
	assert_string_not_equal(tok, other);
	linktoken_set_key(NULL);
	unlink(path);
	snprintf(path, sizeof path, "%s/ppgd.db.token-key", dir);
	unlink(path);
	rmdir(dir);
	free(ini);
	config_free(a);
	config_free(b);
	(void)state;
}

/* Every single-character change, every truncation and extension, and
 * guessed MACs are refused. */
static void
test_forgeries(void **state)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	                          "qrstuvwxyz0123456789-_";
	char tok[LINKTOKEN_MAX], bad[LINKTOKEN_MAX + 2], *cause = NULL;
	struct config *cfg;
	char dir[] = "/tmp/ppgd-lt-XXXXXX";
	int64_t run, member;
	size_t i, n, k;

	cfg = cfg_in(dir, NULL);
	linktoken_set_key("test key");
	assert_int_equal(linktoken_make(cfg, LT_SURVEY, 300, 4000, tok, &cause),
	                 0);
	n = strlen(tok);
	for (i = 0; i < n; i++)
		for (k = 0; k < sizeof abc - 1; k++) {
			if (abc[k] == tok[i])
				continue;
			memcpy(bad, tok, n + 1);
			bad[i] = abc[k];
			assert_int_equal(
			    linktoken_parse(cfg, bad, LT_SURVEY, &run, &member),
			    0);
		}
	for (i = 0; i < n; i++) {
		memcpy(bad, tok, i);
		bad[i] = '\0';
		assert_int_equal(
		    linktoken_parse(cfg, bad, LT_SURVEY, &run, &member), 0);
	}
	snprintf(bad, sizeof bad, "%sA", tok);
	assert_int_equal(linktoken_parse(cfg, bad, LT_SURVEY, &run, &member),
	                 0);
	/* Not base64url, empty, and an old random token. */
	assert_int_equal(
	    linktoken_parse(cfg, "ab+/cd==", LT_SURVEY, &run, &member), 0);
	assert_int_equal(linktoken_parse(cfg, "", LT_SURVEY, &run, &member), 0);
	assert_int_equal(linktoken_parse(cfg, "AbCdEfGhIjKlMnOpQrStUv",
	                                 LT_SURVEY, &run, &member),
	                 0);
	/* The token of one (run, member) is not another's. */
	{
		char other[LINKTOKEN_MAX];
		assert_int_equal(
		    linktoken_make(cfg, LT_SURVEY, 300, 4001, other, &cause),
		    0);
		assert_string_not_equal(tok, other);
		assert_int_equal(
		    linktoken_make(cfg, LT_SURVEY, 301, 4000, other, &cause),
		    0);
		assert_string_not_equal(tok, other);
	}
	linktoken_set_key(NULL);
	rmdir(dir);
	config_free(cfg);
	(void)state;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_key_file),
	    cmocka_unit_test(test_key_from_config),
	    cmocka_unit_test(test_forgeries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
