/* Broadcast: add a broadcast campaign and fire it now. */
#include <stdlib.h>

#include "broadcast.h"
#include "practice.h"
#include "xmalloc.h"

/* c's practice, kind and name; BROADCAST_OK or why not. */
static enum broadcast_err
broadcast_prepare(struct db *db, struct campaign *c, const char *practice,
                  char **cause)
{
	struct practice *p;
	struct campaign *old;

	if ((p = practice_find(db, practice)) == NULL) {
		*cause = xasprintf("no practice %s", practice);
		return BROADCAST_NO_PRACTICE;
	}
	if (c->name != NULL && (old = campaign_find(db, c->name)) != NULL) {
		campaign_free(old);
		practice_free(p);
		*cause = xasprintf("a campaign is named %s already", c->name);
		return BROADCAST_NAME_TAKEN;
	}
	c->practice_id = p->id;
	free(c->kind);
	c->kind = xstrdup("broadcast");
	if (c->name == NULL)
		c->name = campaign_broadcast_name(db, p->timezone);
	practice_free(p);
	return BROADCAST_OK;
}

enum broadcast_err
broadcast_add(struct db *db, const struct config *cfg, struct campaign *c,
              const char *practice, int64_t now, char **cause)
{
	enum broadcast_err e;

	if ((e = broadcast_prepare(db, c, practice, cause)) != BROADCAST_OK)
		return e;
	if (campaign_add(db, cfg, c, now, cause) == -1)
		return BROADCAST_INVALID;
	return BROADCAST_OK;
}

void
broadcast_fired(struct db *db, struct campaign *c, const char *actor,
                int64_t now)
{
	campaign_advance(db, c, now, now);
	db_audit(db, actor, "broadcast.send", c->name, NULL);
}

enum broadcast_err
broadcast_send(struct db *db, const struct config *cfg, struct campaign *c,
               const char *practice, const char *actor, int64_t now,
               struct fire_result *r, char **cause)
{
	enum broadcast_err e;

	if ((e = broadcast_add(db, cfg, c, practice, now, cause)) !=
	    BROADCAST_OK)
		return e;
	if (fire_run(db, cfg, c, now, 0, now, r, cause) == -1)
		return BROADCAST_FAILED;
	broadcast_fired(db, c, actor, now);
	return BROADCAST_OK;
}
