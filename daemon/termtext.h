/* Text for a terminal: untrusted text made safe, display widths, columns. */
#ifndef PPGD_TERMTEXT_H
#define PPGD_TERMTEXT_H

#include <stdio.h>

/*
 * s with every control character (C0, DEL, C1), Unicode format character
 * (bidi overrides, zero-width) and invalid UTF-8 byte made visible as \xNN
 * or \u{NNNN}, so that text from outside (a member's name, an inbound
 * message) cannot drive the terminal. With oneline, newlines and tabs
 * become spaces; else they are kept. Caller frees.
 */
char *termtext_safe(const char *s, int oneline);
/* Columns s takes on a terminal (wide characters count 2). */
int termtext_width(const char *s);
/*
 * Print s (made safe, on one line) in a column of width columns: cut to fit
 * on a character boundary, padded with spaces unless last.
 */
void termtext_cell(FILE *, const char *s, int width, int last);

/*
 * A progress line on fp, redrawn in place: "what: done/total (P%)" or, with
 * total 0, "what: done". last ends the line.
 */
void termtext_progress(FILE *, const char *what, long long done,
                       long long total, int last);

#endif
