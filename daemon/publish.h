/*
 * What a practice may publish: small-number suppression of counts (1 to 4
 * shown as "<5", and the cells that would give them away), human labels for
 * fields and values, and dates as people write them ("3 December 2026").
 * Shared by every report page; the staff view (--internal) skips the
 * suppression but keeps the labels.
 */
#ifndef PPGD_PUBLISH_H
#define PPGD_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

/* Counts from 1 to this minus one are published as "<5". */
#define PUBLISH_SMALL 5

/* A published cell's fate. */
enum publish_cell { PUB_SHOWN, PUB_SMALL, PUB_HIDDEN };

/*
 * Suppress counts v[0..n): 1 to 4 become PUB_SMALL; then, if a total of the
 * line is published and exactly one cell is suppressed, the smallest shown
 * cell above 0 (else a 0) becomes PUB_HIDDEN so the small one cannot be
 * worked out by subtraction. flags has n entries.
 */
void publish_suppress(const long *v, size_t n, int total_shown,
                      unsigned char *flags);
/* 1 if a count is small enough to be suppressed (1 to 4). */
int publish_small(long n);
/* A count as published: "<5" for 1-4 unless internal, else the number.
 * Caller frees. */
char *publish_count(long n, int internal);
/* A cell as published by its flag: the number, "<5" or "*". Caller frees. */
char *publish_cell(long n, unsigned char flag);
/* "3 December 2026" (UTC day of t); buf of 32. */
const char *publish_date(int64_t t, char buf[32]);
/* "3 December 2026" from "2026-12-03"; the input if it is no date.
 * Caller frees. */
char *publish_iso_date(const char *iso);
/* A field's name for people: "age_band" -> "Age band". */
const char *publish_field(const char *field);
/* A value's name for people: ("age_band", "16-24") -> "16 to 24". Caller
 * frees. */
char *publish_value(const char *field, const char *value);
/* The line every published page carries under its title. */
#define PUBLISH_NOTE                                                           \
	"Counts from 1 to 4 are shown as <5, and figures that would let a "    \
	"reader work them out as *, so no one can be identified."
/* The mark on every page of the staff view. */
#define PUBLISH_INTERNAL                                                       \
	"Internal staff view: not for publication. It holds unsuppressed "     \
	"small numbers and may hold personal details."

#endif
