/* ppgd sms-info TEXT: encoding, characters and segments of an SMS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "cli.h"
#include "sms.h"

#define SMS_INFO_USAGE "sms-info TEXT [--json]"
#define MAX_SHOWN      32

/* Whether the character itself may go to the terminal (not a control). */
static int
printable(unsigned long cp)
{
	utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);

	return c != UTF8PROC_CATEGORY_CC && c != UTF8PROC_CATEGORY_CF &&
	       c != UTF8PROC_CATEGORY_ZL && c != UTF8PROC_CATEGORY_ZP &&
	       c != UTF8PROC_CATEGORY_ZS && c != UTF8PROC_CATEGORY_CN;
}

static void
print_info(const char *prefix, const struct sms_info *info)
{
	printf("%s%s, %zu characters, %zu segment%s\n", prefix,
	       sms_encoding_name(info->encoding), info->characters,
	       info->segments, info->segments == 1 ? "" : "s");
}

/* The characters that force UCS-2, and what the text would be without. */
static void
print_ucs2(const char *text)
{
	struct sms_ucs2_char u[MAX_SHOWN];
	struct sms_info info;
	int n, i, all;
	char *g;

	if ((n = sms_ucs2_chars(text, u, MAX_SHOWN, &all)) <= 0)
		return;
	printf("UCS-2 because of:\n");
	for (i = 0; i < n && i < MAX_SHOWN; i++) {
		printf("  %s%sU+%04lX", printable(u[i].cp) ? u[i].utf8 : "",
		       printable(u[i].cp) ? " " : "", u[i].cp);
		if (u[i].replacement == NULL)
			printf("  (no GSM-7 equivalent)\n");
		else if (*u[i].replacement == '\0')
			printf("  invisible: remove it\n");
		else
			printf("  use \"%s\"\n", u[i].replacement);
	}
	if (n > MAX_SHOWN)
		printf("  ... and %d more\n", n - MAX_SHOWN);
	if (all && (g = sms_gsm7_text(text)) != NULL) {
		if (sms_analyse(g, &info) == 0)
			print_info("with the replacements: ", &info);
		free(g);
	}
}

static json_t *
ucs2_json(const char *text)
{
	struct sms_ucs2_char u[MAX_SHOWN];
	json_t *a = json_array();
	char cp[16];
	int n, i;

	n = sms_ucs2_chars(text, u, MAX_SHOWN, NULL);
	for (i = 0; i < n && i < MAX_SHOWN; i++) {
		snprintf(cp, sizeof cp, "U+%04lX", u[i].cp);
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:s?}", "character", u[i].utf8,
		                 "codepoint", cp, "replacement",
		                 u[i].replacement));
	}
	return a;
}

int
cmd_sms_info(struct ctx *ctx, int argc, char **argv)
{
	const char *text = NULL;
	struct sms_info info;
	json_t *o;
	char *s;
	int i, json = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (text != NULL)
			return cli_usage(SMS_INFO_USAGE);
		else
			text = argv[i];
	}
	if (text == NULL)
		return cli_usage(SMS_INFO_USAGE);
	if (sms_analyse(text, &info) == -1) {
		cli_error("the text is not valid UTF-8");
		return EXIT_FAIL;
	}
	if (!json) {
		print_info("", &info);
		print_ucs2(text);
		return EXIT_OK;
	}
	/* One line: {"encoding": ..., "characters": N, "segments": N}, and for
	 * UCS-2 the characters that force it. */
	o = json_pack("{s:s, s:I, s:I}", "encoding",
	              sms_encoding_name(info.encoding), "characters",
	              (json_int_t)info.characters, "segments",
	              (json_int_t)info.segments);
	if (info.encoding == SMS_UCS2)
		json_object_set_new(o, "ucs2_characters", ucs2_json(text));
	s = json_dumps(o, JSON_PRESERVE_ORDER);
	puts(s);
	free(s);
	json_decref(o);
	return EXIT_OK;
}
