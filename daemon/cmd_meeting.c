/* ppgd meeting add|update|minutes|list|show|held|cancel|attendance. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "csvio.h"
#include "cron.h"
#include "meeting.h"
#include "meeting_notice.h"
#include "practice.h"
#include "termtext.h"
#include "util.h"
#include "xmalloc.h"

#define MEETING_ADD_USAGE                                                      \
	"meeting add --practice CODE --at TIME --where PLACE [--link URL]"     \
	" [--agenda FILE] [--every Nm|Nw --count N]"                           \
	" [--feedback-to attended|invited]"                                    \
	" [--with-campaigns [--channels email,sms] [--audience EXPR]]"         \
	" [--json]"
#define MEETING_UPDATE_USAGE                                                   \
	"meeting update ID [--at TIME] [--where PLACE] [--link URL]"           \
	" [--feedback-to attended|invited] [--json]"
#define MEETING_ATTENDANCE_USAGE                                               \
	"meeting attendance ID [--present MEMBER_ID ...] [--staff NAME ...]"   \
	" [--gp-partner NAME] [--csv FILE] [--json]"
#define TEXT_FILE_MAX (256 * 1024)

enum {
	OPT_PRACTICE = 1000,
	OPT_AT,
	OPT_WHERE,
	OPT_AGENDA,
	OPT_WITH_CAMPAIGNS,
	OPT_CHANNELS,
	OPT_AUDIENCE,
	OPT_JSON,
	OPT_LINK,
	OPT_EVERY,
	OPT_COUNT,
	OPT_PRESENT,
	OPT_STAFF,
	OPT_GP_PARTNER,
	OPT_CSV,
	OPT_FEEDBACK_TO,
	OPT_SEND,
	OPT_PUBLISH,
	OPT_TEMPLATE,
};

struct meeting_args {
	const char *practice, *at, *where, *agenda, *channels, *audience;
	const char *link, *every, *count, *feedback_to;
	int with_campaigns, json;
};

/* A meeting id argument; 0 if it is not a positive integer. */
static int64_t
meeting_id_arg(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	return end != s && *end == '\0' && v > 0 ? (int64_t)v : 0;
}

/* A UTF-8 text file (agenda, minutes). Caller frees. */
static char *
text_file(const char *path, char **cause)
{
	char *text;
	size_t len;

	if (util_read_file(path, TEXT_FILE_MAX, &text, &len, cause) == -1)
		return NULL;
	if (!util_utf8_valid(text, len) || strlen(text) != len) {
		*cause = xasprintf("%s: not UTF-8 text", path);
		free(text);
		return NULL;
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	return text;
}

static int
meeting_parse(int argc, char **argv, struct meeting_args *a)
{
	static const struct option opts[] = {
	    {"practice", required_argument, NULL, OPT_PRACTICE},
	    {"at", required_argument, NULL, OPT_AT},
	    {"where", required_argument, NULL, OPT_WHERE},
	    {"agenda", required_argument, NULL, OPT_AGENDA},
	    {"with-campaigns", no_argument, NULL, OPT_WITH_CAMPAIGNS},
	    {"channels", required_argument, NULL, OPT_CHANNELS},
	    {"audience", required_argument, NULL, OPT_AUDIENCE},
	    {"link", required_argument, NULL, OPT_LINK},
	    {"every", required_argument, NULL, OPT_EVERY},
	    {"count", required_argument, NULL, OPT_COUNT},
	    {"feedback-to", required_argument, NULL, OPT_FEEDBACK_TO},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0}};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case OPT_PRACTICE:
			a->practice = optarg;
			break;
		case OPT_LINK:
			a->link = optarg;
			break;
		case OPT_EVERY:
			a->every = optarg;
			break;
		case OPT_COUNT:
			a->count = optarg;
			break;
		case OPT_FEEDBACK_TO:
			a->feedback_to = optarg;
			break;
		case OPT_AT:
			a->at = optarg;
			break;
		case OPT_WHERE:
			a->where = optarg;
			break;
		case OPT_AGENDA:
			a->agenda = optarg;
			break;
		case OPT_WITH_CAMPAIGNS:
			a->with_campaigns = 1;
			break;
		case OPT_CHANNELS:
			a->channels = optarg;
			break;
		case OPT_AUDIENCE:
			a->audience = optarg;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		default:
			return -1;
		}
	}
	if (cli_require("meeting add", "--practice", a->practice) == -1 ||
	    cli_require("meeting add", "--at", a->at) == -1 ||
	    cli_require("meeting add", "--where", a->where) == -1)
		return -1;
	return optind == argc && (a->every == NULL) == (a->count == NULL) ? 0
	                                                                  : -1;
}

