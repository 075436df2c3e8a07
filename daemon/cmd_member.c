/* ppgd member add|update|show|list|import|export|erase. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "demog.h"
#include "member.h"
#include "membership.h"
#include "member_edit.h"
#include "member_io.h"
#include "practice.h"
#include "util.h"
#include "termtext.h"
#include "xmalloc.h"

/* Long options: one per member field (first_name -> --first-name). */
struct field_opts {
	struct option *opts;
	char **names;
	size_t n;
};

enum { OPT_PRACTICE = 1000, OPT_JSON, OPT_SHARED, OPT_FIELD_BASE = 2000 };

static void
field_opts_build(struct field_opts *fo, const struct option *extra)
{
	const struct member_field *f;
	size_t nf, nx = 0, i, j;

	f = member_fields(&nf);
	while (extra[nx].name != NULL)
		nx++;
	fo->n = nf;
	fo->names = xcalloc(nf, sizeof *fo->names);
	fo->opts = xcalloc(nf + nx + 1, sizeof *fo->opts);
	for (i = 0; i < nf; i++) {
		fo->names[i] = xstrdup(f[i].name);
		for (j = 0; fo->names[i][j] != '\0'; j++)
			if (fo->names[i][j] == '_')
				fo->names[i][j] = '-';
		fo->opts[i] = (struct option){fo->names[i], required_argument,
		                              NULL, OPT_FIELD_BASE + (int)i};
	}
	for (j = 0; j < nx; j++)
		fo->opts[nf + j] = extra[j];
}

static void
field_opts_free(struct field_opts *fo)
{
	size_t i;

	for (i = 0; i < fo->n; i++)
		free(fo->names[i]);
	free(fo->names);
	free(fo->opts);
}

static int
member_print(struct member *m, int json)
{
	json_t *o = member_to_json(m);
	const char *k;
	json_t *v;

	if (json) {
		cli_json(o);
		return EXIT_OK;
	}
	json_object_foreach(o, k, v) cli_print_value(k, v, 0);
	json_decref(o);
	return EXIT_OK;
}

#define MEMBER_ADD_USAGE                                                       \
	"member add --practice CODE [--first-name X] [--email X] [--mobile X]" \
	" [--FIELD VALUE ...] [--shared-number] [--json]"
#define MEMBER_UPDATE_USAGE                                                    \
	"member update ID [--FIELD VALUE ...] [--shared-number] [--json]"

/* add (id 0) or update: parse field options onto m and save. */
static int
member_edit(struct ctx *ctx, int argc, char **argv, int64_t id)
{
	static const struct option extra[] = {
	    {"practice", required_argument, NULL, OPT_PRACTICE},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"shared-number", no_argument, NULL, OPT_SHARED},
	    {NULL, 0, NULL, 0}};
	struct member_edit_opts eo = {.actor = ctx->actor};
	const struct member_field *f;
	struct field_opts fo;
	struct member *m = NULL;
	struct practice *p = NULL;
	const char *practice = NULL, *usage;
	char *cause = NULL;
	int ch, json = 0, rc = EXIT_FAIL;
	int64_t other;
	size_t nf;
	struct db *db = cli_db(ctx);

	usage = id ? MEMBER_UPDATE_USAGE : MEMBER_ADD_USAGE;
	f = member_fields(&nf);
	field_opts_build(&fo, extra);
	if (id != 0 && (m = member_load(db, id)) == NULL) {
		cli_error("no member %lld", (long long)id);
		goto out;
	}
	if (id != 0 && m->erased_at != 0) {
		cli_error("member %lld was erased", (long long)id);
		goto out;
	}
	/* First pass: the practice, so a new member can be made. */
	while ((ch = getopt_long(argc, argv, "", fo.opts, NULL)) != -1) {
		if (ch == OPT_PRACTICE)
			practice = optarg;
		else if (ch == OPT_JSON)
			json = 1;
		else if (ch == OPT_SHARED)
			eo.shared_number = 1;
		else if (ch < OPT_FIELD_BASE) {
			rc = cli_usage(usage);
			goto out;
		}
	}
	if (optind != argc - (id ? 1 : 0)) {
		rc = cli_usage(usage);
		goto out;
	}
	if (practice != NULL && (p = practice_find(db, practice)) == NULL) {
		cli_error("no practice %s", practice);
		goto out;
	}
	if (m == NULL) {
		if (p == NULL) {
			cli_require("member add", "--practice", NULL);
			rc = cli_usage(usage);
			goto out;
		}
		m = member_new(p->id, p->code);
	} else if (p != NULL) {
		m->practice_id = p->id;
		free(m->practice_code);
		m->practice_code = xstrdup(p->code);
	}
	cli_getopt_reset();
	while ((ch = getopt_long(argc, argv, "", fo.opts, NULL)) != -1) {
		if (ch < OPT_FIELD_BASE)
			continue;
		if (member_set(m, f[ch - OPT_FIELD_BASE].name, optarg,
		               &cause) == -1) {
			cli_error("%s", cause);
			goto out;
		}
	}
	eo.term_months = (int)config_int(ctx->cfg, CFG_TERM_MONTHS);
	eo.postcode_outward =
	    strcmp(config_str(ctx->cfg, CFG_POSTCODE), "outward") == 0;
	switch (member_edit_save(db, m, &eo, &other, &cause)) {
	case MEMBER_EDIT_OK:
		break;
	case MEMBER_EDIT_BUSY:
		cli_error("cannot save member: database is locked (another "
		          "process is writing); try again");
		goto out;
	default:
		cli_error("%s", cause);
		goto out;
	}
	if (json)
		member_print(m, 1);
	else
		printf("%s member %lld\n", id ? "updated" : "added",
		       (long long)m->id);
	rc = EXIT_OK;
