/* ppgd report representation|annual, and ppgd practice profile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "annual.h"
#include "cli.h"
#include "framework.h"
#include "htmlout.h"
#include "recruit.h"
#include "represent.h"
#include "termtext.h"
#include "util.h"
#include "xmalloc.h"

#define REPRESENTATION_USAGE                                                   \
	"report representation --practice CODE [--json|--html FILE"            \
	" [--internal]]"
#define ANNUAL_USAGE                                                           \
	"report annual --practice CODE --year YYYY [--financial]"              \
	" [--framework FILE] [--sign-off \"NAME, ROLE\"]"                      \
	" [--json|--html FILE [--internal]]"

/* Options shared by the reports. */
struct report_opts {
	const char *practice, *html, *framework, *sign_off;
	int json, year, financial, internal;
};

static int
report_parse(int argc, char **argv, struct report_opts *o, int annual)
{
	static const struct option opts[] = {
	    {"practice", required_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},
	    {"html", required_argument, NULL, 'h'},
	    {"year", required_argument, NULL, 'y'},
	    {"financial", no_argument, NULL, 'f'},
	    {"internal", no_argument, NULL, 'i'},
	    {"framework", required_argument, NULL, 'F'},
	    {"sign-off", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0}};
	int ch;
	char *end;

	memset(o, 0, sizeof *o);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'p')
			o->practice = optarg;
		else if (ch == 'j')
			o->json = 1;
		else if (ch == 'h')
			o->html = optarg;
		else if (ch == 'y' && annual) {
			o->year = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || strlen(optarg) != 4)
				return -1;
		} else if (ch == 'f' && annual)
			o->financial = 1;
		else if (ch == 'i')
			o->internal = 1;
		else if (ch == 'F' && annual)
			o->framework = optarg;
		else if (ch == 's' && annual)
			o->sign_off = optarg;
		else
			return -1;
	}
	if (cli_require(annual ? "report annual" : "report representation",
	                "--practice", o->practice) == -1 ||
	    (annual && cli_require("report annual", "--year",
	                           o->year ? "" : NULL) == -1) ||
	    optind != argc || (o->json && o->html) ||
	    (o->internal && o->html == NULL))
		return -1;
	return 0;
}

static void
representation_text(const json_t *r)
{
	const json_t *f, *g, *t;
	size_t i, j;

	printf("practice %s: %lld active members\n",
	       json_string_value(json_object_get(r, "practice")),
	       json_integer_value(json_object_get(r, "members")));
	json_array_foreach(json_object_get(r, "fields"), i, f)
	{
		printf("\n%-18s %7s %7s %9s %7s %6s\n",
		       json_string_value(json_object_get(f, "field")),
		       "MEMBERS", "SHARE", "PATIENTS", "SHARE", "RATIO");
		json_array_foreach(json_object_get(f, "groups"), j, g)
		{
			const json_t *ratio = json_object_get(g, "ratio");
			int under = json_is_true(
			    json_object_get(g, "under_represented"));

			printf(
			    "%-18s %7lld %6.1f%% %9lld %6.1f%% %6.2f%s%s\n",
			    json_string_value(json_object_get(g, "value")),
			    json_integer_value(json_object_get(g, "members")),
			    json_number_value(
			        json_object_get(g, "member_share")),
			    json_integer_value(json_object_get(g, "patients")),
			    json_number_value(
			        json_object_get(g, "population_share")),
			    json_number_value(ratio),
			    under ? "  under-represented: --audience " : "",
			    under ? json_string_value(
			                json_object_get(g, "audience"))
			          : "");
		}
	}
	printf("\nseldom-heard tags:\n");
	json_array_foreach(json_object_get(r, "seldom_heard"), i, t) printf(
	    "  %-24s %lld\n", json_string_value(json_object_get(t, "tag")),
	    json_integer_value(json_object_get(t, "members")));
	recruit_text(r);
}

