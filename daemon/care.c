/*
 * Care phrases. A message is folded (textnorm), cut into clauses at
 * sentence punctuation and commas, and turned into words. A phrase is a run
 * of words; "word*" matches any word that starts so, and "..." lets up to
 * three words in between ("took ... pills"). A match is dropped when a
 * negation ("no", "not", "never") ends within the three words before it in
 * the same clause, with no boundary word ("but") in between: "no chest pain
 * now, thanks" is no emergency, "no fever but chest pain" is one; so is
 * a match followed by a topic word ("suicide prevention training"). An
 * emergency or urgent match is also dropped when its clause holds a history
 * phrase ("last year"), or a resolved one after it ("has gone"): a survey
 * answer that mentions an old illness is not a call for help. Crisis matches
 * ignore history: erring that way costs a staff member a look, the other way
 * costs more.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "care.h"
#include "textnorm.h"
#include "util.h"
#include "xmalloc.h"

/* The shipped list, compiled in so a missing data file cannot switch the
 * guard off. The path is relative to the top of the tree, where make runs. */
__asm__(".section .rodata\n"
        ".global ppgd_care_builtin\n"
        ".hidden ppgd_care_builtin\n"
        "ppgd_care_builtin:\n"
        ".incbin \"config/care-phrases.txt\"\n"
        ".byte 0\n"
        ".previous\n");
extern const char ppgd_care_builtin[];

#define GAP_MAX      3   /* words a "..." may skip */
#define NEG_WINDOW   3   /* words before a match a negation may end in */
#define TOPIC_WINDOW 2   /* words after a match a topic may start in */
#define MAX_TOKENS   16  /* per phrase */
#define MAX_LINE     256 /* bytes per phrase line */
#define MIN_PREFIX   3   /* letters before a '*' */

enum group {
	G_URGENT = CARE_URGENT,
	G_CRISIS = CARE_CRISIS,
	G_EMERGENCY = CARE_EMERGENCY,
	G_NEGATION,
	G_HISTORY,
	G_BOUNDARY,
	G_TOPIC,
	G_RESOLVED,
};

static const char *const group_names[] = {
    [G_URGENT] = "urgent",       [G_CRISIS] = "crisis",
    [G_EMERGENCY] = "emergency", [G_NEGATION] = "negation",
    [G_HISTORY] = "history",     [G_BOUNDARY] = "boundary",
    [G_TOPIC] = "topic",         [G_RESOLVED] = "resolved",
};

enum tkind { T_WORD, T_PREFIX, T_GAP };

struct pattern {
	enum group group;
	size_t ntok;
	char *tok[MAX_TOKENS];
	enum tkind kind[MAX_TOKENS];
	char *text; /* the normalised phrase, for logs and tests */
};

struct care_list {
	struct pattern *p;
	size_t n;
};

/*
 * A message as words, each with the clause it is in. Marked once before
 * matching, so each phrase match is checked in constant time whatever the
 * length of the message: the part of its clause between boundary words
 * (seg), whether that part mentions the past, and where the shortest
 * negation starting at each word ends (0: none).
 */
struct words {
	char **w;
	size_t *clause;
	size_t n, cap;
	size_t *seg;
	size_t *negend;
	unsigned char *boundary;
	unsigned char *topic;       /* a [topic] phrase starts here */
	unsigned char *seg_history; /* by segment */
	size_t *seg_resolved;       /* by segment: 1 + the last [resolved] */
};

const char *
care_builtin(void)
{
	return ppgd_care_builtin;
}

const char *
care_strurgency(enum care_urgency u)
{
	switch (u) {
	case CARE_URGENT:
		return "urgent";
	case CARE_CRISIS:
		return "crisis";
	case CARE_EMERGENCY:
		return "emergency";
	case CARE_NONE:
		break;
	}
	return "none";
}

int
care_urgency_parse(const char *s, enum care_urgency *u)
{
	int i;

	for (i = CARE_NONE; i <= CARE_EMERGENCY; i++)
		if (strcmp(s, care_strurgency(i)) == 0) {
			*u = i;
			return 0;
		}
	return -1;
}

/* ---- parsing ------------------------------------------------------------ */

static void
pattern_clear(struct pattern *p)
{
	size_t i;

	for (i = 0; i < p->ntok; i++)
		free(p->tok[i]);
	free(p->text);
	memset(p, 0, sizeof *p);
}

void
care_free(struct care_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		pattern_clear(&l->p[i]);
	free(l->p);
	free(l);
}

