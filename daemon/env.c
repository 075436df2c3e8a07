/* The services' context. */
#include <stddef.h>

#include "env.h"

void
env_kick(const struct env *env)
{
	if (env != NULL && env->kick != NULL)
		env->kick(env->kick_arg);
}
