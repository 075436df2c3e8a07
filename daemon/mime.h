/* Internet messages: headers, RFC 2047 words, multipart/alternative. */
#ifndef PPGD_MIME_H
#define PPGD_MIME_H

#include "transport.h"

/*
 * The complete message (CRLF line ends, dot-unstuffed) for m. -1 with *cause
 * if a header value holds CR or LF or an address is unusable. Caller frees.
 */
int mime_build(const struct outmsg *m, char **out, char **cause);
/* Encode a header value as RFC 2047 UTF-8 B words if it is not plain ASCII.
 * Caller frees. */
char *mime_encode_header(const char *value);
/* Quoted-printable (RFC 2045) with CRLF line ends. Caller frees. */
char *mime_qp(const char *text);
/* The address part of "Name <addr>" or addr. Caller frees. */
char *mime_addr(const char *from);

#endif
