/* The configuration: an INI file checked against a table of keys. */
#ifndef PPGD_CONFIG_H
#define PPGD_CONFIG_H

enum cfg_type {
	CT_STR,
	CT_INT,
	CT_BOOL,
	CT_ENUM,
	CT_DURATION,
	CT_SECRET,
	CT_PATH,
	CT_ADDR,
	CT_URL,
	CT_HHMM,
};

enum cfg_key {
#define K(id, sec, key, type, def, min, max, choices, help) CFG_##id,
#include "config_keys.def"
#undef K
	CFG__COUNT
};

struct cfg_info {
	const char *section;
	const char *key;
	enum cfg_type type;
	const char *def;
	long long min, max;
	const char *choices;
	const char *help;
};

/* Settings that a practice may override in a [practice.CODE] section. */
struct cfg_practice {
	char *code;
	char *email_transport;
	char *sms_transport;
	char *twilio_from;
	char *care_alert_email; /* NULL: [care] alert_email */
	char *care_alert_sms;   /* NULL: [care] alert_sms */
	char *care_phrases;     /* NULL: none of its own */
	struct care_list *care; /* the list with its own phrases, or NULL */
};

struct config;
struct care_list;

/*
 * Load path (NULL: defaults only). On failure return -1 with *errors set to
 * every problem, one "file:line: message" a line. Caller frees.
 */
int config_load(const char *path, struct config **out, char **errors);
void config_free(struct config *);
/* The string value (paths resolved, secrets read). Never NULL. */
const char *config_str(const struct config *, enum cfg_key);
/* The numeric value: ints, bools (0/1), durations (seconds), HH:MM (minutes).
 */
long long config_int(const struct config *, enum cfg_key);
/* The file the configuration came from, or NULL. */
const char *config_path(const struct config *);
/* The [practice.CODE] overrides for code, or NULL. */
const struct cfg_practice *config_practice(const struct config *,
                                           const char *code);
/* The care phrases: the built-in or [care] phrases list, with
 * local_phrases and [sms] care_words added. */
const struct care_list *config_care(const struct config *);
/* The same with a practice's own care_phrases added (code NULL: none). */
const struct care_list *config_care_for(const struct config *,
                                        const char *code);
/* Staff to tell of a care alert for a practice (its [practice.CODE]
 * care_alert_* keys, else [care] alert_*): comma-separated; "" if none. */
const char *config_care_alert_email(const struct config *, const char *code);
const char *config_care_alert_sms(const struct config *, const char *code);
/* The table entry of a key. */
const struct cfg_info *config_info(enum cfg_key);
/* Parse "90s", "5m", "12h", "3d" or plain seconds. */
int config_parse_duration(const char *, long long *);
/* Read a secret file, refusing one readable by group or others. */
int config_read_secret(const char *path, char **out, char **cause);

#endif
