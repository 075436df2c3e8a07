/* ppgd report representation|annual, and ppgd practice profile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "annual.h"
#include "cli.h"
#include "htmlout.h"
#include "recruit.h"
#include "represent.h"
#include "util.h"
#include "xmalloc.h"

#define PROFILE_USAGE "practice profile CODE FILE.csv [--json]"
#define REPRESENTATION_USAGE                                                   \
	"report representation --practice CODE [--json|--html FILE]"
#define ANNUAL_USAGE                                                           \
	"report annual --practice CODE --year YYYY [--financial]"              \
	" [--json|--html FILE]"

int
cmd_practice_profile(struct ctx *ctx, int argc, char **argv)
{
	int json = argc == 4 && strcmp(argv[3], "--json") == 0, rows;
	char *cause = NULL;
	FILE *fp;

	if (argc != 3 && !json)
		return cli_usage(PROFILE_USAGE);
	if ((fp = fopen(argv[2], "r")) == NULL) {
		cli_error("cannot open %s", argv[2]);
		return EXIT_FAIL;
	}
	if (represent_load_profile(cli_db(ctx), argv[1], fp, argv[2], &rows,
	                           &cause) == -1) {
		fputs(cause, stderr);
		if (cause[0] != '\0' && cause[strlen(cause) - 1] != '\n')
			fputc('\n', stderr);
		cli_error("population profile not loaded");
		free(cause);
		fclose(fp);
		return EXIT_FAIL;
	}
	fclose(fp);
	if (json)
		cli_json(
		    json_pack("{s:s, s:i}", "practice", argv[1], "rows", rows));
	else
		printf("loaded %d population rows for %s\n", rows, argv[1]);
	return EXIT_OK;
}

/* Options shared by the reports. */
struct report_opts {
	const char *practice, *html;
	int json, year, financial;
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
		else
			return -1;
	}
	if (optind != argc || o->practice == NULL || (o->json && o->html) ||
	    (annual && o->year == 0))
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
	char *cause = NULL, *doc, *title;
	struct html *h;
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
	title = xasprintf("Representation: practice %s", o.practice);
	h = html_new(title);
	represent_html(h, r);
	doc = html_finish(h, &len);
	free(title);
	json_decref(r);
	return cli_write_page(o.html, doc, len);
}

static void
annual_text(const json_t *r)
{
	const json_t *m = json_object_get(r, "members"), *a, *fw, *c;
	static const char *const levels[] = {"bronze", "silver", "gold"};
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
	printf("self-assessment from the data: %s\n",
	       json_string_value(json_object_get(fw, "level_from_data")));
	for (l = 0; l < 3; l++)
		json_array_foreach(json_object_get(fw, levels[l]), i, c) printf(
		    "  %s %lld: %s%s%s\n", levels[l],
		    json_integer_value(json_object_get(c, "criterion")),
		    json_string_value(json_object_get(c, "status")),
		    *json_string_value(json_object_get(c, "evidence")) ? " — "
		                                                       : "",
		    json_string_value(json_object_get(c, "evidence")));
}

static int
report_annual(struct ctx *ctx, int argc, char **argv)
{
	struct report_opts o;
	json_t *r;
	char *cause = NULL, *doc;
	size_t len;

	if (report_parse(argc, argv, &o, 1) == -1)
		return cli_usage(ANNUAL_USAGE);
	if (annual_report(cli_db(ctx), o.practice, o.year, o.financial, &r,
	                  &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (o.json || o.html == NULL) {
		cli_show(r, o.json, annual_text);
		return EXIT_OK;
	}
	doc = annual_html(r, &len);
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
