/* The admin CLI: shared context and helpers for cmd_*.c. */
#ifndef PPGD_CLI_H
#define PPGD_CLI_H

#include <getopt.h>
#include <jansson.h>

#include "config.h"
#include "db.h"

#define EXIT_OK    0
#define EXIT_FAIL  1
#define EXIT_USAGE 2

struct ctx {
	const char *config_file;
	struct config *cfg;
	struct db *db;
	const char *actor; /* who, for the audit log */
};

struct cmd {
	const char *name;
	int (*fn)(struct ctx *, int, char **);
	const char *usage;
};

/* Print "ppgd: message" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Open the database, requiring the newest schema. Exits on failure. */
struct db *cli_db(struct ctx *);
/* Print JSON (indented) to stdout and free it. */
void cli_json(json_t *);
/* Print j as JSON (cli_json) if json is set, else through text; frees j. */
void cli_show(json_t *j, int json, void (*text)(const json_t *));
/*
 * Print "key  value" for people: strings made safe for the terminal,
 * objects as indented "key value" lines, arrays of scalars joined with
 * ", ", arrays of objects one line each; never raw JSON.
 */
void cli_print_value(const char *key, const json_t *v, int indent);
/* Dispatch argv[0] among subcommands; usage on unknown. */
int cli_dispatch(struct ctx *, const char *group, const struct cmd *cmds,
                 int argc, char **argv);
/* Write an HTML page atomically and say so; takes doc. */
int cli_write_page(const char *file, char *doc, size_t len);
/* Reset getopt for a new argument vector. */
void cli_getopt_reset(void);
/*
 * Before a destructive command: unless yes, on a terminal (stdin and
 * stderr), ask "what? [y/N]" and return whether the answer was yes; off a
 * terminal, go ahead (scripts pass --yes anyway).
 */
int cli_confirm(int yes, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * For a usage error: if value is NULL, say "ppgd: CMD: WHAT is required"
 * and return -1.
 */
int cli_require(const char *cmd, const char *what, const void *value);
/* Print a command's usage line and return EXIT_USAGE. */
int cli_usage(const char *usage);

int cmd_init(struct ctx *, int, char **);
int cmd_check_config(struct ctx *, int, char **);
int cmd_serve(struct ctx *, int, char **);
int cmd_backup(struct ctx *, int, char **);
int cmd_practice(struct ctx *, int, char **);
#define PRACTICE_PROFILE_USAGE                                                 \
	"practice profile CODE FILE.csv|- [FILE.csv ...] [--json]"
int cmd_practice_profile(struct ctx *, int, char **);
int cmd_member(struct ctx *, int, char **);
int cmd_survey(struct ctx *, int, char **);
int cmd_sms_info(struct ctx *, int, char **);
int cmd_schedule(struct ctx *, int, char **);
int cmd_campaign(struct ctx *, int, char **);
int cmd_meeting(struct ctx *, int, char **);
int cmd_broadcast(struct ctx *, int, char **);
int cmd_outbox(struct ctx *, int, char **);
int cmd_results(struct ctx *, int, char **);
int cmd_report(struct ctx *, int, char **);
int cmd_action(struct ctx *, int, char **);
int cmd_inbox(struct ctx *, int, char **);
int cmd_comments(struct ctx *, int, char **);
int cmd_evidence(struct ctx *, int, char **);
int cmd_user(struct ctx *, int, char **);
int cmd_member_pending(struct ctx *, int, char **);
int cmd_member_approve(struct ctx *, int, char **);
int cmd_member_reject(struct ctx *, int, char **);
int cmd_recruit(struct ctx *, int, char **);

#endif
