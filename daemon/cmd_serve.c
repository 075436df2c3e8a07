/* ppgd serve: run the daemon. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "log.h"
#include "server.h"

int
cmd_serve(struct ctx *ctx, int argc, char **argv)
{
	int rc;

	if (argc != 1)
		return cli_usage("serve");
	rc = server_run(ctx->config_file, &ctx->cfg, cli_db(ctx));
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}
