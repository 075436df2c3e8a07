/* ppgd evidence add|list|remove|get|kinds: the evidence log. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "evidence.h"
#include "termtext.h"
#include "util.h"
#include "xmalloc.h"

#define EVIDENCE_ADD_USAGE                                                     \
	"evidence add --practice CODE --kind KIND --date YYYY-MM-DD"           \
	" [--title TEXT] [--file PATH] [--link URL] [--note TEXT]"             \
	" [--meeting ID] [--json]"
#define EVIDENCE_LIST_USAGE                                                    \
	"evidence list [--practice CODE] [--kind KIND] [--from YYYY-MM-DD]"    \
	" [--to YYYY-MM-DD] [--json]"
#define EVIDENCE_REMOVE_USAGE "evidence remove ID [--json]"
#define EVIDENCE_GET_USAGE    "evidence get ID -o FILE|-"
#define EVIDENCE_KINDS_USAGE  "evidence kinds [--json]"

static int
fail(char *cause)
{
	cli_error("%s", cause);
	free(cause);
	return EXIT_FAIL;
}

static int64_t
parse_id(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	return *end == '\0' && v > 0 ? (int64_t)v : 0;
}

static int
read_evidence_file(const char *path, struct evidence_new *e, char **buf)
{
	char *cause = NULL;
	size_t len;

	if (util_read_file(path, EVIDENCE_MAX_FILE + 1, buf, &len, &cause) ==
	    -1)
		return fail(cause);
	e->data = *buf;
	e->len = len;
	e->file_name =
	    strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	return EXIT_OK;
}

static void
print_item(const json_t *e)
{
	const json_t *f = json_object_get(e, "file");

	/* Titles and file names are what someone typed: shown with their
	 * control characters made visible, never sent to the terminal. */
	char *title =
	    termtext_safe(json_string_value(json_object_get(e, "title")), 1);

	printf("%-5lld %s  %-20s %s",
	       (long long)json_integer_value(json_object_get(e, "id")),
	       json_string_value(json_object_get(e, "date")),
	       json_string_value(json_object_get(e, "kind")), title);
	free(title);
	if (json_is_string(json_object_get(e, "link")))
		printf("  <%s>", json_string_value(json_object_get(e, "link")));
	if (json_is_object(f)) {
		title = termtext_safe(
		    json_string_value(json_object_get(f, "name")), 1);
		printf(
		    "  [%s, %lld bytes]", title,
		    (long long)json_integer_value(json_object_get(f, "bytes")));
		free(title);
	}
	putchar('\n');
}

static void
list_text(const json_t *a)
{
	const json_t *e;
	size_t i;

	if (json_array_size(a) == 0) {
		printf("no evidence recorded\n");
		return;
	}
	printf("%-5s %-10s  %-20s %s\n", "ID", "DATE", "KIND", "TITLE");
	json_array_foreach(a, i, e) print_item(e);
}

static int
evidence_add_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"practice", required_argument, NULL, 'p'},
	    {"kind", required_argument, NULL, 'k'},
	    {"date", required_argument, NULL, 'd'},
	    {"title", required_argument, NULL, 't'},
	    {"file", required_argument, NULL, 'f'},
	    {"link", required_argument, NULL, 'l'},
	    {"note", required_argument, NULL, 'n'},
	    {"meeting", required_argument, NULL, 'm'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	struct evidence_new e = {0};
	const char *file = NULL;
	char *cause = NULL, *buf = NULL;
	int ch, json = 0, rc;
	int64_t id;
	json_t *o;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			e.practice = optarg;
			break;
		case 'k':
			e.kind = optarg;
			break;
		case 'd':
			e.day = optarg;
			break;
		case 't':
			e.title = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'l':
			e.link = optarg;
			break;
		case 'n':
			e.note = optarg;
			break;
		case 'm':
			if ((e.meeting_id = parse_id(optarg)) == 0)
				return cli_usage(EVIDENCE_ADD_USAGE);
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage(EVIDENCE_ADD_USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(EVIDENCE_ADD_USAGE);
	if (e.practice == NULL || e.kind == NULL || e.day == NULL) {
		cli_error("evidence add: --%s is required",
		          e.practice == NULL ? "practice"
		          : e.kind == NULL   ? "kind"
		                             : "date");
		return cli_usage(EVIDENCE_ADD_USAGE);
	}
	if (file != NULL && read_evidence_file(file, &e, &buf) != EXIT_OK)
		return EXIT_FAIL;
	rc = evidence_add(cli_db(ctx), &e, &id, &cause);
	free(buf);
	if (rc == -1)
		return fail(cause);
	if (json && (o = evidence_get_json(cli_db(ctx), id)) != NULL)
		cli_json(o);
	else
		printf("added evidence %lld\n", (long long)id);
	return EXIT_OK;
}

static int
evidence_list_cmd(struct ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"practice", required_argument, NULL, 'p'},
	    {"kind", required_argument, NULL, 'k'},
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},
	    {NULL, 0, NULL, 0}};
	const char *practice = NULL, *kind = NULL, *from = NULL, *to = NULL;
	int ch, json = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			practice = optarg;
			break;
		case 'k':
			kind = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return cli_usage(EVIDENCE_LIST_USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(EVIDENCE_LIST_USAGE);
	if (kind != NULL && !evidence_kind_valid(kind))
		return fail(xasprintf("unknown evidence kind %s (see ppgd "
		                      "evidence kinds)",
		                      kind));
	cli_show(evidence_list_json(cli_db(ctx), practice, kind, from, to),
	         json, list_text);
	return EXIT_OK;
}

