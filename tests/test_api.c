/* The admin API's tokens file, token matching and [api] checks. */
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

#include "api.h"
#include "scope.h"
#include "config.h"

#define TOK_A "aaaaaaaaaaaaaaaaaaaa1"
#define TOK_B "bbbbbbbbbbbbbbbbbbbb2"

static char dir[64];

static int
setup(void **state)
{
	strcpy(dir, "/tmp/ppgd-api-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	api_free();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write name in the test folder with mode. Caller frees the path. */
static char *
write_file(const char *name, const char *text, mode_t mode)
{
	char *path = malloc(256);
	FILE *fp;

	snprintf(path, 256, "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* Load text as a tokens file; the cause (or NULL) into *cause. */
static struct api_tokens *
load(const char *text, mode_t mode, char **cause)
{
	char *path = write_file("tokens", text, mode);
	struct api_tokens *t = NULL;

	*cause = NULL;
	if (api_tokens_load(path, &t, cause) == -1)
		t = NULL;
	free(path);
	return t;
}

static void
test_tokens_load(void **state)
{
	struct api_tokens *t;
	char *cause;

	t = load("# clients\n\nemis-sync " TOK_A "\n  crm\t" TOK_B "  \n", 0600,
	         &cause);
	assert_non_null(t);
	assert_null(cause);
	assert_int_equal(api_tokens_count(t), 2);
	assert_string_equal(api_tokens_match(t, TOK_A), "emis-sync");
	assert_string_equal(api_tokens_match(t, TOK_B), "crm");
	api_tokens_free(t);
	t = load("ro " TOK_A "\n", 0400, &cause);
	assert_non_null(t);
	api_tokens_free(t);
}

static void
test_tokens_scope(void **state)
{
	struct api_tokens *t;
	const struct scope_codes *s;
	char *cause;

	t = load("all " TOK_A "\ntwo " TOK_B " A81001,C83003\n", 0600, &cause);
	assert_non_null(t);
	s = api_tokens_scope(t, TOK_A);
	assert_true(scope_codes_all(s));
	assert_true(scope_codes_allow(s, "B82002"));
	assert_null(scope_codes_only(s));
	s = api_tokens_scope(t, TOK_B);
	assert_false(scope_codes_all(s));
	assert_true(scope_codes_allow(s, "A81001"));
	assert_true(scope_codes_allow(s, "C83003"));
	assert_false(scope_codes_allow(s, "B82002"));
	assert_false(scope_codes_allow(s, "a81001")); /* codes match exactly */
	assert_false(scope_codes_allow(s, NULL));
	assert_null(scope_codes_only(s));
	assert_string_equal(scope_codes_list(s), "A81001,C83003");
	assert_null(scope_codes_list(api_tokens_scope(t, TOK_A)));
	assert_null(api_tokens_scope(t, "no-such-token-at-all"));
	api_tokens_free(t);
	t = load("one " TOK_A " A81001\n", 0600, &cause);
	assert_non_null(t);
	assert_string_equal(scope_codes_only(api_tokens_scope(t, TOK_A)),
	                    "A81001");
	api_tokens_free(t);
}

static void
test_tokens_match(void **state)
{
	struct api_tokens *t;
	char *cause;

	t = load("a " TOK_A "\n", 0600, &cause);
	assert_non_null(t);
	assert_null(api_tokens_match(t, ""));
	assert_null(api_tokens_match(t, NULL));
	assert_null(api_tokens_match(t, "aaaaaaaaaaaaaaaaaaaa"));  /* prefix */
	assert_null(api_tokens_match(t, TOK_A "x"));               /* longer */
	assert_null(api_tokens_match(t, "AAAAAAAAAAAAAAAAAAAA1")); /* case */
	assert_null(api_tokens_match(NULL, TOK_A));
	api_tokens_free(t);
}

static void
refused(const char *text, mode_t mode, const char *want)
{
	char *cause;
	struct api_tokens *t = load(text, mode, &cause);

	assert_null(t);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("cause '%s' lacks '%s'", cause, want);
	/* A refusal never repeats a token. */
	assert_null(strstr(cause, TOK_A));
	free(cause);
}

static void
test_tokens_refused(void **state)
{
	refused("a " TOK_A "\n", 0640, "readable by group or others");
	refused("a " TOK_A "\n", 0604, "chmod 600");
	refused("", 0600, "names no client");
	refused("# only a comment\n", 0600, "names no client");
	refused("a " TOK_A "\nb\n", 0600, "tokens:2: expected 'name token'");
	refused("a " TOK_A " A81001 extra\n", 0600, "tokens:1: expected");
	refused("a " TOK_A " A81001,,B82002\n", 0600,
	        "tokens:1: the practices of a: '' is not a practice code");
	refused("a " TOK_A " A81001;B82002\n", 0600, "not a practice code");
	refused("a/b " TOK_A "\n", 0600, "tokens:1: a client name");
	refused("a short\n", 0600, "shorter than 16");
	refused("a " TOK_A "\na " TOK_B "\n", 0600,
	        "tokens:2: client a is "
	        "named twice");
}

static void
test_tokens_missing(void **state)
{
	struct api_tokens *t = NULL;
	char *cause = NULL, path[128];

	snprintf(path, sizeof path, "%s/none", dir);
	assert_int_equal(api_tokens_load(path, &t, &cause), -1);
	assert_non_null(strstr(cause, "cannot read tokens file"));
	free(cause);
	assert_int_equal(api_tokens_load(dir, &t, &cause), -1); /* a folder */
	free(cause);
}

static void
test_loopback(void **state)
{
	assert_true(api_addr_loopback("127.0.0.1:8081"));
	assert_true(api_addr_loopback("127.3.2.1:1"));
	assert_true(api_addr_loopback("::1:8081"));
	assert_true(api_addr_loopback("[::1]:8081"));
	assert_true(api_addr_loopback("localhost:8081"));
	assert_false(api_addr_loopback("0.0.0.0:8081"));
	assert_false(api_addr_loopback("192.0.2.10:8081"));
	assert_false(api_addr_loopback("::0:8081"));
	assert_false(api_addr_loopback("128.0.0.1:8081"));
	assert_false(api_addr_loopback(":8081"));
}

/* Load a configuration whose [api] section is api. */
static struct config *
config_with(const char *api)
{
	char text[512], *path, *errors = NULL;
	struct config *cfg = NULL;

	snprintf(text, sizeof text, "[api]\n%s", api);
	path = write_file("ppgd.conf", text, 0600);
	if (config_load(path, &cfg, &errors) == -1)
		fail_msg("config: %s", errors);
	free(path);
	return cfg;
}

static void
test_configure(void **state)
{
	struct config *cfg;
	const char *listen = "x";
	char *cause = NULL, *tokens = write_file("t", "a " TOK_A "\n", 0600);

	/* The default: loopback, but no tokens file: off, not an error. */
	cfg = config_with("");
	assert_int_equal(api_configure(cfg, &listen, &cause), 0);
	assert_null(listen);
	config_free(cfg);
	/* Empty listen: off. */
	cfg = config_with("listen =\ntokens_file = t\n");
	assert_int_equal(api_configure(cfg, &listen, &cause), 0);
	assert_null(listen);
	config_free(cfg);
	cfg = config_with("listen = 127.0.0.1:9\ntokens_file = t\n");
	assert_int_equal(api_configure(cfg, &listen, &cause), 0);
	assert_string_equal(listen, "127.0.0.1:9");
	config_free(cfg);
	/* A remote address needs allow_remote. */
	cfg = config_with("listen = 0.0.0.0:9\ntokens_file = t\n");
	assert_int_equal(api_configure(cfg, &listen, &cause), -1);
	assert_non_null(strstr(cause, "allow_remote"));
	free(cause);
	config_free(cfg);
	cfg = config_with("listen = 0.0.0.0:9\ntokens_file = t\n"
	                  "allow_remote = yes\n");
	assert_int_equal(api_configure(cfg, &listen, &cause), 0);
	assert_string_equal(listen, "0.0.0.0:9");
	config_free(cfg);
	/* A tokens file that is set but unusable stops the start. */
	chmod(tokens, 0644);
	cfg = config_with("tokens_file = t\n");
	assert_int_equal(api_configure(cfg, &listen, &cause), -1);
	assert_non_null(strstr(cause, "readable by group or others"));
	free(cause);
	config_free(cfg);
	free(tokens);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tokens_load),
	    cmocka_unit_test(test_tokens_match),
	    cmocka_unit_test(test_tokens_scope),
	    cmocka_unit_test(test_tokens_refused),
	    cmocka_unit_test(test_tokens_missing),
	    cmocka_unit_test(test_loopback),
	    cmocka_unit_test(test_configure),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