/* --every Nm|Nw and --count N: a series, or one meeting. */
static int
series_parse(const struct meeting_args *a, struct meeting_series *sr,
             char **cause)
{
	char *end;
	long v, c;

	memset(sr, 0, sizeof *sr);
	sr->unit = 'm';
	sr->count = 1;
	sr->feedback_to = a->feedback_to;
	if (a->every == NULL)
		return 0;
	v = strtol(a->every, &end, 10);
	if (end == a->every || v < 1 || v > 12 ||
	    (*end != 'm' && *end != 'w') || end[1] != '\0') {
		*cause = xasprintf("--every %s: give months or weeks, 1 to 12, "
		                   "such as 3m or 2w",
		                   a->every);
		return -1;
	}
	sr->unit = *end;
	c = strtol(a->count, &end, 10);
	if (end == a->count || *end != '\0' || c < 1 ||
	    c > MEETING_SERIES_MAX) {
		*cause = xasprintf("--count %s: 1 to %d meetings", a->count,
		                   MEETING_SERIES_MAX);
		return -1;
	}
	sr->every = (int)v;
	sr->count = (int)c;
	return 0;
}

/* Build the meeting from the arguments. */
static int
meeting_from_args(struct db *db, const struct meeting_args *a,
                  struct meeting *m, char **cause)
{
	struct practice *p = practice_find(db, a->practice);
	time_t t;
	int rc;

	if (p == NULL) {
		*cause = xasprintf("no practice %s", a->practice);
		return -1;
	}
	m->practice_id = p->id;
	rc = cron_parse_iso(a->at, p->timezone, &t, cause);
	practice_free(p);
	if (rc == -1)
		return -1;
	m->at = t;
	m->place = xstrdup(a->where);
	m->link = a->link != NULL ? xstrdup(a->link) : NULL;
	if (a->agenda != NULL &&
	    (m->agenda = text_file(a->agenda, cause)) == NULL)
		return -1;
	return 0;
}

static void
meeting_add_print(struct ctx *ctx, const struct meeting_args *a,
                  const int64_t *ids, int count)
{
	struct meeting *m;
	json_t *arr;
	int i;

	if (a->json && a->every == NULL) {
		m = meeting_get(ctx->db, ids[0]);
		cli_json(meeting_to_json(ctx->db, m));
		meeting_free(m);
		return;
	}
	if (a->json) {
		arr = json_array();
		for (i = 0; i < count; i++) {
			m = meeting_get(ctx->db, ids[i]);
			json_array_append_new(arr, meeting_to_json(ctx->db, m));
			meeting_free(m);
		}
		cli_json(arr);
		return;
	}
	for (i = 0; i < count; i++)
		printf("added meeting %lld%s\n", (long long)ids[i],
		       a->with_campaigns ? " with its invitation, reminder and "
		                           "feedback campaigns"
		                         : "");
}

static int
meeting_add_cmd(struct ctx *ctx, int argc, char **argv)
{
	struct meeting_args a = {0};
	struct meeting m = {0};
	struct meeting_series sr;
	int64_t ids[MEETING_SERIES_MAX];
	char *cause = NULL;
	int rc = EXIT_OK;

	if (meeting_parse(argc, argv, &a) == -1 ||
	    (!a.with_campaigns && (a.channels || a.audience)))
		return cli_usage(MEETING_ADD_USAGE);
	if (series_parse(&a, &sr, &cause) == -1 ||
	    meeting_from_args(cli_db(ctx), &a, &m, &cause) == -1 ||
	    meeting_create_series(ctx->db, ctx->cfg, &m, &sr, a.with_campaigns,
	                          a.channels, a.audience, ids, &cause) == -1) {
		cli_error("%s", cause);
		free(cause);
		rc = EXIT_FAIL;
	} else
		meeting_add_print(ctx, &a, ids, sr.count);
	free(m.place);
	free(m.agenda);
	free(m.link);
	return rc;
}

#define MEETING_MINUTES_USAGE                                                  \
	"meeting minutes ID FILE [--publish] [--send [--template NAME]"        \
	" [--channels email,sms] [--audience EXPR]] [--json]"

