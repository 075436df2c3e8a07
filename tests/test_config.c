/* Configuration: the key table, errors with line numbers, secrets. */
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

static char dir[64];

static int
setup(void **state)
{
	strcpy(dir, "/tmp/ppgd-cfg-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

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
	chmod(path, mode);
	return path;
}

static void
test_defaults(void **state)
{
	struct config *cfg;
	char *errors = NULL;

	assert_int_equal(config_load(NULL, &cfg, &errors), 0);
	assert_string_equal(config_str(cfg, CFG_LISTEN), "127.0.0.1:8080");
	assert_string_equal(config_str(cfg, CFG_EMAIL_TRANSPORT), "file");
	assert_int_equal(config_int(cfg, CFG_SMS_SESSION_EXPIRY), 3 * 86400);
	assert_int_equal(config_int(cfg, CFG_SMS_QUIET_END), 9 * 60);
	assert_int_equal(config_int(cfg, CFG_HTTP_MAX_BODY), 65536);
	config_free(cfg);
}

static void
test_values_and_paths(void **state)
{
	struct config *cfg;
	char *errors = NULL, want[128];
	char *path =
	    write_file("a.conf",
	               "[daemon]\ndatabase = x.db\n"
	               "public_url = https://ppg.example.org/\n"
	               "[sms]\nsession_expiry = 2d\nquiet_sunday = yes\n"
	               "[practice.A81001]\nsms_transport = twilio\n",
	               0644);

	assert_int_equal(config_load(path, &cfg, &errors), 0);
	snprintf(want, sizeof want, "%s/x.db", dir);
	assert_string_equal(config_str(cfg, CFG_DATABASE), want);
	assert_string_equal(config_str(cfg, CFG_PUBLIC_URL),
	                    "https://ppg.example.org");
	assert_int_equal(config_int(cfg, CFG_SMS_SESSION_EXPIRY), 2 * 86400);
	assert_int_equal(config_int(cfg, CFG_SMS_QUIET_SUNDAY), 1);
	assert_string_equal(config_practice(cfg, "A81001")->sms_transport,
	                    "twilio");
	assert_null(config_practice(cfg, "B1"));
	config_free(cfg);
	free(path);
}

/* Every error is reported, each with its line, and unknown keys get a hint. */
static void
test_errors_with_lines(void **state)
{
	struct config *cfg = NULL;
	char *errors = NULL;
	char *path = write_file("b.conf",
	                        "[daemon]\n"
	                        "listen = nowhere\n"
	                        "[email]\n"
	                        "transprot = smtp\n"
	                        "[http]\n"
	                        "max_body = 5\n"
	                        "[sms]\n"
	                        "quiet_start = 25:00\n",
	                        0644);

	assert_int_equal(config_load(path, &cfg, &errors), -1);
	assert_null(cfg);
	assert_non_null(strstr(errors, "b.conf:2: listen: expected"));
	assert_non_null(strstr(errors,
	                       "b.conf:4: unknown key transprot in "
	                       "[email]; did you mean email.transport?"));
	assert_non_null(strstr(errors, "b.conf:6: max_body: 5 is out of "
	                               "range"));
	assert_non_null(strstr(errors, "b.conf:8: quiet_start: expected "
	                               "HH:MM"));
	free(errors);
	free(path);
}

static void
test_secret_files(void **state)
{
	struct config *cfg = NULL;
	char *errors = NULL, *conf;

	free(write_file("token", "s3cret\n", 0600));
	free(write_file("open", "s3cret\n", 0644));
	conf =
	    write_file("c.conf", "[twilio]\nauth_token_file = token\n", 0644);
	assert_int_equal(config_load(conf, &cfg, &errors), 0);
	assert_string_equal(config_str(cfg, CFG_TWILIO_AUTH_TOKEN), "s3cret");
	config_free(cfg);
	free(conf);
	cfg = NULL;
	conf = write_file("d.conf", "[twilio]\nauth_token_file = open\n", 0644);
	assert_int_equal(config_load(conf, &cfg, &errors), -1);
	assert_non_null(strstr(errors, "d.conf:2: secret file"));
	assert_non_null(strstr(errors, "readable by group or others"));
	free(errors);
	free(conf);
}

/* PATH.d/\*.conf override the main file in name order; errors name them. */
static void
test_dropins(void **state)
{
	struct config *cfg = NULL;
	char *errors = NULL, *conf, d[128];

	conf = write_file("e.conf",
	                  "[daemon]\nlisten = 127.0.0.1:1\n"
	                  "timezone = Europe/London\n",
	                  0644);
	snprintf(d, sizeof d, "%s/e.conf.d", dir);
	mkdir(d, 0755);
	free(write_file("e.conf.d/20-b.conf",
	                "[daemon]\nlisten = 127.0.0.1:3\n", 0644));
	free(write_file("e.conf.d/10-a.conf",
	                "[daemon]\nlisten = 127.0.0.1:2\n[http]\nmax_body = "
	                "4096\n",
	                0644));
	free(write_file("e.conf.d/README", "not = read\n", 0644));
	assert_int_equal(config_load(conf, &cfg, &errors), 0);
	assert_string_equal(config_str(cfg, CFG_LISTEN), "127.0.0.1:3");
	assert_int_equal(config_int(cfg, CFG_HTTP_MAX_BODY), 4096);
	assert_string_equal(config_str(cfg, CFG_TIMEZONE), "Europe/London");
	config_free(cfg);
	cfg = NULL;
	free(write_file("e.conf.d/30-bad.conf", "[http]\nmax_bodyy = 1\n",
	                0644));
	assert_int_equal(config_load(conf, &cfg, &errors), -1);
	assert_non_null(strstr(errors, "e.conf.d/30-bad.conf:2: unknown key "
	                               "max_bodyy"));
	free(errors);
	free(conf);
}

/* A relative secret file is looked for in $CREDENTIALS_DIRECTORY first. */
static void
test_credentials_directory(void **state)
{
	struct config *cfg = NULL;
	char *errors = NULL, *conf, creds[128];

	snprintf(creds, sizeof creds, "%s/creds", dir);
	mkdir(creds, 0700);
	free(write_file("creds/twilio-token", "from-systemd\n", 0400));
	free(write_file("twilio-token", "beside-the-config\n", 0600));
	conf = write_file("f.conf",
	                  "[twilio]\nauth_token_file = twilio-token\n", 0644);
	setenv("CREDENTIALS_DIRECTORY", creds, 1);
	assert_int_equal(config_load(conf, &cfg, &errors), 0);
	assert_string_equal(config_str(cfg, CFG_TWILIO_AUTH_TOKEN),
	                    "from-systemd");
	config_free(cfg);
	/* Not among the credentials: beside the configuration. */
	free(write_file("f.conf", "[twilio]\nauth_token_file = twilio-token\n",
	                0644));
	unlink(strcat(creds, "/twilio-token"));
	assert_int_equal(config_load(conf, &cfg, &errors), 0);
	assert_string_equal(config_str(cfg, CFG_TWILIO_AUTH_TOKEN),
	                    "beside-the-config");
	config_free(cfg);
	unsetenv("CREDENTIALS_DIRECTORY");
	free(conf);
}

/* The built-in templates folder is the installed one. */
static void
test_templates_default(void **state)
{
	struct config *cfg = NULL;
	char *errors = NULL, *conf, want[128];

	assert_int_equal(config_load(NULL, &cfg, &errors), 0);
	assert_string_equal(config_str(cfg, CFG_TEMPLATES),
	                    PPGD_DATADIR "/templates");
	config_free(cfg);
	conf = write_file("g.conf", "[daemon]\ntemplates = mine\n", 0644);
	assert_int_equal(config_load(conf, &cfg, &errors), 0);
	snprintf(want, sizeof want, "%s/mine", dir);
	assert_string_equal(config_str(cfg, CFG_TEMPLATES), want);
	config_free(cfg);
	free(conf);
}

static void
test_duration_parse(void **state)
{
	long long v;

	assert_int_equal(config_parse_duration("90", &v), 0);
	assert_int_equal(v, 90);
	assert_int_equal(config_parse_duration("5m", &v), 0);
	assert_int_equal(v, 300);
	assert_int_equal(config_parse_duration("12h", &v), 0);
	assert_int_equal(v, 43200);
	assert_int_equal(config_parse_duration("3d", &v), 0);
	assert_int_equal(v, 259200);
	assert_int_equal(config_parse_duration("3x", &v), -1);
	assert_int_equal(config_parse_duration("3dd", &v), -1);
	assert_int_equal(config_parse_duration("-1", &v), -1);
	assert_int_equal(config_parse_duration("", &v), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_values_and_paths),
	    cmocka_unit_test(test_errors_with_lines),
	    cmocka_unit_test(test_secret_files),
	    cmocka_unit_test(test_duration_parse),
	    cmocka_unit_test(test_dropins),
	    cmocka_unit_test(test_credentials_directory),
	    cmocka_unit_test(test_templates_default),
	};
	return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
