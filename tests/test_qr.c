/* The QR code SVG draws exactly libqrencode's dark modules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <qrencode.h>

#include "qr.h"

#define QUIET 4

/* Paint the path's "Mx yhNv1h-Nz" runs into grid (w x w). */
static void
paint(const char *svg, unsigned char *grid, int w)
{
	const char *p = strstr(svg, " d=\"");
	int x, y, n, used, i;

	assert_non_null(p);
	for (p += 4; sscanf(p, "M%d %dh%dv1h-%*dz%n", &x, &y, &n, &used) == 3;
	     p += used) {
		assert_true(y >= 0 && y < w && x >= 0 && x + n <= w && n > 0);
		for (i = 0; i < n; i++) {
			assert_int_equal(grid[y * w + x + i],
			                 0); /* no overlap */
			grid[y * w + x + i] = 1;
		}
	}
	assert_int_equal(*p, '"'); /* the whole path was read */
}

static void
test_modules_match(void **state)
{
	const char *link =
	    "https://ppg.example.org/join/A81001?source=waiting-room";
	QRcode *q = QRcode_encodeString(link, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	char *svg = qr_svg(link, "70mm", "QR code <of> the link");
	int w = q->width + 2 * QUIET, x, y;
	unsigned char *grid = calloc((size_t)(w * w), 1);
	char view[64];

	assert_non_null(svg);
	snprintf(view, sizeof view, "viewBox=\"0 0 %d %d\"", w, w);
	assert_non_null(strstr(svg, view));
	assert_non_null(
	    strstr(svg, "<title>QR code &lt;of&gt; the link</title>"));
	paint(svg, grid, w);
	for (y = 0; y < w; y++)
		for (x = 0; x < w; x++) {
			int in = x >= QUIET && y >= QUIET && x < w - QUIET &&
			         y < w - QUIET;
			int dark =
			    in &&
			    (q->data[(y - QUIET) * q->width + (x - QUIET)] & 1);

			assert_int_equal(grid[y * w + x], dark);
		}
	free(grid);
	free(svg);
	QRcode_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_modules_match),
	};
	return cmocka_run_group_tests_name("qr", tests, NULL, NULL);
}
