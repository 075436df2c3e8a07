/* Help for the commands: usage, what it does and each option, to stdout. */
#include <string.h>

#include "cli_help.h"

struct help {
	const char *path;
	const char *synopsis;
	const char *what;
	const char *options;
};

static const struct help helps[] = {
#define CLI_HELP(path, synopsis, what, options) {path, synopsis, what, options},
#include "cli_help.def"
#undef CLI_HELP
};
#define NHELPS (sizeof helps / sizeof helps[0])

static const struct help *
help_find(const char *path)
{
	size_t i;

	for (i = 0; i < NHELPS; i++)
		if (strcmp(helps[i].path, path) == 0)
			return &helps[i];
	return NULL;
}

const char *
cli_help_synopsis(const char *path)
{
	const struct help *h = help_find(path);

	return h != NULL ? h->synopsis : NULL;
}

int
cli_help_wanted(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

/* The options, "FLAG\tdescription" lines, as two aligned columns. */
static void
help_options(FILE *fp, const char *opts)
{
	const char *p, *tab, *nl;
	int w = 0, n;

	for (p = opts; (tab = strchr(p, '\t')) != NULL; p = nl + 1) {
		if ((n = (int)(tab - p)) > w)
			w = n;
		if ((nl = strchr(tab, '\n')) == NULL)
			break;
	}
	if (*opts != '\0')
		fputs("\noptions:\n", fp);
	for (p = opts; (tab = strchr(p, '\t')) != NULL; p = nl + 1) {
		if ((nl = strchr(tab, '\n')) == NULL)
			nl = tab + strlen(tab);
		fprintf(fp, "  %-*.*s  %.*s\n", w, (int)(tab - p), p,
		        (int)(nl - tab - 1), tab + 1);
		if (*nl == '\0')
			break;
	}
}

/* Text wrapped at 76 columns, on word boundaries. */
static void
help_wrap(FILE *fp, const char *text)
{
	const char *p = text, *sp;
	size_t col = 0, n;

	while (*p != '\0') {
		sp = p + strcspn(p, " ");
		n = (size_t)(sp - p);
		if (col > 0 && col + 1 + n > 76) {
			fputc('\n', fp);
			col = 0;
		} else if (col > 0) {
			fputc(' ', fp);
			col++;
		}
		fwrite(p, 1, n, fp);
		col += n;
		p = *sp == ' ' ? sp + 1 : sp;
	}
	fputc('\n', fp);
}

static void
help_one(FILE *fp, const struct help *h)
{
	size_t n = strlen(h->path);
	size_t i;
	int subs = 0;

	fprintf(fp, "usage: ppgd %s\n\n", h->synopsis);
	help_wrap(fp, h->what);
	help_options(fp, h->options);
	for (i = 0; i < NHELPS; i++) {
		if (strncmp(helps[i].path, h->path, n) != 0 ||
		    helps[i].path[n] != ' ')
			continue;
		if (subs++ == 0)
			fputs("\ncommands:\n", fp);
		fprintf(fp, "  ppgd %s\n", helps[i].synopsis);
	}
	if (subs > 0)
		fprintf(fp, "\nSee ppgd %s SUBCOMMAND --help.\n", h->path);
}

int
cli_help_print(FILE *fp, int argc, char **argv)
{
	const struct help *h = NULL;
	char path[128];

	if (argc < 1)
		return -1;
	if (argc >= 2 && argv[1][0] != '-') {
		snprintf(path, sizeof path, "%s %s", argv[0], argv[1]);
		h = help_find(path);
	}
	if (h == NULL && (h = help_find(argv[0])) == NULL)
		return -1;
	help_one(fp, h);
	return 0;
}

void
cli_help_list(FILE *fp)
{
	size_t i;

	for (i = 0; i < NHELPS; i++)
		if (strchr(helps[i].path, ' ') == NULL)
			fprintf(fp, "  %s\n", helps[i].synopsis);
}

void
cli_help_all(FILE *fp)
{
	size_t i;

	for (i = 0; i < NHELPS; i++) {
		help_one(fp, &helps[i]);
		fputc('\n', fp);
	}
}
