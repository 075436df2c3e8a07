/*
 * The confidentiality agreement: its text and version from the practice's
 * file, members' acceptance (with version and time), links to read and
 * accept it, and asking again when the version changes.
 */
#ifndef PPGD_AGREEMENT_H
#define PPGD_AGREEMENT_H

#include <stdint.h>

#include "config.h"
#include "db.h"

struct agreement {
	char *version;
	char *text;
};

/*
 * Read [membership] confidentiality_file: "Version: V", a blank line, the
 * text. 1 loaded, 0 none configured, -1 with *cause. Free with
 * agreement_clear.
 */
int agreement_load(const struct config *, struct agreement *, char **cause);
void agreement_clear(struct agreement *);
/* Record that a member accepted version at now; audited. 0 or -1. */
int agreement_accept(struct db *, int64_t member_id, const char *version,
                     const char *how, int64_t now);
/* A new link token for a member to read and accept version. */
int agreement_link_new(struct db *, int64_t member_id, const char *version,
                       int64_t now, char token[23]);
/* The member and version of a link token; 0 if unknown. */
int64_t agreement_link_find(struct db *, const char *token, char **version);
/*
 * Ask members whose signed version is older than the current one to read
 * and accept it again (once per version), through the outbox. Returns how
 * many were asked, or -1.
 */
int agreement_ask_again(struct db *, const struct config *, int64_t now);
/* 1 if a member has signed the current version (or none is configured). */
int agreement_current(const struct config *, const char *signed_version);

#endif
