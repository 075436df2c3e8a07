/* ppgd: the daemon and its admin CLI. */
#include <stdio.h>

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	puts("ppgd " PPGD_VERSION);
	return 0;
}
