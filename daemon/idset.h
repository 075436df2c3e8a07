/* A set of row ids (positive int64): open addressing, linear probing. */
#ifndef PPGD_IDSET_H
#define PPGD_IDSET_H

#include <stddef.h>
#include <stdint.h>

struct idset {
	int64_t *slot; /* 0: empty */
	size_t cap;    /* a power of two, or 0 */
	size_t n;
};

/* 1 if id is in s. */
int idset_has(const struct idset *, int64_t id);
/* Add id (> 0); nothing if it is in already. */
void idset_add(struct idset *, int64_t id);
/* Remove id; nothing if it is not in. */
void idset_del(struct idset *, int64_t id);
/* Empty s and free its memory. */
void idset_clear(struct idset *);

#endif
