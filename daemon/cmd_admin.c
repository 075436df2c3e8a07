/* ppgd init, check-config, backup. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "api.h"
#include "buf.h"
#include "campaign.h"
#include "admin.h"
#include "cli.h"
#include "framework.h"
#include "linktoken.h"
#include "log.h"
#include "schema.h"
#include "template.h"
#include "termtext.h"
#include "xmalloc.h"

int
cmd_init(struct ctx *ctx, int argc, char **argv)
{
	const char *path = config_str(ctx->cfg, CFG_DATABASE);
	char *cause = NULL;
	int before;

	if (argc != 1)
		return cli_usage("init");
	if (db_open(path, &ctx->db, &cause) == -1) {
		cli_error("cannot open database %s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	before = db_version(ctx->db);
	if (db_migrate(ctx->db, 0, &cause) == -1) {
		cli_error("%s: %s", path, cause);
		free(cause);
		return EXIT_FAIL;
	}
	/* The key the links in messages are derived with (linktoken.h). */
	if (linktoken_key(ctx->cfg, &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (before == schema_latest())
		printf("database %s is up to date (schema %d)\n", path, before);
	else if (before == 0)
		printf("created database %s (schema %d)\n", path,
		       schema_latest());
	else
		printf("upgraded database %s from schema %d to %d\n", path,
		       before, schema_latest());
	return EXIT_OK;
}

/* The documented configuration file, every key at its default. */
static void
print_defaults(void)
{
	const struct cfg_info *ci;
	const char *section = "";
	int k;

	printf("; ppgd.conf: the configuration of ppgd(8); see ppgd.conf(5).\n"
	       "; Every key is shown with its default. Relative paths are "
	       "relative to\n; this file's folder. Keys ending in _file name "
	       "a file holding a secret,\n; which must not be readable by "
	       "group or others (chmod 600).\n");
	for (k = 0; k < CFG__COUNT; k++) {
		ci = config_info(k);
		if (strcmp(ci->section, section) != 0) {
			section = ci->section;
			printf("\n[%s]\n", section);
		}
		printf("; %s", ci->help);
		if (ci->type == CT_ENUM)
			printf(" (%s)", ci->choices);
		else if (ci->type == CT_INT)
			printf(" (%lld-%lld)", ci->min, ci->max);
		printf("\n%s%s = %s\n", *ci->def == '\0' ? ";" : "", ci->key,
		       ci->def);
	}
}

/* Print every error (one a line); takes errors. */
static int
check_config_failed(char *errors, int json)
{
	json_t *arr;
	char *line, *save = NULL;

	if (json) {
		arr = json_array();
		for (line = strtok_r(errors, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save))
			json_array_append_new(arr, json_string(line));
		cli_json(json_pack("{s:b, s:o}", "ok", 0, "errors", arr));
	} else
		fputs(errors, stdout);
	free(errors);
	return EXIT_FAIL;
}

static int
is_dir(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Load one message template of each channel; say what is wrong. */
static void
check_template(struct buf *b, const char *where, const char *dir,
               const char *name, int max_segments)
{
	static const enum tmpl_channel chs[] = {TMPL_EMAIL, TMPL_SMS};
	struct template *t;
	char *cause = NULL;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (template_load(dir, name, chs[i], max_segments, &t,
		                  &cause) == -1) {
			buf_printf(b, "%s: %s\n", where, cause);
			free(cause);
		} else
			template_free(t);
	}
}

/*
 * What start-up and the first campaign would otherwise find: the folders
 * the configuration names exist, and the templates every campaign kind,
 * reminder, opt-out reply and web page needs are there and valid. Returns
 * the problems, one a line, or NULL. Caller frees.
 */
static char *
check_files(const struct config *cfg, const char *file)
{
	static const char *const extra[] = {
	    "survey-reminder", "optout-confirmation", "you-said-we-did", NULL};
	static const char *const pages[] = {"layout", "message", "survey",
	                                    "unsubscribe", NULL};
	const char *dir = config_str(cfg, CFG_TEMPLATES), *name;
	char *where = xasprintf("%s: [daemon] templates", file), *db, *slash;
	int max = (int)config_int(cfg, CFG_SMS_MAX_SEGMENTS);
	struct buf b = {0};
	size_t i, j;

	if (!is_dir(dir))
		buf_printf(&b, "%s: folder %s does not exist\n", where, dir);
	for (i = 0; is_dir(dir) && (name = campaign_kind_template(i)); i++) {
		for (j = 0; j < i && strcmp(campaign_kind_template(j), name);
		     j++)
			;
		if (j == i)
			check_template(&b, where, dir, name, max);
	}
	for (i = 0; is_dir(dir) && extra[i] != NULL; i++)
		check_template(&b, where, dir, extra[i], max);
	for (i = 0; is_dir(dir) && pages[i] != NULL; i++) {
		char *page = xasprintf("%s/web/%s.html", dir, pages[i]);
		if (access(page, R_OK) != 0)
			buf_printf(&b, "%s: %s: %s\n", where, page,
			           strerror(errno));
		free(page);
	}
	db = xstrdup(config_str(cfg, CFG_DATABASE));
	if ((slash = strrchr(db, '/')) != NULL && slash != db) {
		*slash = '\0';
		if (!is_dir(db))
			buf_printf(&b,
			           "%s: [daemon] database: folder %s does "
			           "not exist\n",
			           file, db);
	}
	free(db);
	free(where);
	return b.len > 0 ? buf_take(&b) : NULL;
}

int
cmd_check_config(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"defaults", no_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0}};
	struct config *cfg;
	struct framework *fw;
	char *errors = NULL, *cause = NULL;
	const char *api_addr;
	int json = 0, ch;

	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'd') {
			print_defaults();
			return EXIT_OK;
		}
		if (ch != 'j')
			return cli_usage("check-config [--json] [--defaults]");
		json = 1;
	}
	if (config_load(ctx->config_file, &cfg, &errors) == -1)
		return check_config_failed(errors, json);
	/* It reports what it finds itself: no "API off" info line. */
	log_set_quiet(1);
	/* What only start-up would otherwise find: the API's tokens, the
	 * admin's address. */
	if (api_configure(cfg, &api_addr, &cause) == -1 ||
	    admin_configure(cfg, &api_addr, &cause) == -1) {
		errors = xasprintf(
		    "%s: %s\n", ctx->config_file ? ctx->config_file : "config",
		    cause);
		free(cause);
		config_free(cfg);
		return check_config_failed(errors, json);
	}
	api_free();
	errors = check_files(cfg, ctx->config_file ? ctx->config_file
	                                           : "(built-in defaults)");
	/* The framework the annual report will follow. */
	if (errors == NULL &&
	    framework_load_config(cfg, NULL, &fw, &errors) == 0)
		framework_free(fw);
	config_free(cfg);
	if (errors != NULL)
		return check_config_failed(errors, json);
	if (json)
		cli_json(json_pack("{s:b, s:s?}", "ok", 1, "file",
		                   ctx->config_file));
	else
		printf("configuration OK\n");
	return EXIT_OK;
}

static void
backup_progress(int done, int total, void *arg)
{
	termtext_progress(stderr, "backup: pages", done, total, done == total);
}

int
cmd_backup(struct ctx *ctx, int argc, char **argv)
{
	char *cause = NULL;
	const char *file = NULL;
	int i, json = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (argv[i][0] == '-' || file != NULL)
			return cli_usage("backup FILE [--json]");
		else
			file = argv[i];
	}
	if (file == NULL) {
		cli_error("backup: FILE is required");
		return cli_usage("backup FILE [--json]");
	}
	if (db_backup_progress(cli_db(ctx), file,
	                       !json && isatty(STDERR_FILENO) ? backup_progress
	                                                      : NULL,
	                       NULL, &cause) == -1) {
		cli_error("backup failed: %s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (json)
		cli_json(json_pack("{s:s, s:s}", "database",
		                   config_str(ctx->cfg, CFG_DATABASE), "file",
		                   file));
	else
		printf("backed up %s to %s\n",
		       config_str(ctx->cfg, CFG_DATABASE), file);
	return EXIT_OK;
}