out:
	free(cause);
	member_free(m);
	practice_free(p);
	field_opts_free(&fo);
	return rc;
}

static int64_t
parse_id(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	return (*s == '\0' || *end != '\0' || v <= 0) ? 0 : v;
}

static int
member_add_cmd(struct ctx *ctx, int argc, char **argv)
{
	return member_edit(ctx, argc, argv, 0);
}

static int
member_update_cmd(struct ctx *ctx, int argc, char **argv)
{
	int64_t id = argc >= 2 ? parse_id(argv[argc - 1]) : 0;
	int i;

	/* The id may come first or last; find it among the arguments. */
	for (i = 1; id == 0 && i < argc; i++)
		if (argv[i][0] != '-' && (i == 1 || argv[i - 1][0] != '-'))
			id = parse_id(argv[i]);
	if (id == 0)
		return cli_usage(MEMBER_UPDATE_USAGE);
	return member_edit(ctx, argc, argv, id);
}

static int
member_show_cmd(struct ctx *ctx, int argc, char **argv)
{
	struct member *m;
	int json = argc == 3 && strcmp(argv[2], "--json") == 0;
	int64_t id = argc >= 2 ? parse_id(argv[1]) : 0;
	int rc;

	if ((argc != 2 && !json) || id == 0)
		return cli_usage("member show ID [--json]");
	if ((m = member_load(cli_db(ctx), id)) == NULL) {
		cli_error("no member %lld", (long long)id);
		return EXIT_FAIL;
	}
	rc = member_print(m, json);
	member_free(m);
	return rc;
}

struct list_state {
	json_t *arr;
	size_t n;
};

static int
list_one(struct member *m, void *arg)
{
	struct list_state *ls = arg;
	char *name;

	ls->n++;
	if (ls->arr != NULL) {
		json_array_append_new(ls->arr, member_to_json(m));
		return 0;
	}
	if (ls->n == 1)
		printf("%6s %-8s %-22s %-26s %-14s %-7s %s\n", "ID", "PRACTICE",
		       "NAME", "EMAIL", "MOBILE", "CHANNEL", "AGE");
	/* Names and addresses are the members' own: made safe, cut and
	 * aligned by display width. */
	name = xasprintf("%s %s", m->first_name ? m->first_name : "",
	                 m->last_name ? m->last_name : "");
	printf("%6lld %-8s ", (long long)m->id, m->practice_code);
	termtext_cell(stdout, name, 22, 0);
	putchar(' ');
	termtext_cell(stdout, m->email, 26, 0);
	printf(" %-14s %-7s %s\n", m->mobile ? m->mobile : "",
	       m->preferred_channel,
	       member_age_band(m, time(NULL)) ? member_age_band(m, time(NULL))
	                                      : "");
	free(name);
	return 0;
}

