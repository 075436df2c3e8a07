/*
 * The web admin's one script (GET /admin.js), a progressive enhancement:
 * every page works without it. A form marked data-live="ID" is sent again,
 * a moment after the user stops typing, with format=json to the server,
 * which checks it as the form's own button would (a template's
 * placeholders and SMS segments; a campaign's audience count) and answers
 * {"ok", "summary"}; the summary goes into the element ID (role=status,
 * so screen readers hear it) as text, never as markup. The pages' policy
 * allows scripts from the admin's own origin only (admin_http).
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "admin_page.h"
#include "http.h"

static const char script[] =
    "'use strict';\n"
    "(function () {\n"
    "  function live(form) {\n"
    "    var out = document.getElementById(form.dataset.live);\n"
    "    var fields = (form.dataset.liveFields || '').split(',');\n"
    "    var timer = null, seq = 0;\n"
    "    if (!out || !window.fetch || !window.URLSearchParams)\n"
    "      return;\n"
    "    function check() {\n"
    "      var body = new URLSearchParams(), mine = ++seq;\n"
    "      new FormData(form).forEach(function (v, k) {\n"
    "        if (typeof v === 'string')\n"
    "          body.append(k, v);\n"
    "      });\n"
    "      body.set('format', 'json');\n"
    "      if (form.dataset.liveStep)\n"
    "        body.set('step', form.dataset.liveStep);\n"
    "      if (form.dataset.liveChannel)\n"
    "        body.set('channel', form.dataset.liveChannel);\n"
    "      fetch(form.dataset.liveUrl || form.action, {method: 'POST',\n"
    "          body: body, credentials: 'same-origin'})\n"
    "        .then(function (r) { return r.json(); })\n"
    "        .then(function (j) {\n"
    "          if (mine !== seq)\n"
    "            return;\n"
    "          out.textContent = j.summary || '';\n"
    "          out.className = 'live ' + (j.ok ? 'live-ok' : 'live-bad');\n"
    "        })\n"
    "        .catch(function () {});\n"
    "    }\n"
    "    function changed(e) {\n"
    "      if (fields[0] !== '' && fields.indexOf(e.target.name) < 0)\n"
    "        return;\n"
    "      clearTimeout(timer);\n"
    "      timer = setTimeout(check, 400);\n"
    "    }\n"
    "    form.addEventListener('input', changed);\n"
    "    form.addEventListener('change', changed);\n"
    "  }\n"
    "  document.addEventListener('DOMContentLoaded', function () {\n"
    "    document.querySelectorAll('form[data-live]').forEach(live);\n"
    "  });\n"
    "})();\n";

void
admin_script(struct areq *ar)
{
	http_reply(ar->req, 200, "text/javascript; charset=utf-8", script,
	           sizeof script - 1);
}

void
admin_live_output(struct buf *b, const char *id)
{
	admin_escf(b,
	           "<p id=\"%s\" class=\"live\" role=\"status\" "
	           "aria-live=\"polite\"></p>",
	           id);
}

void
admin_reply_json(struct areq *ar, json_t *o)
{
	char *out = json_dumps(o, JSON_COMPACT);

	http_reply(ar->req, 200, "application/json", out, strlen(out));
	free(out);
	json_decref(o);
}
