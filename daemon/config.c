/* The configuration: an INI file (inih) checked against config_keys.def. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "care.h"
#include "config.h"
#include "cron.h"
#include "log.h"
#include "phone.h"
#include "util.h"
#include "xmalloc.h"

static const struct cfg_info cfg_table[CFG__COUNT] = {
#define K(id, sec, key, type, def, min, max, choices, help)                    \
	[CFG_##id] = {sec, key, type, def, min, max, choices, help},
#include "config_keys.def"
#undef K
};

struct config {
	char *path;
	char *dir;
	char *str[CFG__COUNT];
	long long num[CFG__COUNT];
	int line[CFG__COUNT];
	struct cfg_practice *practices;
	size_t npractices;
	struct care_list *care;
};

struct parse_state {
	struct config *cfg;
	const char *file; /* the file being read: the main one or a drop-in */
	FILE *fp;
	int lineno;
	int seen[CFG__COUNT]; /* line of each key in this file */
	char *errors;
	size_t nerrors;
};

static void add_error(struct parse_state *ps, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add_error(struct parse_state *ps, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg, *prev = ps->errors;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	if (line > 0)
		ps->errors = xasprintf("%s%s:%d: %s\n", prev ? prev : "",
		                       ps->file, line, msg);
	else
		ps->errors = xasprintf("%s%s: %s\n", prev ? prev : "",
		                       ps->file ? ps->file : "config", msg);
	free(prev);
	free(msg);
	ps->nerrors++;
}

const struct cfg_info *
config_info(enum cfg_key k)
{
	return &cfg_table[k];
}

int
config_parse_duration(const char *s, long long *out)
{
	char *end;
	long long v, mult = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno != 0 || v < 0)
		return -1;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > LLONG_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static int
parse_bool(const char *s, long long *out)
{
	static const char *yes[] = {"yes", "true", "on", "1"};
	static const char *no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return (*out = 1, 0);
		if (strcasecmp(s, no[i]) == 0)
			return (*out = 0, 0);
	}
	return -1;
}

static int
enum_allows(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;

	while (*p != '\0') {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncmp(p, v, n) == 0)
			return 1;
		p += len + (bar ? 1 : 0);
	}
	return 0;
}

int
config_read_secret(const char *path, char **out, char **cause)
{
	struct stat st;
	FILE *fp;
	char buf[4096];
	size_t n;

	if ((fp = fopen(path, "r")) == NULL) {
		*cause = xasprintf("cannot read secret file %s: %s", path,
		                   strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &st) == -1 || (st.st_mode & 077) != 0) {
		*cause = xasprintf("secret file %s is readable by group or "
		                   "others; run: chmod 600 %s",
		                   path, path);
		fclose(fp);
		return -1;
	}
	n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	if (n == 0) {
		*cause = xasprintf("secret file %s is empty", path);
		return -1;
	}
	*out = xstrdup(buf);
	explicit_bzero(buf, sizeof buf);
	return 0;
}

static char *
resolve_path(const struct config *cfg, const char *v)
{
	if (v[0] == '/' || v[0] == '\0' || cfg->dir == NULL)
		return xstrdup(v);
	return xasprintf("%s/%s", cfg->dir, v);
}

/*
 * A relative *_file names a systemd credential when $CREDENTIALS_DIRECTORY
 * holds it (LoadCredential=), else a file beside the configuration.
 */
static char *
secret_path(const struct config *cfg, const char *v)
{
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	char *p;

	if (v[0] != '/' && creds != NULL && *creds != '\0') {
		p = xasprintf("%s/%s", creds, v);
		if (access(p, F_OK) == 0)
			return p;
		free(p);
	}
	return resolve_path(cfg, v);
}

static int
parse_hhmm(const char *s, long long *out)
{
	int h, m;
	char extra;

	if (sscanf(s, "%d:%d%c", &h, &m, &extra) != 2 || h < 0 || h > 23 ||
	    m < 0 || m > 59 || strlen(s) != 5)
		return -1;
	*out = h * 60 + m;
	return 0;
}

static int
parse_addr(const char *s)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (*s == '\0')
		return 0;
	if (colon == NULL || colon == s)
		return -1;
	port = strtol(colon + 1, &end, 10);
	return (*end != '\0' || port < 1 || port > 65535) ? -1 : 0;
}

