/* The sd_notify(3) protocol without libsystemd: readiness and watchdog. */
#ifndef PPGD_SDNOTIFY_H
#define PPGD_SDNOTIFY_H

/*
 * Send state ("READY=1", "RELOADING=1", "STOPPING=1", "WATCHDOG=1",
 * "STATUS=...", several joined by newlines) to $NOTIFY_SOCKET. Returns 0, and
 * does nothing, when NOTIFY_SOCKET is unset; -1 with errno set on error.
 */
int sdnotify_send(const char *state);
/* Microseconds between WATCHDOG=1 pings (half $WATCHDOG_USEC); 0 if none. */
long sdnotify_watchdog_usec(void);

#endif
