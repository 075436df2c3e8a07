/* Outbox bodies stored deflated against their run's sample message. */
#ifndef PPGD_BODYPACK_H
#define PPGD_BODYPACK_H

#include <stddef.h>

/*
 * Every message of a run is its template rendered with one member's name and
 * tokens, so the run's sample rendering (stored once, in runs.body_dict) is
 * a preset dictionary that shrinks each row's body and HTML from kilobytes
 * to tens of bytes. The text stays rendered at fire time: what was previewed
 * is what is sent.
 */
struct bodypack;

/* A packer for one run's dictionary (copied). bodypack_free frees. */
struct bodypack *bodypack_new(const void *dict, size_t len);
void bodypack_free(struct bodypack *);
/* Pack text and html (NULL: none). *out is borrowed until the next call. */
int bodypack_pack(struct bodypack *, const char *text, const char *html,
                  const unsigned char **out, size_t *outlen);
/* Unpack a blob made with dict; caller frees *text and *html (or NULL). */
int bodypack_unpack(const void *dict, size_t dlen, const void *blob, size_t len,
                    char **text, char **html);

#endif
