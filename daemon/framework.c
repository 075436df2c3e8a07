/*
 * The self-assessment framework as data. A file names levels, each with
 * criteria, each with requirements on the year's figures (facts) or on
 * the evidence log. Loading checks the whole file, so a practice that
 * writes its own ICB's framework hears about a typo when it loads it, not
 * as a criterion that can never be met.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libfyaml.h>

#include "buf.h"
#include "config.h"
#include "evidence.h"
#include "framework.h"
#include "jsonx.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"
#include "yamlx.h"

const char *const framework_facts[] = {"members",
                                       "members_start",
                                       "profile_loaded",
                                       "groups_under_represented",
                                       "meetings_held",
                                       "meetings_with_minutes",
                                       "quarters_with_a_meeting",
                                       "half_years_with_messages",
                                       "emails_sent",
                                       "sms_sent",
                                       "messages_sent",
                                       "broadcasts_sent",
                                       "survey_responses",
                                       "actions_agreed",
                                       "actions_done",
                                       "priority_areas",
                                       NULL};

struct framework {
	json_t *doc; /* checked: see check_*() */
};

struct check {
	const char *origin;
	struct buf errs;
	int n;
};

static void
cerr(struct check *c, const char *where, const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) == -1)
		fatalx("vasprintf");
	va_end(ap);
	buf_printf(&c->errs, "%s: %s: %s\n", c->origin, where, m);
	free(m);
	c->n++;
}

static int
fact_known(const char *name)
{
	size_t i;

	for (i = 0; framework_facts[i] != NULL; i++)
		if (strcmp(framework_facts[i], name) == 0)
			return 1;
	return 0;
}

static const char *
str_of(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL && *s != '\0' ? s : NULL;
}

/* "year", "ever" or "Nd"; -1 days for year, -2 for ever. */
static int
within_days(const char *w, long *days)
{
	char *end;

	if (w == NULL || strcmp(w, "year") == 0)
		*days = -1;
	else if (strcmp(w, "ever") == 0)
		*days = -2;
	else {
		*days = strtol(w, &end, 10);
		if (end == w || strcmp(end, "d") != 0 || *days < 1 ||
		    *days > 36500)
			return -1;
	}
	return 0;
}

/* A whole number given as a YAML number or string; def if absent, -1 if
 * not a number. */
static long
num_of(const json_t *v, long def)
{
	char *end;
	long n;

	if (v == NULL)
		return def;
	if (json_is_integer(v))
		return (long)json_integer_value(v);
	if (json_is_string(v)) {
		n = strtol(json_string_value(v), &end, 10);
		return *end == '\0' && end != json_string_value(v) ? n : -1;
	}
	return -1;
}

static long
min_of(const json_t *r, long def)
{
	return num_of(json_object_get(r, "min"), def);
}

/* Criteria a level needs met: its count, or 0 for "all"; -1 if invalid. */
static long
need_of(const json_t *l)
{
	const char *need = json_string_value(json_object_get(l, "need"));

	if (need != NULL && strcmp(need, "all") == 0)
		return 0;
	return num_of(json_object_get(l, "need"), -1) >= 1
	           ? num_of(json_object_get(l, "need"), -1)
	           : -1;
}

static void check_req(struct check *, const json_t *, const char *, int);

static void
check_kinds(struct check *c, const json_t *k, const char *where)
{
	const json_t *v;
	size_t i;

	if (json_is_string(k)) {
		if (!evidence_kind_valid(json_string_value(k)))
			cerr(c, where, "unknown evidence kind %s",
			     json_string_value(k));
		return;
	}
	if (!json_is_array(k) || json_array_size(k) == 0) {
		cerr(c, where, "evidence must be a kind or a list of kinds");
		return;
	}
	json_array_foreach(k, i, v)
	{
		if (!json_is_string(v)) {
			cerr(c, where,
			     "evidence must be a kind or a list of "
			     "kinds (not a list of lists)");
			return;
		}
		check_kinds(c, v, where);
	}
}

static void
check_of(struct check *c, const json_t *r, const char *where)
{
	const json_t *v;
	size_t i;
	char *w;

	if (!json_is_array(json_object_get(r, "of")) ||
	    json_array_size(json_object_get(r, "of")) == 0) {
		cerr(c, where, "of must be a list of requirements");
		return;
	}
	if (min_of(r, 1) > (long)json_array_size(json_object_get(r, "of")))
		cerr(c, where, "min is more than the requirements listed");
	json_array_foreach(json_object_get(r, "of"), i, v)
	{
		w = xasprintf("%s.of[%zu]", where, i);
		check_req(c, v, w, 0);
		free(w);
	}
}