/* Check and store one value; the message says what is wrong. */
static int
set_value(struct config *cfg, enum cfg_key k, const char *v, char **cause)
{
	const struct cfg_info *ci = &cfg_table[k];
	long long n = 0;
	char *end;

	switch (ci->type) {
	case CT_INT:
		errno = 0;
		n = strtoll(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0)
			return (*cause = xasprintf("%s: not a number: %s",
			                           ci->key, v),
			        -1);
		if (n < ci->min || n > ci->max)
			return (*cause =
			            xasprintf("%s: %lld is out of range "
			                      "%lld-%lld",
			                      ci->key, n, ci->min, ci->max),
			        -1);
		break;
	case CT_DURATION:
		if (config_parse_duration(v, &n) == -1)
			return (*cause = xasprintf("%s: not a duration (like "
			                           "30s, 5m, 12h, 3d): %s",
			                           ci->key, v),
			        -1);
		if (n < ci->min || n > ci->max)
			return (*cause =
			            xasprintf("%s: %s is out of range "
			                      "%llds-%llds",
			                      ci->key, v, ci->min, ci->max),
			        -1);
		break;
	case CT_BOOL:
		if (parse_bool(v, &n) == -1)
			return (*cause = xasprintf("%s: expected yes or no, "
			                           "not %s",
			                           ci->key, v),
			        -1);
		break;
	case CT_ENUM:
		if (!enum_allows(ci->choices, v))
			return (*cause = xasprintf("%s: %s is not one of %s",
			                           ci->key, v, ci->choices),
			        -1);
		break;
	case CT_HHMM:
		if (parse_hhmm(v, &n) == -1)
			return (*cause = xasprintf("%s: expected HH:MM, not %s",
			                           ci->key, v),
			        -1);
		break;
	case CT_ADDR:
		if (*v == '\0' && k == CFG_LISTEN)
			return (*cause = xasprintf("%s: the daemon needs an "
			                           "address:port",
			                           ci->key),
			        -1);
		if (parse_addr(v) == -1)
			return (*cause = xasprintf("%s: expected address:port, "
			                           "not %s",
			                           ci->key, v),
			        -1);
		break;
	case CT_URL:
		if (strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "https://", 8) != 0)
			return (*cause = xasprintf("%s: expected an http:// or "
			                           "https:// URL, not %s",
			                           ci->key, v),
			        -1);
		break;
	case CT_SECRET:
		if (*v != '\0') {
			char *path = secret_path(cfg, v), *secret;
			int rc = config_read_secret(path, &secret, cause);
			free(path);
			if (rc == -1)
				return -1;
			free(cfg->str[k]);
			cfg->str[k] = secret;
			return 0;
		}
		break;
	case CT_PATH:
		free(cfg->str[k]);
		cfg->str[k] = resolve_path(cfg, v);
		return 0;
	case CT_STR:
		if (k == CFG_TIMEZONE && cron_check_tz(v, cause) == -1) {
			char *c = *cause;
			*cause = xasprintf("%s: %s", ci->key, c);
			free(c);
			return -1;
		}
		break;
	}
	free(cfg->str[k]);
	cfg->str[k] = xstrdup(v);
	/* A URL is used as a prefix: keep it without its trailing slash. */
	if (ci->type == CT_URL) {
		size_t len = strlen(cfg->str[k]);
		while (len > 8 && cfg->str[k][len - 1] == '/')
			cfg->str[k][--len] = '\0';
	}
	cfg->num[k] = n;
	return 0;
}

static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, tmp;
	size_t *row;

	row = xcalloc(lb + 1, sizeof *row);
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			cur = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < cur)
				cur = row[j] + 1;
			if (row[j - 1] + 1 < cur)
				cur = row[j - 1] + 1;
			row[j] = cur;
			prev = tmp;
		}
	}
	cur = row[lb];
	free(row);
	return cur;
}

/* The known key nearest to section.key, as "section.key", or NULL. */
static char *
nearest_key(const char *section, const char *key)
{
	char *want = xasprintf("%s.%s", section, key), *best = NULL;
	size_t i, d, bestd = (size_t)-1;

	for (i = 0; i < CFG__COUNT; i++) {
		char *cand =
		    xasprintf("%s.%s", cfg_table[i].section, cfg_table[i].key);
		d = edit_distance(want, cand);
		if (d < bestd) {
			bestd = d;
			free(best);
			best = cand;
		} else
			free(cand);
	}
	if (bestd > strlen(want) / 2) {
		free(best);
		best = NULL;
	}
	free(want);
	return best;
}

