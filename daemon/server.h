/* The daemon: one libevent loop, signals, sd_notify, the HTTP listener. */
#ifndef PPGD_SERVER_H
#define PPGD_SERVER_H

#include <event2/event.h>

#include "config.h"
#include "db.h"
#include "env.h"

struct server;

/* Run until SIGTERM/SIGINT; returns the exit status. *cfg may be replaced by a
 * reload. */
int server_run(const char *config_file, struct config **cfg, struct db *db);
/* The services' context (database, loop, configuration, kick). */
struct env *server_env(struct server *);
struct event_base *server_base(struct server *);
struct db *server_db(struct server *);
const struct config *server_config(struct server *);
/* Seconds since the daemon started. */
double server_uptime(struct server *);
/* 1 while the daemon is stopping: refuse new work. */
int server_stopping(struct server *);

#endif
