/* Text for a terminal: untrusted text made safe, display widths, columns. */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "termtext.h"
#include "xmalloc.h"

static int
needs_escape(utf8proc_int32_t cp)
{
	utf8proc_category_t c = utf8proc_category(cp);

	return c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF ||
	       c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

char *
termtext_safe(const char *s, int oneline)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	size_t cap = strlen(s) * 4 + 1, o = 0;
	char *out = xmalloc(cap + 16);

	while (*p != '\0') {
		n = utf8proc_iterate(p, -1, &cp);
		if (n < 1) {
			o += (size_t)snprintf(out + o, cap + 16 - o, "\\x%02x",
			                      *p);
			p++;
			continue;
		}
		if ((cp == '\n' || cp == '\t') && !oneline)
			out[o++] = (char)cp;
		else if (cp == '\n' || cp == '\t' || cp == '\r')
			out[o++] = oneline ? ' ' : (char)cp;
		else if (cp < 0x100 && needs_escape(cp))
			o += (size_t)snprintf(out + o, cap + 16 - o, "\\x%02x",
			                      (unsigned)cp);
		else if (needs_escape(cp))
			o += (size_t)snprintf(out + o, cap + 16 - o,
			                      "\\u{%04X}", (unsigned)cp);
		else {
			memcpy(out + o, p, (size_t)n);
			o += (size_t)n;
		}
		p += n;
		if (o + 16 > cap) {
			cap = cap * 2 + 16;
			out = xrealloc(out, cap + 16);
		}
	}
	out[o] = '\0';
	return out;
}

/* Columns of one character: 0 for combining marks, 2 for wide ones. */
static int
char_width(utf8proc_int32_t cp)
{
	int w = utf8proc_charwidth(cp);

	return w < 0 ? 1 : w;
}

int
termtext_width(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	int w = 0;

	while (*p != '\0') {
		if ((n = utf8proc_iterate(p, -1, &cp)) < 1) {
			w++;
			p++;
			continue;
		}
		w += char_width(cp);
		p += n;
	}
	return w;
}

void
termtext_progress(FILE *fp, const char *what, long long done, long long total,
                  int last)
{
	if (total > 0)
		fprintf(fp, "\r%s: %lld/%lld (%lld%%)\033[K", what, done, total,
		        done * 100 / total);
	else
		fprintf(fp, "\r%s: %lld\033[K", what, done);
	fputs(last ? "\n" : "", fp);
	fflush(fp);
}

void
termtext_cell(FILE *fp, const char *s, int width, int last)
{
	char *safe = termtext_safe(s != NULL ? s : "", 1);
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)safe;
	utf8proc_int32_t cp;
	utf8proc_ssize_t n;
	int w = 0, cw;

	while (*p != '\0' && (n = utf8proc_iterate(p, -1, &cp)) >= 1) {
		if (w + (cw = char_width(cp)) > width)
			break;
		fwrite(p, 1, (size_t)n, fp);
		w += cw;
		p += n;
	}
	for (; !last && w < width; w++)
		fputc(' ', fp);
	free(safe);
}