static void
check_req(struct check *c, const json_t *r, const char *where, int top)
{
	const char *f;
	long d;
	int n = 0;

	if (!json_is_object(r)) {
		cerr(c, where,
		     "a requirement is a mapping (fact, evidence "
		     "or of)");
		return;
	}
	n = (json_object_get(r, "fact") != NULL) +
	    (json_object_get(r, "evidence") != NULL) +
	    (json_object_get(r, "of") != NULL);
	if (n != 1) {
		cerr(c, where,
		     "a requirement has exactly one of fact, evidence "
		     "or of");
		return;
	}
	if (top && str_of(r, "label") == NULL)
		cerr(c, where, "label is required (it says what is missing)");
	if (min_of(r, 1) < 1)
		cerr(c, where, "min must be a whole number of 1 or more");
	if (json_object_get(r, "fact") != NULL &&
	    ((f = str_of(r, "fact")) == NULL || !fact_known(f)))
		cerr(c, where, "unknown fact %s",
		     f != NULL ? f : "(not a name)");
	if (json_object_get(r, "evidence") != NULL)
		check_kinds(c, json_object_get(r, "evidence"), where);
	if (json_object_get(r, "within") != NULL &&
	    (str_of(r, "within") == NULL ||
	     within_days(str_of(r, "within"), &d) == -1))
		cerr(c, where,
		     "within must be year, ever or a number of days "
		     "(365d)");
	if (json_object_get(r, "of") != NULL)
		check_of(c, r, where);
}

static void
check_criterion(struct check *c, const json_t *cr, const char *where)
{
	const json_t *r;
	size_t i;
	char *w;

	if (str_of(cr, "id") == NULL || str_of(cr, "text") == NULL)
		cerr(c, where, "a criterion needs an id and a text");
	if (!json_is_array(json_object_get(cr, "requires")) ||
	    json_array_size(json_object_get(cr, "requires")) == 0) {
		cerr(c, where, "requires must list at least one requirement");
		return;
	}
	json_array_foreach(json_object_get(cr, "requires"), i, r)
	{
		w = xasprintf("%s.requires[%zu]", where, i);
		check_req(c, r, w, 1);
		free(w);
	}
}

/* 1 if id is a key the assessment's JSON has already. */
static int
reserved_id(const char *id)
{
	static const char *const keys[] = {"framework", "title",
	                                   "source",    "levels",
	                                   "level",     "level_from_data"};
	size_t i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(id, keys[i]) == 0)
			return 1;
	return 0;
}

static void
check_level(struct check *c, const json_t *l, const char *where)
{
	const json_t *cr, *crs = json_object_get(l, "criteria");
	size_t i;
	char *w;

	if (str_of(l, "id") == NULL || str_of(l, "title") == NULL)
		cerr(c, where, "a level needs an id and a title");
	else if (reserved_id(str_of(l, "id")))
		cerr(c, where,
		     "a level may not be called %s (the report uses "
		     "that name)",
		     str_of(l, "id"));
	if (!json_is_array(crs) || json_array_size(crs) == 0) {
		cerr(c, where, "criteria must list at least one criterion");
		return;
	}
	if (need_of(l) == -1 || need_of(l) > (long)json_array_size(crs))
		cerr(c, where, "need is all or a number of its criteria");
	json_array_foreach(crs, i, cr)
	{
		w = xasprintf("%s.criteria[%zu] %s", where, i,
		              str_of(cr, "id") ? str_of(cr, "id") : "");
		check_criterion(c, cr, w);
		free(w);
	}
}

static void
check_doc(struct check *c, const json_t *doc)
{
	const json_t *l, *levels = json_object_get(doc, "levels");
	size_t i;
	char *w;

	if (!json_is_object(doc)) {
		cerr(c, "top",
		     "a framework is a mapping with framework, title "
		     "and levels");
		return;
	}
	if (str_of(doc, "framework") == NULL || str_of(doc, "title") == NULL)
		cerr(c, "top", "framework (an id) and title are required");
	if (!json_is_array(levels) || json_array_size(levels) == 0) {
		cerr(c, "top", "levels must list at least one level");
		return;
	}
	json_array_foreach(levels, i, l)
	{
		w = xasprintf("levels[%zu] %s", i,
		              str_of(l, "id") ? str_of(l, "id") : "");
		check_level(c, l, w);
		free(w);
	}
}

