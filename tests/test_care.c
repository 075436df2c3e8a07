/*
 * Tests for care.c: the phrase list against the labelled corpus
 * (tests/data/care-corpus.tsv), negation, history, the file format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "care.h"
#include "util.h"

static struct care_list *builtin;

static int
setup(void **state)
{
	char *errors = NULL;

	(void)state;
	if (care_parse(&builtin, "care-phrases.txt", care_builtin(), &errors) ==
	    -1) {
		print_error("%s", errors);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	care_free(builtin);
	return 0;
}

static enum care_urgency
classify(const char *text)
{
	struct care_hit h;

	care_classify(builtin, text, &h);
	return h.urgency;
}

static char *
corpus_text(void)
{
	const char *top = getenv("PPGD_TOP");
	char *path, *text = NULL, *cause = NULL;
	size_t len;

	if (asprintf(&path, "%s/tests/data/care-corpus.tsv",
	             top != NULL ? top : ".") == -1)
		abort();
	if (util_read_file(path, 1 << 20, &text, &len, &cause) == -1)
		print_error("%s\n", cause);
	free(path);
	free(cause);
	return text;
}

/* Counts of the corpus run. */
struct tally {
	int pos, caught, neg, alarms, missed_serious, lines;
};

/* A serious message is caught only at its own urgency (its bit in the
 * mask): an emergency answered as "call 111" is a miss. */
static void
corpus_line(char *line, struct tally *t)
{
	char *tab = strchr(line, '\t');
	enum care_urgency want;
	struct care_hit h;
	int caught;

	if (*line == '#' || *line == '\0')
		return;
	assert_non_null(tab);
	*tab = '\0';
	assert_int_equal(care_urgency_parse(line, &want), 0);
	care_classify(builtin, tab + 1, &h);
	t->lines++;
	if (want == CARE_NONE) {
		t->neg++;
		if (h.urgency != CARE_NONE) {
			t->alarms++;
			print_message("false alarm (%s, %s): %s\n",
			              care_strurgency(h.urgency), h.phrase,
			              tab + 1);
		}
		return;
	}
	t->pos++;
	caught = want == CARE_URGENT ? h.urgency != CARE_NONE
	                             : (h.mask & (1u << want)) != 0;
	if (caught) {
		t->caught++;
		return;
	}
	print_message("MISSED %s (got %s): %s\n", line,
	              care_strurgency(h.urgency), tab + 1);
	if (want != CARE_URGENT)
		t->missed_serious++;
}

/* The corpus: no missed emergency or crisis, few false alarms. */
static void
test_corpus(void **state)
{
	char *text = corpus_text(), *line, *next;
	struct tally t = {0};

	(void)state;
	assert_non_null(text);
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		corpus_line(line, &t);
	}
	free(text);
	print_message("care corpus: %d messages; sensitivity %.1f%% (%d/%d), "
	              "specificity %.1f%% (%d/%d), %d missed emergency or "
	              "crisis\n",
	              t.lines, 100.0 * t.caught / t.pos, t.caught, t.pos,
	              100.0 * (t.neg - t.alarms) / t.neg, t.neg - t.alarms,
	              t.neg, t.missed_serious);
	assert_true(t.lines >= 150);
	assert_int_equal(t.missed_serious, 0);
	assert_true(t.caught * 100 >= t.pos * 95);
	assert_true(t.alarms * 100 <= t.neg * 5);
}

/* The messages of the issue, each with its urgency. */
static void
test_issue_messages(void **state)
{
	(void)state;
	assert_int_equal(classify("I feel suicidal"), CARE_CRISIS);
	assert_int_equal(classify("I want to kill myself"), CARE_CRISIS);
	assert_int_equal(classify("I self-harm and took too many pills"),
	                 CARE_EMERGENCY);
	assert_int_equal(classify("I can't breathe properly"), CARE_EMERGENCY);
	assert_int_equal(classify("my child has a rash and a high fever"),
	                 CARE_EMERGENCY);
	assert_int_equal(classify("cant breath"), CARE_EMERGENCY);
	assert_int_equal(classify("kms"), CARE_CRISIS);
	/* The old word list flagged ordinary survey answers. */
	assert_int_equal(classify("Could not get an APPOINTMENT for weeks"),
	                 CARE_NONE);
	assert_int_equal(classify("the painting in reception"), CARE_NONE);
}

static void
test_negation(void **state)
{
	(void)state;
	assert_int_equal(classify("no chest pain now, thanks"), CARE_NONE);
	assert_int_equal(classify("I don't have any chest pain"), CARE_NONE);
	/* A boundary word stops the negation; so does a new clause. */
	assert_int_equal(classify("no fever but chest pain"), CARE_EMERGENCY);
	assert_int_equal(classify("no fever. chest pain"), CARE_EMERGENCY);
	/* Too far back to count. */
	assert_int_equal(classify("no, I really really have chest pain"),
	                 CARE_EMERGENCY);
}

