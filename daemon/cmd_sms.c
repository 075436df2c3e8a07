/* ppgd sms-info TEXT: encoding, characters and segments of an SMS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sms.h"

#define SMS_INFO_USAGE "sms-info TEXT [--json]"

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
		printf("%s, %zu characters, %zu segment%s\n",
		       sms_encoding_name(info.encoding), info.characters,
		       info.segments, info.segments == 1 ? "" : "s");
		return EXIT_OK;
	}
	/* One line, exactly {"encoding": ..., "characters": N, "segments": N}.
	 */
	o = json_pack("{s:s, s:I, s:I}", "encoding",
	              sms_encoding_name(info.encoding), "characters",
	              (json_int_t)info.characters, "segments",
	              (json_int_t)info.segments);
	s = json_dumps(o, JSON_PRESERVE_ORDER);
	puts(s);
	free(s);
	json_decref(o);
	return EXIT_OK;
}
