/* The evidence log: what a practice did for its patient group that ppgd
 * cannot see in its own data (terms of reference, newsletters, events),
 * each dated, with a stored file or a link. The framework reads it. */
#ifndef PPGD_EVIDENCE_H
#define PPGD_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "db.h"

/* Largest file stored in the database. */
#define EVIDENCE_MAX_FILE (10 * 1024 * 1024)

struct evidence_new {
	const char *practice; /* code */
	const char *kind;     /* evidence_kind_valid() */
	const char *day;      /* YYYY-MM-DD */
	const char *title;    /* NULL: the kind's label */
	const char *link;     /* http(s) URL or NULL */
	const char *note;
	int64_t meeting_id;    /* 0: none */
	const char *file_name; /* with data: a file to store */
	const void *data;
	size_t len;
};

/* 1 if kind is one of the evidence kinds. */
int evidence_kind_valid(const char *kind);
/* The kinds, as a JSON array of {kind, label}. Caller decrefs. */
json_t *evidence_kinds_json(void);
/* The human label of a kind ("Newsletter issued"), or kind itself. */
const char *evidence_kind_label(const char *kind);
/* The content type of a file we accept (PDF, images, office documents,
 * plain text), or NULL with *cause set. */
const char *evidence_sniff(const char *name, const void *data, size_t len,
                           char **cause);
/* Record evidence (checks every field); sets *id. */
int evidence_add(struct db *, const struct evidence_new *, int64_t *id,
                 char **cause);
/* Remove evidence (kept in the database as removed, its file dropped). */
int evidence_remove(struct db *, int64_t id, char **cause);
/*
 * Evidence as a JSON array, newest day first: practice NULL for all, kind
 * NULL for every kind, from/to (YYYY-MM-DD, inclusive) NULL for no bound.
 * Files are described (name, type, bytes), not included. Caller decrefs.
 */
json_t *evidence_list_json(struct db *, const char *practice, const char *kind,
                           const char *from, const char *to);
/* One item as evidence_list_json shows it (any practice), or NULL. */
json_t *evidence_get_json(struct db *, int64_t id);
/* The stored file of evidence id. Caller frees *data and *name. */
int evidence_file(struct db *, int64_t id, void **data, size_t *len,
                  char **name, char **cause);

#endif
