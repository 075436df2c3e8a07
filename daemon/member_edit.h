/* Adding and changing one member: the use case the CLI and the API share. */
#ifndef PPGD_MEMBER_EDIT_H
#define PPGD_MEMBER_EDIT_H

#include <stdint.h>

#include "db.h"
#include "member.h"

enum member_edit_status {
	MEMBER_EDIT_OK,
	MEMBER_EDIT_INVALID,  /* the record is incomplete (*cause) */
	MEMBER_EDIT_CONFLICT, /* another member has its ref/email/mobile */
	MEMBER_EDIT_FAILED,   /* the database refused (*cause) */
	MEMBER_EDIT_BUSY,     /* another process holds the write lock */
};

struct member_edit_opts {
	const char *actor;    /* for the audit row; NULL: the db's actor */
	int term_months;      /* term of a new member, 0 none */
	int shared_number;    /* a mobile shared with another member is fine */
	int postcode_outward; /* keep only the outward code of a postcode */
};

/*
 * Save m (a new member if m->id is 0) and audit it as member.add or
 * member.update on "member:ID", in one transaction. Defaults are filled in
 * first; a record that does not validate is MEMBER_EDIT_INVALID; one whose
 * external_ref, email or (unless shared_number) mobile belongs to another
 * live member of the practice is MEMBER_EDIT_CONFLICT with *other set.
 * MEMBER_EDIT_BUSY if the write lock stayed another's (the daemon retries
 * from a timer). *cause is set on anything but MEMBER_EDIT_OK and
 * MEMBER_EDIT_BUSY; caller frees.
 */
enum member_edit_status member_edit_save(struct db *, struct member *,
                                         const struct member_edit_opts *,
                                         int64_t *other, char **cause);

#endif