/* 1 if a filter value is one a member can have; else say which are. */
static int
filter_ok(const char *flag, const char *v, const char *const *allowed)
{
	size_t i;

	if (v == NULL)
		return 1;
	for (i = 0; allowed[i] != NULL; i++)
		if (strcmp(allowed[i], v) == 0)
			return 1;
	fprintf(stderr, "ppgd: %s: '%s' is not one of", flag, v);
	for (i = 0; allowed[i] != NULL; i++)
		fprintf(stderr, "%s %s", i ? "," : "", allowed[i]);
	fputc('\n', stderr);
	return 0;
}

#define MEMBER_LIST_USAGE                                                      \
	"member list [--practice CODE] [--age-band B] [--sex S]"               \
	" [--ethnicity E] [--tag T] [--channel email|sms] [--search TEXT]"     \
	" [--active] [--include-erased] [--json]"

static int
member_list_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"practice", required_argument, NULL, 'p'},
	    {"age-band", required_argument, NULL, 'a'},
	    {"sex", required_argument, NULL, 's'},
	    {"ethnicity", required_argument, NULL, 'e'},
	    {"tag", required_argument, NULL, 't'},
	    {"channel", required_argument, NULL, 'c'},
	    {"search", required_argument, NULL, 'q'},
	    {"active", no_argument, NULL, 'A'},
	    {"include-erased", no_argument, NULL, 'E'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	static const char *const channels[] = {"email", "sms", NULL};
	struct member_filter f = {0};
	struct list_state ls = {0};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			f.practice = optarg;
			break;
		case 'a':
			f.age_band = optarg;
			break;
		case 's':
			f.sex = optarg;
			break;
		case 'e':
			f.ethnicity = optarg;
			break;
		case 't':
			f.tag = optarg;
			break;
		case 'c':
			f.channel = optarg;
			break;
		case 'q':
			f.search = optarg;
			break;
		case 'A':
			f.active_only = 1;
			break;
		case 'E':
			f.include_erased = 1;
			break;
		case 'j':
			ls.arr = json_array();
			break;
		default:
			return cli_usage(MEMBER_LIST_USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(MEMBER_LIST_USAGE);
	if (!filter_ok("--age-band", f.age_band, member_age_bands) ||
	    !filter_ok("--sex", f.sex, member_sexes) ||
	    !filter_ok("--ethnicity", f.ethnicity, member_ethnicities) ||
	    !filter_ok("--channel", f.channel, channels)) {
		json_decref(ls.arr);
		return EXIT_USAGE;
	}
	member_list(cli_db(ctx), &f, list_one, &ls);
	if (ls.arr != NULL)
		cli_json(ls.arr);
	else
		printf("%zu members\n", ls.n);
	return EXIT_OK;
}

#define MEMBER_IMPORT_USAGE                                                    \
	"member import FILE.csv|- --practice CODE [--dry-run | --strict]"      \
	" [--consent email,sms --consent-how TEXT] [--raw] [--json]"

static void
import_print_list(const json_t *list, const char *file, const char *key,
                  const char *prefix)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e)
	{
		fprintf(
		    stderr, "%s:%lld: %s%s\n", file,
		    (long long)json_integer_value(json_object_get(e, "line")),
		    prefix, json_string_value(json_object_get(e, key)));
	}
}

static void
import_print(const struct import_report *r, const char *file, int json)
{
	if (json) {
		cli_json(json_pack(
		    "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:O, s:O, "
		    "s:s?}",
		    "file", file, "rows", (json_int_t)r->rows, "added",
		    (json_int_t)r->added, "updated", (json_int_t)r->updated,
		    "unchanged", (json_int_t)r->unchanged, "bad",
		    (json_int_t)r->bad, "warned", (json_int_t)r->warned,
		    "no_consent", (json_int_t)r->no_consent, "written",
		    r->written, "errors", r->errors, "warnings", r->warnings,
		    "warning", r->warning));
		return;
	}
	/* Columns ignored first: they explain the rows that follow. */
	if (r->warning != NULL)
		fprintf(stderr, "%s: %s\n", file, r->warning);
	import_print_list(r->warnings, file, "warning", "warning: ");
	if (r->warned > json_array_size(r->warnings))
		fprintf(stderr, "%s: ... and %zu more warnings\n", file,
		        r->warned - json_array_size(r->warnings));
	import_print_list(r->errors, file, "error", "");
	if (r->bad > json_array_size(r->errors))
		fprintf(stderr, "%s: ... and %zu more bad rows\n", file,
		        r->bad - json_array_size(r->errors));
	printf("%zu rows: %zu added, %zu updated, %zu unchanged, %zu bad, "
	       "%zu warnings%s\n",
	       r->rows, r->added, r->updated, r->unchanged, r->bad, r->warned,
	       r->written ? "" : " (nothing written)");
	if (r->no_consent > 0)
		printf("%zu members have no consent for email or SMS and will "
		       "not be contacted\n",
		       r->no_consent);
}

