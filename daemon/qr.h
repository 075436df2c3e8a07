/* QR codes as SVG (libqrencode draws the modules, we write the paths). */
#ifndef PPGD_QR_H
#define PPGD_QR_H

/*
 * An <svg> of text as a QR code (error correction M, a 4-module quiet
 * zone), size CSS units wide, with a <title> of label for screen readers.
 * NULL if the text cannot be encoded. Caller frees.
 */
char *qr_svg(const char *text, const char *size, const char *label);

#endif
