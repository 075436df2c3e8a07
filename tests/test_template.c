/* Tests for template.c: parsing, rendering, escaping and shipped templates. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "sms.h"
#include "template.h"
#include "xmalloc.h"

/* Every placeholder the documentation promises. */
static const char *names[] = {
    "member.first_name", "member.last_name", "practice.name",  "practice.code",
    "practice.phone",    "practice.website", "survey.title",   "survey.link",
    "survey.question",   "unsubscribe.link", "meeting.when",   "meeting.where",
    "meeting.agenda",    "campaign.name",    "actions.list",   "message.text",
    "join.link",         "join.code",        "agreement.link",
};
#define NNAMES (sizeof names / sizeof *names)

/* The templates ppgd ships, each for email and SMS. */
static const char *shipped[] = {
    "survey-invitation",     "survey-reminder",
    "meeting-invitation",    "meeting-reminder",
    "post-meeting-feedback", "broadcast",
    "you-said-we-did",       "welcome",
    "term-renewal",          "optout-confirmation",
    "meeting-moved",         "meeting-cancelled",
    "meeting-minutes",       "exit",
    "join-confirm",          "join-already-member",
    "confidentiality",       "join-declined",
};
#define NSHIPPED (sizeof shipped / sizeof *shipped)

static struct template *
parse_ok(const char *text, enum tmpl_channel channel)
{
	struct template *t = NULL;
	char *cause = NULL;

	if (template_parse_string(text, "t.txt", channel, 0, &t, &cause) != 0)
		fail_msg("parse failed: %s", cause);
	return t;
}

/* Parse text, expect failure, check the cause contains want. */
static void
parse_fails(const char *text, enum tmpl_channel channel, const char *want)
{
	struct template *t = NULL;
	char *cause = NULL;

	assert_int_equal(
	    template_parse_string(text, "t.txt", channel, 0, &t, &cause), -1);
	assert_null(t);
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, want);
	free(cause);
}

/* Render t, expect failure, check the cause contains want. */
static void
render_fails(const struct template *t, const struct tvars *v, const char *want)
{
	struct rendered r;
	char *cause = NULL;

	assert_int_equal(template_render(t, v, &r, &cause), -1);
	assert_null(r.subject);
	assert_null(r.text);
	assert_null(r.html);
	if (strstr(cause, want) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, want);
	free(cause);
}

static void
render_ok(const struct template *t, const struct tvars *v, struct rendered *r)
{
	char *cause = NULL;

	if (template_render(t, v, r, &cause) != 0)
		fail_msg("render failed: %s", cause);
	if (strstr(r->text, " on .") != NULL ||
	    strstr(r->text, "Call .") != NULL ||
	    (r->html != NULL && strstr(r->html, " on .") != NULL))
		fail_msg("a value left a gap: %s", r->text);
}

