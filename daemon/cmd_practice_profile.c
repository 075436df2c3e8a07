/*
 * ppgd practice profile CODE FILE...: a practice's population profile,
 * from a field,value,patients file or NHS Digital's files summed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "population.h"
#include "represent.h"

/* A file to read, "-" for standard input copied to a temporary file so
 * it can be looked at twice. */
static FILE *
profile_open(const char *path)
{
	char buf[8192];
	size_t n;
	FILE *fp;

	if (strcmp(path, "-") != 0)
		return fopen(path, "r");
	if ((fp = tmpfile()) == NULL)
		return NULL;
	while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
		fwrite(buf, 1, n, fp);
	if (ferror(stdin) || fflush(fp) != 0) {
		fclose(fp);
		return NULL;
	}
	rewind(fp);
	return fp;
}

/*
 * Sum NHS Digital files into a profile (keeping the practice's ethnicity
 * rows) on a temporary file; NULL after printing the problem.
 */
static FILE *
profile_from_nhs(struct db *db, const char *code, char **files, int n,
                 FILE *first)
{
	struct population_sum sum = {0};
	char *cause = NULL;
	FILE *fp, *out;
	int i;

	for (i = 0; i < n; i++) {
		fp = i == 0 ? first : profile_open(files[i]);
		if (fp == NULL) {
			cli_error("cannot open %s: %m", files[i]);
			return NULL;
		}
		if (i > 0 && !population_is_nhs(fp)) {
			cli_error("%s: not an NHS Digital file; give the "
			          "field,value,patients file on its own",
			          files[i]);
			fclose(fp);
			return NULL;
		}
		if (population_nhs_add(fp, files[i], code, &sum, &cause) ==
		    -1) {
			fprintf(stderr, "%s\n", cause);
			free(cause);
			if (i > 0)
				fclose(fp);
			return NULL;
		}
		if (i > 0)
			fclose(fp);
	}
	if ((out = tmpfile()) == NULL ||
	    population_write(out, &sum, db, code) == -1) {
		cli_error("cannot write a temporary file: %m");
		if (out != NULL)
			fclose(out);
		return NULL;
	}
	rewind(out);
	return out;
}

/* ppgd practice profile: load a practice's population profile. */
int
cmd_practice_profile(struct ctx *ctx, int argc, char **argv)
{
	int json = argc >= 4 && strcmp(argv[argc - 1], "--json") == 0, rows;
	int nfiles = argc - 2 - json, rc = EXIT_FAIL;
	char *cause = NULL;
	FILE *fp, *load;

	if (nfiles < 1)
		return cli_usage(PRACTICE_PROFILE_USAGE);
	if ((fp = profile_open(argv[2])) == NULL) {
		cli_error("cannot open %s: %m", argv[2]);
		return EXIT_FAIL;
	}
	if (population_is_nhs(fp))
		load = profile_from_nhs(cli_db(ctx), argv[1], argv + 2, nfiles,
		                        fp);
	else if (nfiles > 1) {
		cli_error("give one field,value,patients file, or NHS Digital "
		          "files only");
		load = NULL;
	} else
		load = fp;
	if (load != NULL &&
	    represent_load_profile(cli_db(ctx), argv[1], load,
	                           strcmp(argv[2], "-") ? argv[2] : "(stdin)",
	                           &rows, &cause) == 0)
		rc = EXIT_OK;
	else if (load != NULL) {
		fputs(cause, stderr);
		if (cause[0] != '\0' && cause[strlen(cause) - 1] != '\n')
			fputc('\n', stderr);
		free(cause);
	}
	if (load != NULL && load != fp)
		fclose(load);
	fclose(fp);
	if (rc != EXIT_OK)
		cli_error("population profile not loaded");
	else if (json)
		cli_json(
		    json_pack("{s:s, s:i}", "practice", argv[1], "rows", rows));
	else
		printf("loaded %d population rows for %s\n", rows, argv[1]);
	return rc;
}