static struct cfg_practice *
practice_section(struct config *cfg, const char *code)
{
	size_t i;

	for (i = 0; i < cfg->npractices; i++)
		if (strcmp(cfg->practices[i].code, code) == 0)
			return &cfg->practices[i];
	cfg->practices = xreallocarray(cfg->practices, cfg->npractices + 1,
	                               sizeof *cfg->practices);
	memset(&cfg->practices[cfg->npractices], 0, sizeof *cfg->practices);
	cfg->practices[cfg->npractices].code = xstrdup(code);
	return &cfg->practices[cfg->npractices++];
}

/* Each comma-separated item of list is an address: a@b, no spaces. */
static void
check_emails(struct parse_state *ps, int line, const char *key,
             const char *list)
{
	char *copy = xstrdup(list), *save = NULL, *a;

	for (a = strtok_r(copy, ",", &save); a != NULL;
	     a = strtok_r(NULL, ",", &save)) {
		a = util_trim(a);
		if (*a == '\0' || strchr(a, '@') == NULL || a[0] == '@' ||
		    a[strcspn(a, " \t\r\n<>\"")] != '\0')
			add_error(ps, line, "%s: not an email address: %s", key,
			          a);
	}
	free(copy);
}

/* Each comma-separated item of list is a phone number. */
static void
check_mobiles(struct parse_state *ps, int line, const char *key,
              const char *list)
{
	char *copy = xstrdup(list), *save = NULL, *a, e164[17];

	for (a = strtok_r(copy, ",", &save); a != NULL;
	     a = strtok_r(NULL, ",", &save))
		if (phone_normalise(util_trim(a), e164, NULL) == -1)
			add_error(ps, line, "%s: not a phone number: %s", key,
			          a);
	free(copy);
}

static void
practice_value(struct parse_state *ps, const char *code, const char *name,
               const char *value)
{
	struct cfg_practice *p = practice_section(ps->cfg, code);

	if (strcmp(name, "email_transport") == 0) {
		if (!enum_allows(cfg_table[CFG_EMAIL_TRANSPORT].choices, value))
			add_error(ps, ps->lineno,
			          "email_transport: %s is not one of %s", value,
			          cfg_table[CFG_EMAIL_TRANSPORT].choices);
		free(p->email_transport);
		p->email_transport = xstrdup(value);
	} else if (strcmp(name, "sms_transport") == 0) {
		if (!enum_allows(cfg_table[CFG_SMS_TRANSPORT].choices, value))
			add_error(ps, ps->lineno,
			          "sms_transport: %s is not one of %s", value,
			          cfg_table[CFG_SMS_TRANSPORT].choices);
		free(p->sms_transport);
		p->sms_transport = xstrdup(value);
	} else if (strcmp(name, "twilio_from") == 0) {
		free(p->twilio_from);
		p->twilio_from = xstrdup(value);
	} else if (strcmp(name, "care_alert_email") == 0) {
		check_emails(ps, ps->lineno, name, value);
		free(p->care_alert_email);
		p->care_alert_email = xstrdup(value);
	} else if (strcmp(name, "care_alert_sms") == 0) {
		check_mobiles(ps, ps->lineno, name, value);
		free(p->care_alert_sms);
		p->care_alert_sms = xstrdup(value);
	} else if (strcmp(name, "care_phrases") == 0) {
		free(p->care_phrases);
		p->care_phrases = resolve_path(ps->cfg, value);
	} else
		add_error(ps, ps->lineno,
		          "unknown key %s in [practice.%s] (known: "
		          "email_transport, sms_transport, twilio_from, "
		          "care_alert_email, care_alert_sms, care_phrases)",
		          name, code);
}

static int
cfg_ini_handler(void *user, const char *section, const char *name,
                const char *value)
{
	struct parse_state *ps = user;
	char *cause = NULL, *near;
	size_t i;

	if (strncmp(section, "practice.", 9) == 0 && section[9] != '\0') {
		practice_value(ps, section + 9, name, value);
		return 1;
	}
	for (i = 0; i < CFG__COUNT; i++) {
		if (strcmp(cfg_table[i].section, section) != 0 ||
		    strcmp(cfg_table[i].key, name) != 0)
			continue;
		if (ps->seen[i] != 0)
			add_error(ps, ps->lineno,
			          "%s is set twice (first on line %d)", name,
			          ps->seen[i]);
		ps->seen[i] = ps->lineno;
		ps->cfg->line[i] = ps->lineno;
		if (set_value(ps->cfg, i, value, &cause) == -1) {
			add_error(ps, ps->lineno, "%s", cause);
			free(cause);
		}
		return 1;
	}
	near = nearest_key(section, name);
	if (near != NULL)
		add_error(ps, ps->lineno,
		          "unknown key %s in [%s]; did you mean %s?", name,
		          section, near);
	else
		add_error(ps, ps->lineno, "unknown key %s in [%s]", name,
		          section);
	free(near);
	return 1;
}

