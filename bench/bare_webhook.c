/*
 * The baseline for bench/webhook_bench.sh: a bare libevent evhttp server
 * that inserts each request body into SQLite (WAL, one transaction per
 * request) before answering 200 with empty TwiML. SYNC is SQLite's
 * synchronous mode: FULL (the default, as ppgd: the commit is on disk
 * before the answer) or NORMAL.
 * Usage: bare_webhook PORT DBFILE [SYNC]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sqlite3.h>

#define TWIML "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"

static sqlite3 *db;
static sqlite3_stmt *ins;

static void
handle(struct evhttp_request *req, void *arg)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	struct evbuffer *out;
	char *body = malloc(len + 1);

	evbuffer_copyout(in, body, len);
	body[len] = '\0';
	sqlite3_bind_text(ins, 1, body, (int)len, SQLITE_TRANSIENT);
	if (sqlite3_step(ins) != SQLITE_DONE) {
		sqlite3_reset(ins);
		free(body);
		evhttp_send_error(req, 503, NULL);
		return;
	}
	sqlite3_reset(ins);
	free(body);
	out = evbuffer_new();
	evbuffer_add(out, TWIML, strlen(TWIML));
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", "text/xml");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

int
main(int argc, char **argv)
{
	struct event_base *base;
	struct evhttp *http;
	const char *sync;

	if (argc != 3 && argc != 4) {
		fprintf(stderr,
		        "usage: bare_webhook PORT DBFILE [FULL|NORMAL]\n");
		return 2;
	}
	sync = argc == 4 && strcmp(argv[3], "NORMAL") == 0
	           ? "PRAGMA synchronous=NORMAL;"
	           : "PRAGMA synchronous=FULL;";
	if (sqlite3_open(argv[2], &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL;", NULL, NULL, NULL) !=
	        SQLITE_OK ||
	    sqlite3_exec(db, sync, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db,
	                 "CREATE TABLE IF NOT EXISTS inbound (id INTEGER"
	                 " PRIMARY KEY, raw TEXT NOT NULL);",
	                 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO inbound (raw) VALUES (?)", -1,
	                       &ins, NULL) != SQLITE_OK) {
		fprintf(stderr, "bare_webhook: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	base = event_base_new();
	http = evhttp_new(base);
	evhttp_set_gencb(http, handle, NULL);
	if (evhttp_bind_socket(http, "127.0.0.1",
	                       (unsigned short)atoi(argv[1])) != 0) {
		fprintf(stderr, "bare_webhook: cannot listen on %s\n", argv[1]);
		return 1;
	}
	event_base_dispatch(base);
	return 0;
}