/* --consent email,sms: which channels; -1 if a word is neither. */
static int
import_consent(const char *v, struct import_opts *o)
{
	char *copy = xstrdup(v), *tok, *save = NULL;
	int rc = 0;

	for (tok = strtok_r(copy, ", ", &save); tok != NULL && rc == 0;
	     tok = strtok_r(NULL, ", ", &save)) {
		if (strcmp(tok, "email") == 0)
			o->consent_email = 1;
		else if (strcmp(tok, "sms") == 0)
			o->consent_sms = 1;
		else
			rc = -1;
	}
	free(copy);
	return rc;
}

static int
member_import_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"practice", required_argument, NULL, 'p'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"strict", no_argument, NULL, 's'},
	    {"raw", no_argument, NULL, 'r'},
	    {"consent", required_argument, NULL, 'c'},
	    {"consent-how", required_argument, NULL, 'h'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	struct import_opts o = {.mode = IMPORT_KEEP_GOOD};
	struct import_report r;
	const char *practice = NULL, *file, *consent = NULL;
	char *cause = NULL;
	int ch, json = 0, rc;
	FILE *fp;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			practice = optarg;
			break;
		case 'r':
			o.raw = 1;
			break;
		case 'n':
			o.mode = IMPORT_DRY_RUN;
			break;
		case 's':
			o.mode = IMPORT_STRICT;
			break;
		case 'c':
			consent = optarg;
			break;
		case 'h':
			o.consent_how = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage(MEMBER_IMPORT_USAGE);
		}
	}
	if (cli_require("member import", "FILE",
	                optind < argc ? argv[optind] : NULL) == -1 ||
	    cli_require("member import", "--practice", practice) == -1 ||
	    optind != argc - 1)
		return cli_usage(MEMBER_IMPORT_USAGE);
	if (consent != NULL && import_consent(consent, &o) == -1) {
		cli_error("--consent: '%s': give email, sms or email,sms",
		          consent);
		return EXIT_USAGE;
	}
	if ((consent != NULL) != (o.consent_how != NULL) ||
	    (o.consent_how != NULL && *o.consent_how == '\0')) {
		cli_error("--consent and --consent-how go together: say which "
		          "channels and how the consent was collected");
		return EXIT_USAGE;
	}
	file = argv[optind];
	if (strcmp(file, "-") == 0) {
		fp = stdin;
		file = "(stdin)";
	} else if ((fp = fopen(file, "rb")) == NULL) {
		cli_error("cannot open %s: %m", file);
		return EXIT_FAIL;
	}
	o.term_months = (int)config_int(ctx->cfg, CFG_TERM_MONTHS);
	o.progress = !json && isatty(STDERR_FILENO);
	o.postcode_outward =
	    strcmp(config_str(ctx->cfg, CFG_POSTCODE), "outward") == 0;
	rc =
	    member_import_opts(cli_db(ctx), fp, file, practice, &o, &r, &cause);
	if (fp != stdin)
		fclose(fp);
	if (rc == -1) {
		if (r.line > 0)
			fprintf(stderr, "%s:%zu: %s\n", file, r.line, cause);
		else
			cli_error("%s: %s", file, cause);
		free(cause);
		import_report_clear(&r);
		return EXIT_FAIL;
	}
	import_print(&r, file, json);
	if (o.mode == IMPORT_STRICT && r.bad > 0 && !json)
		cli_error("--strict: the file has %zu bad rows; nothing was "
		          "imported",
		          r.bad);
	rc = r.bad > 0 ? EXIT_FAIL : EXIT_OK;
	import_report_clear(&r);
	return rc;
}