struct minutes_args {
	struct meeting_send how;
	int send, publish, json;
};

static int
minutes_parse(int argc, char **argv, struct minutes_args *a)
{
	static const struct option opts[] = {
	    {"send", no_argument, NULL, OPT_SEND},
	    {"publish", no_argument, NULL, OPT_PUBLISH},
	    {"template", required_argument, NULL, OPT_TEMPLATE},
	    {"channels", required_argument, NULL, OPT_CHANNELS},
	    {"audience", required_argument, NULL, OPT_AUDIENCE},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0}};
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == OPT_SEND)
			a->send = 1;
		else if (ch == OPT_PUBLISH)
			a->publish = 1;
		else if (ch == OPT_TEMPLATE)
			a->how.template = optarg;
		else if (ch == OPT_CHANNELS)
			a->how.channels = optarg;
		else if (ch == OPT_AUDIENCE)
			a->how.audience = optarg;
		else if (ch == OPT_JSON)
			a->json = 1;
		else
			return -1;
	}
	if (!a->send && (a->how.template || a->how.channels || a->how.audience))
		return -1;
	return optind == argc - 2 && meeting_id_arg(argv[optind]) != 0 ? 0 : -1;
}

/* Store (and publish) the minutes in one transaction. */
static int
minutes_store(struct ctx *ctx, int64_t id, const char *text, int publish,
              char **cause)
{
	if (db_begin(cli_db(ctx)) == -1) {
		*cause = xasprintf("database busy: %s", db_errmsg(ctx->db));
		return -1;
	}
	if (meeting_set_minutes(ctx->db, id, text, cause) == -1 ||
	    (publish && meeting_publish(ctx->db, id, cause) == -1) ||
	    db_commit(ctx->db) == -1) {
		if (*cause == NULL)
			*cause = xasprintf("commit: %s", db_errmsg(ctx->db));
		db_rollback(ctx->db);
		return -1;
	}
	return 0;
}

static void
minutes_print(struct ctx *ctx, int64_t id, const struct minutes_args *a,
              const struct fire_result *r, const char *name)
{
	struct meeting *m = meeting_get(ctx->db, id);
	struct practice *p = m ? practice_get(ctx->db, m->practice_id) : NULL;
	char *url = p ? xasprintf("%s/practice/%s/meetings/%lld",
	                          config_str(ctx->cfg, CFG_PUBLIC_URL), p->code,
	                          (long long)id)
	              : NULL;
	json_t *o;

	if (a->json && m != NULL) {
		o = meeting_to_json(ctx->db, m);
		json_object_set_new(o, "public_url",
		                    a->publish && url ? json_string(url)
		                                      : json_null());
		json_object_set_new(
		    o, "sent",
		    name ? json_pack("{s:s, s:i, s:i, s:i}", "campaign", name,
		                     "messages", r->messages, "email", r->email,
		                     "sms", r->sms)
		         : json_null());
		cli_json(o);
	} else {
		printf("stored the minutes of meeting %lld\n", (long long)id);
		if (a->publish && url != NULL)
			printf("published at %s\n", url);
		if (name != NULL)
			printf("sent as %s: %d messages (%d email, %d sms)\n",
			       name, r->messages, r->email, r->sms);
	}
	free(url);
	practice_free(p);
	meeting_free(m);
}

static int
meeting_minutes_cmd(struct ctx *ctx, int argc, char **argv)
{
	struct minutes_args a = {{NULL, NULL, NULL}, 0, 0, 0};
	struct fire_result r;
	char *text = NULL, *cause = NULL, *name = NULL;
	int64_t id;

	if (minutes_parse(argc, argv, &a) == -1)
		return cli_usage(MEETING_MINUTES_USAGE);
	id = meeting_id_arg(argv[optind]);
	memset(&r, 0, sizeof r);
	if ((text = text_file(argv[optind + 1], &cause)) == NULL ||
	    minutes_store(ctx, id, text, a.publish, &cause) == -1 ||
	    (a.send &&
	     meeting_minutes_send(ctx->db, ctx->cfg, id, &a.how, time(NULL), &r,
	                          &name, &cause) == -1)) {
		cli_error("%s", cause);
		free(cause);
		free(text);
		return EXIT_FAIL;
	}
	free(text);
	minutes_print(ctx, id, &a, &r, name);
	free(name);
	return EXIT_OK;
}

