/*
 * The context the daemon's services run in: the database, the loop, the
 * configuration and the dispatcher's wake-up. server.c owns it and passes it
 * down, so no service reaches back into the server (a test builds its own).
 */
#ifndef PPGD_ENV_H
#define PPGD_ENV_H

#include <event2/event.h>

#include "config.h"
#include "db.h"

struct firequeue;
struct noticejobs;

struct env {
	struct db *db;
	struct event_base *base;
	const struct config *cfg; /* replaced by a reload */
	int stopping;             /* 1 while the daemon stops: no new work */
	/* The daemon's fires, one at a time (firequeue.h), or NULL. */
	struct firequeue *fires;
	/* The messages of meetings moved or cancelled (noticejobs.h), or
	 * NULL. */
	struct noticejobs *notices;
	/* Wake whoever sends due outbox rows (the dispatcher), or NULL. */
	void (*kick)(void *arg);
	void *kick_arg;
};

/* New outbox rows may be due: wake the dispatcher, if there is one. */
void env_kick(const struct env *);

#endif
