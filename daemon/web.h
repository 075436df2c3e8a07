/* Web pages from templates/web/: a layout around escaped content. */
#ifndef PPGD_WEB_H
#define PPGD_WEB_H

#include <stdio.h>
#include <event2/http.h>

#include "config.h"
#include "db.h"

/*
 * Render templates/web/NAME.html, replacing each {{key}} with its value from
 * vars ("key", "value", ..., NULL); values are HTML, already escaped by the
 * caller; an unknown key becomes "". NULL if the file cannot be read.
 * Caller frees.
 */
char *web_render(const struct config *, const char *name,
                 const char *const *vars);
/* Reply with the layout around main (HTML); title is text. */
void web_reply(struct evhttp_request *, const struct config *, int status,
               const char *title, const char *main);
/* Reply with a short page: a heading and a paragraph, both text. */
void web_message(struct evhttp_request *, const struct config *, int status,
                 const char *heading, const char *text);
/* Write s HTML-escaped to fp. */
void web_esc(FILE *fp, const char *s);
/*
 * 0 if a form POST may come from this origin: an Origin header other than
 * "null", else a Referer, when present, must be public_url's origin. -1 if
 * not (a cross-site post).
 */
int web_same_origin(struct evhttp_request *, const struct config *);
/* The token in a path rest ("TOKEN"): base64url, 8..64 chars; else NULL. */
const char *web_token(const char *rest);
/*
 * Run sql, a db_stmt whose ?1 is a token's hash, for token: the statement on
 * its first row, or NULL if none. The caller reads the row, then resets it.
 */
sqlite3_stmt *web_token_row(struct db *, const char *token, const char *sql);

#endif
