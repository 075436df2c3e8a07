/* The dispatcher's set of held row ids, against a plain bitmap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "idset.h"

#define UNIVERSE 5000

/* Random adds and deletes, checked against a bitmap after each: the
 * deletions shift runs back, so a wrong shift loses or strands ids. */
static void
test_against_bitmap(void **state)
{
	static unsigned char in[UNIVERSE + 1];
	struct idset s = {0};
	size_t n = 0;
	int64_t id;
	int i, k;

	srandom(7);
	for (i = 0; i < 200000; i++) {
		/* Clustered ids (as claims are) and scattered ones. */
		id = i % 3 ? 1 + random() % 300 : 1 + random() % UNIVERSE;
		if (random() % 2) {
			idset_add(&s, id);
			n += !in[id];
			in[id] = 1;
		} else {
			idset_del(&s, id);
			n -= in[id];
			in[id] = 0;
		}
		assert_int_equal(s.n, n);
		if (i % 1000 == 0)
			for (k = 1; k <= UNIVERSE; k++)
				assert_int_equal(idset_has(&s, k), in[k]);
		assert_int_equal(idset_has(&s, id), in[id]);
	}
	for (k = 1; k <= UNIVERSE; k++)
		assert_int_equal(idset_has(&s, k), in[k]);
	idset_clear(&s);
	assert_int_equal(s.n, 0);
	assert_false(idset_has(&s, 1));
}

/* Ids that share a home slot wrap around the end of the table; deleting
 * the first of the run keeps the others reachable. */
static void
test_wraparound(void **state)
{
	struct idset s = {0};
	int64_t ids[40];
	int i, n = 0;

	idset_add(&s, 1); /* a table of 64 slots */
	idset_del(&s, 1);
	for (i = 1; n < 20 && i < 100000; i++) {
		idset_add(&s, i);
		if (s.slot[s.cap - 1] == i)
			ids[n++] = i;
		else
			idset_del(&s, i);
	}
	/* Whatever else lands at the last slot's home now wraps. */
	for (i = 100000; n < 30 && i < 1000000; i++) {
		idset_add(&s, i);
		if (s.slot[0] == i || s.slot[1] == i)
			ids[n++] = i;
		else
			idset_del(&s, i);
	}
	assert_true(n >= 2);
	idset_del(&s, ids[0]);
	for (i = 1; i < n; i++)
		assert_true(idset_has(&s, ids[i]));
	assert_false(idset_has(&s, ids[0]));
	idset_clear(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_against_bitmap),
	    cmocka_unit_test(test_wraparound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
