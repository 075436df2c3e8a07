/* ppgd: the daemon and its admin CLI. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "schema.h"
#include "xmalloc.h"

static const struct cmd commands[] = {
    {"init", cmd_init, "init"},
    {"serve", cmd_serve, "serve"},
    {"check-config", cmd_check_config, "check-config [--json] [--defaults]"},
    {"backup", cmd_backup, "backup FILE"},
    {"practice", cmd_practice, "practice add|update|list|show|profile ..."},
    {"member", cmd_member,
     "member add|update|show|list|import|export|erase|stats|pending|approve|"
     "reject ..."},
    {"survey", cmd_survey, "survey load|list|show ..."},
    {"sms-info", cmd_sms_info, "sms-info TEXT [--json]"},
    {"schedule", cmd_schedule, "schedule next EXPR [--from ISO8601] ..."},
    {"campaign", cmd_campaign,
     "campaign add|list|show|preview|send|pause|resume|delete ..."},
    {"meeting", cmd_meeting, "meeting add|minutes|list|show ..."},
    {"broadcast", cmd_broadcast, "broadcast --practice CODE --template T ..."},
    {"outbox", cmd_outbox,
     "outbox [--campaign NAME] [--failed] [--json] | retry | cancel ..."},
    {"results", cmd_results, "results SURVEY|CAMPAIGN [--by FIELD] ..."},
    {"report", cmd_report, "report representation|annual ..."},
    {"action", cmd_action, "action add|update|list ..."},
    {"recruit", cmd_recruit,
     "recruit poster --practice CODE [--source S] --html FILE"},
    {"inbox", cmd_inbox,
     "inbox [--unmatched] [--flagged] [--practice CODE] [--limit N] [--json]"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static int
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: ppgd [-c FILE] [-v] COMMAND [ARGS]\n"
	            "commands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(fp, "  %s\n", commands[i].usage);
	fprintf(fp, "  version\n  help\noptions: -c FILE (configuration), -v "
	            "(debug log), -V (version), -h (help)\nSee ppgd(8).\n");
	return fp == stdout ? EXIT_OK : EXIT_USAGE;
}

/* -c FILE, else $PPGD_CONFIG, else /etc/ppgd/ppgd.conf if present. */
static const char *
default_config(void)
{
	const char *env = getenv("PPGD_CONFIG");

	if (env != NULL && *env != '\0')
		return env;
	if (access("/etc/ppgd/ppgd.conf", R_OK) == 0)
		return "/etc/ppgd/ppgd.conf";
	return NULL;
}

int
main(int argc, char **argv)
{
	struct ctx ctx = {.actor = "cli"};
	char *errors = NULL;
	int ch, verbose = 0, rc;
	size_t i;

	/* getopt's messages name the program "ppgd", however it was run. */
	argv[0] = "ppgd";
	/* '+': stop at the command; its options are its own. */
	while ((ch = getopt(argc, argv, "+c:vhV")) != -1) {
		switch (ch) {
		case 'c':
			ctx.config_file = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("ppgd %s (schema %d)\n", PPGD_VERSION,
			       schema_latest());
			return EXIT_OK;
		case 'h':
			return usage(stdout);
		default:
			return usage(stderr);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		return usage(stderr);
	if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "--help") == 0)
		return usage(stdout);
	if (strcmp(argv[0], "version") == 0) {
		printf("ppgd %s (schema %d)\n", PPGD_VERSION, schema_latest());
		return EXIT_OK;
	}
	if (ctx.config_file == NULL)
		ctx.config_file = default_config();
	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, argv[0]) == 0)
			break;
	if (i == NCOMMANDS) {
		cli_error("unknown command %s", argv[0]);
		return usage(stderr);
	}
	/* check-config loads the file itself, to report what is wrong. */
	if (commands[i].fn == cmd_check_config)
		return cmd_check_config(&ctx, argc, argv);
	if (config_load(ctx.config_file, &ctx.cfg, &errors) == -1) {
		fputs(errors, stderr);
		cli_error("configuration has errors; see ppgd check-config");
		free(errors);
		return EXIT_FAIL;
	}
	log_init(verbose || config_int(ctx.cfg, CFG_VERBOSE));
	cli_getopt_reset();
	rc = commands[i].fn(&ctx, argc, argv);
	if (ctx.db != NULL)
		db_close(ctx.db);
	config_free(ctx.cfg);
	return rc;
}
