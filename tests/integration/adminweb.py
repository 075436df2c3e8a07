"""A browser for the staff web admin in the integration tests: a cookie jar
(the __Host- session cookie and the sign-in form's CSRF cookie) over plain
HTTP, form posts and multipart uploads as a browser sends them."""

import re
import urllib.parse
import uuid

import ppgdtest as t

SESSION = "__Host-ppgd_session"
PRE = "__Host-ppgd_csrf"


def multipart(fields, files):
    """(content type, body) as a browser builds it: fields a list of
    (name, value), files a list of (field, filename, content type, bytes)."""
    b = "----ppgdtest" + uuid.uuid4().hex
    out = []
    for k, v in fields:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\""
                    "\r\n\r\n%s\r\n" % (b, k, v)).encode())
    for field, name, ctype, data in files:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
                    "filename=\"%s\"\r\nContent-Type: %s\r\n\r\n"
                    % (b, field, name, ctype)).encode() + data + b"\r\n")
    out.append(("--%s--\r\n" % b).encode())
    return "multipart/form-data; boundary=" + b, b"".join(out)


class Browser:
    """One person's browser: body is the last answer's bytes, set_cookies
    its Set-Cookie lines, set_cookie the last that set the session."""

    def __init__(self, base):
        self.base = base
        self.jar = {}
        self.body = b""
        self.set_cookie = None
        self.set_cookies = []

    @property
    def cookie(self):
        return self.jar.get(SESSION)

    @cookie.setter
    def cookie(self, value):
        self.jar[SESSION] = value

    def cookies(self, jar=None):
        """The Cookie header's value."""
        return "; ".join("%s=%s" % kv for kv in (jar or self.jar).items()
                         if kv[1])

    def req(self, method, path, data=None, ctype=None, headers=None,
            cookies=None):
        """cookies: a jar to send instead of this one."""
        h = dict(headers or {})
        c = self.cookies(cookies)
        if c:
            h["Cookie"] = c
        if ctype:
            h["Content-Type"] = ctype
        st, hd, body = t.http_request(method, self.base + path, data=data,
                                      headers=h)
        self.body = body
        self.set_cookies = hd.get_all("Set-Cookie") or []
        for sc in self.set_cookies:
            m = re.match(r"([^=;]+)=([^;]*)", sc)
            if m:
                self.jar[m.group(1)] = m.group(2) or None
            if sc.startswith(SESSION + "="):
                self.set_cookie = sc
        return st, hd, body.decode("utf-8", "replace")

    def get(self, path):
        return self.req("GET", path)

    def post(self, path, form, headers=None):
        return self.req("POST", path,
                        urllib.parse.urlencode(form, doseq=True).encode(),
                        "application/x-www-form-urlencoded", headers)

    def upload(self, path, fields, files):
        ct, body = multipart(fields, files)
        return self.req("POST", path, body, ct)

    def csrf(self, path="/"):
        """The CSRF token of the page's first form."""
        st, hd, body = self.get(path)
        m = re.search(r'name="csrf" value="([^"]+)"', body)
        return m.group(1) if m else ""

    def signed_in(self):
        return self.get("/account")[0] == 200
