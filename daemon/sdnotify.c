/*
 * The sd_notify(3) protocol, which is one datagram on an AF_UNIX socket
 * named by $NOTIFY_SOCKET: a path, or "@name" in the abstract namespace.
 * systemd reads the sender's credentials from the socket itself.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdnotify.h"

/* Fill sun from $NOTIFY_SOCKET; returns the address length or -1. */
static socklen_t
sdnotify_address(const char *path, struct sockaddr_un *sun)
{
	size_t len = strlen(path);

	if ((path[0] != '/' && path[0] != '@') || len < 2) {
		errno = EAFNOSUPPORT;
		return (socklen_t)-1;
	}
	if (len > sizeof sun->sun_path - (path[0] == '/')) {
		errno = ENAMETOOLONG;
		return (socklen_t)-1;
	}
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len);
	if (path[0] == '@')
		sun->sun_path[0] = '\0';
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	                   (path[0] == '/'));
}

int
sdnotify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t sunlen;
	size_t len;
	ssize_t n;
	int fd, saved;

	if (path == NULL)
		return 0;
	if (state == NULL || (len = strlen(state)) == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((sunlen = sdnotify_address(path, &sun)) == (socklen_t)-1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	n = sendto(fd, state, len, MSG_NOSIGNAL, (struct sockaddr *)&sun,
	           sunlen);
	saved = errno;
	close(fd);
	if (n == -1 || (size_t)n != len) {
		errno = n == -1 ? saved : EMSGSIZE;
		return -1;
	}
	return 0;
}

/* Parse a whole unsigned decimal string; -1 if it is not one. */
static int
sdnotify_parse(const char *s, unsigned long long *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

long
sdnotify_watchdog_usec(void)
{
	const char *pid = getenv("WATCHDOG_PID");
	unsigned long long usec, p;

	if (sdnotify_parse(getenv("WATCHDOG_USEC"), &usec) == -1 || usec == 0)
		return 0;
	if (pid != NULL && (sdnotify_parse(pid, &p) == -1 ||
	                    p != (unsigned long long)getpid()))
		return 0;
	if (usec / 2 > LONG_MAX)
		return LONG_MAX;
	return usec > 1 ? (long)(usec / 2) : 1;
}