/* meeting held|cancel ID: say what happened, whatever the clock says. */
static int
meeting_mark(struct ctx *ctx, int argc, char **argv, const char *status)
{
	int json = argc == 3 && strcmp(argv[2], "--json") == 0;
	struct meeting *m;
	char *cause = NULL;

	if (argc != 2 && !json)
		return cli_usage(strcmp(status, "held") == 0
		                     ? "meeting held ID [--json]"
		                     : "meeting cancel ID [--json]");
	if (meeting_set_status(cli_db(ctx), atoll(argv[1]), status, &cause) ==
	    -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	if (json && (m = meeting_get(ctx->db, atoll(argv[1]))) != NULL) {
		cli_json(meeting_to_json(ctx->db, m));
		meeting_free(m);
	} else
		printf("meeting %s marked %s\n", argv[1], status);
	return EXIT_OK;
}

static void
notice_print(struct ctx *ctx, const struct meeting_notice_result *r, int json,
             const char *what)
{
	struct meeting *m;
	json_t *o;

	if (json) {
		m = meeting_get(ctx->db, r->meeting_id);
		o = meeting_to_json(ctx->db, m);
		json_object_set_new(o, "notice", meeting_notice_json(r));
		meeting_free(m);
		cli_json(o);
		return;
	}
	printf("meeting %lld %s: %d campaigns %s, %d unsent messages "
	       "cancelled, %d messages queued (%d email, %d sms)\n",
	       (long long)r->meeting_id, what, r->campaigns,
	       strcmp(what, "cancelled") == 0 ? "stopped" : "retimed",
	       r->cancelled, r->messages, r->email, r->sms);
}

/* --at read in the meeting's practice's zone. */
static int
update_at(struct db *db, int64_t id, const char *at, int64_t *out, char **cause)
{
	struct meeting *m = meeting_get(db, id);
	struct practice *p;
	time_t t;
	int rc;

	*out = 0;
	if (at == NULL) {
		meeting_free(m);
		return 0;
	}
	if (m == NULL || (p = practice_get(db, m->practice_id)) == NULL) {
		*cause = xasprintf("no meeting %lld", (long long)id);
		meeting_free(m);
		return -1;
	}
	rc = cron_parse_iso(at, p->timezone, &t, cause);
	practice_free(p);
	meeting_free(m);
	*out = t;
	return rc;
}

static int
meeting_update_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"at", required_argument, NULL, OPT_AT},
	    {"where", required_argument, NULL, OPT_WHERE},
	    {"link", required_argument, NULL, OPT_LINK},
	    {"feedback-to", required_argument, NULL, OPT_FEEDBACK_TO},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0}};
	struct meeting_change chg = {0};
	struct meeting_notice_result r;
	const char *at = NULL, *feedback_to = NULL;
	char *cause = NULL;
	int ch, json = 0;
	int64_t id;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == OPT_AT)
			at = optarg;
		else if (ch == OPT_WHERE)
			chg.place = optarg;
		else if (ch == OPT_LINK)
			chg.link = optarg;
		else if (ch == OPT_FEEDBACK_TO)
			feedback_to = optarg;
		else if (ch == OPT_JSON)
			json = 1;
		else
			return cli_usage(MEETING_UPDATE_USAGE);
	}
	if (optind != argc - 1 || (id = meeting_id_arg(argv[optind])) == 0)
		return cli_usage(MEETING_UPDATE_USAGE);
	memset(&r, 0, sizeof r);
	r.meeting_id = id;
	if ((feedback_to != NULL &&
	     meeting_set_feedback_to(cli_db(ctx), id, feedback_to, &cause) ==
	         -1) ||
	    update_at(cli_db(ctx), id, at, &chg.at, &cause) == -1 ||
	    ((at != NULL || chg.place != NULL || chg.link != NULL ||
	      feedback_to == NULL) &&
	     meeting_update(ctx->db, ctx->cfg, id, &chg, time(NULL), &r,
	                    &cause) == -1)) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	notice_print(ctx, &r, json, "updated");
	return EXIT_OK;
}

/* The attendance list being built. */
struct attendees {
	struct meeting_attendee *v;
	size_t n;
};