#define MEMBER_EXPORT_USAGE                                                    \
	"member export [--practice CODE] [--raw] [-o FILE|-]"

/*
 * The register is personal data: written to a new 0600 file, never into an
 * existing one (which would keep its permissions) nor through a symbolic
 * link, and renamed into place when complete.
 */
static int
member_export_file(struct ctx *ctx, const char *out, const char *practice,
                   int raw, char **cause)
{
	char *tmp;
	FILE *fp;
	int fd, rc;

	if ((fd = util_private_open(out, &tmp, cause)) == -1)
		return -1;
	if ((fp = fdopen(dup(fd), "w")) == NULL) {
		*cause = xasprintf("%s: %s", out, strerror(errno));
		util_private_commit(fd, tmp, out, 0, cause);
		close(fd);
		return -1;
	}
	rc = member_export(cli_db(ctx), fp, practice, raw, cause);
	if (fclose(fp) != 0 && rc == 0) {
		*cause = xasprintf("%s: %s", out, strerror(errno));
		rc = -1;
	}
	rc = util_private_commit(fd, tmp, out, rc == 0, cause) == 0 ? rc : -1;
	close(fd);
	return rc;
}

static int
member_export_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"practice", required_argument, NULL, 'p'},
	    {"output", required_argument, NULL, 'o'},
	    {"raw", no_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0}};
	const char *practice = NULL, *out = NULL;
	char *cause = NULL;
	int ch, rc, raw = 0;

	while ((ch = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			practice = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'r':
			raw = 1;
			break;
		default:
			return cli_usage(MEMBER_EXPORT_USAGE);
		}
	}
	if (optind == argc - 1 && out == NULL)
		out = argv[optind++];
	if (optind != argc)
		return cli_usage(MEMBER_EXPORT_USAGE);
	if (out != NULL && strcmp(out, "-") == 0)
		out = NULL;
	if (out != NULL)
		rc = member_export_file(ctx, out, practice, raw, &cause);
	else
		rc = member_export(cli_db(ctx), stdout, practice, raw, &cause);
	if (rc == -1) {
		cli_error("export failed: %s", cause ? cause : "write error");
		free(cause);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

#define MEMBER_ERASE_USAGE "member erase ID [--yes] [--json]"

static int
member_erase_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"yes", no_argument, NULL, 'y'},
	                                     {"json", no_argument, NULL, 'j'},
	                                     {NULL, 0, NULL, 0}};
	int64_t id = 0;
	char *cause = NULL;
	int ch, yes = 0, json = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'y')
			yes = 1;
		else if (ch == 'j')
			json = 1;
		else
			return cli_usage(MEMBER_ERASE_USAGE);
	}
	if (optind == argc - 1)
		id = parse_id(argv[optind]);
	if (id == 0) {
		cli_error("member erase: ID is required");
		return cli_usage(MEMBER_ERASE_USAGE);
	}
	if (!cli_confirm(yes, "erase every personal detail of member %lld?",
	                 (long long)id)) {
		cli_error("not erased");
		return EXIT_FAIL;
	}
	if (member_erase(cli_db(ctx), id, ctx->actor, &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	/* The WAL still holds the pages as they were: checkpoint and empty it
	 * (best effort; a running daemon's next checkpoint reuses it). */
	sqlite3_wal_checkpoint_v2(db_handle(cli_db(ctx)), NULL,
	                          SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (json)
		cli_json(json_pack("{s:I}", "erased", (json_int_t)id));
	else
		printf("erased member %lld: personal data removed, anonymised "
		       "answers kept\n",
		       (long long)id);
	return EXIT_OK;
}

/* Counts of active members by one column, as {"value": n}. */
static json_t *
stats_by(struct db *db, const char *sql, const char *practice)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	json_t *o = json_object();

	db_bind_text(st, 1, practice);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_object_set_new(o, db_col_text(st, 0),
		                    json_integer(sqlite3_column_int64(st, 1)));
	sqlite3_reset(st);
	return o;
}

#define STATS_SQL(col)                                                         \
	"SELECT coalesce(" col ", 'not recorded'), count(*) FROM members m"    \
	" JOIN practices p ON p.id = m.practice_id WHERE m.erased_at IS NULL"  \
	" AND (?1 IS NULL OR p.code = ?1) GROUP BY 1 ORDER BY 1"

/* A channel that can carry messages: contact, consent, no opt-out. */
#define CAN_EMAIL                                                              \
	"(m.email IS NOT NULL AND m.consent_email_at IS NOT NULL AND"          \
	" m.optout_email_at IS NULL)"
#define CAN_SMS                                                                \
	"(m.mobile IS NOT NULL AND m.consent_sms_at IS NOT NULL AND"           \
	" m.optout_sms_at IS NULL)"

static int
member_stats_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"practice", required_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	static const char *const names[] = {"reachable", "age_band", "sex",
	                                    "ethnicity", "tags"};
	const char *sql[] = {
	    STATS_SQL("CASE WHEN m.term_ends_at IS NOT NULL AND m.term_ends_at"
	              " <= unixepoch() THEN 'term ended' WHEN " CAN_EMAIL
	              " AND " CAN_SMS " THEN 'email and sms' WHEN " CAN_EMAIL
	              " THEN 'email only' WHEN " CAN_SMS " THEN 'sms only'"
	              " WHEN (m.email IS NOT NULL AND m.optout_email_at IS"
	              " NULL) OR (m.mobile IS NOT NULL AND m.optout_sms_at IS"
	              " NULL) THEN 'no consent' ELSE 'unreachable' END"),
	    STATS_SQL(
	        DEMOG_AGE_BAND_SQL("m.birth_ym", "m.age_band", "unixepoch()")),
	    STATS_SQL("m.sex"), STATS_SQL("m.ethnicity"),
	    "SELECT t.tag, count(*) FROM member_tags t JOIN members m ON"
	    " m.id = t.member_id JOIN practices p ON p.id = m.practice_id"
	    " WHERE m.erased_at IS NULL AND (?1 IS NULL OR p.code = ?1)"
	    " GROUP BY 1 ORDER BY 2 DESC, 1"};
	const char *practice = NULL, *k;
	json_t *o = json_object(), *g, *v;
	int ch, json = 0;
	size_t i;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'p')
			practice = optarg;
		else if (ch == 'j')
			json = 1;
		else
			return cli_usage(
			    "member stats [--practice CODE] [--json]");
	}
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		json_object_set_new(o, names[i],
		                    stats_by(cli_db(ctx), sql[i], practice));
	json_object_set_new(
	    o, "terms_ending",
	    membership_terms_ending(ctx->db, practice, time(NULL)));
	if (json) {
		cli_json(o);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof names / sizeof names[0] + 1; i++) {
		k = i < sizeof names / sizeof names[0] ? names[i]
		                                       : "terms_ending";
		printf("%s:\n", k);
		g = json_object_get(o, k);
		json_object_foreach(g, k, v) printf(
		    "  %-22s %6lld\n", k, (long long)json_integer_value(v));
	}
	json_decref(o);
	return EXIT_OK;
}

int
cmd_member(struct ctx *ctx, int argc, char **argv)
{
	static const struct cmd cmds[] = {
	    {"add", member_add_cmd, MEMBER_ADD_USAGE},
	    {"update", member_update_cmd, MEMBER_UPDATE_USAGE},
	    {"show", member_show_cmd, "member show ID [--json]"},
	    {"list", member_list_cmd, MEMBER_LIST_USAGE},
	    {"import", member_import_cmd, MEMBER_IMPORT_USAGE},
	    {"export", member_export_cmd, MEMBER_EXPORT_USAGE},
	    {"erase", member_erase_cmd, MEMBER_ERASE_USAGE},
	    {"stats", member_stats_cmd,
	     "member stats [--practice CODE] [--json]"},
	    {"pending", cmd_member_pending,
	     "member pending [--practice CODE] [--state STATE] [--json]"},
	    {"approve", cmd_member_approve,
	     "member approve ID [--external-ref REF] [--json]"},
	    {"reject", cmd_member_reject, "member reject ID --reason TEXT"},
	    {NULL, NULL, NULL}};

	return cli_dispatch(ctx, "member", cmds, argc, argv);
}
