/* Recruitment actions and joins by source in the representation report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htmlout.h"
#include "join.h"
#include "jsonx.h"
#include "recruit.h"
#include "util.h"
#include "xmalloc.h"

void
recruit_annotate(struct db *db, int64_t practice_id, int64_t at, json_t *report)
{
	json_t *src = join_sources(db, practice_id, at - RECRUIT_PERIOD, at);
	const char *code =
	    json_string_value(json_object_get(report, "practice"));
	const json_t *f, *g, *by;
	const char *field, *value;
	char from[11], to[11];
	size_t i, j;

	json_array_foreach(json_object_get(report, "fields"), i, f)
	{
		field = json_string_value(json_object_get(f, "field"));
		json_array_foreach(json_object_get(f, "groups"), j, g)
		{
			if (!json_is_true(
			        json_object_get(g, "under_represented")))
				continue;
			value = json_string_value(json_object_get(g, "value"));
			by =
			    json_object_get(json_object_get(src, field), value);
			jsonx_set((json_t *)g, "joined_by_source",
			          by != NULL ? json_deep_copy(by)
			                     : json_object());
			jsonx_set(
			    (json_t *)g, "recruit",
			    json_sprintf("ppgd recruit poster --practice %s "
			                 "--source %s-%s --html FILE",
			                 code, field, value));
		}
	}
	jsonx_set(report, "joins_from",
	          json_string(util_format_date(at - RECRUIT_PERIOD, from)));
	jsonx_set(report, "joins_to", json_string(util_format_date(at, to)));
	json_decref(src);
}

/* "waiting-room 2, sms 1" or "none". Caller frees. */
static char *
by_source(const json_t *by)
{
	char *out = NULL;
	size_t len;
	FILE *fp = open_memstream(&out, &len);
	const char *k;
	json_t *v;
	int n = 0;

	json_object_foreach((json_t *)by, k, v)
	{
		fprintf(fp, "%s%s %lld", n++ ? ", " : "", k,
		        (long long)json_integer_value(v));
	}
	if (n == 0)
		fputs("none", fp);
	fclose(fp);
	return out;
}

#define EACH_UNDER(r, f, g, i, j)                                              \
	json_array_foreach(json_object_get(r, "fields"), i, f)                 \
	    json_array_foreach(json_object_get(f, "groups"), j,                \
	                       g) if (json_object_get(g, "recruit") != NULL)

void
recruit_html(struct html *h, const json_t *r)
{
	static const char *const heads[] = {"Group", "Joined, by source",
	                                    "Recruitment action"};
	const json_t *f, *g;
	char *cells[3], *caption;
	size_t i, j, k;

	caption = xasprintf("Recruitment of under-represented groups: new "
	                    "members by where they found the join link, %s "
	                    "to %s",
	                    json_string_value(json_object_get(r, "joins_from")),
	                    json_string_value(json_object_get(r, "joins_to")));
	html_table_begin(h, caption, heads, 3);
	EACH_UNDER(r, f, g, i, j)
	{
		cells[0] = xasprintf(
		    "%s=%s", json_string_value(json_object_get(f, "field")),
		    json_string_value(json_object_get(g, "value")));
		cells[1] = by_source(json_object_get(g, "joined_by_source"));
		cells[2] =
		    xstrdup(json_string_value(json_object_get(g, "recruit")));
		html_table_row(h, (const char *const *)cells, 3);
		for (k = 0; k < 3; k++)
			free(cells[k]);
	}
	html_table_end(h);
	free(caption);
}

void
recruit_text(const json_t *r)
{
	const json_t *f, *g;
	size_t i, j;
	char *s;

	printf("\nrecruitment (joins %s to %s, by source):\n",
	       json_string_value(json_object_get(r, "joins_from")),
	       json_string_value(json_object_get(r, "joins_to")));
	EACH_UNDER(r, f, g, i, j)
	{
		s = by_source(json_object_get(g, "joined_by_source"));
		printf("  %s=%-16s joined: %s\n    %s\n",
		       json_string_value(json_object_get(f, "field")),
		       json_string_value(json_object_get(g, "value")), s,
		       json_string_value(json_object_get(g, "recruit")));
		free(s);
	}
}