static int
evidence_remove_cmd(struct ctx *ctx, int argc, char **argv)
{
	int json = argc == 3 && strcmp(argv[2], "--json") == 0;
	char *cause = NULL;
	int64_t id;

	if ((argc != 2 && !json) || (id = parse_id(argv[1])) == 0)
		return cli_usage(EVIDENCE_REMOVE_USAGE);
	if (evidence_remove(cli_db(ctx), id, &cause) == -1)
		return fail(cause);
	if (json)
		cli_json(
		    json_pack("{sI sb}", "id", (json_int_t)id, "removed", 1));
	else
		printf("removed evidence %lld\n", (long long)id);
	return EXIT_OK;
}

static int
evidence_get_cmd(struct ctx *ctx, int argc, char **argv)
{
	char *cause = NULL, *name = NULL;
	void *data = NULL;
	size_t len;
	int64_t id;
	int fd;

	if (argc != 4 || strcmp(argv[2], "-o") != 0 ||
	    (id = parse_id(argv[1])) == 0)
		return cli_usage(EVIDENCE_GET_USAGE);
	if (evidence_file(cli_db(ctx), id, &data, &len, &name, &cause) == -1)
		return fail(cause);
	free(name);
	if (strcmp(argv[3], "-") == 0)
		fd = STDOUT_FILENO;
	else if ((fd = open(argv[3], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
	                    0600)) == -1) {
		free(data);
		return fail(xasprintf("cannot create %s (it must not exist "
		                      "yet)",
		                      argv[3]));
	}
	if (write(fd, data, len) != (ssize_t)len ||
	    (fd != STDOUT_FILENO && close(fd) == -1)) {
		free(data);
		return fail(xasprintf("cannot write %s", argv[3]));
	}
	free(data);
	return EXIT_OK;
}

static void
kinds_text(const json_t *a)
{
	const json_t *k;
	size_t i;

	json_array_foreach(a, i, k)
	    printf("%-20s %s\n", json_string_value(json_object_get(k, "kind")),
	           json_string_value(json_object_get(k, "label")));
}

static int
evidence_kinds_cmd(struct ctx *ctx, int argc, char **argv)
{
	int json = argc == 2 && strcmp(argv[1], "--json") == 0;

	if (argc != 1 && !json)
		return cli_usage(EVIDENCE_KINDS_USAGE);
	cli_show(evidence_kinds_json(), json, kinds_text);
	return EXIT_OK;
}

int
cmd_evidence(struct ctx *ctx, int argc, char **argv)
{
	static const struct cmd cmds[] = {
	    {"add", evidence_add_cmd, EVIDENCE_ADD_USAGE},
	    {"list", evidence_list_cmd, EVIDENCE_LIST_USAGE},
	    {"remove", evidence_remove_cmd, EVIDENCE_REMOVE_USAGE},
	    {"get", evidence_get_cmd, EVIDENCE_GET_USAGE},
	    {"kinds", evidence_kinds_cmd, EVIDENCE_KINDS_USAGE},
	    {NULL, NULL, NULL}};

	return cli_dispatch(ctx, "evidence", cmds, argc, argv);
}
