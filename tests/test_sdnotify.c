/* Tests for sdnotify: real AF_UNIX datagram sockets, and the environment. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sdnotify.h"

struct listener {
	char dir[64];
	char name[128]; /* the value of NOTIFY_SOCKET */
	int fd;
};

/* Bind a datagram socket at name ("/path" or "@abstract"). */
static int
listener_bind(struct listener *l)
{
	struct sockaddr_un sun;
	socklen_t len = offsetof(struct sockaddr_un, sun_path);

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, l->name, strlen(l->name));
	if (l->name[0] == '@') {
		sun.sun_path[0] = '\0';
		len += strlen(l->name);
	} else
		len += strlen(l->name) + 1;
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(l->fd >= 0);
	return bind(l->fd, (struct sockaddr *)&sun, len);
}

static int
setup_path(void **state)
{
	struct listener *l = calloc(1, sizeof *l);

	strcpy(l->dir, "/tmp/test_sdnotify.XXXXXX");
	assert_non_null(mkdtemp(l->dir));
	snprintf(l->name, sizeof l->name, "%s/notify", l->dir);
	assert_int_equal(listener_bind(l), 0);
	setenv("NOTIFY_SOCKET", l->name, 1);
	*state = l;
	return 0;
}

static int
setup_abstract(void **state)
{
	struct listener *l = calloc(1, sizeof *l);

	snprintf(l->name, sizeof l->name, "@ppgd/test_sdnotify/%ld/%d",
	         (long)getpid(), rand());
	assert_int_equal(listener_bind(l), 0);
	setenv("NOTIFY_SOCKET", l->name, 1);
	*state = l;
	return 0;
}

static int
teardown(void **state)
{
	struct listener *l = *state;

	close(l->fd);
	if (l->dir[0] != '\0') {
		unlink(l->name);
		rmdir(l->dir);
	}
	free(l);
	unsetenv("NOTIFY_SOCKET");
	return 0;
}

/* Send state and check the listener receives exactly it, as one datagram. */
static void
send_and_receive(struct listener *l, const char *state)
{
	char buf[512];
	ssize_t n;

	assert_int_equal(sdnotify_send(state), 0);
	n = recv(l->fd, buf, sizeof buf - 1, MSG_DONTWAIT);
	assert_int_equal(n, (ssize_t)strlen(state));
	buf[n] = '\0';
	assert_string_equal(buf, state);
	assert_int_equal(recv(l->fd, buf, sizeof buf, MSG_DONTWAIT), -1);
}

static void
test_states(void **state)
{
	struct listener *l = *state;

	send_and_receive(l, "READY=1");
	send_and_receive(l, "RELOADING=1");
	send_and_receive(l, "WATCHDOG=1");
	send_and_receive(l, "STOPPING=1");
	send_and_receive(l, "READY=1\nSTATUS=serving on 127.0.0.1:8080");
}

static void
test_states_path(void **state)
{
	test_states(state);
}

static void
test_states_abstract(void **state)
{
	test_states(state);
}

static void
test_unset_is_noop(void **state)
{
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sdnotify_send("READY=1"), 0);
}

static void
test_bad_socket(void **state)
{
	char longpath[200];

	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sdnotify_send(NULL), 0); /* unset wins */
	setenv("NOTIFY_SOCKET", "/nonexistent/ppgd/notify", 1);
	assert_int_equal(sdnotify_send("READY=1"), -1);
	assert_int_equal(errno, ENOENT);
	setenv("NOTIFY_SOCKET", "relative/notify", 1);
	assert_int_equal(sdnotify_send("READY=1"), -1);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_int_equal(sdnotify_send("READY=1"), -1);
	setenv("NOTIFY_SOCKET", "@", 1);
	assert_int_equal(sdnotify_send("READY=1"), -1);
	memset(longpath, 'x', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = '\0';
	setenv("NOTIFY_SOCKET", longpath, 1);
	assert_int_equal(sdnotify_send("READY=1"), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	unsetenv("NOTIFY_SOCKET");
}

static void
test_empty_state(void **state)
{
	struct listener *l = *state;
	char buf[16];

	assert_int_equal(sdnotify_send(NULL), -1);
	assert_int_equal(sdnotify_send(""), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(recv(l->fd, buf, sizeof buf, MSG_DONTWAIT), -1);
}

/* The longest path sun_path holds (107 bytes and the NUL) still works. */
static void
test_longest_path(void **state)
{
	struct listener l = {.dir = "/tmp/test_sdnotify.XXXXXX"};
	size_t n;

	assert_non_null(mkdtemp(l.dir));
	n = (size_t)snprintf(l.name, sizeof l.name, "%s/", l.dir);
	memset(l.name + n, 'n',
	       sizeof((struct sockaddr_un *)0)->sun_path - 1 - n);
	assert_int_equal(strlen(l.name), 107);
	assert_int_equal(listener_bind(&l), 0);
	setenv("NOTIFY_SOCKET", l.name, 1);
	send_and_receive(&l, "READY=1");
	close(l.fd);
	unlink(l.name);
	rmdir(l.dir);
	unsetenv("NOTIFY_SOCKET");
}

static void
watchdog_env(const char *usec, const char *pid)
{
	if (usec != NULL)
		setenv("WATCHDOG_USEC", usec, 1);
	else
		unsetenv("WATCHDOG_USEC");
	if (pid != NULL)
		setenv("WATCHDOG_PID", pid, 1);
	else
		unsetenv("WATCHDOG_PID");
}

static void
test_watchdog(void **state)
{
	char me[32], other[32];

	snprintf(me, sizeof me, "%ld", (long)getpid());
	snprintf(other, sizeof other, "%ld", (long)getpid() + 1);

	watchdog_env(NULL, NULL);
	assert_int_equal(sdnotify_watchdog_usec(), 0);
	watchdog_env("30000000", NULL);
	assert_int_equal(sdnotify_watchdog_usec(), 15000000);
	watchdog_env("30000000", me);
	assert_int_equal(sdnotify_watchdog_usec(), 15000000);
	watchdog_env("30000000", other);
	assert_int_equal(sdnotify_watchdog_usec(), 0);
	watchdog_env("30000000", "nope");
	assert_int_equal(sdnotify_watchdog_usec(), 0);
	watchdog_env(NULL, me);
	assert_int_equal(sdnotify_watchdog_usec(), 0);
	watchdog_env("3", NULL);
	assert_int_equal(sdnotify_watchdog_usec(), 1);
	watchdog_env("1", NULL);
	assert_int_equal(sdnotify_watchdog_usec(), 1);
	watchdog_env(NULL, NULL);
}

static void
test_watchdog_invalid(void **state)
{
	const char *bad[] = {
	    "0",   "",    "-30000000", "+30",
	    " 30", "30s", "0x10",      "99999999999999999999999"};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		watchdog_env(bad[i], NULL);
		if (sdnotify_watchdog_usec() != 0)
			fail_msg("WATCHDOG_USEC=\"%s\" accepted", bad[i]);
	}
	watchdog_env(NULL, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_states_path, setup_path,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_states_abstract,
	                                    setup_abstract, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_state, setup_path,
	                                    teardown),
	    cmocka_unit_test(test_unset_is_noop),
	    cmocka_unit_test(test_bad_socket),
	    cmocka_unit_test(test_longest_path),
	    cmocka_unit_test(test_watchdog),
	    cmocka_unit_test(test_watchdog_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
