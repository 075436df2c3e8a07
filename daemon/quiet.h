/* Quiet hours: when SMS are held. */
#ifndef PPGD_QUIET_H
#define PPGD_QUIET_H

#include <stdint.h>

#include "config.h"

/* 0 if an SMS may go at now in zone tz; else when quiet hours end. */
int64_t quiet_until(const struct config *, const char *tz, int64_t now);

#endif
