/* ppgd survey load|list|show. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "survey.h"
#include "survey_store.h"
#include "xmalloc.h"

#define SURVEY_LOAD_USAGE "survey load FILE|- [--json]"
#define SURVEY_LIST_USAGE "survey list [--json]"
#define SURVEY_SHOW_USAGE "survey show SLUG [--version N] [--json]"

static const char *const saved_names[] = {
    [SURVEY_NEW] = "new",
    [SURVEY_NEW_VERSION] = "new_version",
    [SURVEY_UNCHANGED] = "unchanged",
};

/* Only --json: 1 if given; -1 on anything else but n positional args. */
static int
json_flag(int argc, char **argv, int npos)
{
	int i, json = 0, pos = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return -1;
		else
			pos++;
	}
	return pos == npos ? json : -1;
}

static const char *
first_positional(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") != 0)
			return argv[i];
	return NULL;
}

static void
load_print(const struct survey *s, int64_t id, int version,
           enum survey_saved how, int json)
{
	if (json) {
		cli_json(json_pack("{s:s, s:I, s:i, s:s, s:b, s:I, s:s, s:s}",
		                   "slug", s->slug, "id", (json_int_t)id,
		                   "version", version, "title", s->title,
		                   "anonymous", s->anonymous, "questions",
		                   (json_int_t)s->nquestions, "hash", s->hash,
		                   "status", saved_names[how]));
		return;
	}
	if (how == SURVEY_UNCHANGED)
		printf("survey %s unchanged (version %d)\n", s->slug, version);
	else if (how == SURVEY_NEW)
		printf("loaded survey %s version %d (%zu questions)\n", s->slug,
		       version, s->nquestions);
	else
		printf("loaded survey %s version %d (changed; answers to "
		       "earlier versions keep their version)\n",
		       s->slug, version);
}

/*
 * FILE, else a shipped survey by name (fft or fft.yaml) from the installed
 * data folder, PREFIX/share/ppgd/surveys. Caller frees.
 */
static char *
survey_path(const char *file)
{
	char *p;

	if (access(file, F_OK) == 0 || strchr(file, '/') != NULL)
		return xstrdup(file);
	p = xasprintf("%s/surveys/%s%s", PPGD_DATADIR, file,
	              strstr(file, ".yaml") ? "" : ".yaml");
	if (access(p, F_OK) == 0)
		return p;
	free(p);
	return xstrdup(file);
}

/* A survey file (survey_path), or standard input for "-". */
static int
survey_load_path(const char *path, struct survey **s, char **errors)
{
	char *buf = NULL, *file;
	size_t len = 0, n;
	FILE *mem;
	char chunk[8192];
	int rc;

	if (strcmp(path, "-") != 0) {
		file = survey_path(path);
		rc = survey_load_file(file, s, errors);
		free(file);
		return rc;
	}
	if ((mem = open_memstream(&buf, &len)) == NULL)
		fatal("open_memstream");
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		fwrite(chunk, 1, n, mem);
	fclose(mem);
	if (ferror(stdin)) {
		*errors = xstrdup("(stdin): read error");
		free(buf);
		return -1;
	}
	rc = survey_load_string(buf, len, "(stdin)", s, errors);
	free(buf);
	return rc;
}

static int
survey_load_cmd(struct ctx *ctx, int argc, char **argv)
{
	int json = json_flag(argc, argv, 1), version;
	const char *path = first_positional(argc, argv);
	struct survey *s;
	enum survey_saved how;
	char *errors = NULL;
	int64_t id;

	if (json == -1)
		return cli_usage(SURVEY_LOAD_USAGE);
	if (survey_load_path(path, &s, &errors) == -1) {
		fputs(errors, stderr);
		if (*errors != '\0' && errors[strlen(errors) - 1] != '\n')
			fputc('\n', stderr);
		free(errors);
		return EXIT_FAIL;
	}
	if (survey_store_save(cli_db(ctx), s, time(NULL), &id, &version, &how,
	                      &errors) == -1) {
		cli_error("%s", errors);
		free(errors);
		survey_free(s);
		return EXIT_FAIL;
	}
	load_print(s, id, version, how, json);
	survey_free(s);
	return EXIT_OK;
}

static int
survey_list_cmd(struct ctx *ctx, int argc, char **argv)
{
	int json = json_flag(argc, argv, 0);
	json_t *arr, *o;
	size_t i;

	if (json == -1)
		return cli_usage(SURVEY_LIST_USAGE);
	arr = survey_store_list(cli_db(ctx));
	if (json) {
		cli_json(arr);
		return EXIT_OK;
	}
	printf("%-24s %7s %9s %4s  %s\n", "SLUG", "VERSION", "QUESTIONS",
	       "ANON", "TITLE");
	json_array_foreach(arr, i, o)
	{
		printf("%-24s %7lld %9lld %4s  %s\n",
		       json_string_value(json_object_get(o, "slug")),
		       json_integer_value(json_object_get(o, "version")),
		       json_integer_value(json_object_get(o, "questions")),
		       json_is_true(json_object_get(o, "anonymous")) ? "yes"
		                                                     : "no",
		       json_string_value(json_object_get(o, "title")));
	}
	json_decref(arr);
	return EXIT_OK;
}

static void
show_text(const json_t *o)
{
	json_t *def = json_object_get(o, "definition"), *q;
	size_t i;

	printf("slug:      %s\nversion:   %lld\ntitle:     %s\n"
	       "anonymous: %s\nhash:      %s\nloaded:    %s\nquestions:\n",
	       json_string_value(json_object_get(o, "slug")),
	       json_integer_value(json_object_get(o, "version")),
	       json_string_value(json_object_get(o, "title")),
	       json_is_true(json_object_get(o, "anonymous")) ? "yes" : "no",
	       json_string_value(json_object_get(o, "hash")),
	       json_string_value(json_object_get(o, "loaded_at")));
	json_array_foreach(json_object_get(def, "questions"), i, q)
	{
		printf("  %zu. %s (%s) %s\n", i + 1,
		       json_string_value(json_object_get(q, "key")),
		       json_string_value(json_object_get(q, "type")),
		       json_is_string(json_object_get(q, "text"))
		           ? json_string_value(json_object_get(q, "text"))
		           : "");
	}
}

static int
survey_show_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"version", required_argument, NULL, 'v'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	int ch, json = 0, version = 0;
	int64_t id;
	json_t *o;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else if (ch == 'v' && (version = atoi(optarg)) > 0)
			continue;
		else
			return cli_usage(SURVEY_SHOW_USAGE);
	}
	if (optind != argc - 1)
		return cli_usage(SURVEY_SHOW_USAGE);
	if ((id = survey_store_find(cli_db(ctx), argv[optind], version)) == 0 ||
	    (o = survey_store_json(ctx->db, id)) == NULL) {
		cli_error("no survey %s%s", argv[optind],
		          version ? " of that version" : "");
		return EXIT_FAIL;
	}
	cli_show(o, json, show_text);
	return EXIT_OK;
}

int
cmd_survey(struct ctx *ctx, int argc, char **argv)
{
	static const struct cmd cmds[] = {
	    {"load", survey_load_cmd, SURVEY_LOAD_USAGE},
	    {"list", survey_list_cmd, SURVEY_LIST_USAGE},
	    {"show", survey_show_cmd, SURVEY_SHOW_USAGE},
	    {NULL, NULL, NULL}};

	return cli_dispatch(ctx, "survey", cmds, argc, argv);
}