static void
write_file(const char *dir, const char *rel, const char *content)
{
	char *path = xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(content, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static void
rm_file(const char *dir, const char *rel)
{
	char *path = xasprintf("%s/%s", dir, rel);

	unlink(path);
	free(path);
}

/* A temporary templates directory with email/ and sms/. */
static int
setup_dir(void **state)
{
	char *dir = xstrdup("/tmp/ppgd-template-XXXXXX"), *sub;

	if (mkdtemp(dir) == NULL)
		return -1;
	sub = xasprintf("%s/email", dir);
	mkdir(sub, 0700);
	free(sub);
	sub = xasprintf("%s/sms", dir);
	mkdir(sub, 0700);
	free(sub);
	*state = dir;
	return 0;
}

static int
teardown_dir(void **state)
{
	char *dir = *state, *cmd = xasprintf("rm -rf '%s'", dir);
	int r = system(cmd);

	free(cmd);
	free(dir);
	return r == 0 ? 0 : -1;
}

static void
test_every_placeholder(void **state)
{
	struct tvars *v = tvars_new();
	struct template *t;
	struct rendered r;
	char *text = xstrdup(""), *want = xstrdup(""), *s;
	size_t i;

	for (i = 0; i < NNAMES; i++) {
		s = xasprintf("%s%s{{ %s }}", text, i ? "|" : "", names[i]);
		free(text);
		text = s;
		s = xasprintf("%s%sv:%s", want, i ? "|" : "", names[i]);
		free(want);
		want = s;
		s = xasprintf("v:%s", names[i]);
		tvars_set(v, names[i], s);
		free(s);
	}
	t = parse_ok(text, TMPL_SMS);
	render_ok(t, v, &r);
	assert_string_equal(r.text, want);
	assert_null(r.subject);
	assert_null(r.html);
	for (i = 0; i < NNAMES; i++)
		assert_true(template_uses(t, names[i]));
	rendered_clear(&r);
	template_free(t);
	free(text);
	free(want);
	tvars_free(v);
}

static void
test_placeholder_spacing(void **state)
{
	struct tvars *v = tvars_new();
	struct template *t = parse_ok("A{{member.first_name}}B{{\tmember."
	                              "first_name  }}C",
	                              TMPL_SMS);
	struct rendered r;

	tvars_set(v, "member.first_name", "Ann");
	render_ok(t, v, &r);
	assert_string_equal(r.text, "AAnnBAnnC");
	assert_true(template_uses(t, "member.first_name"));
	assert_false(template_uses(t, "member.last_name"));
	assert_false(template_uses(t, "no.such"));
	rendered_clear(&r);
	template_free(t);
	tvars_free(v);
}

static void
test_sample_values(void **state)
{
	struct tvars *v = tvars_sample();
	struct sms_info info;
	size_t i;

	for (i = 0; i < NNAMES; i++) {
		const char *s = tvars_get(v, names[i]);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
		/* Samples are GSM-7 so they measure the common case. */
		assert_int_equal(sms_analyse(s, &info), 0);
		assert_int_equal(info.encoding, SMS_GSM7);
	}
	/* Lengths stated in ppgd-templates(5). */
	assert_int_equal(strlen(tvars_get(v, "member.first_name")), 12);
	assert_int_equal(strlen(tvars_get(v, "practice.name")), 30);
	assert_int_equal(strlen(tvars_get(v, "survey.link")), 48);
	assert_int_equal(strlen(tvars_get(v, "message.text")), 157);
	tvars_free(v);
}

static void
test_unknown_placeholder(void **state)
{
	parse_fails("Subject: Hello\n\nDear {{member.first_name}},\n\n"
	            "Hi {{ member.frist_name }}\n",
	            TMPL_EMAIL,
	            "t.txt:5: unknown placeholder "
	            "{{ member.frist_name }}");
	parse_fails("Subject: {{survey.name}}\n\nBody\n", TMPL_EMAIL,
	            "t.txt:1: unknown placeholder {{survey.name}}");
	parse_fails("one\ntwo {{member}}", TMPL_SMS,
	            "t.txt:2: unknown placeholder {{member}}");
	parse_fails("x {{ }}", TMPL_SMS, "t.txt:1: empty placeholder");
	parse_fails("x {{Member.First_Name}}", TMPL_SMS,
	            "t.txt:1: malformed placeholder");
	parse_fails("x {{member first_name}}", TMPL_SMS,
	            "t.txt:1: malformed placeholder");
}

static void
test_unterminated(void **state)
{
	parse_fails("Hello {{member.first_name", TMPL_SMS,
	            "t.txt:1: unterminated {{");
	parse_fails("Hi\nHello {{member.first_name\n}}", TMPL_SMS,
	            "t.txt:2: unterminated {{");
	parse_fails("Hello {{ member.first_name }", TMPL_SMS,
	            "t.txt:1: unterminated {{");
}

static void
test_missing_value(void **state)
{
	struct template *t = parse_ok("Hi {{member.first_name}}, see\n"
	                              "{{survey.link}}",
	                              TMPL_SMS);
	struct tvars *v = tvars_new();

	tvars_set(v, "member.first_name", "Ann");
	render_fails(t, v, "t.txt:2: no value for {{survey.link}}");
	tvars_set(v, "survey.link", "");
	render_fails(t, v, "no value for {{survey.link}}");
	tvars_set(v, "survey.link", "https://x/s/1");
	tvars_set(v, "member.first_name", "");
	render_fails(t, v, "t.txt:1: no value for {{member.first_name}}");
	template_free(t);
	tvars_free(v);
}

/* {{member.extra.NAME}}: any custom field; empty when the member has
 * none; a section can test for it. */
static void
test_extra_fields(void **state)
{
	struct template *t = parse_ok(
	    "Hi {{member.first_name}}.{{#member.extra.school}} Parents at "
	    "{{member.extra.school}}: join us.{{/member.extra.school}}",
	    TMPL_SMS);
	struct tvars *v = tvars_new();
	struct rendered r;
	char *cause = NULL;

	tvars_set(v, "member.first_name", "Ann");
	assert_int_equal(template_render(t, v, &r, &cause), 0);
	assert_string_equal(r.text, "Hi Ann.");
	rendered_clear(&r);
	tvars_set(v, "member.extra.school", "Hillcrest Primary");
	assert_int_equal(template_render(t, v, &r, &cause), 0);
	assert_string_equal(r.text,
	                    "Hi Ann. Parents at Hillcrest Primary: join us.");
	rendered_clear(&r);
	tvars_clear_prefix(v, "member.extra.");
	assert_int_equal(template_render(t, v, &r, &cause), 0);
	assert_string_equal(r.text, "Hi Ann.");
	rendered_clear(&r);
	assert_true(template_uses(t, "member.extra.school"));
	template_free(t);
	tvars_free(v);
	parse_fails("{{member.extra}}", TMPL_SMS, "unknown placeholder");
	parse_fails("{{member.extra.a.b}}", TMPL_SMS, "unknown placeholder");
}

static void
test_escaping_html_only(void **state)
{
	const char *dir = *state;
	const char *nasty = "Tom & \"Jerry\" <b>'s</b>";
	struct template *t = NULL;
	struct tvars *v = tvars_new();
	struct rendered r;
	char *cause = NULL;

	write_file(dir, "email/esc.txt",
	           "Subject: {{campaign.name}}\n\n{{message.text}}\n");
	write_file(
	    dir, "email/esc.html",
	    "<p>{{message.text}}</p>\n<a href=\"{{survey.link}}\">x</a>\n");
	write_file(dir, "sms/esc.txt", "{{message.text}}\n");
	tvars_set(v, "campaign.name", nasty);
	tvars_set(v, "message.text", nasty);
	tvars_set(v, "survey.link", "https://x/s/1?a=1&b=\"2\"");
	assert_int_equal(template_load(dir, "esc", TMPL_EMAIL, 0, &t, &cause),
	                 0);
	render_ok(t, v, &r);
	assert_string_equal(r.subject, nasty);
	assert_string_equal(r.text, "Tom & \"Jerry\" <b>'s</b>\n");
	assert_string_equal(r.html,
	                    "<p>Tom &amp; &quot;Jerry&quot; &lt;b&gt;&#39;s"
	                    "&lt;/b&gt;</p>\n<a href=\"https://x/s/1?a=1&amp;"
	                    "b=&quot;2&quot;\">x</a>\n");
	rendered_clear(&r);
	template_free(t);
	assert_int_equal(template_load(dir, "esc", TMPL_SMS, 0, &t, &cause), 0);
	render_ok(t, v, &r);
	assert_string_equal(r.text, nasty); /* trailing newline dropped */
	assert_null(r.subject);
	assert_null(r.html);
	rendered_clear(&r);
	template_free(t);
	tvars_free(v);
}

static void
test_html_line_breaks(void **state)
{
	const char *dir = *state;
	struct template *t = NULL;
	struct tvars *v = tvars_new();
	struct rendered r;
	char *cause = NULL;

	write_file(dir, "email/nl.txt", "Subject: News\n\n{{actions.list}}\n");
	write_file(dir, "email/nl.html", "<p>{{actions.list}}</p>");
	tvars_set(v, "actions.list", "- one\n- two & three");
	assert_int_equal(template_load(dir, "nl", TMPL_EMAIL, 0, &t, &cause),
	                 0);
	render_ok(t, v, &r);
	assert_string_equal(r.text, "- one\n- two & three\n");
	assert_string_equal(r.html, "<p>- one<br>\n- two &amp; three</p>");
	rendered_clear(&r);
	template_free(t);
	tvars_free(v);
}

static void
test_html_escape(void **state)
{
	char *s = html_escape("a&b<c>d\"e'f\ng");

	assert_string_equal(s, "a&amp;b&lt;c&gt;d&quot;e&#39;f\ng");
	free(s);
	s = html_escape("");
	assert_string_equal(s, "");
	free(s);
}

static void
test_subject_line_break_refused(void **state)
{
	struct template *t = parse_ok("Subject: News: {{campaign.name}}\n\n"
	                              "{{campaign.name}}\n",
	                              TMPL_EMAIL);
	struct tvars *v = tvars_new();
	struct rendered r;

	tvars_set(v, "campaign.name", "Flu\r\nBcc: everyone@example.org");
	render_fails(t, v,
	             "t.txt:1: value of {{campaign.name}} would put a "
	             "line break in the subject");
	tvars_set(v, "campaign.name", "Flu\ndates");
	render_fails(t, v, "line break in the subject");
	tvars_set(v, "campaign.name", "Flu\rdates");
	render_fails(t, v, "line break in the subject");
	tvars_set(v, "campaign.name", "Flu dates");
	render_ok(t, v, &r);
	assert_string_equal(r.subject, "News: Flu dates");
	assert_string_equal(r.text, "Flu dates\n");
	rendered_clear(&r);
	template_free(t);
	/* A lone CR in the file's Subject line is caught as well. */
	t = parse_ok("Subject: a\rb\n\nbody\n", TMPL_EMAIL);
	render_fails(t, v, "line break in the subject");
	template_free(t);
	tvars_free(v);
}

static void
test_sections(void **state)
{
	struct template *t =
	    parse_ok("A{{#meeting.agenda}}[agenda: {{meeting.agenda}}]"
	             "{{/meeting.agenda}}{{^ meeting.agenda }}[no agenda]"
	             "{{/ meeting.agenda }}B",
	             TMPL_SMS);
	struct tvars *v = tvars_new();
	struct rendered r;

	render_ok(t, v, &r); /* unset: a section needs no value */
	assert_string_equal(r.text, "A[no agenda]B");
	rendered_clear(&r);
	tvars_set(v, "meeting.agenda", "");
	render_ok(t, v, &r);
	assert_string_equal(r.text, "A[no agenda]B");
	rendered_clear(&r);
	tvars_set(v, "meeting.agenda", "tea");
	render_ok(t, v, &r);
	assert_string_equal(r.text, "A[agenda: tea]B");
	assert_true(template_uses(t, "meeting.agenda"));
	rendered_clear(&r);
	template_free(t);
	tvars_free(v);
}

static void
test_nested_sections(void **state)
{
	struct template *t =
	    parse_ok("{{#practice.phone}}Call {{practice.phone}}"
	             "{{#practice.website}} or see {{practice.website}}"
	             "{{/practice.website}}.{{/practice.phone}}",
	             TMPL_SMS);
	struct tvars *v = tvars_new();
	struct rendered r;

	render_ok(t, v, &r);
	assert_string_equal(r.text, "");
	rendered_clear(&r);
	tvars_set(v, "practice.phone", "01");
	render_ok(t, v, &r);
	assert_string_equal(r.text, "Call 01.");
	rendered_clear(&r);
	tvars_set(v, "practice.website", "w");
	render_ok(t, v, &r);
	assert_string_equal(r.text, "Call 01 or see w.");
	rendered_clear(&r);
	template_free(t);
	tvars_free(v);
}

static void
test_section_errors(void **state)
{
	parse_fails("a\n{{#meeting.agenda}}\nb\n", TMPL_SMS,
	            "t.txt:2: section {{#meeting.agenda}} has no "
	            "{{/meeting.agenda}}");
	parse_fails("a\nb{{/meeting.agenda}}", TMPL_SMS,
	            "t.txt:2: section end without start");
	parse_fails("{{#meeting.agenda}}{{#meeting.when}}{{/meeting.agenda}}"
	            "{{/meeting.when}}",
	            TMPL_SMS, "t.txt:1: section end does not match start");
	parse_fails("{{#meeting.agendas}}{{/meeting.agendas}}", TMPL_SMS,
	            "unknown placeholder");
}

static void
test_email_format_errors(void **state)
{
	parse_fails("Hello there\n\nbody\n", TMPL_EMAIL,
	            "t.txt:1: expected \"Subject: ...\"");
	parse_fails("Subject: a\nFrom: b\n\nbody\n", TMPL_EMAIL,
	            "t.txt:2: expected \"Subject: ...\"");
	parse_fails("Subject: a\nSubject: b\n\nbody\n", TMPL_EMAIL,
	            "t.txt:2: second Subject");
	parse_fails("Subject:   \n\nbody\n", TMPL_EMAIL,
	            "t.txt:1: empty Subject");
	parse_fails("Subject: a\nbody\n", TMPL_EMAIL,
	            "t.txt:2: expected \"Subject: ...\"");
	parse_fails("Subject: a\nbody", TMPL_EMAIL, "t.txt:2: no blank line");
	parse_fails("Subject: a", TMPL_EMAIL, "t.txt:1: no blank line");
	parse_fails("\nbody\n", TMPL_EMAIL, "t.txt:1: no Subject header");
	parse_fails("Subject: a\n\n  \n", TMPL_EMAIL, "t.txt:3: empty body");
	parse_fails(" \n\t\n", TMPL_SMS, "t.txt:1: empty message");
	parse_fails("caf\xc3", TMPL_SMS, "t.txt: not valid UTF-8");
}

static void
test_email_lines_and_case(void **state)
{
	struct template *t = parse_ok("subject:  Hi {{member.first_name}}  \n"
	                              "\nDear {{member.first_name}},\n",
	                              TMPL_EMAIL);
	struct tvars *v = tvars_new();
	struct rendered r;

	tvars_set(v, "member.first_name", "Ann");
	render_ok(t, v, &r);
	assert_string_equal(r.subject, "Hi Ann");
	assert_string_equal(r.text, "Dear Ann,\n");
	assert_null(r.html); /* no HTML part given */
	rendered_clear(&r);
	template_free(t);
	tvars_free(v);
}

static void
test_sms_segment_limit(void **state)
{
	const char *dir = *state;
	struct template *t = NULL;
	char *cause = NULL;

	/* message.text (157) + survey.question (97) + 132 literal > 306. */
	write_file(dir, "sms/long.txt",
	           "{{message.text}} {{survey.question}} "
	           "Some words to take this past two parts: xxxxxxxxxxxxxxxx"
	           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	           "xxxxxxxxxxxxxxxxxxx\n");
	assert_int_equal(template_load(dir, "long", TMPL_SMS, 2, &t, &cause),
	                 -1);
	assert_null(t);
	assert_non_null(strstr(cause, "sms/long.txt: 3 SMS segments"));
	assert_non_null(strstr(cause, "more than 2"));
	free(cause);
	assert_int_equal(template_load(dir, "long", TMPL_SMS, 3, &t, &cause),
	                 0);
	template_free(t);
	assert_int_equal(template_load(dir, "long", TMPL_SMS, 0, &t, &cause),
	                 0);
	template_free(t);
	/* Email templates are not measured. */
	write_file(dir, "email/long.txt", "Subject: a\n\n{{message.text}}\n");
	assert_int_equal(template_load(dir, "long", TMPL_EMAIL, 1, &t, &cause),
	                 0);
	template_free(t);
	/* A curly quote makes the whole message UCS-2. */
	write_file(dir, "sms/quote.txt", "It\xe2\x80\x99s {{message.text}}\n");
	assert_int_equal(template_load(dir, "quote", TMPL_SMS, 2, &t, &cause),
	                 -1);
	assert_non_null(strstr(cause, "UCS-2"));
	free(cause);
	rm_file(dir, "sms/long.txt");
	rm_file(dir, "sms/quote.txt");
	rm_file(dir, "email/long.txt");
}

static void
test_load_errors(void **state)
{
	const char *dir = *state;
	struct template *t = NULL;
	char *cause = NULL;

	assert_int_equal(template_load(dir, "../etc", TMPL_SMS, 0, &t, &cause),
	                 -1);
	assert_non_null(strstr(cause, "template name"));
	free(cause);
	assert_int_equal(
	    template_load(dir, "absent", TMPL_EMAIL, 0, &t, &cause), -1);
	assert_non_null(strstr(cause, "email/absent.txt: No such file"));
	free(cause);
	/* The HTML part is checked with its own file name and line. */
	write_file(dir, "email/badhtml.txt", "Subject: a\n\nbody\n");
	write_file(dir, "email/badhtml.html",
	           "<html>\n<body>\n<p>{{member.name}}</p>\n");
	assert_int_equal(
	    template_load(dir, "badhtml", TMPL_EMAIL, 0, &t, &cause), -1);
	assert_non_null(strstr(cause,
	                       "email/badhtml.html:3: unknown placeholder "
	                       "{{member.name}}"));
	free(cause);
	assert_null(t);
	rm_file(dir, "email/badhtml.txt");
	rm_file(dir, "email/badhtml.html");
}

static void
test_load_crlf(void **state)
{
	const char *dir = *state;
	struct template *t = NULL;
	struct tvars *v = tvars_new();
	struct rendered r;
	char *cause = NULL;

	write_file(dir, "email/crlf.txt",
	           "Subject: Hello {{member.first_name}}\r\n\r\nLine 1\r\n"
	           "Line 2\r\n");
	write_file(dir, "sms/crlf.txt", "Hi {{member.first_name}}\r\n");
	tvars_set(v, "member.first_name", "Ann");
	assert_int_equal(template_load(dir, "crlf", TMPL_EMAIL, 0, &t, &cause),
	                 0);
	render_ok(t, v, &r);
	assert_string_equal(r.subject, "Hello Ann");
	assert_string_equal(r.text, "Line 1\nLine 2\n");
	rendered_clear(&r);
	template_free(t);
	assert_int_equal(template_load(dir, "crlf", TMPL_SMS, 0, &t, &cause),
	                 0);
	render_ok(t, v, &r);
	assert_string_equal(r.text, "Hi Ann");
	rendered_clear(&r);
	template_free(t);
	tvars_free(v);
}

static void
test_tvars(void **state)
{
	struct tvars *v = tvars_new();

	assert_null(tvars_get(v, "member.first_name"));
	tvars_set(v, "member.first_name", "Ann");
	tvars_set(v, "member.last_name", "Lee");
	tvars_set(v, "member.first_name", "Bea");
	assert_string_equal(tvars_get(v, "member.first_name"), "Bea");
	assert_string_equal(tvars_get(v, "member.last_name"), "Lee");
	tvars_free(v);
	tvars_free(NULL);
}

static void
check_shipped_email(const char *name, const struct tvars *v)
{
	struct template *t = NULL;
	struct rendered r;
	char *cause = NULL;
	const char *unsub = tvars_get(v, "unsubscribe.link");
	/* Transactional: to people who are not (or no longer) on the list. */
	int optout = strcmp(name, "optout-confirmation") == 0 ||
	             strcmp(name, "join-confirm") == 0 ||
	             strcmp(name, "join-already-member") == 0 ||
	             strcmp(name, "join-declined") == 0 ||
	             strcmp(name, "confidentiality") == 0;

	if (template_load("templates", name, TMPL_EMAIL, 3, &t, &cause) != 0)
		fail_msg("%s", cause);
	render_ok(t, v, &r);
	assert_true(strlen(r.subject) > 0);
	assert_non_null(r.html);
	assert_non_null(strstr(r.html, "<html lang=\"en\""));
	assert_non_null(strstr(r.html, "<meta charset=\"utf-8\">"));
	if (!optout) {
		if (strstr(r.text, unsub) == NULL ||
		    strstr(r.html, unsub) == NULL)
			fail_msg("email %s has no unsubscribe link", name);
	}
	rendered_clear(&r);
	template_free(t);
}

static void
check_shipped_sms(const char *name, const struct tvars *v)
{
	struct template *t = NULL;
	struct rendered r;
	struct sms_info info;
	char *cause = NULL;

	if (template_load("templates", name, TMPL_SMS, 3, &t, &cause) != 0)
		fail_msg("%s", cause);
	render_ok(t, v, &r);
	assert_int_equal(sms_analyse(r.text, &info), 0);
	if (info.encoding != SMS_GSM7)
		fail_msg("sms %s is not GSM-7", name);
	if (info.segments > 2)
		fail_msg("sms %s: %zu segments", name, info.segments);
	if (strcmp(name, "optout-confirmation") == 0)
		assert_non_null(strstr(r.text, "START"));
	else if (strncmp(name, "join-", 5) == 0)
		/* To someone asking to join: not on any list yet. */
		assert_null(strstr(r.text, "STOP"));
	else if (strstr(r.text, "Reply STOP") == NULL)
		fail_msg("sms %s does not say how to opt out", name);
	rendered_clear(&r);
	template_free(t);
}

static void
test_shipped_templates(void **state)
{
	struct tvars *v = tvars_sample();
	size_t i;

	for (i = 0; i < NSHIPPED; i++) {
		check_shipped_email(shipped[i], v);
		check_shipped_sms(shipped[i], v);
	}
	/* A practice may not have given a phone number: every template
	 * still renders, and reads without a dangling "on". */
	tvars_set(v, "practice.phone", "");
	for (i = 0; i < NSHIPPED; i++) {
		check_shipped_email(shipped[i], v);
		check_shipped_sms(shipped[i], v);
	}
	tvars_free(v);
}

static int
is_shipped(const char *file)
{
	size_t i, len;

	for (i = 0; i < NSHIPPED; i++) {
		len = strlen(shipped[i]);
		if (strncmp(file, shipped[i], len) == 0 &&
		    (strcmp(file + len, ".txt") == 0 ||
		     strcmp(file + len, ".html") == 0))
			return 1;
	}
	return 0;
}

/* Every file in templates/email and templates/sms is tested above. */
static void
test_no_untested_templates(void **state)
{
	static const char *dirs[] = {"templates/email", "templates/sms"};
	struct dirent *de;
	size_t i, n = 0;
	DIR *d;

	for (i = 0; i < 2; i++) {
		assert_non_null(d = opendir(dirs[i]));
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (!is_shipped(de->d_name))
				fail_msg("%s/%s is not in the shipped list",
				         dirs[i], de->d_name);
			n++;
		}
		closedir(d);
	}
	assert_int_equal(n, NSHIPPED * 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_placeholder),
	    cmocka_unit_test(test_placeholder_spacing),
	    cmocka_unit_test(test_sample_values),
	    cmocka_unit_test(test_unknown_placeholder),
	    cmocka_unit_test(test_unterminated),
	    cmocka_unit_test(test_missing_value),
	    cmocka_unit_test_setup_teardown(test_escaping_html_only, setup_dir,
	                                    teardown_dir),
	    cmocka_unit_test_setup_teardown(test_html_line_breaks, setup_dir,
	                                    teardown_dir),
	    cmocka_unit_test(test_html_escape),
	    cmocka_unit_test(test_subject_line_break_refused),
	    cmocka_unit_test(test_sections),
	    cmocka_unit_test(test_nested_sections),
	    cmocka_unit_test(test_section_errors),
	    cmocka_unit_test(test_email_format_errors),
	    cmocka_unit_test(test_email_lines_and_case),
	    cmocka_unit_test_setup_teardown(test_sms_segment_limit, setup_dir,
	                                    teardown_dir),
	    cmocka_unit_test_setup_teardown(test_load_errors, setup_dir,
	                                    teardown_dir),
	    cmocka_unit_test_setup_teardown(test_load_crlf, setup_dir,
	                                    teardown_dir),
	    cmocka_unit_test(test_tvars),
	    cmocka_unit_test(test_extra_fields),
	    cmocka_unit_test(test_shipped_templates),
	    cmocka_unit_test(test_no_untested_templates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
