/* Help for the commands, from the table in cli_help.def. */
#ifndef PPGD_CLI_HELP_H
#define PPGD_CLI_HELP_H

#include <stdio.h>

/* Whether argv (a command's arguments) asks for help: --help before "--". */
int cli_help_wanted(int argc, char **argv);
/*
 * Print the help of "CMD" or "CMD SUB" (argv[0], argv[1] when it names a
 * subcommand) to fp. Returns -1 if there is no such command.
 */
int cli_help_print(FILE *fp, int argc, char **argv);
/* The synopsis of path ("member add"), or NULL. */
const char *cli_help_synopsis(const char *path);
/* Print every command's synopsis, one a line, indented. */
void cli_help_list(FILE *fp);
/* Print the help of every command and subcommand. */
void cli_help_all(FILE *fp);

#endif
