/*
 * Link tokens derived by HMAC-SHA256 under one key per install, so a fire
 * stores nothing per member for its links and a link is checked without a
 * lookup. The key is a secret file: [security] token_key_file (a systemd
 * credential, read by config), or DATABASE.token-key beside the database,
 * made from the CSPRNG with mode 0600 the first time it is needed. Losing
 * the key breaks the links already sent; keep it with the backups.
 *
 * The MAC context is keyed once and re-initialised per token; callers are
 * on the daemon's loop thread or the CLI (one thread).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "config.h"
#include "crypto.h"
#include "linktoken.h"
#include "log.h"
#include "xmalloc.h"

#define VERSION    1
#define KEY_BYTES  32
#define KEY_TAIL   ".token-key"
#define VARINT_MAX 9

static char *key_id;     /* the path or secret the key came from */
static EVP_MAC_CTX *mac; /* keyed */
static int key_fixed;    /* by linktoken_set_key: the config is ignored */

static void
key_forget(void)
{
	if (key_id != NULL)
		explicit_bzero(key_id, strlen(key_id));
	free(key_id);
	key_id = NULL;
	EVP_MAC_CTX_free(mac);
	mac = NULL;
}

static void
key_use(const char *id, const char *secret)
{
	OSSL_PARAM params[2];
	EVP_MAC *m;

	key_forget();
	if ((m = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (mac = EVP_MAC_CTX_new(m)) == NULL)
		fatalx("linktoken: no HMAC");
	EVP_MAC_free(m);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	                                             (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(mac, (const unsigned char *)secret, strlen(secret),
	                 params) != 1)
		fatalx("linktoken: HMAC init");
	key_id = xstrdup(id);
}

void
linktoken_set_key(const char *key)
{
	if (key == NULL)
		key_forget();
	else
		key_use(key, key);
	key_fixed = key != NULL;
}

/*
 * Make path with a new random key (hex), unless it exists; 0 or -1. The key
 * is written to a new file first and linked into place, so another process
 * making it at the same time never reads it half written.
 */
static int
key_create(const char *path, char **cause)
{
	unsigned char raw[KEY_BYTES];
	char hex[2 * KEY_BYTES + 2], *tmp;
	int fd, i, rc = 0;

	if (access(path, F_OK) == 0)
		return 0;
	tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	          0600);
	if (fd == -1) {
		*cause = xasprintf("cannot create token key %s: %s", path,
		                   strerror(errno));
		free(tmp);
		return -1;
	}
	if (RAND_bytes(raw, sizeof raw) != 1)
		fatalx("linktoken: RAND_bytes failed");
	for (i = 0; i < KEY_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	hex[2 * KEY_BYTES] = '\n';
	if (write(fd, hex, sizeof hex - 1) != (ssize_t)(sizeof hex - 1) ||
	    fsync(fd) == -1) {
		*cause = xasprintf("cannot write token key %s: %s", path,
		                   strerror(errno));
		rc = -1;
	} else if (link(tmp, path) == 0)
		log_info("event=token_key_created path=%s", path);
	else if (errno != EEXIST) { /* EEXIST: another process made it */
		*cause = xasprintf("cannot create token key %s: %s", path,
		                   strerror(errno));
		rc = -1;
	}
	close(fd);
	unlink(tmp);
	free(tmp);
	explicit_bzero(raw, sizeof raw);
	explicit_bzero(hex, sizeof hex);
	return rc;
}

int
linktoken_key(const struct config *cfg, char **cause)
{
	const char *secret = config_str(cfg, CFG_TOKEN_KEY);
	char *path, *text;
	int rc;

	if (key_fixed)
		return 0;
	if (*secret != '\0') {
		if (key_id == NULL || strcmp(key_id, secret) != 0)
			key_use(secret, secret);
		return 0;
	}
	path = xasprintf("%s%s", config_str(cfg, CFG_DATABASE), KEY_TAIL);
	if (key_id != NULL && strcmp(key_id, path) == 0) {
		free(path);
		return 0;
	}
	rc = key_create(path, cause);
	if (rc == 0 && (rc = config_read_secret(path, &text, cause)) == 0) {
		key_use(path, text);
		explicit_bzero(text, strlen(text));
		free(text);
	}
	free(path);
	return rc;
}

static size_t
varint_put(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			p[n] |= 0x80;
		n++;
	} while (v != 0);
	return n;
}

