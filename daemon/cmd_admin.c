/* ppgd init, check-config, backup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cli.h"
#include "framework.h"
#include "log.h"
#include "schema.h"
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
	/* What only start-up would otherwise find: the API's tokens. */
	if (api_configure(cfg, &api_addr, &cause) == -1) {
		errors = xasprintf(
		    "%s: %s\n", ctx->config_file ? ctx->config_file : "config",
		    cause);
		free(cause);
		config_free(cfg);
		return check_config_failed(errors, json);
	}
	api_free();
	/* The framework the annual report will follow. */
	if (framework_load_config(cfg, NULL, &fw, &errors) == -1) {
		config_free(cfg);
		return check_config_failed(errors, json);
	}
	framework_free(fw);
	config_free(cfg);
	if (json)
		cli_json(json_pack("{s:b, s:s?}", "ok", 1, "file",
		                   ctx->config_file));
	else
		printf("configuration OK\n");
	return EXIT_OK;
}

int
cmd_backup(struct ctx *ctx, int argc, char **argv)
{
	char *cause = NULL;

	if (argc != 2)
		return cli_usage("backup FILE");
	if (db_backup(cli_db(ctx), argv[1], &cause) == -1) {
		cli_error("backup failed: %s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	printf("backed up %s to %s\n", config_str(ctx->cfg, CFG_DATABASE),
	       argv[1]);
	return EXIT_OK;
}