/* The YAML as JSON, or NULL with libfyaml's errors in c. */
static json_t *
yaml_to_json(struct check *c, const char *yaml, size_t len)
{
	struct fy_diag_error *e;
	struct fy_document *fyd = NULL;
	struct fy_diag *diag;
	struct fy_parser *fyp = yamlx_parser_new(yaml, len, &diag);
	void *it = NULL;
	json_t *j = NULL;
	char *s;

	if ((fyd = fy_parse_load_document(fyp)) == NULL ||
	    fy_document_root(fyd) == NULL) {
		while ((e = fy_diag_errors_iterate(diag, &it)) != NULL)
			if (e->type >= FYET_ERROR) {
				buf_printf(&c->errs, "%s:%d: %s\n", c->origin,
				           e->line > 0 ? e->line : 1, e->msg);
				c->n++;
			}
		if (c->n == 0)
			cerr(c, "top", "no framework here (the file is empty)");
	} else if ((s = fy_emit_document_to_string(
	                fyd, FYECF_MODE_JSON | FYECF_NO_ENDING_NEWLINE)) !=
	           NULL) {
		j = json_loads(s, 0, NULL);
		free(s);
	}
	fy_parse_document_destroy(fyp, fyd);
	yamlx_parser_free(fyp, diag);
	return j;
}

int
framework_load_string(const char *yaml, size_t len, const char *origin,
                      struct framework **out, char **errors)
{
	struct check c = {.origin = origin};
	json_t *doc;

	*out = NULL;
	*errors = NULL;
	doc = yaml_to_json(&c, yaml, len);
	if (doc == NULL && c.n == 0)
		cerr(&c, "top", "cannot read the YAML");
	if (doc != NULL)
		check_doc(&c, doc);
	if (c.n > 0) {
		json_decref(doc);
		*errors = buf_take(&c.errs);
		return -1;
	}
	free(buf_take(&c.errs));
	*out = xcalloc(1, sizeof **out);
	(*out)->doc = doc;
	return 0;
}

int
framework_load(const char *path, struct framework **out, char **errors)
{
	char *text, *cause = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if (util_read_file(path, 1024 * 1024, &text, &len, &cause) == -1) {
		*errors = xasprintf("%s\n", cause);
		free(cause);
		return -1;
	}
	rc = framework_load_string(text, len, path, out, errors);
	free(text);
	return rc;
}

/* frameworks/herts-west-essex.yaml, built in (framework_default.S). */
extern const char framework_default_yaml[], framework_default_end[];

int
framework_load_config(const struct config *cfg, const char *path,
                      struct framework **out, char **errors)
{
	if (path == NULL && *config_str(cfg, CFG_REPORT_FRAMEWORK) != '\0')
		path = config_str(cfg, CFG_REPORT_FRAMEWORK);
	if (path != NULL)
		return framework_load(path, out, errors);
	return framework_load_string(
	    framework_default_yaml,
	    (size_t)(framework_default_end - framework_default_yaml),
	    "built-in herts-west-essex.yaml", out, errors);
}

void
framework_free(struct framework *f)
{
	if (f == NULL)
		return;
	json_decref(f->doc);
	free(f);
}

const char *
framework_id(const struct framework *f)
{
	return str_of(f->doc, "framework");
}

/* ---- assessment -------------------------------------------------------- */

struct period {
	const json_t *facts, *evidence;
	const char *from, *to;
};

static int
kind_in(const json_t *kinds, const char *kind)
{
	const json_t *k;
	size_t i;

	if (json_is_string(kinds))
		return strcmp(json_string_value(kinds), kind) == 0;
	json_array_foreach(
	    kinds, i, k) if (strcmp(json_string_value(k), kind) == 0) return 1;
	return 0;
}

/* The first day evidence may carry for within w; NULL for ever. Into
 * day[11]. */
static const char *
cutoff(const struct period *p, const char *w, char day[11])
{
	long days;
	int64_t t;

	within_days(w, &days);
	if (days == -2)
		return NULL;
	if (days == -1)
		return p->from;
	util_parse_time(p->to, &t);
	return util_format_date(t - (days - 1) * 86400, day);
}

static long
evidence_met(const json_t *r, const struct period *p, json_t *found)
{
	const json_t *e;
	const char *first, *day;
	char buf[11];
	size_t i;
	long n = 0;

	first = cutoff(p, str_of(r, "within"), buf);
	json_array_foreach(p->evidence, i, e)
	{
		day = str_of(e, "date");
		if (!kind_in(json_object_get(r, "evidence"),
		             str_of(e, "kind")) ||
		    strcmp(day, p->to) > 0 ||
		    (first != NULL && strcmp(day, first) < 0))
			continue;
		n++;
		jsonx_push(found, json_pack("{sO sO sO sO}", "evidence",
		                            json_object_get(e, "id"), "kind",
		                            json_object_get(e, "kind"), "date",
		                            json_object_get(e, "date"), "title",
		                            json_object_get(e, "title")));
	}
	return n;
}

static int req_met(const json_t *, const struct period *, json_t *);

static int
of_met(const json_t *r, const struct period *p, json_t *found)
{
	const json_t *c;
	size_t i;
	long n = 0;

	json_array_foreach(json_object_get(r, "of"), i, c) n +=
	    req_met(c, p, found);
	return n >= min_of(r, 1);
}