/* inih's reader, counting lines so handlers know where they are. */
static char *
cfg_ini_reader(char *str, int num, void *stream)
{
	struct parse_state *ps = stream;
	char *s = fgets(str, num, ps->fp);

	if (s != NULL && strchr(s, '\n') != NULL)
		ps->lineno++;
	else if (s != NULL && feof(ps->fp))
		ps->lineno++;
	return s;
}

static void
set_defaults(struct config *cfg)
{
	size_t i;
	char *cause = NULL;

	for (i = 0; i < CFG__COUNT; i++) {
		/* Secrets are empty by default; nothing to read. */
		if (set_value(cfg, i, cfg_table[i].def, &cause) == -1)
			fatalx("bad default for %s: %s", cfg_table[i].key,
			       cause);
	}
}

/* Add a phrase list's errors (already "name:line: message" lines). */
static void
care_errors(struct parse_state *ps, char *errs)
{
	char *prev = ps->errors;

	ps->errors = xasprintf("%s%s", prev ? prev : "", errs);
	free(prev);
	free(errs);
	ps->nerrors++;
}

/* [sms] care_words (old files) as an [urgent] phrase list. */
static char *
care_words_list(const char *words)
{
	char *text = xstrdup("[urgent]\n"), *copy = xstrdup(words),
	     *save = NULL;
	char *w, *t;

	for (w = strtok_r(copy, ",", &save); w != NULL;
	     w = strtok_r(NULL, ",", &save)) {
		t = xasprintf("%s%s\n", text, w);
		free(text);
		text = t;
	}
	free(copy);
	return text;
}

/* The deployment's list: built in or [care] phrases, local_phrases,
 * [sms] care_words. NULL if any has errors (added to ps). */
static struct care_list *
care_base(struct parse_state *ps)
{
	struct config *cfg = ps->cfg;
	const char *path = config_str(cfg, CFG_CARE_PHRASES);
	const char *local = config_str(cfg, CFG_CARE_LOCAL_PHRASES);
	struct care_list *l = NULL;
	char *errs = NULL, *words;
	int bad = 0;

	if (*path != '\0' ? care_load_file(&l, path, &errs) == -1
	                  : care_parse(&l, "care-phrases.txt (built in)",
	                               care_builtin(), &errs) == -1)
		care_errors(ps, errs), bad = 1;
	if (*local != '\0' && care_load_file(&l, local, &errs) == -1)
		care_errors(ps, errs), bad = 1;
	if (*config_str(cfg, CFG_SMS_CARE_WORDS) != '\0') {
		words = care_words_list(config_str(cfg, CFG_SMS_CARE_WORDS));
		if (care_parse(&l, "[sms] care_words", words, &errs) == -1)
			care_errors(ps, errs), bad = 1;
		free(words);
	}
	if (bad) {
		care_free(l);
		return NULL;
	}
	return l;
}

/* Load the care phrases (the deployment's, and each practice's with its
 * own added) and check the staff to alert. */
static void
care_check(struct parse_state *ps)
{
	struct config *cfg = ps->cfg;
	struct cfg_practice *p;
	char *errs = NULL;
	size_t i;

	cfg->care = care_base(ps);
	for (i = 0; cfg->care != NULL && i < cfg->npractices; i++) {
		p = &cfg->practices[i];
		if (p->care_phrases == NULL)
			continue;
		p->care = care_base(ps);
		if (care_load_file(&p->care, p->care_phrases, &errs) == -1)
			care_errors(ps, errs);
	}
	check_emails(ps, cfg->line[CFG_CARE_ALERT_EMAIL], "alert_email",
	             config_str(cfg, CFG_CARE_ALERT_EMAIL));
	check_mobiles(ps, cfg->line[CFG_CARE_ALERT_SMS], "alert_sms",
	              config_str(cfg, CFG_CARE_ALERT_SMS));
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return NULL;
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, slash - path);
}

/* Read one file into ps->cfg; -1 if it cannot be opened. */
static int
parse_file(struct parse_state *ps, const char *file)
{
	int rc;

	ps->file = file;
	ps->lineno = 0;
	memset(ps->seen, 0, sizeof ps->seen);
	if ((ps->fp = fopen(file, "r")) == NULL) {
		add_error(ps, 0, "%s", strerror(errno));
		return -1;
	}
	rc = ini_parse_stream(cfg_ini_reader, ps, cfg_ini_handler, ps);
	fclose(ps->fp);
	if (rc > 0)
		add_error(ps, rc,
		          "syntax error (expected [section] or key = value)");
	return 0;
}

