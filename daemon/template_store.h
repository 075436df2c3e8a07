/* Message templates edited by staff: versions kept in the database in
 * place of the shipped files, the latest one used at send time. */
#ifndef PPGD_TEMPLATE_STORE_H
#define PPGD_TEMPLATE_STORE_H

#include <stdint.h>
#include <jansson.h>

#include "db.h"
#include "template.h"

/* Make template_load read db's latest versions before the files. */
void template_store_attach(struct db *);
/*
 * Save text (and, for email, html: NULL for none) as the next version of
 * channel/name, by actor; the text must parse as a template of that
 * channel with at most max_segments (> 0) SMS segments. Audited as
 * "template.save". Sets *version. -1 with *cause.
 */
int template_store_save(struct db *, enum tmpl_channel, const char *name,
                        const char *text, const char *html, int max_segments,
                        const char *actor, int64_t now, int *version,
                        char **cause);
/* Go back to the shipped file: a version without text (audited as
 * "template.revert"). -1 with *cause if nothing was edited. */
int template_store_revert(struct db *, enum tmpl_channel, const char *name,
                          const char *actor, int64_t now, int *version,
                          char **cause);
/*
 * The latest version of channel/name: 1 with *text, *html (NULL: none)
 * and *version, 0 when the file is used (none saved, or reverted). Caller
 * frees.
 */
int template_store_latest(struct db *, enum tmpl_channel, const char *name,
                          char **text, char **html, int *version);
/* Every version of channel/name, newest first, as [{version, at, by,
 * edited}]. Caller decrefs. */
json_t *template_store_history(struct db *, enum tmpl_channel,
                               const char *name);
/* 1 if name is a template name (letters, digits, '-', '_'; 1-64). */
int template_store_name_ok(const char *name);

#endif
