/*
 * The baseline for the twilio transport: a bare libcurl multi sender that
 * posts N Twilio-form messages to URL keeping CONC requests in flight over
 * kept-alive connections, with no database, no dispatcher and no event loop
 * of ours. Prints "sent=N failed=F seconds=S rate=R cpu=C" (C: its CPU
 * seconds).
 *
 * usage: sms_bench URL N CONC USER:PASSWORD
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/resource.h>

#include <curl/curl.h>

struct slot {
	CURL *easy;
	char body[512];
};

static size_t
discard(char *data, size_t size, size_t n, void *arg)
{
	return size * n;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Form-encode message i as the twilio transport does. */
static void
slot_body(struct slot *s, long i)
{
	char *body = curl_easy_escape(s->easy, "Hello from the benchmark", 0);
	char *cb = curl_easy_escape(
	    s->easy, "https://ppg.example.org/webhooks/twilio/status", 0);

	snprintf(s->body, sizeof s->body,
	         "To=%%2B4477009%05ld&From=PPGTEST&Body=%s&StatusCallback=%s",
	         i % 100000, body, cb);
	curl_free(body);
	curl_free(cb);
}

static void
slot_start(CURLM *multi, struct slot *s, long i, const char *url,
           const char *userpwd, struct curl_slist *h)
{
	slot_body(s, i);
	curl_easy_setopt(s->easy, CURLOPT_URL, url);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(s->easy, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
	curl_easy_setopt(s->easy, CURLOPT_USERPWD, userpwd);
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
	curl_easy_setopt(s->easy, CURLOPT_TIMEOUT, 30L);
	curl_multi_add_handle(multi, s->easy);
}

int
main(int argc, char **argv)
{
	long n, conc, started = 0, ok = 0, failed = 0, i, status;
	struct curl_slist *h = NULL;
	struct slot *slots, *s;
	CURLMsg *msg;
	CURLM *multi;
	double t0, secs;
	struct rusage ru;
	int running, left;

	if (argc != 5) {
		fprintf(stderr, "usage: sms_bench URL N CONC USER:PASSWORD\n");
		return 2;
	}
	n = atol(argv[2]);
	conc = atol(argv[3]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	multi = curl_multi_init();
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, conc);
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, conc);
	h = curl_slist_append(h, "Accept: application/json");
	h = curl_slist_append(h, "Expect:");
	slots = calloc((size_t)conc, sizeof *slots);
	t0 = now();
	for (i = 0; i < conc && started < n; i++) {
		slots[i].easy = curl_easy_init();
		slot_start(multi, &slots[i], started++, argv[1], argv[4], h);
	}
	do {
		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			                  &s);
			curl_easy_getinfo(msg->easy_handle,
			                  CURLINFO_RESPONSE_CODE, &status);
			if (msg->data.result == CURLE_OK && status / 100 == 2)
				ok++;
			else
				failed++;
			curl_multi_remove_handle(multi, s->easy);
			if (started < n) {
				slot_start(multi, s, started++, argv[1],
				           argv[4], h);
				running++;
			}
		}
		if (running > 0)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	} while (running > 0 || started < n);
	secs = now() - t0;
	getrusage(RUSAGE_SELF, &ru);
	printf("sent=%ld failed=%ld seconds=%.3f rate=%.0f cpu=%.2f\n", ok,
	       failed, secs, (double)ok / secs,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	for (i = 0; i < conc; i++)
		curl_easy_cleanup(slots[i].easy);
	free(slots);
	curl_slist_free_all(h);
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	return failed > 0;
}
