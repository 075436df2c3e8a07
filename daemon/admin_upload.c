/*
 * The web admin's request bodies: an urlencoded form, or multipart/form-
 * data with files (a member CSV, an evidence file, a survey, a population
 * profile). A file may be as large as [admin] max_upload, and so may all
 * the files of one request together; the listener itself takes bodies of
 * up to that plus [http] max_body (http_allow_uploads), so a larger file
 * is answered here with a page that says what the limit is. Nothing a
 * client says about a file is trusted: its name is used only once
 * multipart_filename_ok passed it, and its claimed type never (the
 * readers look at the bytes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "admin_page.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "multipart.h"
#include "xmalloc.h"

#define MAX_FILES 4

char *
admin_bytes(size_t n)
{
	if (n >= 1024 * 1024)
		return xasprintf("%.1f MB", (double)n / (1024.0 * 1024.0));
	if (n >= 1024)
		return xasprintf("%.0f KB", (double)n / 1024.0);
	return xasprintf("%zu bytes", n);
}

static void
too_large(struct areq *ar, size_t max)
{
	char *limit = admin_bytes(max), *text;

	text = xasprintf("The file is too large. The admin takes files of up "
	                 "to %s (all the files of one form together, too); "
	                 "your ppgd administrator can change that with "
	                 "[admin] max_upload.",
	                 limit);
	admin_message(ar, 413, "File too large", text);
	free(text);
	free(limit);
}

static void
unreadable(struct areq *ar)
{
	admin_message(ar, 400, "Bad request", "The request could not be read.");
}

int
admin_body_read(struct areq *ar, size_t max_fields)
{
	const char *ct = evhttp_find_header(
	    evhttp_request_get_input_headers(ar->req), "Content-Type");
	size_t len, max = (size_t)config_int(ar->cfg, CFG_ADMIN_MAX_UPLOAD);
	struct multipart_limits lim = {max_fields, max, MAX_FILES, max, max};
	char *body = http_body(ar->req, &len), *cause = NULL;
	int rv = 0;

	if (ct == NULL || !multipart_is_form_data(ct)) {
		/* A pasted text may be as large as a file. */
		if (len > max + (size_t)config_int(ar->cfg, CFG_HTTP_MAX_BODY))
			rv = -1, too_large(ar, max);
		else if (form_parse(body, len, max_fields, &ar->post, &cause) ==
		         -1)
			rv = -1, unreadable(ar);
		free(cause);
		free(body);
		return rv;
	}
	ar->up = xcalloc(1, sizeof *ar->up);
	if (multipart_read(ct, body, len, &lim, ar->up, &cause) == -1) {
		log_debug("event=admin_upload_refused cause=\"%s\"", cause);
		ar->up->too_large ? too_large(ar, max) : unreadable(ar);
		rv = -1;
	} else {
		ar->post = ar->up->form;
		ar->up->form = NULL;
	}
	free(cause);
	free(body);
	return rv;
}

void
admin_body_free(struct areq *ar)
{
	if (ar->up != NULL) {
		multipart_upload_clear(ar->up);
		free(ar->up);
		ar->up = NULL;
	}
}

const struct multipart_file *
admin_file(struct areq *ar, const char *field)
{
	return ar->up != NULL ? multipart_file(ar->up, field) : NULL;
}

int
admin_upload_text(struct areq *ar, const char *file_field,
                  const char *text_field, char **data, size_t *len, char **name,
                  char **cause)
{
	const struct multipart_file *f = admin_file(ar, file_field);
	const char *t = text_field != NULL ? admin_pget(ar, text_field) : NULL;

	*data = *name = NULL;
	*len = 0;
	if (f != NULL) {
		if (!multipart_filename_ok(f->filename)) {
			*cause = xstrdup(
			    "The file's name cannot be used: it must be one "
			    "line, without / or \\. Rename the file and "
			    "choose it again.");
			return -1;
		}
		if (f->len == 0) {
			*cause = xstrdup("The file is empty: choose the file "
			                 "again, or another one.");
			return -1;
		}
		*data = xmalloc(f->len + 1);
		memcpy(*data, f->data, f->len + 1);
		*len = f->len;
		*name = xstrdup(f->filename);
		return 1;
	}
	if (t == NULL || *t == '\0')
		return 0;
	*data = xstrdup(t);
	*len = strlen(t);
	return 1;
}