/* 1 if requirement r is satisfied; what satisfied it goes to found. */
static int
req_met(const json_t *r, const struct period *p, json_t *found)
{
	const char *f = str_of(r, "fact");
	json_int_t v;

	if (f != NULL) {
		v = json_integer_value(json_object_get(p->facts, f));
		if (v >= min_of(r, 1))
			jsonx_push(found,
			           json_pack("{ss sI}", "fact", f, "value", v));
		return v >= min_of(r, 1);
	}
	if (json_object_get(r, "evidence") != NULL)
		return evidence_met(r, p, found) >= min_of(r, 1);
	return of_met(r, p, found);
}

/* What satisfied a criterion, in words. Caller frees. */
static char *
found_text(const json_t *found)
{
	struct buf b = {0};
	const json_t *f;
	size_t i;

	json_array_foreach(found, i, f)
	{
		if (i > 0)
			buf_printf(&b, "; ");
		if (str_of(f, "fact") != NULL)
			buf_printf(&b, "%s: %lld", str_of(f, "fact"),
			           (long long)json_integer_value(
			               json_object_get(f, "value")));
		else
			buf_printf(&b, "%s (%s, %s)", str_of(f, "title"),
			           str_of(f, "kind"), str_of(f, "date"));
	}
	return buf_take(&b);
}

static json_t *
assess_criterion(const json_t *cr, size_t n, const struct period *p, int *met)
{
	json_t *o = json_object(), *found = json_array(),
	       *missing = json_array();
	const json_t *r;
	struct buf mt = {0};
	size_t i, ok = 0,
	          total = json_array_size(json_object_get(cr, "requires"));
	char *s;

	json_array_foreach(json_object_get(cr, "requires"), i, r)
	{
		if (req_met(r, p, found))
			ok++;
		else {
			jsonx_push(missing, json_string(str_of(r, "label")));
			buf_printf(&mt, "%s%s",
			           json_array_size(missing) > 1 ? "; " : "",
			           str_of(r, "label"));
		}
	}
	*met = ok == total;
	jsonx_set(o, "criterion", json_integer((json_int_t)n));
	jsonx_set(o, "id", json_string(str_of(cr, "id")));
	jsonx_set(o, "text", json_string(str_of(cr, "text")));
	jsonx_set(o, "status",
	          json_string(ok == total ? "met"
	                      : ok > 0    ? "partly"
	                                  : "not-met"));
	s = found_text(found);
	jsonx_set(o, "evidence", json_string(s));
	free(s);
	s = buf_take(&mt);
	jsonx_set(o, "missing", json_string(s));
	free(s);
	jsonx_set(o, "evidence_items", found);
	jsonx_set(o, "missing_items", missing);
	return o;
}

json_t *
framework_assess(const struct framework *fw, const json_t *facts,
                 const json_t *evidence, const char *from, const char *to)
{
	struct period p = {facts, evidence, from, to};
	json_t *o = json_object(), *levels = json_array(), *crits, *lv;
	const json_t *l, *cr;
	const char *reached = "none";
	size_t i, j;
	long need, met;
	int ok = 1, m;

	jsonx_set(o, "framework", json_string(str_of(fw->doc, "framework")));
	jsonx_set(o, "title", json_string(str_of(fw->doc, "title")));
	if (str_of(fw->doc, "source") != NULL)
		jsonx_set(o, "source", json_string(str_of(fw->doc, "source")));
	json_array_foreach(json_object_get(fw->doc, "levels"), i, l)
	{
		crits = json_array();
		met = 0;
		json_array_foreach(json_object_get(l, "criteria"), j, cr)
		{
			jsonx_push(crits, assess_criterion(cr, j + 1, &p, &m));
			met += m;
		}
		need = need_of(l);
		if (need == 0)
			need = (long)json_array_size(crits);
		ok = ok && met >= need;
		if (ok)
			reached = str_of(l, "id");
		lv = json_object();
		jsonx_set(lv, "id", json_string(str_of(l, "id")));
		jsonx_set(lv, "title", json_string(str_of(l, "title")));
		jsonx_set(lv, "need", json_integer(need));
		jsonx_set(lv, "of",
		          json_integer((json_int_t)json_array_size(crits)));
		jsonx_set(lv, "met", json_integer(met));
		jsonx_set(lv, "reached", json_boolean(ok));
		jsonx_push(levels, lv);
		jsonx_set(o, str_of(l, "id"), crits);
	}
	jsonx_set(o, "levels", levels);
	jsonx_set(o, "level", json_string(reached));
	jsonx_set(o, "level_from_data", json_string(reached));
	return o;
}
