/*
 * Recruitment in the representation report: for each under-represented
 * group, how many new members joined from each source (poster, leaflet,
 * SMS...) in the last year, and the recruitment action that reaches new
 * people (a poster whose link carries the group as its source).
 */
#ifndef PPGD_RECRUIT_H
#define PPGD_RECRUIT_H

#include <stdint.h>
#include <jansson.h>

#include "db.h"

struct html;

/* The period the report counts joins over, ending at the report's time. */
#define RECRUIT_PERIOD (365 * 86400)

/*
 * Add to every under-represented group of a representation report
 * "joined_by_source" ({"waiting-room": 2}) and "recruit" (the command that
 * writes a poster for it), and the period to the report.
 */
void recruit_annotate(struct db *, int64_t practice_id, int64_t at,
                      json_t *report);
/* The recruitment section of the HTML report. */
void recruit_html(struct html *, const json_t *report);
/* The recruitment lines of the text report. */
void recruit_text(const json_t *report);

#endif