/* Read a varint of at most VARINT_MAX bytes; bytes used, or 0. */
static size_t
varint_get(const unsigned char *p, size_t len, int64_t *out)
{
	uint64_t v = 0;
	size_t n;

	for (n = 0; n < len && n < VARINT_MAX; n++) {
		v |= (uint64_t)(p[n] & 0x7f) << (7 * n);
		if ((p[n] & 0x80) == 0) {
			if (v > INT64_MAX)
				return 0;
			*out = (int64_t)v;
			return n + 1;
		}
	}
	return 0;
}

static void
mac_of(const unsigned char *msg, size_t len, unsigned char out[32])
{
	size_t n = 0;

	if (EVP_MAC_init(mac, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(mac, msg, len) != 1 ||
	    EVP_MAC_final(mac, out, &n, 32) != 1 || n != 32)
		fatalx("linktoken: HMAC failed");
}

int
linktoken_make(const struct config *cfg, enum linktoken_kind kind, int64_t run,
               int64_t member, char out[LINKTOKEN_MAX], char **cause)
{
	unsigned char b[1 + 2 * VARINT_MAX + 32];
	size_t n;
	char *s;

	if (linktoken_key(cfg, cause) == -1)
		return -1;
	b[0] = (unsigned char)(VERSION << 4 | kind);
	n = 1 + varint_put(b + 1, (uint64_t)run);
	n += varint_put(b + n, (uint64_t)member);
	mac_of(b, n, b + n);
	s = crypto_base64url(b, n + LINKTOKEN_MAC);
	snprintf(out, LINKTOKEN_MAX, "%s", s);
	free(s);
	return 0;
}

/* base64url (no padding) into out; bytes, or -1 if not base64url. */
static int
b64url_decode(const char *s, unsigned char *out, size_t cap)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmno"
	                          "pqrstuvwxyz0123456789-_";
	uint32_t acc = 0;
	size_t n = 0, bits = 0;
	const char *c;

	for (; *s != '\0'; s++) {
		if ((c = strchr(abc, *s)) == NULL)
			return -1;
		acc = acc << 6 | (uint32_t)(c - abc);
		if ((bits += 6) >= 8) {
			if (n == cap)
				return -1;
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	/* Leftover bits must be zero and fewer than a character's, so a
	 * token has one spelling. */
	if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (int)n;
}

int
linktoken_parse(const struct config *cfg, const char *tok,
                enum linktoken_kind kind, int64_t *run, int64_t *member)
{
	unsigned char b[LINKTOKEN_MAX], want[32];
	char *cause = NULL;
	size_t n, k;
	int len;

	if (strlen(tok) >= LINKTOKEN_MAX ||
	    (len = b64url_decode(tok, b, sizeof b)) < 3 + LINKTOKEN_MAC ||
	    b[0] != (unsigned char)(VERSION << 4 | kind))
		return 0;
	if (linktoken_key(cfg, &cause) == -1) {
		log_warnx("event=token_key error=\"%s\"", cause);
		free(cause);
		return 0;
	}
	n = 1;
	if ((k = varint_get(b + n, (size_t)len - n, run)) == 0)
		return 0;
	n += k;
	if ((k = varint_get(b + n, (size_t)len - n, member)) == 0)
		return 0;
	n += k;
	if ((size_t)len != n + LINKTOKEN_MAC)
		return 0;
	mac_of(b, n, want);
	return CRYPTO_memcmp(want, b + n, LINKTOKEN_MAC) == 0;
}
