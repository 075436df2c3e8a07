/*
 * zlib format (its header names the dictionary by checksum, its trailer
 * checks the text: a wrong dictionary or a damaged row is an error, never
 * garbled mail) of "F" text NUL html, where F is 'h' when there is an HTML
 * part and 't' when not. The dictionary is the run's sample text and HTML, the
 * parts most like every member's message placed last, where deflate finds them
 * nearest.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "bodypack.h"
#include "log.h"
#include "xmalloc.h"

/*
 * An 8 KiB window holds a usual sample (text and HTML) and, with a small
 * hash, keeps each message's reset cheap: a 32 KiB window and the default
 * hash made clearing and priming the state most of a fire's packing time.
 * Inflating takes any window up to 32 KiB.
 */
#define PACK_BITS   13
#define PACK_MEM    6
#define UNPACK_BITS 15

struct bodypack {
	z_stream z;
	unsigned char *dict, *in, *out;
	size_t dlen, incap, outcap;
};

struct bodypack *
bodypack_new(const void *dict, size_t len)
{
	struct bodypack *b = xcalloc(1, sizeof *b);

	if (deflateInit2(&b->z, Z_BEST_SPEED, Z_DEFLATED, PACK_BITS, PACK_MEM,
	                 Z_DEFAULT_STRATEGY) != Z_OK)
		fatalx("bodypack: deflateInit2");
	b->dict = xmalloc(len > 0 ? len : 1);
	memcpy(b->dict, dict, len);
	b->dlen = len;
	return b;
}

void
bodypack_free(struct bodypack *b)
{
	if (b == NULL)
		return;
	deflateEnd(&b->z);
	free(b->dict);
	free(b->in);
	free(b->out);
	free(b);
}

/* "F" text NUL html in b->in; its length. */
static size_t
plain_build(struct bodypack *b, const char *text, const char *html)
{
	size_t tl = strlen(text), hl = html != NULL ? strlen(html) : 0;
	size_t n = 1 + tl + 1 + hl;

	if (n > b->incap)
		b->in = xrealloc(b->in, b->incap = n);
	b->in[0] = html != NULL ? 'h' : 't';
	memcpy(b->in + 1, text, tl + 1);
	if (hl > 0)
		memcpy(b->in + 2 + tl, html, hl);
	return n;
}

int
bodypack_pack(struct bodypack *b, const char *text, const char *html,
              const unsigned char **out, size_t *outlen)
{
	size_t n = plain_build(b, text, html), bound;

	if (deflateReset(&b->z) != Z_OK ||
	    (b->dlen > 0 &&
	     deflateSetDictionary(&b->z, b->dict, (uInt)b->dlen) != Z_OK))
		return -1;
	bound = deflateBound(&b->z, n);
	if (bound > b->outcap)
		b->out = xrealloc(b->out, b->outcap = bound);
	b->z.next_in = b->in;
	b->z.avail_in = (uInt)n;
	b->z.next_out = b->out;
	b->z.avail_out = (uInt)bound;
	if (deflate(&b->z, Z_FINISH) != Z_STREAM_END)
		return -1;
	*out = b->out;
	*outlen = bound - b->z.avail_out;
	return 0;
}

/* Inflate blob into a growing buffer; NUL-terminated. Caller frees. */
static unsigned char *
inflate_all(const void *dict, size_t dlen, const void *blob, size_t len,
            size_t *n)
{
	z_stream z;
	size_t cap = len * 8 + 256;
	unsigned char *buf = xmalloc(cap + 1);
	int rc;

	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, UNPACK_BITS) != Z_OK)
		fatalx("bodypack: inflateInit2");
	z.next_in = (unsigned char *)(uintptr_t)blob;
	z.avail_in = (uInt)len;
	for (rc = Z_OK; rc == Z_OK;) {
		if (z.total_out == cap)
			buf = xrealloc(buf, (cap *= 2) + 1);
		z.next_out = buf + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out);
		rc = inflate(&z, Z_NO_FLUSH);
		if (rc == Z_NEED_DICT)
			rc = inflateSetDictionary(&z, dict, (uInt)dlen);
		else if (rc == Z_BUF_ERROR && z.avail_out == 0)
			rc = Z_OK;
	}
	*n = z.total_out;
	inflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(buf);
		return NULL;
	}
	buf[*n] = '\0';
	return buf;
}

int
bodypack_unpack(const void *dict, size_t dlen, const void *blob, size_t len,
                char **text, char **html)
{
	unsigned char *p;
	size_t n, tl;

	*text = *html = NULL;
	if (blob == NULL ||
	    (p = inflate_all(dict, dlen, blob, len, &n)) == NULL)
		return -1;
	tl = n >= 2 ? strnlen((char *)p + 1, n - 1) : n;
	if (n < 2 || (p[0] != 'h' && p[0] != 't') || 1 + tl >= n) {
		free(p);
		return -1;
	}
	*text = xstrdup((char *)p + 1);
	if (p[0] == 'h')
		*html = xstrdup((char *)p + 2 + tl);
	free(p);
	return 0;
}
