/* What the web admin's page files share: the request, the layout, forms,
 * CSRF and audit (admin.c), and each page file's routes. Internal to the
 * admin. */
#ifndef PPGD_ADMIN_PAGE_H
#define PPGD_ADMIN_PAGE_H

#include <stdint.h>
#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "scope.h"
#include "user.h"

struct evhttp_request;
struct form;
struct multipart_file;
struct multipart_upload;
struct server;

/* One request to the admin. */
struct areq {
	struct evhttp_request *req;
	struct server *srv;
	struct db *db;
	const struct config *cfg;
	const char *path;   /* without the leading '/', no query */
	struct form *query; /* the query string */
	struct form *post;  /* a POST body, parsed */
	char token[23];     /* the session cookie, "" if none */
	struct session s;
	int signed_in;  /* a session (s) was found */
	struct user *u; /* its user */
	char pre[23];   /* the pre-session CSRF cookie's token, "" if none */
	/* The files of a multipart POST (admin_upload.c), or NULL. */
	struct multipart_upload *up;
};

/* Reply with the admin layout around body (HTML). */
void admin_page(struct areq *, int status, const char *title, const char *body);
/* A page of a heading and one paragraph. */
void admin_message(struct areq *, int status, const char *heading,
                   const char *text);
/* 403: the role or the practice is not the user's. */
void admin_forbidden(struct areq *);
/* 303 to a path of ours. */
void admin_redirect(struct areq *, const char *to);
/* A query-string or POST value, or NULL. */
const char *admin_qget(struct areq *, const char *k);
const char *admin_pget(struct areq *, const char *k);
/* Append s escaped for HTML. */
void admin_esc(struct buf *, const char *s);
/* Append fmt with each %s argument HTML-escaped (%s and %lld only). */
void admin_escf(struct buf *, const char *fmt, ...);
/* The hidden CSRF field of a form. */
void admin_csrf_field(struct areq *, struct buf *);
/* 1 if a POST came from a page of ours (Origin, and the CSRF token when
 * need_csrf). */
int admin_post_ok(struct areq *, int need_csrf);
/* An audit row with actor "web:EMAIL". */
void admin_audit(struct areq *, const char *action, const char *object);
/* The id of the practice of code if the user may do perm there; else 0. */
int64_t admin_practice_scoped(struct areq *, const char *code, enum perm);
/* <option>s of the practices where the user may do perm (an admin: all). */
void admin_practice_options(struct areq *, struct buf *, enum perm perm,
                            const char *selected);
/* The code of the first of those practices, or NULL. Caller frees. */
char *admin_first_practice(struct areq *, enum perm perm);
/* The error summary box at the top of a form (nothing if error is NULL). */
void admin_error_summary(struct buf *, const char *error);
/* The audit actor for the user ("web:EMAIL"). Caller frees. */
char *admin_actor(struct areq *);

/* Uploads (admin_upload.c). Parse a POST's body into ar->post and, for
 * multipart/form-data, ar->up; -1 after replying 400, or 413 for a file
 * over [admin] max_upload. */
int admin_body_read(struct areq *, size_t max_fields);
void admin_body_free(struct areq *);
/* The file posted in field, or NULL (none, or an empty file input). */
const struct multipart_file *admin_file(struct areq *, const char *field);
/*
 * The content of an upload form: the file of file_field if one was
 * chosen, else the pasted text_field (NULL: none). 1 with *data (*len
 * bytes as sent, then a NUL) and *name (the file's, checked with
 * multipart_filename_ok, or NULL for pasted text), 0 if neither was
 * given, -1 with *cause for a file whose name cannot be used or that is
 * empty. The bytes
 * are the reader's to check (the CSV reader says which line is bad).
 * Caller frees.
 */
int admin_upload_text(struct areq *, const char *file_field,
                      const char *text_field, char **data, size_t *len,
                      char **name, char **cause);
/* "12.5 MB" for n bytes. Caller frees. */
char *admin_bytes(size_t n);

/* GET /admin.js (admin_script.c). */
void admin_script(struct areq *);
/* The status line a data-live form's check is written into. */
void admin_live_output(struct buf *, const char *id);
/* Reply 200 with o as JSON (decref'd): a data-live form's check. */
void admin_reply_json(struct areq *, json_t *o);

/* Page files: 1 if the request was theirs (answered), else 0. */
int admin_members_route(struct areq *, int post);
int admin_campaigns_route(struct areq *, int post);
int admin_reports_route(struct areq *, int post);
int admin_cycle_route(struct areq *, int post);
int admin_settings_route(struct areq *, int post);
int admin_inbox_route(struct areq *, int post);
int admin_surveys_route(struct areq *, int post);
int admin_join_route(struct areq *, int post);
int admin_users_route(struct areq *, int post);

#endif