static int
conf_suffix(const struct dirent *de)
{
	size_t len = strlen(de->d_name);

	return de->d_name[0] != '.' && len > 5 &&
	       strcmp(de->d_name + len - 5, ".conf") == 0;
}

/*
 * Drop-ins: PATH.d/\*.conf (/etc/ppgd/ppgd.conf.d/), in name order, each
 * overriding what came before; a key twice in one file is still an error.
 */
static void
parse_dropins(struct parse_state *ps, const char *path)
{
	char *dir = xasprintf("%s.d", path), *file;
	struct dirent **list;
	int n, i;

	if ((n = scandir(dir, &list, conf_suffix, alphasort)) < 0) {
		if (errno != ENOENT)
			add_error(ps, 0, "%s: %s", dir, strerror(errno));
		free(dir);
		return;
	}
	for (i = 0; i < n; i++) {
		file = xasprintf("%s/%s", dir, list[i]->d_name);
		parse_file(ps, file);
		ps->file = NULL;
		free(file);
		free(list[i]);
	}
	free(list);
	free(dir);
}

int
config_load(const char *path, struct config **out, char **errors)
{
	struct config *cfg = xcalloc(1, sizeof *cfg);
	struct parse_state ps = {.cfg = cfg};

	*errors = NULL;
	if (path != NULL) {
		cfg->path = xstrdup(path);
		cfg->dir = dir_of(path);
	}
	set_defaults(cfg);
	if (path != NULL) {
		ps.file = path;
		if (parse_file(&ps, path) == -1) {
			*errors = ps.errors;
			config_free(cfg);
			return -1;
		}
		parse_dropins(&ps, path);
	}
	care_check(&ps);
	if (ps.nerrors > 0) {
		*errors = ps.errors;
		config_free(cfg);
		return -1;
	}
	/* The built-in templates are the installed ones. */
	if (*config_str(cfg, CFG_TEMPLATES) == '\0') {
		free(cfg->str[CFG_TEMPLATES]);
		cfg->str[CFG_TEMPLATES] = xstrdup(PPGD_DATADIR "/templates");
	}
	*out = cfg;
	return 0;
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < CFG__COUNT; i++)
		free(cfg->str[i]);
	for (i = 0; i < cfg->npractices; i++) {
		free(cfg->practices[i].code);
		free(cfg->practices[i].email_transport);
		free(cfg->practices[i].sms_transport);
		free(cfg->practices[i].twilio_from);
		free(cfg->practices[i].care_alert_email);
		free(cfg->practices[i].care_alert_sms);
		free(cfg->practices[i].care_phrases);
		care_free(cfg->practices[i].care);
	}
	care_free(cfg->care);
	free(cfg->practices);
	free(cfg->path);
	free(cfg->dir);
	free(cfg);
}

const char *
config_str(const struct config *cfg, enum cfg_key k)
{
	return cfg->str[k] != NULL ? cfg->str[k] : "";
}

long long
config_int(const struct config *cfg, enum cfg_key k)
{
	return cfg->num[k];
}

const char *
config_path(const struct config *cfg)
{
	return cfg->path;
}

const struct cfg_practice *
config_practice(const struct config *cfg, const char *code)
{
	size_t i;

	for (i = 0; i < cfg->npractices; i++)
		if (strcmp(cfg->practices[i].code, code) == 0)
			return &cfg->practices[i];
	return NULL;
}

const struct care_list *
config_care(const struct config *cfg)
{
	return cfg->care;
}

const struct care_list *
config_care_for(const struct config *cfg, const char *code)
{
	const struct cfg_practice *p =
	    code != NULL ? config_practice(cfg, code) : NULL;

	return p != NULL && p->care != NULL ? p->care : cfg->care;
}

const char *
config_care_alert_email(const struct config *cfg, const char *code)
{
	const struct cfg_practice *p =
	    code != NULL ? config_practice(cfg, code) : NULL;

	if (p != NULL && p->care_alert_email != NULL)
		return p->care_alert_email;
	return config_str(cfg, CFG_CARE_ALERT_EMAIL);
}

const char *
config_care_alert_sms(const struct config *cfg, const char *code)
{
	const struct cfg_practice *p =
	    code != NULL ? config_practice(cfg, code) : NULL;

	if (p != NULL && p->care_alert_sms != NULL)
		return p->care_alert_sms;
	return config_str(cfg, CFG_CARE_ALERT_SMS);
}