static void
attendees_add(struct attendees *a, int64_t member_id, const char *name,
              const char *role)
{
	size_t i;

	for (i = 0; member_id != 0 && i < a->n; i++)
		if (a->v[i].member_id == member_id)
			return; /* named twice (--present and the CSV) */
	a->v = xreallocarray(a->v, a->n + 1, sizeof *a->v);
	a->v[a->n].member_id = member_id;
	a->v[a->n].name = name;
	a->v[a->n].role = role;
	a->n++;
}

static void
attendees_free(struct attendees *a)
{
	free(a->v);
}

/* "3", "3,4,5": member ids; -1 if one is not a positive integer. */
static int
attendees_ids(struct attendees *a, const char *list, char **cause)
{
	char *copy = xstrdup(list), *item, *save = NULL;
	int64_t id;
	int rc = 0;

	for (item = strtok_r(copy, ", ", &save); item != NULL && rc == 0;
	     item = strtok_r(NULL, ", ", &save)) {
		if ((id = meeting_id_arg(item)) == 0) {
			*cause =
			    xasprintf("--present %s: not a member id", item);
			rc = -1;
		} else
			attendees_add(a, id, NULL, "member");
	}
	free(copy);
	return rc;
}

/* One CSV field: a member id, or a member's name at the practice. */
static int
attendees_csv_field(struct ctx *ctx, struct attendees *a, int64_t practice,
                    const char *field, size_t line, char **cause)
{
	int64_t id = meeting_id_arg(field);
	char *c = NULL;

	if (id == 0 &&
	    meeting_member_by_name(ctx->db, practice, field, &id, &c) == -1) {
		*cause = xasprintf("line %zu: %s", line, c);
		free(c);
		return -1;
	}
	attendees_add(a, id, NULL, "member");
	return 0;
}

static int
csv_header(const char *f)
{
	return strcasecmp(f, "id") == 0 || strcasecmp(f, "member_id") == 0 ||
	       strcasecmp(f, "member") == 0 || strcasecmp(f, "name") == 0;
}

static int
attendees_csv(struct ctx *ctx, struct attendees *a, int64_t meeting,
              const char *path, char **cause)
{
	struct meeting *m = meeting_get(cli_db(ctx), meeting);
	struct csv_reader *r;
	struct csv_record *rec;
	FILE *fp;
	int rc;

	if (m == NULL) {
		*cause = xasprintf("no meeting %lld", (long long)meeting);
		return -1;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		meeting_free(m);
		return -1;
	}
	r = csvr_new(fp, 1024);
	while ((rc = csvr_next(r, &rec, cause)) == 1) {
		if (rec->error != NULL) {
			*cause = xasprintf("%s:%zu: %s", path, rec->line,
			                   rec->error);
			rc = -1;
			break;
		}
		if (rec->nfields == 0 || *rec->fields[0] == '\0' ||
		    (rec->line == 1 && csv_header(rec->fields[0])))
			continue;
		if (attendees_csv_field(ctx, a, m->practice_id, rec->fields[0],
		                        rec->line, cause) == -1) {
			rc = -1;
			break;
		}
	}
	csvr_free(r);
	fclose(fp);
	meeting_free(m);
	return rc;
}

/* Record it in one transaction. */
static int
attendance_store(struct ctx *ctx, int64_t id, const struct attendees *a,
                 char **cause)
{
	if (db_begin(cli_db(ctx)) == -1) {
		*cause = xasprintf("database busy: %s", db_errmsg(ctx->db));
		return -1;
	}
	if (meeting_attendance_set(ctx->db, id, a->v, a->n, cause) == -1 ||
	    db_commit(ctx->db) == -1) {
		if (*cause == NULL)
			*cause = xasprintf("commit: %s", db_errmsg(ctx->db));
		db_rollback(ctx->db);
		return -1;
	}
	return 0;
}

static void
attendance_print(struct ctx *ctx, int64_t id, const struct attendees *a,
                 int json)
{
	struct meeting *m;
	size_t i, members = 0, staff = 0, gp = 0;

	if (json) {
		m = meeting_get(ctx->db, id);
		cli_json(meeting_to_json(ctx->db, m));
		meeting_free(m);
		return;
	}
	for (i = 0; i < a->n; i++) {
		if (strcmp(a->v[i].role, "member") == 0)
			members++;
		else if (strcmp(a->v[i].role, "staff") == 0)
			staff++;
		else
			gp++;
	}
	printf("meeting %lld: attendance of %zu members, %zu staff and %zu "
	       "GP partners recorded; marked held\n",
	       (long long)id, members, staff, gp);
}

