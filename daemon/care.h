/*
 * Care phrases: does a message look like a request for medical or mental
 * health help, and how urgent? A phrase list (config/care-phrases.txt, built
 * in, plus a practice's own) matched on normalised words, with negation.
 */
#ifndef PPGD_CARE_H
#define PPGD_CARE_H

#include <stddef.h>

/* Urgencies, least to most; each has its own reply. */
enum care_urgency {
	CARE_NONE,
	CARE_URGENT,    /* 111 or the practice */
	CARE_CRISIS,    /* 999, 111 option 2, Samaritans, SHOUT */
	CARE_EMERGENCY, /* 999 */
};

/* What a message matched. */
struct care_hit {
	enum care_urgency urgency; /* the highest matched */
	unsigned mask;             /* 1 << urgency of every group matched */
	char phrase[128];          /* the pattern that gave `urgency` */
};

struct care_list;

/* The phrase file compiled into ppgd (a copy of config/care-phrases.txt). */
const char *care_builtin(void);
/*
 * Parse a phrase list (name is used in errors) and add it to *list (made if
 * NULL). On any bad line return -1 with *errors holding every problem, one
 * "name:line: message" a line (caller frees); *list is left as it was.
 */
int care_parse(struct care_list **list, const char *name, const char *text,
               char **errors);
/* care_parse on a file. */
int care_load_file(struct care_list **list, const char *path, char **errors);
void care_free(struct care_list *);
/* Phrases in the list of one urgency (CARE_NONE: every group). */
size_t care_count(const struct care_list *, enum care_urgency);
/* Classify text of any size, language or script; 1 if it matched. */
int care_classify(const struct care_list *, const char *text,
                  struct care_hit *hit);
/* "emergency", "crisis", "urgent" or "none". */
const char *care_strurgency(enum care_urgency);
/* Parse one of those names; 0 or -1. */
int care_urgency_parse(const char *, enum care_urgency *);

#endif
