/*
 * The baseline for the smtp transport: bare libESMTP sending N identical
 * messages to host:port over SESSIONS concurrent sessions (threads), each
 * session carrying at most PER_SESSION messages before the next one opens,
 * as ppgd's [smtp] sessions and per_session do; no queue or database.
 * Prints one line: messages, accepted, seconds, messages/s, CPU seconds.
 *
 *   cc -O2 -pthread -o smtp_bench smtp_bench.c $(pkg-config --cflags
 *     --libs libesmtp-1.0)
 *   ./smtp_bench 127.0.0.1:2525 20000 [SESSIONS [PER_SESSION]]
 *
 * SESSIONS and PER_SESSION default to 1 and N (one session for all).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libesmtp.h>

#include <sys/resource.h>

/* A message like the ones ppgd sends: MIME, quoted-printable, ~1 KB. */
static const char message[] =
    "Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n"
    "From: \"Test Practice\" <ppg@test.example>\r\n"
    "To: member@example.org\r\n"
    "Reply-To: reply+abcdefghijklmnop@reply.test.example\r\n"
    "Subject: Your views on the practice, please\r\n"
    "Message-ID: <bench@test.example>\r\n"
    "List-Unsubscribe: <https://ppg.test.example/u/abcdefghijklmnop>, "
    "<mailto:unsubscribe+abcdefghijklmnop@reply.test.example>\r\n"
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/alternative; boundary=\"=_b\"\r\n"
    "\r\n"
    "--=_b\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Dear member,\r\n"
    "\r\n"
    "Please tell us what you think of the practice: the survey takes five\r\n"
    "minutes and every answer is read by the group.\r\n"
    ".A line that starts with a dot (libESMTP dot-stuffs it).\r\n"
    "\r\n"
    "Thank you.\r\n"
    "--=_b\r\n"
    "Content-Type: text/html; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "<p>Dear member,</p><p>Please tell us what you think of the practice: =\r\n"
    "the survey takes five minutes.</p><p>Thank you.</p>\r\n"
    "--=_b--\r\n";

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *server;
static long total, per_session;
static atomic_long next_msg, accepted;

/* One session of up to k messages; the number accepted. */
static long
one_session(long k)
{
	smtp_session_t ss = smtp_create_session();
	smtp_message_t *msgs = calloc((size_t)k, sizeof *msgs);
	smtp_recipient_t *rcpts = calloc((size_t)k, sizeof *rcpts);
	const smtp_status_t *st;
	char buf[128];
	long i, ok = 0;

	if (ss == NULL || msgs == NULL || rcpts == NULL)
		exit(1);
	smtp_set_server(ss, server);
	smtp_starttls_enable(ss, Starttls_DISABLED);
	for (i = 0; i < k; i++) {
		msgs[i] = smtp_add_message(ss);
		smtp_set_reverse_path(msgs[i], "bounces@test.example");
		smtp_set_message_str(msgs[i], (void *)message);
		rcpts[i] = smtp_add_recipient(msgs[i], "member@example.org");
	}
	if (!smtp_start_session(ss))
		fprintf(stderr, "smtp_bench: session: %s\n",
		        smtp_strerror(smtp_errno(), buf, sizeof buf));
	for (i = 0; i < k; i++) {
		st = smtp_message_transfer_status(msgs[i]);
		if (smtp_recipient_status(rcpts[i])->code / 100 == 2 &&
		    st->code / 100 == 2)
			ok++;
	}
	smtp_destroy_session(ss);
	free(msgs);
	free(rcpts);
	return ok;
}

/* A session slot: sessions one after another until no message is left. */
static void *
worker(void *arg)
{
	long first, k;

	(void)arg;
	while ((first = atomic_fetch_add(&next_msg, per_session)) < total) {
		k = total - first < per_session ? total - first : per_session;
		atomic_fetch_add(&accepted, one_session(k));
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t th[256];
	long sessions, i, ok;
	double t0, t1;
	struct rusage ru;

	if (argc < 3 || (total = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(
		    stderr,
		    "usage: smtp_bench HOST:PORT N [SESSIONS [PER_SESSION]]\n");
		return 2;
	}
	server = argv[1];
	sessions = argc > 3 ? strtol(argv[3], NULL, 10) : 1;
	per_session = argc > 4 ? strtol(argv[4], NULL, 10) : total;
	if (sessions < 1 || sessions > 256 || per_session < 1) {
		fprintf(stderr,
		        "smtp_bench: SESSIONS 1-256, PER_SESSION >= 1\n");
		return 2;
	}
	t0 = now();
	for (i = 0; i < sessions; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0)
			return 1;
	for (i = 0; i < sessions; i++)
		pthread_join(th[i], NULL);
	t1 = now();
	ok = atomic_load(&accepted);
	getrusage(RUSAGE_SELF, &ru);
	printf("messages=%ld accepted=%ld seconds=%.3f rate=%.1f cpu=%.2f\n",
	       total, ok, t1 - t0, (double)ok / (t1 - t0),
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	return ok == total ? 0 : 1;
}
