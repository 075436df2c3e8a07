/* Firing a campaign: the run, with its snapshot, and its outbox rows. */
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
	int render_failed; /* always 0: messages are rendered when sent (a
	                      failure holds the row, "render failed") */
	int busy; /* after -1 from fire_job_start or fire_job_step in the
	             daemon: only the write lock was taken by another
	             connection; nothing changed, try again later */
};

/*
 * Check that c can be sent: its templates load for its channels (unknown
 * placeholders, SMS over [sms] max_segments) and render with the campaign's
 * values (survey, meeting, message, practice details).
 */
int fire_check(struct db *, const struct config *, const struct campaign *,
               char **cause);
/*
 * Fire run (c, scheduled_for, reminder) at now, in slices (see fire.c): the
 * run with the snapshot its messages are rendered from when sent, an outbox
 * row per member on one channel (no text, no token: links are derived),
 * SMS survey sessions. Nothing is sendable before the last slice commits.
 * A run that exists already makes nothing (r->created = 0); one left
 * firing is carried on. Reminder runs (1..max) go to members invited by
 * the run of the same scheduled_for who have not completed, with the
 * survey-reminder template.
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
 * Several jobs may be started on one connection, but only one stepped
 * until it ends (the daemon's firequeue.h).
 */
struct fire_job;
int fire_job_start(struct db *, const struct config *, const struct campaign *,
                   int64_t scheduled_for, int reminder, int64_t now,
                   struct fire_job **job, struct fire_result *r, char **cause);
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
/* The oldest run left firing (its id, campaign, scheduled_for, reminder),
 * for the daemon to finish as a job; 0 if none. */
int64_t fire_firing_run(struct db *, int64_t *campaign_id,
                        int64_t *scheduled_for, int *reminder);
/*
 * A manual send of c now (`campaign send`). Refused with *cause when a
 * first run of c (manual or scheduled) fired less than FIRE_AGAIN_WINDOW
 * ago, unless again is set: sending twice is never an accident.
 */
int fire_send(struct db *, const struct config *, const struct campaign *,
              int again, int64_t now, struct fire_result *r, char **cause);
/* fire_send's refusal alone, for a face that fires c as a job (the
 * daemon's): 0 if c may be sent now, else -1 and *cause. */
int fire_send_check(struct db *, const struct campaign *c, int again,
                    int64_t now, char **cause);
/*
 * The process fires from: the CLI (cli 1) pauses FIRE_CLI_PAUSE between a
 * fire's steps (longer than the 2 ms in which a waiting webhook retries),
 * so the daemon's webhooks waiting for the write lock get it, and
 * checkpoints the WAL less often (fewer, larger checkpoints). The daemon
 * (cli 0, the default) never sleeps on its loop and keeps its checkpoints
 * small (each runs on the loop when a commit passes the WAL limit).
 */
#define FIRE_CLI_PAUSE 0.003
void fire_set_cli(int cli);
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