static int
attendance_option(int ch, struct attendees *a, const char **csv, int *json,
                  char **cause)
{
	switch (ch) {
	case OPT_PRESENT:
		return attendees_ids(a, optarg, cause);
	case OPT_STAFF:
		attendees_add(a, 0, optarg, "staff");
		return 0;
	case OPT_GP_PARTNER:
		attendees_add(a, 0, optarg, "gp-partner");
		return 0;
	case OPT_CSV:
		*csv = optarg;
		return 0;
	case OPT_JSON:
		*json = 1;
		return 0;
	}
	return -2;
}

static int
meeting_attendance_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"present", required_argument, NULL, OPT_PRESENT},
	    {"staff", required_argument, NULL, OPT_STAFF},
	    {"gp-partner", required_argument, NULL, OPT_GP_PARTNER},
	    {"csv", required_argument, NULL, OPT_CSV},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0}};
	struct attendees a = {0};
	const char *csv = NULL;
	char *cause = NULL;
	int ch, json = 0, rc = EXIT_FAIL, i;
	int64_t id = 0;

	/* getopt_long permutes: member ids after --present are operands. */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if ((i = attendance_option(ch, &a, &csv, &json, &cause)) == -2)
			goto usage;
		if (i == -1)
			goto fail;
	}
	if (optind >= argc || (id = meeting_id_arg(argv[optind])) == 0)
		goto usage;
	for (i = optind + 1; i < argc; i++)
		if (attendees_ids(&a, argv[i], &cause) == -1)
			goto fail;
	if (csv != NULL && attendees_csv(ctx, &a, id, csv, &cause) == -1)
		goto fail;
	if (a.n == 0)
		goto usage;
	if (attendance_store(ctx, id, &a, &cause) == -1)
		goto fail;
	attendance_print(ctx, id, &a, json);
	rc = EXIT_OK;
	goto out;
usage:
	attendees_free(&a);
	return cli_usage(MEETING_ATTENDANCE_USAGE);
fail:
	cli_error("%s", cause);
	free(cause);
out:
	attendees_free(&a);
	return rc;
}

static int
meeting_held_cmd(struct ctx *ctx, int argc, char **argv)
{
	return meeting_mark(ctx, argc, argv, "held");
}

/* meeting cancel ID: the mark, its campaigns stopped, those invited told. */
static int
meeting_cancel_cmd(struct ctx *ctx, int argc, char **argv)
{
	int json = argc == 3 && strcmp(argv[2], "--json") == 0;
	struct meeting_notice_result r;
	char *cause = NULL;
	int64_t id;

	if ((argc != 2 && !json) || (id = meeting_id_arg(argv[1])) == 0)
		return cli_usage("meeting cancel ID [--json]");
	if (meeting_cancel(cli_db(ctx), ctx->cfg, id, time(NULL), &r, &cause) ==
	    -1) {
		cli_error("%s", cause);
		free(cause);
		return EXIT_FAIL;
	}
	notice_print(ctx, &r, json, "cancelled");
	return EXIT_OK;
}

static int
meeting_list_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"practice", required_argument, NULL, OPT_PRACTICE},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0}};
	const char *practice = NULL;
	json_t *arr, *o;
	int ch, json = 0;
	size_t i;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == OPT_JSON)
			json = 1;
		else if (ch == OPT_PRACTICE)
			practice = optarg;
		else
			return cli_usage(
			    "meeting list [--practice CODE] [--json]");
	}
	arr = meeting_list_json(cli_db(ctx), practice);
	if (json) {
		cli_json(arr);
		return EXIT_OK;
	}
	printf("%5s %-8s %-26s %5s  %s\n", "ID", "PRACTICE", "AT", "ITEMS",
	       "WHERE");
	json_array_foreach(arr, i, o)
	{
		printf("%5lld %-8s %-26s %5lld  %s\n",
		       json_integer_value(json_object_get(o, "id")),
		       json_string_value(json_object_get(o, "practice")),
		       json_string_value(json_object_get(o, "at")),
		       json_integer_value(json_object_get(o, "agenda_items")),
		       json_string_value(json_object_get(o, "where")));
	}
	json_decref(arr);
	return EXIT_OK;
}

/* A value of o made safe for the terminal (names come from imports).
 * Caller frees. */
