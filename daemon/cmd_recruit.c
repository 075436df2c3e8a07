/*
 * ppgd recruit poster: an A4 poster and a leaflet (two A5 on one A4 page)
 * with the join link and its QR code. The link carries the source, so the
 * representation report can say which poster brought whom.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "join.h"
#include "practice.h"
#include "qr.h"
#include "template.h"
#include "util.h"
#include "xmalloc.h"

#define POSTER_USAGE                                                           \
	"recruit poster --practice CODE [--source S] --html FILE [--json]"

static const char poster_css[] =
    "@page{size:A4;margin:0}*{box-sizing:border-box}"
    "body{margin:0;font-family:Arial,Helvetica,sans-serif;color:#212b32}"
    ".page{width:210mm;height:297mm;padding:18mm;page-break-after:always;"
    "display:flex;flex-direction:column;justify-content:space-between}"
    ".band{background:#005eb8;color:#fff;padding:8mm 10mm}"
    "h1{font-size:34pt;margin:0 0 4mm}h2{font-size:20pt;margin:0}"
    "p{font-size:16pt;line-height:1.4;margin:0 0 5mm}"
    ".qr{display:flex;gap:10mm;align-items:center}svg{flex:none}"
    ".link{font-size:15pt;font-weight:bold;word-break:break-all}"
    ".leaflet{height:130mm;border-bottom:1px dashed #768692;"
    "padding:10mm 0;display:flex;gap:8mm;align-items:center}"
    ".leaflet p{font-size:12pt}.leaflet h2{font-size:18pt;margin:0 0 3mm}"
    "@media screen{body{background:#eee}.page{background:#fff;"
    "margin:10mm auto;box-shadow:0 0 4mm #999}}";

static void
poster_page(FILE *fp, const struct practice *p, const char *link,
            const char *qr)
{
	fputs("<section class=\"page\"><div class=\"band\"><h1>Have your say "
	      "at ",
	      fp);
	fputs(p->name, fp);
	fputs("</h1><h2>Join our Patient Participation Group</h2></div><div>"
	      "<p>We want to hear from patients of every age and background, "
	      "especially people we do not often hear from: young people, "
	      "working parents, carers, and people from every community.</p>"
	      "<p>Answer a short survey by text or email now and then. Come to "
	      "a meeting if you like. It takes a few minutes, you can stop at "
	      "any time, and it never affects your care.</p></div>"
	      "<div class=\"qr\">",
	      fp);
	fputs(qr, fp);
	fputs("<div><p>Scan the code with your phone's camera, or type:</p>"
	      "<p class=\"link\">",
	      fp);
	fputs(link, fp);
	fputs("</p>", fp);
	if (p->sms_from != NULL && *p->sms_from != '\0' &&
	    p->sms_from[0] == '+') {
		fputs(
		    "<p>Or text <strong>JOIN</strong> and your first name to ",
		    fp);
		fputs(p->sms_from, fp);
		fputs(".</p>", fp);
	}
	fputs("<p>Or ask at reception.</p></div></div></section>", fp);
}

static void
leaflet(FILE *fp, const struct practice *p, const char *link, const char *qr)
{
	fputs("<div class=\"leaflet\">", fp);
	fputs(qr, fp);
	fputs("<div><h2>Join the patient group at ", fp);
	fputs(p->name, fp);
	fputs("</h2><p>Help the practice improve: short surveys by text or "
	      "email, meetings if you like. Stop at any time; it never affects "
	      "your care.</p><p class=\"link\">",
	      fp);
	fputs(link, fp);
	fputs("</p></div></div>", fp);
}

/* The whole document; every value already escaped. Caller frees. */
static char *
poster_doc(const struct practice *p, const char *link, size_t *len)
{
	char *doc = NULL, *big, *small;
	FILE *fp;

	if ((big = qr_svg(link, "70mm", "QR code of the join link")) == NULL)
		return NULL;
	small = qr_svg(link, "45mm", "QR code of the join link");
	fp = open_memstream(&doc, len);
	fputs(
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\"><title>Join the patient group: poster and "
	    "leaflet</title><style>",
	    fp);
	fputs(poster_css, fp);
	fputs("</style></head><body><main>", fp);
	poster_page(fp, p, link, big);
	fputs("<section class=\"page\">", fp);
	leaflet(fp, p, link, small);
	leaflet(fp, p, link, small);
	fputs("</section></main></body></html>\n", fp);
	fclose(fp);
	free(big);
	free(small);
	return doc;
}

/* The practice with every text field HTML-escaped. */
static void
practice_escape(struct practice *p)
{
	char *s;

	s = html_escape(p->name);
	free(p->name);
	p->name = s;
	s = html_escape(p->sms_from != NULL ? p->sms_from : "");
	free(p->sms_from);
	p->sms_from = s;
}

static int
poster(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"practice", required_argument, NULL, 'p'},
	    {"source", required_argument, NULL, 's'},
	    {"html", required_argument, NULL, 'h'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	const char *code = NULL, *source = "poster", *html = NULL;
	struct practice *p;
	char *link, *elink, *doc;
	size_t len;
	int ch, json = 0, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'p')
			code = optarg;
		else if (ch == 's')
			source = optarg;
		else if (ch == 'h')
			html = optarg;
		else if (ch == 'j')
			json = 1;
		else
			return cli_usage(POSTER_USAGE);
	}
	if (code == NULL || html == NULL || optind != argc)
		return cli_usage(POSTER_USAGE);
	if (strcmp(join_source(source), source) != 0) {
		cli_error("--source: use lower-case letters, digits and '-' "
		          "(at most 32), like waiting-room");
		return EXIT_USAGE;
	}
	if ((p = practice_find(cli_db(ctx), code)) == NULL) {
		cli_error("no practice %s", code);
		return EXIT_FAIL;
	}
	link = xasprintf("%s/join/%s?source=%s",
	                 config_str(ctx->cfg, CFG_PUBLIC_URL), p->code, source);
	practice_escape(p);
	elink = html_escape(link);
	doc = poster_doc(p, elink, &len);
	free(elink);
	practice_free(p);
	if (doc == NULL) {
		cli_error("cannot draw a QR code of %s", link);
		free(link);
		return EXIT_FAIL;
	}
	if (json) {
		char *cause = NULL;

		rc = util_write_atomic(html, doc, len, &cause) == -1 ? EXIT_FAIL
		                                                     : EXIT_OK;
		if (rc == EXIT_FAIL)
			cli_error("%s", cause);
		else
			cli_json(json_pack("{s:s, s:s, s:s}", "html", html,
			                   "link", link, "source", source));
		free(cause);
		free(doc);
	} else {
		rc = cli_write_page(html, doc, len);
		if (rc == EXIT_OK)
			printf("join link: %s\n", link);
	}
	free(link);
	return rc;
}

int
cmd_recruit(struct ctx *ctx, int argc, char **argv)
{
	static const struct cmd cmds[] = {{"poster", poster, POSTER_USAGE},
	                                  {NULL, NULL, NULL}};

	return cli_dispatch(ctx, "recruit", cmds, argc, argv);
}
