/* Firing a campaign: one transaction makes the run and its outbox rows. */
#ifndef PPGD_FIRE_H
#define PPGD_FIRE_H

#include <stdint.h>
#include <jansson.h>

#include "audience.h"
#include "campaign.h"
#include "config.h"
#include "db.h"

#define FIRE_SURVEY_TOKEN_DAYS 30

struct fire_result {
	int64_t run_id;
	int64_t scheduled_for;
	int reminder;
	int created;  /* 0: this run had fired before; nothing was made */
	int matched;  /* members the audience matched */
	int messages; /* outbox rows made */
	int email, sms;
	int held; /* SMS held for quiet hours */
	int skipped[AUD_NSKIP];
	int render_failed; /* members whose message could not be rendered */
};

/*
 * Check that c can be sent: its templates load for its channels (unknown
 * placeholders, SMS over [sms] max_segments) and render with the campaign's
 * values (survey, meeting, message, practice details).
 */
int fire_check(struct db *, const struct config *, const struct campaign *,
               char **cause);
/*
 * Fire run (c, scheduled_for, reminder) at now in ONE transaction: the run,
 * an outbox row per member on one channel, tokens, SMS survey sessions.
 * A run that exists already makes nothing (r->created = 0). Reminder runs
 * (1..max) go to members invited by the run of the same scheduled_for who
 * have not completed, with the survey-reminder template.
 */
int fire_run(struct db *, const struct config *, const struct campaign *,
             int64_t scheduled_for, int reminder, int64_t now,
             struct fire_result *r, char **cause);
/*
 * The same fire in steps, for the daemon's loop: fire_job_start makes the
 * run (its first transaction) and *job (NULL if the run had fired before:
 * nothing to do); each fire_job_step is one slice of about 50 ms (or one
 * release of rows): 1 while more remain, 0 when the run is fired and
 * released, -1 on error. *r is the result so far. fire_job_free ends it
 * (a run left firing is finished by fire_resume). c must outlive the job.
 */
struct fire_job;
int fire_job_start(struct db *, const struct config *, const struct campaign *,
                   int64_t scheduled_for, int reminder, int64_t now,
                   struct fire_job **job, struct fire_result *r,
                   char **cause);
int fire_job_step(struct fire_job *, struct fire_result *r, char **cause);
void fire_job_free(struct fire_job *);
/* Less than this after a first run, a manual send asks for --again. */
#define FIRE_AGAIN_WINDOW 86400
/*
 * Finish what a crash interrupted: runs left firing carry on from their last
 * member, fired runs with rows still held are released. *fired counts the
 * runs that made rows sendable. 0, or -1 if one failed (logged).
 */
int fire_resume(struct db *, const struct config *, int64_t now, int *fired);
/*
 * A manual send of c now (`campaign send`). Refused with *cause when a
 * first run of c (manual or scheduled) fired less than FIRE_AGAIN_WINDOW
 * ago, unless again is set: sending twice is never an accident.
 */
int fire_send(struct db *, const struct config *, const struct campaign *,
              int again, int64_t now, struct fire_result *r, char **cause);
/*
 * A pause between a synchronous fire's slices (fire_run), so another
 * process waiting for the write lock (the daemon's webhooks, while the CLI
 * fires) gets it: the CLI sets FIRE_CLI_PAUSE, the daemon 0 (never a sleep
 * on its loop; its scheduled fires step from a timer instead).
 */
#define FIRE_CLI_PAUSE 0.005
void fire_set_pause(double seconds);
/* A slice's length in seconds (tests: 0 makes every member a slice; a
 * negative value restores the default, 50 ms). */
void fire_set_slice(double seconds);
/*
 * For a face that shows progress (the CLI on a terminal): fn is called
 * every few hundred members a fire reads, with the count so far (NULL: no
 * calls). One process sends one fire at a time.
 */
void fire_set_progress(void (*fn)(long long members, void *), void *arg);
json_t *fire_result_json(const struct fire_result *, const struct campaign *);
/*
 * What a fire would send: the message per channel rendered for member_id
 * (0: sample values), SMS encoding and segments, and the audience counts
 * after opt-outs and the frequency cap. Nothing is written.
 */
json_t *fire_preview(struct db *, const struct config *,
                     const struct campaign *, int64_t member_id, int64_t now,
                     char **cause);
/* The actions.list text for the given "3,7" ids (NULL: the practice's
 * agreed, in-progress and done actions). Caller frees; NULL if none. */
char *fire_actions_text(struct db *, int64_t practice_id, const char *ids);

#endif
