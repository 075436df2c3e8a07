/* A run's messages: the snapshot it fired with, rendered per member. */
#ifndef PPGD_RUNMSG_H
#define PPGD_RUNMSG_H

#include <stdint.h>

#include "config.h"
#include "db.h"
#include "template.h"

/*
 * A fire stores, per member, only the outbox row; the run keeps a snapshot
 * (runs.snapshot: the templates' texts and the campaign's values as they
 * were when it fired), so what was previewed is what is sent. The message
 * is rendered when it is sent (or shown), with the member's name and custom
 * fields then and links derived for (run, member) (linktoken.h).
 */
struct runmsg;

/* The snapshot of templates tmpl[0] (email) and tmpl[1] (SMS), either
 * NULL, and values. Caller frees. */
char *runmsg_snapshot(struct template *const tmpl[2], const struct tvars *,
                      int64_t survey_id, int64_t meeting_id);
/* A runmsg for a snapshot's text (run_id 0: a preview, sample links). */
struct runmsg *runmsg_parse(const char *snapshot, int64_t run_id,
                            int64_t campaign_id, char **cause);
/* The runmsg of a stored run; NULL with *cause if it has no snapshot. */
struct runmsg *runmsg_load(struct db *, int64_t run_id, char **cause);
void runmsg_free(struct runmsg *);
int64_t runmsg_run(const struct runmsg *);
/*
 * Render the message of member_id (0: sample names) on channel ("email",
 * "sms"); an SMS survey gets the question the member's conversation is at
 * (a preview: the first).
 * Caller frees with rendered_clear. 0, or -1 with *cause.
 */
int runmsg_render(struct runmsg *, struct db *, const struct config *,
                  int64_t member_id, const char *channel, struct rendered *out,
                  char **cause);

#endif