static int
report_representation(struct ctx *ctx, int argc, char **argv)
{
	struct report_opts o;
	json_t *r;
	char *cause = NULL, *doc;
	size_t len;

	if (report_parse(argc, argv, &o, 0) == -1)
		return cli_usage(REPRESENTATION_USAGE);
	if (represent_report(cli_db(ctx), o.practice, time(NULL), &r, &cause) ==
	    -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (o.json || o.html == NULL) {
		cli_show(r, o.json, representation_text);
		return EXIT_OK;
	}
	doc = represent_page(r, o.internal, &len);
	json_decref(r);
	return cli_write_page(o.html, doc, len);
}

static void
annual_text(const json_t *r)
{
	const json_t *m = json_object_get(r, "members"), *a, *fw, *c, *lv,
	             *so = json_object_get(r, "sign_off");
	size_t i, l;

	a = json_object_get(r, "actions");
	fw = json_object_get(r, "framework");
	printf("%s (%s), %s to %s\n",
	       json_string_value(json_object_get(r, "name")),
	       json_string_value(json_object_get(r, "practice")),
	       json_string_value(json_object_get(r, "from")),
	       json_string_value(json_object_get(r, "to")));
	printf("members: %lld at start, %lld joined, %lld left, %lld at end\n",
	       json_integer_value(json_object_get(m, "start")),
	       json_integer_value(json_object_get(m, "joined")),
	       json_integer_value(json_object_get(m, "left")),
	       json_integer_value(json_object_get(m, "end")));
	printf("meetings held: %lld\n",
	       json_integer_value(
	           json_object_get(json_object_get(r, "meetings"), "held")));
	printf("actions: %lld agreed, %lld done; priority areas: %zu%s\n",
	       json_integer_value(json_object_get(a, "agreed")),
	       json_integer_value(json_object_get(a, "done")),
	       json_array_size(json_object_get(a, "priority_areas")),
	       json_is_true(json_object_get(a, "three_priority_areas"))
	           ? " (three agreed)"
	           : " (fewer than three)");
	printf("evidence recorded this year: %zu\n",
	       json_array_size(json_object_get(r, "evidence")));
	printf("self-assessment (%s): %s\n",
	       json_string_value(json_object_get(fw, "framework")),
	       json_string_value(json_object_get(fw, "level")));
	if (json_is_object(so))
		printf("agreed by %s on %.10s\n",
		       json_string_value(json_object_get(so, "by")),
		       json_string_value(json_object_get(so, "at")));
	json_array_foreach(json_object_get(fw, "levels"), l, lv)
	{
		const char *id = json_string_value(json_object_get(lv, "id"));

		printf("  %s: %lld of %lld met, %lld needed%s\n", id,
		       json_integer_value(json_object_get(lv, "met")),
		       json_integer_value(json_object_get(lv, "of")),
		       json_integer_value(json_object_get(lv, "need")),
		       json_is_true(json_object_get(lv, "reached"))
		           ? " (reached)"
		           : "");
		json_array_foreach(json_object_get(fw, id), i, c)
		{
			const char *miss =
			    json_string_value(json_object_get(c, "missing"));

			printf("    %s %s%s%s\n",
			       json_string_value(json_object_get(c, "id")),
			       json_string_value(json_object_get(c, "status")),
			       *miss ? " — missing: " : "", miss);
		}
	}
}

static void
annual_progress(const char *part, int n, int of, void *arg)
{
	char *what = xasprintf("report annual: %s", part);

	termtext_progress(stderr, what, n, of, 0);
	free(what);
}

static int
report_annual(struct ctx *ctx, int argc, char **argv)
{
	struct report_opts o;
	struct framework *fw;
	json_t *r;
	char *cause = NULL, *doc;
	size_t len;
	int rc, progress;

	if (report_parse(argc, argv, &o, 1) == -1)
		return cli_usage(ANNUAL_USAGE);
	if (framework_load_config(ctx->cfg, o.framework, &fw, &cause) == -1) {
		fputs(cause, stderr);
		cli_error("the framework did not load");
		free(cause);
		return EXIT_FAIL;
	}
	progress = !o.json && isatty(STDERR_FILENO);
	if (progress)
		annual_set_progress(annual_progress, NULL);
	rc = annual_report(cli_db(ctx), o.practice, o.year, o.financial, fw, &r,
	                   &cause);
	annual_set_progress(NULL, NULL);
	if (progress) /* the line is gone once the report is there */
		fputs("\r\033[K", stderr);
	/* Signed, the report is built again to show the sign-off. */
	if (rc == 0 && o.sign_off != NULL &&
	    (rc = annual_sign_off(cli_db(ctx), r, o.sign_off, &cause)) == 0) {
		json_decref(r);
		rc = annual_report(cli_db(ctx), o.practice, o.year, o.financial,
		                   fw, &r, &cause);
	}
	framework_free(fw);
	if (rc == -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (o.json || o.html == NULL) {
		cli_show(r, o.json, annual_text);
		return EXIT_OK;
	}
	doc = annual_html(r, o.internal, &len);
	json_decref(r);
	return cli_write_page(o.html, doc, len);
}

int
cmd_report(struct ctx *ctx, int argc, char **argv)
{
	static const struct cmd cmds[] = {
	    {"representation", report_representation, REPRESENTATION_USAGE},
	    {"annual", report_annual, ANNUAL_USAGE},
	    {NULL, NULL, NULL}};

	return cli_dispatch(ctx, "report", cmds, argc, argv);
}
