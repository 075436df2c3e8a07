/* ppgd serve: run the daemon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fire.h"
#include "log.h"
#include "server.h"

int
cmd_serve(struct ctx *ctx, int argc, char **argv)
{
	int rc;

	if (argc == 2 && strcmp(argv[1], "--log-time") == 0)
		log_set_time(1);
	else if (argc != 1)
		return cli_usage("serve [--log-time]");
	/* The daemon logs a locked database (rate-limited); nobody else
	 * would say it. */
	db_set_busy_quiet(cli_db(ctx), 0);
	fire_set_cli(0); /* never a sleep on the loop */
	rc = server_run(ctx->config_file, &ctx->cfg, ctx->db);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}
