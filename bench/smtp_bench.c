/*
 * The baseline for the smtp transport: bare libESMTP sending N identical
 * messages over ONE session to host:port, with no threads, queue or
 * database. Prints one line: messages, accepted, seconds, messages/s.
 *
 *   cc -O2 -o smtp_bench smtp_bench.c $(pkg-config --cflags --libs
 *     libesmtp-1.0)
 *   ./smtp_bench 127.0.0.1:2525 20000
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libesmtp.h>

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

int
main(int argc, char **argv)
{
	smtp_session_t ss;
	smtp_message_t *msgs;
	smtp_recipient_t *rcpts;
	const smtp_status_t *st;
	char buf[128];
	long n, i, ok = 0;
	double t0, t1;

	if (argc < 3 || (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: smtp_bench HOST:PORT N\n");
		return 2;
	}
	msgs = calloc((size_t)n, sizeof *msgs);
	rcpts = calloc((size_t)n, sizeof *rcpts);
	ss = smtp_create_session();
	if (ss == NULL || msgs == NULL || rcpts == NULL)
		return 1;
	smtp_set_server(ss, argv[1]);
	smtp_starttls_enable(ss, Starttls_DISABLED);
	for (i = 0; i < n; i++) {
		msgs[i] = smtp_add_message(ss);
		smtp_set_reverse_path(msgs[i], "bounces@test.example");
		smtp_set_message_str(msgs[i], (void *)message);
		rcpts[i] = smtp_add_recipient(msgs[i], "member@example.org");
	}
	t0 = now();
	if (!smtp_start_session(ss))
		fprintf(stderr, "smtp_bench: session: %s\n",
		        smtp_strerror(smtp_errno(), buf, sizeof buf));
	t1 = now();
	for (i = 0; i < n; i++) {
		st = smtp_message_transfer_status(msgs[i]);
		if (smtp_recipient_status(rcpts[i])->code / 100 == 2 &&
		    st->code / 100 == 2)
			ok++;
	}
	printf("messages=%ld accepted=%ld seconds=%.3f rate=%.1f\n", n, ok,
	       t1 - t0, (double)ok / (t1 - t0));
	smtp_destroy_session(ss);
	free(msgs);
	free(rcpts);
	return ok == n ? 0 : 1;
}