static char *
safe(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return termtext_safe(s != NULL ? s : "", 1);
}

/* One line per person or action. */
static void
show_line(const char *fmt, const json_t *v, const char *k1, const char *k2)
{
	char *a = safe(v, k1), *b = safe(v, k2);

	printf(fmt, a, b);
	free(a);
	free(b);
}

/* Who is coming, who came, and the actions to review. */
static void
show_people(const json_t *o)
{
	const json_t *r = json_object_get(o, "replies"), *v;
	size_t i;

	if ((v = json_object_get(o, "link")) && json_is_string(v))
		show_line("online: %s%s\n", o, "link", "");
	printf("coming: %lld, not coming: %lld\n",
	       json_integer_value(json_object_get(r, "yes")),
	       json_integer_value(json_object_get(r, "no")));
	json_array_foreach(json_object_get(r, "coming"), i, v)
	    show_line("  coming: %s (%s)\n", v, "name", "channel");
	json_array_foreach(json_object_get(o, "attendance"), i, v)
	    show_line("attended: %s (%s)\n", v, "name", "role");
	json_array_foreach(json_object_get(o, "actions"), i, v) show_line(
	    "action from this meeting: %s (%s)\n", v, "title", "status");
	json_array_foreach(json_object_get(o, "previous_actions"), i, v)
	    show_line("to review from the last meeting: %s (%s)\n", v, "title",
	              "status");
}

static void
show_text(const json_t *o)
{
	json_t *v;
	size_t i;

	printf("meeting %lld at %s\nwhen:  %s\nwhere: %s\nstatus: %s\n",
	       json_integer_value(json_object_get(o, "id")),
	       json_string_value(json_object_get(o, "practice")),
	       json_string_value(json_object_get(o, "when")),
	       json_string_value(json_object_get(o, "where")),
	       json_string_value(json_object_get(o, "status")));
	if ((v = json_object_get(o, "agenda")) && json_is_string(v))
		printf("agenda:\n%s\n", json_string_value(v));
	if ((v = json_object_get(o, "minutes")) && json_is_string(v))
		printf("minutes:\n%s\n", json_string_value(v));
	json_array_foreach(json_object_get(o, "campaigns"), i, v)
	    printf("campaign: %s (%s)\n",
	           json_string_value(json_object_get(v, "name")),
	           json_string_value(json_object_get(v, "state")));
	/* Items are members' texts: made safe for the terminal. */
	json_array_foreach(json_object_get(o, "agenda_items"), i, v)
	{
		char *body = termtext_safe(
		    json_string_value(json_object_get(v, "body")) ?: "", 1);
		printf("agenda item from member %lld: %s\n",
		       json_integer_value(json_object_get(v, "member_id")),
		       body);
		free(body);
	}
	show_people(o);
}

static int
meeting_show_cmd(struct ctx *ctx, int argc, char **argv)
{
	int json = argc == 3 && strcmp(argv[2], "--json") == 0;
	struct meeting *m;
	json_t *o;

	if (argc != 2 && !json)
		return cli_usage("meeting show ID [--json]");
	if ((m = meeting_get(cli_db(ctx), atoll(argv[1]))) == NULL) {
		cli_error("no meeting %s", argv[1]);
		return EXIT_FAIL;
	}
	o = meeting_to_json(ctx->db, m);
	meeting_free(m);
	cli_show(o, json, show_text);
	return EXIT_OK;
}

int
cmd_meeting(struct ctx *ctx, int argc, char **argv)
{
	static const struct cmd cmds[] = {
	    {"add", meeting_add_cmd, MEETING_ADD_USAGE},
	    {"minutes", meeting_minutes_cmd, MEETING_MINUTES_USAGE},
	    {"list", meeting_list_cmd,
	     "meeting list [--practice CODE] [--json]"},
	    {"show", meeting_show_cmd, "meeting show ID [--json]"},
	    {"held", meeting_held_cmd, "meeting held ID [--json]"},
	    {"cancel", meeting_cancel_cmd, "meeting cancel ID [--json]"},
	    {"update", meeting_update_cmd, MEETING_UPDATE_USAGE},
	    {"attendance", meeting_attendance_cmd, MEETING_ATTENDANCE_USAGE},
	    {NULL, NULL, NULL}};

	return cli_dispatch(ctx, "meeting", cmds, argc, argv);
}
