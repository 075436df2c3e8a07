/* Helpers shared by the CLI commands. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "fire.h"
#include "termtext.h"
#include "util.h"
#include "log.h"
#include "schema.h"
#include "template_store.h"
#include "xmalloc.h"

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("ppgd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * A command other than init must not leave an empty database behind (in an
 * empty folder, say): say how to start instead.
 */
static int
cli_db_missing(const char *path)
{
	if (strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0 ||
	    access(path, F_OK) == 0)
		return 0;
	cli_error("no database at %s; create it with: ppgd init (see ppgd(8))",
	          path);
	return 1;
}

struct db *
cli_db(struct ctx *ctx)
{
	char *cause = NULL;
	int v;

	if (ctx->db != NULL)
		return ctx->db;
	if (cli_db_missing(config_str(ctx->cfg, CFG_DATABASE)))
		exit(EXIT_FAIL);
	if (db_open(config_str(ctx->cfg, CFG_DATABASE), &ctx->db, &cause) ==
	    -1) {
		cli_error("cannot open database %s", cause);
		exit(EXIT_FAIL);
	}
	db_set_actor(ctx->db, ctx->actor);
	db_set_busy_quiet(ctx->db, 1);
	/* Another process's writers get the lock between a fire's slices. */
	fire_set_cli(1);
	v = db_version(ctx->db);
	if (v < schema_latest()) {
		cli_error("database %s is at schema %d, this ppgd needs %d; "
		          "run: ppgd init",
		          config_str(ctx->cfg, CFG_DATABASE), v,
		          schema_latest());
		exit(EXIT_FAIL);
	}
	if (v > schema_latest()) {
		cli_error("database schema %d is newer than this ppgd", v);
		exit(EXIT_FAIL);
	}
	/* Templates edited in the web admin, for every command and serve. */
	template_store_attach(ctx->db);
	return ctx->db;
}

void
cli_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	                            JSON_REAL_PRECISION(10) | JSON_ENCODE_ANY);

	if (s != NULL) {
		puts(s);
		free(s);
	}
	json_decref(j);
}

void
cli_show(json_t *j, int json, void (*text)(const json_t *))
{
	if (json)
		cli_json(j);
	else {
		text(j);
		json_decref(j);
	}
}

/* A scalar as text; NULL for null. Caller frees. */
static char *
scalar_text(const json_t *v)
{
	if (json_is_string(v))
		return termtext_safe(json_string_value(v), 1);
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return xasprintf("%g", json_real_value(v));
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "yes" : "no");
	return NULL;
}

/* An object on one line: "key value, key value". Caller frees. */
static char *
object_line(const json_t *o)
{
	struct buf b = {0};
	const char *k;
	json_t *v;
	char *s;

	json_object_foreach((json_t *)o, k, v)
	{
		if ((s = scalar_text(v)) == NULL && !json_is_null(v))
			s = xstrdup(json_is_array(v) ? "[...]" : "{...}");
		buf_printf(&b, "%s%s %s", b.len ? ", " : "", k, s ? s : "-");
		free(s);
	}
	return buf_take(&b);
}

void
cli_print_value(const char *key, const json_t *v, int indent)
{
	const char *k;
	json_t *e;
	size_t i;
	char *s;
	int w = 24 - indent > 8 ? 24 - indent : 8;

	if (json_is_object(v) ||
	    (json_is_array(v) && json_is_object(json_array_get(v, 0))))
		printf("%*s%s\n", indent, "", key);
	else
		printf("%*s%-*s", indent, "", w, key);
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, e)
		    cli_print_value(k, e, indent + 2);
		return;
	}
	if (json_is_array(v)) {
		if (json_is_object(json_array_get(v, 0))) {
			json_array_foreach(v, i, e)
			{
				s = object_line(e);
				printf("%*s- %s\n", indent + 2, "", s);
				free(s);
			}
			return;
		}
		json_array_foreach(v, i, e)
		{
			s = scalar_text(e);
			printf(" %s%s", s ? s : "-",
			       i + 1 < json_array_size(v) ? "," : "");
			free(s);
		}
		printf("%s\n", json_array_size(v) == 0 ? " -" : "");
		return;
	}
	s = scalar_text(v);
	printf(" %s\n", s ? s : "-");
	free(s);
}

int
cli_confirm(int yes, const char *fmt, ...)
{
	char line[16] = "";
	va_list ap;

	if (yes || !isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
		return 1;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" [y/N] ", stderr);
	if (fgets(line, sizeof line, stdin) == NULL)
		return 0;
	return strcasecmp(line, "y\n") == 0 || strcasecmp(line, "yes\n") == 0;
}

void
cli_getopt_reset(void)
{
	optind = 0; /* GNU: full reinitialisation */
	opterr = 1;
}

int
cli_require(const char *cmd, const char *what, const void *value)
{
	if (value != NULL)
		return 0;
	cli_error("%s: %s is required", cmd, what);
	return -1;
}

int
cli_usage(const char *u)
{
	fprintf(stderr, "usage: ppgd %s\n", u);
	return EXIT_USAGE;
}

int
cli_dispatch(struct ctx *ctx, const char *group, const struct cmd *cmds,
             int argc, char **argv)
{
	const struct cmd *c;

	if (argc >= 2) {
		for (c = cmds; c->name != NULL; c++) {
			if (strcmp(c->name, argv[1]) == 0) {
				cli_getopt_reset();
				return c->fn(ctx, argc - 1, argv + 1);
			}
		}
		cli_error("unknown %s command %s", group, argv[1]);
	}
	fprintf(stderr, "usage:\n");
	for (c = cmds; c->name != NULL; c++)
		fprintf(stderr, "  ppgd %s\n", c->usage);
	return EXIT_USAGE;
}

int
cli_write_page(const char *file, char *doc, size_t len)
{
	char *cause = NULL;
	int rc = EXIT_OK;

	if (util_write_private(file, doc, len, &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		rc = EXIT_FAIL;
	} else
		printf("wrote %s\n", file);
	free(doc);
	return rc;
}