static void
test_history(void **state)
{
	(void)state;
	assert_int_equal(classify("I had chest pain last year"), CARE_NONE);
	assert_int_equal(classify("chest pain has gone"), CARE_NONE);
	assert_int_equal(
	    classify("the bleeding has stopped but now chest pain"),
	    CARE_EMERGENCY);
	/* Never for a crisis. */
	assert_int_equal(classify("I was suicidal last year"), CARE_CRISIS);
	/* "Resolved" counts only after the match. */
	assert_int_equal(classify("he has gone grey, pain down his left arm"),
	                 CARE_EMERGENCY);
	assert_int_equal(classify("he has gone grey with chest pain"),
	                 CARE_EMERGENCY);
}

/* A topic word right after a match makes it a subject, not a state. */
static void
test_topic(void **state)
{
	(void)state;
	assert_int_equal(classify("Suicide prevention training would help"),
	                 CARE_NONE);
	assert_int_equal(classify("the stroke review was thorough"), CARE_NONE);
	assert_int_equal(
	    classify("I feel suicidal, please call the crisis team"),
	    CARE_CRISIS);
	assert_int_equal(classify("suicidal. training"), CARE_CRISIS);
}

static void
test_any_text(void **state)
{
	size_t n = 1 << 20, i;
	char *big = malloc(n + 1);
	struct care_hit h;

	(void)state;
	for (i = 0; i < n; i++)
		big[i] = (char)(i % 7 == 6 ? ' ' : 'a' + (int)(i % 26));
	big[n] = '\0';
	assert_int_equal(care_classify(builtin, big, &h), 0);
	memcpy(big + n - 20, " i feel suicidal   ", 19);
	assert_int_equal(care_classify(builtin, big, &h), 1);
	assert_string_equal(h.phrase, "suicid*");
	free(big);
	assert_int_equal(classify(""), CARE_NONE);
	assert_int_equal(classify("\xff\xfe\xc0"), CARE_NONE);
	assert_int_equal(classify("\xd0\xa1\xd0\xbf\xd0\xb0\xd1\x81"),
	                 CARE_NONE);
	assert_int_equal(care_classify(NULL, "chest pain", &h), 0);
}

static void
assert_refused(const char *text, const char *want)
{
	struct care_list *l = NULL;
	char *errors = NULL;

	assert_int_equal(care_parse(&l, "x.txt", text, &errors), -1);
	assert_null(l);
	if (strstr(errors, want) == NULL)
		print_error("want \"%s\" in: %s", want, errors);
	assert_non_null(strstr(errors, want));
	free(errors);
}

static void
test_bad_lines(void **state)
{
	(void)state;
	assert_refused("[emergncy]\nchest pain\n", "x.txt:1: unknown group");
	assert_refused("chest pain\n", "x.txt:1: a phrase before any [group]");
	assert_refused("# c\n[crisis]\nok\n!!!\n", "x.txt:4: '!!!' has no");
	assert_refused("[crisis]\nsu*\n", "x.txt:2: 'su*': a prefix needs");
	assert_refused("[crisis]\nsu*x\n", "x.txt:2: 'su*x': a '*' must end");
	assert_refused("[crisis]\n... die\n", "x.txt:2: '...' must come");
	assert_refused("[crisis]\nwant ...\n", "x.txt:2: '...' must come");
	assert_refused("[crisis]\nok\n\xff\n", "x.txt:3: not UTF-8");
	assert_refused("[urgent]\na b c d e f g h i j k l m n o p q\n",
	               "x.txt:2: more than 16 words");
}

/* A practice's own phrases add to the list. */
static void
test_local_phrases(void **state)
{
	struct care_list *l = NULL;
	struct care_hit h;
	char *errors = NULL;

	(void)state;
	assert_int_equal(care_parse(&l, "a", "[urgent]\nwarfarin\n", &errors),
	                 0);
	assert_int_equal(
	    care_parse(&l, "b", "[crisis]\nfeel hopeless\n", &errors), 0);
	assert_int_equal(care_count(l, CARE_NONE), 2);
	assert_int_equal(care_classify(l, "I feel HOPELESS", &h), 1);
	assert_int_equal(h.urgency, CARE_CRISIS);
	assert_int_equal(care_classify(l, "my warfarin dose", &h), 1);
	assert_int_equal(h.urgency, CARE_URGENT);
	care_free(l);
	assert_true(care_count(builtin, CARE_EMERGENCY) > 50);
	assert_true(care_count(builtin, CARE_CRISIS) > 50);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_issue_messages),
	    cmocka_unit_test(test_negation),
	    cmocka_unit_test(test_history),
	    cmocka_unit_test(test_topic),
	    cmocka_unit_test(test_any_text),
	    cmocka_unit_test(test_bad_lines),
	    cmocka_unit_test(test_local_phrases),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
