/* QR code SVG. */
#include <stdio.h>
#include <stdlib.h>

#include <qrencode.h>

#include "qr.h"
#include "template.h"
#include "xmalloc.h"

#define QUIET 4

/* One path of unit squares, runs of dark modules merged per row. */
static void
modules(FILE *fp, const QRcode *q)
{
	int x, y, run;

	for (y = 0; y < q->width; y++)
		for (x = 0; x<q->width; x += run> 0 ? run : 1) {
			for (run = 0; x + run < q->width &&
			              (q->data[y * q->width + x + run] & 1);
			     run++)
				;
			if (run > 0)
				fprintf(fp, "M%d %dh%dv1h-%dz", x + QUIET,
				        y + QUIET, run, run);
		}
}

char *
qr_svg(const char *text, const char *size, const char *label)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	char *out = NULL, *l;
	size_t len;
	FILE *fp;
	int w;

	if (q == NULL)
		return NULL;
	w = q->width + 2 * QUIET;
	l = html_escape(label);
	fp = open_memstream(&out, &len);
	fprintf(fp,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
	        "viewBox=\"0 0 %d %d\" width=\"%s\" height=\"%s\" "
	        "shape-rendering=\"crispEdges\"><title>%s</title>"
	        "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
	        "<path fill=\"#000\" d=\"",
	        w, w, size, size, l, w, w);
	modules(fp, q);
	fputs("\"/></svg>", fp);
	fclose(fp);
	free(l);
	QRcode_free(q);
	return out;
}
