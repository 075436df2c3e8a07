/* libfyaml parsers that collect their errors instead of printing them. */
#include <stdbool.h>
#include <stddef.h>

#include <libfyaml.h>

#include "log.h"
#include "yamlx.h"

static void
diag_discard(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
}

struct fy_parser *
yamlx_parser_new(const char *yaml, size_t len, struct fy_diag **diag)
{
	struct fy_diag_cfg dcfg;
	struct fy_parse_cfg pcfg = {.flags = FYPCF_QUIET};
	struct fy_parser *fyp;

	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = diag_discard;
	dcfg.colorize = false;
	if ((pcfg.diag = fy_diag_create(&dcfg)) == NULL ||
	    (fyp = fy_parser_create(&pcfg)) == NULL)
		fatalx("libfyaml: cannot create a parser");
	fy_diag_set_collect_errors(pcfg.diag, true);
	if (fy_parser_set_string(fyp, yaml, len) != 0)
		fatalx("libfyaml: cannot set the input");
	*diag = pcfg.diag;
	return fyp;
}

void
yamlx_parser_free(struct fy_parser *fyp, struct fy_diag *diag)
{
	fy_parser_destroy(fyp);
	fy_diag_destroy(diag);
}
