/* Unicode text normalisation for matching what people type: keywords
 * (STOP), care phrases, names. Built on utf8proc. */
#ifndef PPGD_TEXTNORM_H
#define PPGD_TEXTNORM_H

/*
 * NFKC, case-folded, with default-ignorable characters (zero-width spaces
 * and joiners, soft hyphens) removed, control characters dropped and
 * typographic punctuation lumped to ASCII (curly quotes, dashes).
 * Invalid UTF-8 bytes become U+FFFD first. Caller frees.
 */
char *textnorm_fold(const char *s);

/*
 * textnorm_fold, then accents stripped, apostrophes removed inside words
 * ("can't" -> "cant"), every other character that is not a letter or a
 * digit turned into one space, and the result trimmed: a string of words
 * separated by single spaces, for phrase matching. Caller frees.
 */
char *textnorm_words(const char *s);

#endif
