/* A set of row ids: open addressing with linear probing, deletion by
 * shifting the rest of the run back (no tombstones), kept at most half
 * full. */
#include <stdlib.h>

#include "idset.h"
#include "log.h"
#include "xmalloc.h"

static size_t
home(const struct idset *s, int64_t id)
{
	return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ULL) >> 32) &
	       (s->cap - 1);
}

int
idset_has(const struct idset *s, int64_t id)
{
	size_t i;

	if (s->n == 0)
		return 0;
	for (i = home(s, id); s->slot[i] != 0; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == id)
			return 1;
	return 0;
}

static void
grow(struct idset *s)
{
	struct idset t;
	size_t i;

	t.cap = s->cap != 0 ? s->cap * 2 : 64;
	t.slot = xcalloc(t.cap, sizeof t.slot[0]);
	t.n = 0;
	for (i = 0; i < s->cap; i++)
		if (s->slot[i] != 0)
			idset_add(&t, s->slot[i]);
	free(s->slot);
	*s = t;
}

void
idset_add(struct idset *s, int64_t id)
{
	size_t i;

	if (id <= 0)
		fatalx("idset: id %lld", (long long)id);
	if ((s->n + 1) * 2 > s->cap)
		grow(s);
	for (i = home(s, id); s->slot[i] != 0; i = (i + 1) & (s->cap - 1))
		if (s->slot[i] == id)
			return;
	s->slot[i] = id;
	s->n++;
}

void
idset_del(struct idset *s, int64_t id)
{
	size_t mask = s->cap - 1, i, j, k;

	if (s->n == 0)
		return;
	for (i = home(s, id); s->slot[i] != id; i = (i + 1) & mask)
		if (s->slot[i] == 0)
			return;
	/*
	 * Close the gap at i: a later entry of the run moves into it unless
	 * its home lies cyclically in (i, j], where it would not be found.
	 */
	for (j = (i + 1) & mask; s->slot[j] != 0; j = (j + 1) & mask) {
		k = home(s, s->slot[j]);
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		s->slot[i] = s->slot[j];
		i = j;
	}
	s->slot[i] = 0;
	s->n--;
}

void
idset_clear(struct idset *s)
{
	free(s->slot);
	s->slot = NULL;
	s->cap = s->n = 0;
}
