/*
 * The file transport, the embedded default: each email a complete .eml in
 * SPOOL/email/, each SMS one JSON line in SPOOL/sms/, named by outbox id and
 * written atomically, so a repeat after a crash replaces rather than doubles.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "mime.h"
#include "transport.h"
#include "util.h"
#include "xmalloc.h"

struct file_state {
	struct event_base *base;
	char *email_dir;
	char *sms_dir;
};

struct file_done {
	transport_done_fn done;
	void *arg;
	struct send_outcome out;
};

static int
make_dir(const char *path, char **cause)
{
	char *p = xstrdup(path), *s;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0750);
			*s = '/';
		}
	}
	free(p);
	if (mkdir(path, 0750) == -1 && errno != EEXIST) {
		*cause = xasprintf("cannot create spool %s: %s", path,
		                   strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * A process killed inside util_write_atomic leaves NAME.tmp.PID behind, never
 * a partial NAME. Remove those of processes that are gone, so the spool holds
 * only whole messages.
 */
static void
file_sweep(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	const char *p;
	char *path;
	long pid;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if ((p = strstr(de->d_name, ".tmp.")) == NULL ||
		    (pid = strtol(p + 5, NULL, 10)) <= 0 ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (unlink(path) == 0)
			log_info("event=spool_sweep file=%s", de->d_name);
		free(path);
	}
	closedir(d);
}

static void
file_paths(struct file_state *fs, const struct config *cfg)
{
	free(fs->email_dir);
	free(fs->sms_dir);
	fs->email_dir = xasprintf("%s/email", config_str(cfg, CFG_EMAIL_SPOOL));
	fs->sms_dir = xasprintf("%s/sms", config_str(cfg, CFG_SMS_SPOOL));
}

static int
file_init(struct event_base *base, const struct config *cfg, void **state,
          char **cause)
{
	struct file_state *fs = xcalloc(1, sizeof *fs);

	fs->base = base;
	file_paths(fs, cfg);
	if (make_dir(fs->email_dir, cause) == -1 ||
	    make_dir(fs->sms_dir, cause) == -1) {
		free(fs->email_dir);
		free(fs->sms_dir);
		free(fs);
		return -1;
	}
	file_sweep(fs->email_dir);
	file_sweep(fs->sms_dir);
	*state = fs;
	return 0;
}

static void
file_report(evutil_socket_t fd, short what, void *arg)
{
	struct file_done *fd_ = arg;

	fd_->done(&fd_->out, fd_->arg);
	free(fd_);
}

static int
file_write_sms(struct file_state *fs, const struct outmsg *m, char **cause)
{
	json_t *j =
	    json_pack("{s:I, s:s, s:s?, s:s, s:s?}", "id", (json_int_t)m->id,
	              "to", m->to, "from", m->from, "body",
	              m->text ? m->text : "", "practice", m->practice);
	char *line = json_dumps(j, JSON_COMPACT), *data, *path;
	int rc;

	json_decref(j);
	data = xasprintf("%s\n", line);
	path = xasprintf("%s/%lld.json", fs->sms_dir, (long long)m->id);
	rc = util_write_atomic(path, data, strlen(data), cause);
	free(line);
	free(data);
	free(path);
	return rc;
}

static int
file_write_email(struct file_state *fs, const struct outmsg *m, char **cause)
{
	char *eml, *path;
	int rc;

	if (mime_build(m, &eml, cause) == -1)
		return -2;
	path = xasprintf("%s/%lld.eml", fs->email_dir, (long long)m->id);
	rc = util_write_atomic(path, eml, strlen(eml), cause);
	free(eml);
	free(path);
	return rc;
}

static void
file_send(void *state, const struct outmsg *m, transport_done_fn done,
          void *arg)
{
	struct file_state *fs = state;
	struct file_done *d = xcalloc(1, sizeof *d);
	char *cause = NULL;
	int rc;

	d->done = done;
	d->arg = arg;
	d->out.id = m->id;
	if (strcmp(m->channel, "sms") == 0)
		rc = file_write_sms(fs, m, &cause);
	else
		rc = file_write_email(fs, m, &cause);
	if (rc == 0) {
		d->out.result = SEND_OK;
		snprintf(d->out.provider_id, sizeof d->out.provider_id,
		         "file-%lld", (long long)m->id);
	} else {
		/* A bad message is permanent; a full disk is not. */
		d->out.result = rc == -2 ? SEND_PERMFAIL : SEND_TEMPFAIL;
		snprintf(d->out.code, sizeof d->out.code, "%s",
		         rc == -2 ? "message" : "io");
		snprintf(d->out.text, sizeof d->out.text, "%s", cause);
		free(cause);
	}
	/* Report from the loop, never from inside send. */
	event_base_once(fs->base, -1, EV_TIMEOUT, file_report, d, NULL);
}

static void
file_reload(void *state, const struct config *cfg)
{
	char *cause = NULL;
	struct file_state *fs = state;

	file_paths(fs, cfg);
	if (make_dir(fs->email_dir, &cause) == -1 ||
	    make_dir(fs->sms_dir, &cause) == -1) {
		log_warnx("event=spool error=\"%s\"", cause);
		free(cause);
	}
}

static void
file_free(void *state)
{
	struct file_state *fs = state;

	free(fs->email_dir);
	free(fs->sms_dir);
	free(fs);
}

const struct transport_ops transport_file_ops = {
    .name = "file",
    .init = file_init,
    .send = file_send,
    .reload = file_reload,
    .free = file_free,
};