static int
pattern_push(struct pattern *p, enum tkind kind, const char *word, char **cause)
{
	if (p->ntok == MAX_TOKENS) {
		*cause = xasprintf("more than %d words", MAX_TOKENS);
		return -1;
	}
	p->kind[p->ntok] = kind;
	p->tok[p->ntok++] = xstrdup(word);
	return 0;
}

/* "word*": one word of at least MIN_PREFIX characters, then the star. */
static int
token_prefix(struct pattern *p, const char *tok, char **cause)
{
	char *body = xstrndup(tok, strlen(tok) - 1), *w = textnorm_words(body);
	int rv = -1;

	if (strchr(body, '*') != NULL || *w == '\0' || strchr(w, ' ') != NULL)
		*cause = xasprintf("'%s': a '*' must end one word", tok);
	else if (strlen(w) < MIN_PREFIX)
		*cause = xasprintf("'%s': a prefix needs at least %d letters",
		                   tok, MIN_PREFIX);
	else
		rv = pattern_push(p, T_PREFIX, w, cause);
	free(body);
	free(w);
	return rv;
}

/* A plain token: one or more words once normalised ("short-of-breath"). */
static int
token_words(struct pattern *p, const char *tok, char **cause)
{
	char *w = textnorm_words(tok), *save = NULL, *one;
	int rv = 0;

	if (strchr(tok, '*') != NULL)
		*cause = xasprintf("'%s': a '*' must end one word", tok),
		rv = -1;
	else if (*w == '\0')
		*cause = xasprintf("'%s' has no letters or digits", tok),
		rv = -1;
	for (one = strtok_r(w, " ", &save); rv == 0 && one != NULL;
	     one = strtok_r(NULL, " ", &save))
		rv = pattern_push(p, T_WORD, one, cause);
	free(w);
	return rv;
}

static int
token_gap(struct pattern *p, char **cause)
{
	if (p->ntok == 0 || p->kind[p->ntok - 1] == T_GAP) {
		*cause = xstrdup("'...' must come between two words");
		return -1;
	}
	return pattern_push(p, T_GAP, "...", cause);
}

/* The normalised phrase as text: "took ... pills", "breath*". */
static char *
pattern_text(const struct pattern *p)
{
	char *out = xstrdup(""), *t;
	size_t i;

	for (i = 0; i < p->ntok; i++) {
		t = xasprintf("%s%s%s%s", out, i ? " " : "", p->tok[i],
		              p->kind[i] == T_PREFIX ? "*" : "");
		free(out);
		out = t;
	}
	return out;
}

/* Parse one phrase line into p; 0 or -1 with *cause. */
static int
pattern_parse(struct pattern *p, enum group g, char *line, char **cause)
{
	char *save = NULL, *tok;
	int rv = 0;

	p->group = g;
	for (tok = strtok_r(line, " \t", &save); rv == 0 && tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (strcmp(tok, "...") == 0)
			rv = token_gap(p, cause);
		else if (tok[strlen(tok) - 1] == '*')
			rv = token_prefix(p, tok, cause);
		else
			rv = token_words(p, tok, cause);
	}
	if (rv == 0 && p->ntok > 0 && p->kind[p->ntok - 1] == T_GAP) {
		*cause = xstrdup("'...' must come between two words");
		rv = -1;
	}
	if (rv == 0)
		p->text = pattern_text(p);
	return rv;
}

/* "[group]": the group, or -1. */
static int
group_parse(const char *line, size_t len)
{
	size_t i;

	for (i = G_URGENT; i <= G_RESOLVED; i++)
		if (strlen(group_names[i]) == len - 2 &&
		    strncmp(line + 1, group_names[i], len - 2) == 0)
			return (int)i;
	return -1;
}

/* One line: a comment, a [group] or a phrase; 0 or -1 with *cause. */
static int
line_parse(struct care_list *l, int *group, char *line, char **cause)
{
	size_t len;
	struct pattern p = {0};

	line = util_trim(line);
	len = strlen(line);
	if (len == 0 || line[0] == '#')
		return 0;
	if (!util_utf8_valid(line, len))
		return (*cause = xstrdup("not UTF-8"), -1);
	if (len > MAX_LINE)
		return (*cause = xasprintf("longer than %d bytes", MAX_LINE),
		        -1);
	if (line[0] == '[') {
		if (line[len - 1] != ']' ||
		    (*group = group_parse(line, len)) < 0)
			return (*cause = xasprintf(
			            "unknown group %s (known: [emergency], "
			            "[crisis], [urgent], [negation], "
			            "[history], [resolved], [boundary], "
			            "[topic])",
			            line),
			        -1);
		return 0;
	}
	if (*group < 0)
		return (*cause = xstrdup("a phrase before any [group]"), -1);
	if (pattern_parse(&p, *group, line, cause) == -1) {
		pattern_clear(&p);
		return -1;
	}
	l->p = xreallocarray(l->p, l->n + 1, sizeof *l->p);
	l->p[l->n++] = p;
	return 0;
}

