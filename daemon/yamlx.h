/* libfyaml parsers that collect their errors instead of printing them. */
#ifndef PPGD_YAMLX_H
#define PPGD_YAMLX_H

#include <stddef.h>
#include <libfyaml.h>

/*
 * A quiet parser over yaml[len]. Its errors, with their lines, collect in
 * *diag (fy_diag_errors_iterate). Fatal if libfyaml cannot start. Caller
 * frees both with yamlx_parser_free.
 */
struct fy_parser *yamlx_parser_new(const char *yaml, size_t len,
                                   struct fy_diag **diag);
void yamlx_parser_free(struct fy_parser *, struct fy_diag *);

#endif
