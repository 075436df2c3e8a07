/* ppgd: the daemon and its admin CLI. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_help.h"
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
    {"meeting", cmd_meeting,
     "meeting add|update|minutes|list|show|held|cancel|attendance ..."},
    {"broadcast", cmd_broadcast, "broadcast --practice CODE --template T ..."},
    {"outbox", cmd_outbox,
     "outbox [--campaign NAME] [--failed] [--json] | retry | cancel ..."},
    {"results", cmd_results, "results SURVEY|CAMPAIGN [--by FIELD] ..."},
    {"report", cmd_report, "report representation|annual ..."},
    {"action", cmd_action, "action add|update|list ..."},
    {"comments", cmd_comments, "comments list|approve|hide|redact|tag ..."},
    {"evidence", cmd_evidence, "evidence add|list|remove|get|kinds ..."},
    {"user", cmd_user, "user add|list|disable|reset-password ..."},
    {"recruit", cmd_recruit,
     "recruit poster --practice CODE [--source S] --html FILE"},
    {"inbox", cmd_inbox,
     "inbox [--unmatched] [--flagged] [--state S] [--practice CODE] "
     "[--limit N] [--json] | ack ID [--seen] [--by NAME] [--note TEXT]"},
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
	fprintf(fp, "  version [--json]\n  help [COMMAND [SUBCOMMAND]]\n"
	            "options: -c, --config FILE (configuration); -v, --verbose "
	            "(debug log);\n  --log-time (timestamp log lines); -V, "
	            "--version; -h, --help\n"
	            "See ppgd COMMAND --help, and ppgd(8).\n");
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

static int
version(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--json") == 0) {
		cli_json(json_pack("{s:s, s:i}", "version", PPGD_VERSION,
		                   "schema", schema_latest()));
		return EXIT_OK;
	}
	if (argc > 1)
		return cli_usage("version [--json]");
	printf("ppgd %s (schema %d)\n", PPGD_VERSION, schema_latest());
	return EXIT_OK;
}

static int command_help(const struct cmd *, int, char **);

/* ppgd help [--all | COMMAND [SUBCOMMAND]] */
static int
help(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return usage(stdout);
	if (strcmp(argv[1], "--all") == 0) {
		cli_help_all(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, argv[1]) == 0)
			return command_help(&commands[i], argc - 1, argv + 1);
	if (cli_help_print(stdout, argc - 1, argv + 1) == -1) {
		cli_error("help: unknown command %s", argv[1]);
		return usage(stderr);
	}
	return EXIT_OK;
}

/* COMMAND --help: its entry in cli_help.def, else its usage line. */
static int
command_help(const struct cmd *c, int argc, char **argv)
{
	if (cli_help_print(stdout, argc, argv) == -1)
		printf("usage: ppgd %s\n", c->usage);
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {"log-time", no_argument, NULL, 'T'},
	    {NULL, 0, NULL, 0}};
	struct ctx ctx = {.actor = "cli"};
	char *errors = NULL;
	int ch, verbose = 0, rc;
	size_t i;

	/* getopt's messages name the program "ppgd", however it was run. */
	argv[0] = "ppgd";
	/* '+': stop at the command; its options are its own. */
	while ((ch = getopt_long(argc, argv, "+c:vhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			ctx.config_file = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			return version(1, argv);
		case 'T':
			log_set_time(1);
			break;
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
	if (cli_help_wanted(argc, argv) &&
	    (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "version") == 0))
		return cli_help_print(stdout, 1, argv) == 0 ? EXIT_OK
		                                            : EXIT_FAIL;
	if (strcmp(argv[0], "help") == 0)
		return help(argc, argv);
	if (strcmp(argv[0], "version") == 0)
		return version(argc, argv);
	if (ctx.config_file == NULL)
		ctx.config_file = default_config();
	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, argv[0]) == 0)
			break;
	if (i == NCOMMANDS) {
		cli_error("unknown command %s", argv[0]);
		return usage(stderr);
	}
	/* Before the configuration and the database: help needs neither. */
	if (cli_help_wanted(argc, argv))
		return command_help(&commands[i], argc, argv);
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