static void
add_error(char **errors, const char *name, int lineno, const char *cause)
{
	char *prev = *errors;

	*errors = xasprintf("%s%s:%d: %s\n", prev != NULL ? prev : "", name,
	                    lineno, cause);
	free(prev);
}

int
care_parse(struct care_list **list, const char *name, const char *text,
           char **errors)
{
	struct care_list *l = xcalloc(1, sizeof *l);
	char *copy = xstrdup(text), *line, *next, *cause;
	int group = -1, lineno = 0;
	size_t i;

	*errors = NULL;
	for (line = copy; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lineno++;
		cause = NULL;
		if (line_parse(l, &group, line, &cause) == -1)
			add_error(errors, name, lineno, cause);
		free(cause);
	}
	free(copy);
	if (*errors != NULL) {
		care_free(l);
		return -1;
	}
	if (*list == NULL) {
		*list = l;
		return 0;
	}
	(*list)->p = xreallocarray((*list)->p, (*list)->n + l->n, sizeof *l->p);
	for (i = 0; i < l->n; i++)
		(*list)->p[(*list)->n++] = l->p[i];
	free(l->p);
	free(l);
	return 0;
}

int
care_load_file(struct care_list **list, const char *path, char **errors)
{
	char *text = NULL, *cause = NULL;
	size_t len;
	int rv;

	if (util_read_file(path, 4 << 20, &text, &len, &cause) == -1) {
		*errors = xasprintf("%s: %s\n", path, cause);
		free(cause);
		return -1;
	}
	if (strlen(text) != len) {
		*errors = xasprintf("%s: holds a NUL byte\n", path);
		free(text);
		return -1;
	}
	rv = care_parse(list, path, text, errors);
	free(text);
	return rv;
}

size_t
care_count(const struct care_list *l, enum care_urgency u)
{
	size_t i, n = 0;

	for (i = 0; l != NULL && i < l->n; i++)
		if (u == CARE_NONE ? l->p[i].group <= G_EMERGENCY
		                   : (int)l->p[i].group == (int)u)
			n++;
	return n;
}

/* ---- matching ----------------------------------------------------------- */

static void
words_push(struct words *ws, char *w, size_t clause)
{
	if (ws->n == ws->cap) {
		ws->cap = ws->cap ? ws->cap * 2 : 64;
		ws->w = xreallocarray(ws->w, ws->cap, sizeof *ws->w);
		ws->clause =
		    xreallocarray(ws->clause, ws->cap, sizeof *ws->clause);
	}
	ws->w[ws->n] = w;
	ws->clause[ws->n++] = clause;
}

/* The words of one clause, appended. */
static void
words_clause(struct words *ws, const char *clause, size_t c)
{
	char *w = textnorm_words(clause), *save = NULL, *one;

	for (one = strtok_r(w, " ", &save); one != NULL;
	     one = strtok_r(NULL, " ", &save))
		words_push(ws, xstrdup(one), c);
	free(w);
}

static void
words_split(struct words *ws, const char *text)
{
	char *f = textnorm_fold(text), *p = f, *end;
	size_t c = 0;

	for (;;) {
		end = p + strcspn(p, ".!?;,:\n\r()");
		if (*end == '\0') {
			words_clause(ws, p, c);
			break;
		}
		*end = '\0';
		words_clause(ws, p, c++);
		p = end + 1;
	}
	free(f);
}

static void
words_free(struct words *ws)
{
	size_t i;

	for (i = 0; i < ws->n; i++)
		free(ws->w[i]);
	free(ws->w);
	free(ws->clause);
	free(ws->seg);
	free(ws->negend);
	free(ws->boundary);
	free(ws->topic);
	free(ws->seg_history);
	free(ws->seg_resolved);
}

/* Match tokens ti.. of p at word wi; the end (exclusive) or -1. */
static long
match_at(const struct pattern *p, size_t ti, const struct words *ws, size_t wi)
{
	long r;
	size_t g;

	if (ti == p->ntok)
		return (long)wi;
	if (p->kind[ti] == T_GAP) {
		for (g = 0; g <= GAP_MAX; g++)
			if ((r = match_at(p, ti + 1, ws, wi + g)) >= 0)
				return r;
		return -1;
	}
	if (wi >= ws->n)
		return -1;
	if (p->kind[ti] == T_WORD
	        ? strcmp(ws->w[wi], p->tok[ti]) != 0
	        : strncmp(ws->w[wi], p->tok[ti], strlen(p->tok[ti])) != 0)
		return -1;
	return match_at(p, ti + 1, ws, wi + 1);
}

/* The shortest end of a pattern of group g matching at wi; 0 if none. */
static size_t
group_end(const struct care_list *l, enum group g, const struct words *ws,
          size_t wi)
{
	size_t i, best = 0;
	long r;

	for (i = 0; i < l->n; i++)
		if (l->p[i].group == g && l->p[i].tok[0][0] == ws->w[wi][0] &&
		    (r = match_at(&l->p[i], 0, ws, wi)) > 0 &&
		    (best == 0 || (size_t)r < best))
			best = (size_t)r;
	return best;
}

/* Mark boundaries, segments, history and negations (see struct words). */
static void
words_mark(const struct care_list *l, struct words *ws)
{
	size_t k, n = ws->n;

	ws->seg = xcalloc(n + 1, sizeof *ws->seg);
	ws->negend = xcalloc(n + 1, sizeof *ws->negend);
	ws->boundary = xcalloc(n + 1, 1);
	ws->topic = xcalloc(n + 1, 1);
	ws->seg_history = xcalloc(n + 1, 1);
	ws->seg_resolved = xcalloc(n + 1, sizeof *ws->seg_resolved);
	for (k = 0; k < n; k++) {
		ws->boundary[k] = group_end(l, G_BOUNDARY, ws, k) > 0;
		ws->negend[k] = group_end(l, G_NEGATION, ws, k);
		ws->topic[k] = group_end(l, G_TOPIC, ws, k) > 0;
		if (k > 0)
			ws->seg[k] = ws->seg[k - 1] +
			             (ws->clause[k] != ws->clause[k - 1] ||
			              ws->boundary[k]);
		if (group_end(l, G_HISTORY, ws, k) > 0)
			ws->seg_history[ws->seg[k]] = 1;
		if (group_end(l, G_RESOLVED, ws, k) > 0)
			ws->seg_resolved[ws->seg[k]] = k + 1;
	}
}

/* A negation ends within NEG_WINDOW words before s, in its clause, with
 * no boundary word between. */
static int
negated(const struct words *ws, size_t s)
{
	size_t k, n;

	for (n = 1; n <= NEG_WINDOW && n <= s; n++) {
		k = s - n;
		if (ws->clause[k] != ws->clause[s])
			return 0;
		if (ws->negend[k] != 0 && ws->negend[k] <= s)
			return 1;
		if (ws->boundary[k])
			return 0;
	}
	return 0;
}

/* A topic phrase starts within TOPIC_WINDOW words after the match (which
 * ends before e), in its clause: "suicide prevention". */
static int
topical(const struct words *ws, size_t s, size_t e)
{
	size_t k;

	for (k = e; k < e + TOPIC_WINDOW && k < ws->n; k++) {
		if (ws->clause[k] != ws->clause[s])
			return 0;
		if (ws->topic[k])
			return 1;
	}
	return 0;
}

static int
hit_counts(const struct pattern *p, const struct words *ws, size_t s, size_t e)
{
	if (negated(ws, s) || topical(ws, s, e))
		return 0;
	/* The part of the clause mentions the past, or says after the match
	 * that it is over ("the pain has gone"). */
	if (p->group != G_CRISIS && (ws->seg_history[ws->seg[s]] ||
	                             ws->seg_resolved[ws->seg[s]] > s + 1))
		return 0;
	return 1;
}

int
care_classify(const struct care_list *l, const char *text, struct care_hit *hit)
{
	struct words ws = {0};
	const struct pattern *p;
	size_t s, i;
	long e;

	memset(hit, 0, sizeof *hit);
	if (l == NULL || text == NULL)
		return 0;
	words_split(&ws, text);
	words_mark(l, &ws);
	for (s = 0; s < ws.n; s++) {
		for (i = 0; i < l->n; i++) {
			p = &l->p[i];
			if (p->group > G_EMERGENCY ||
			    p->tok[0][0] != ws.w[s][0] ||
			    (e = match_at(p, 0, &ws, s)) < 0 ||
			    !hit_counts(p, &ws, s, (size_t)e))
				continue;
			hit->mask |= 1u << p->group;
			if ((int)p->group > (int)hit->urgency) {
				hit->urgency = (enum care_urgency)p->group;
				snprintf(hit->phrase, sizeof hit->phrase, "%s",
				         p->text);
			}
		}
	}
	words_free(&ws);
	return hit->urgency != CARE_NONE;
}
