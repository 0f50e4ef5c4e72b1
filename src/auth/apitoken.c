/*
 * apitoken.c: what tenant API tokens are, apart from where they are
 * kept: their shape, how a new one is made, the address lists they may
 * be limited to, and the names of refusals.  The database side (the
 * per-worker caches, verification, tenant aliases) is apitoken_store.c.
 */
#include <sys/random.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "apitoken.h"

/* ---- addresses ---- */

/*
 * Parses an address ("10.1.2.3", "2001:db8::1") or a network
 * ("10.0.0.0/8").  See apitoken.h.
 */
int
apitoken_cidr_parse(const char *s, struct apitoken_cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long bits;
	int i, max;

	memset(c, 0, sizeof(*c));
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else
		return -1;
	bits = max;
	if (slash != NULL) {
		if (*slash < '0' || *slash > '9' || strlen(slash) > 3)
			return -1;
		bits = strtol(slash, &end, 10);
		if (*end != '\0' || bits > max)
			return -1;
	}
	c->bits = (int)bits;
	/* no bits set right of the mask: "10.0.0.1/8" is a mistake */
	for (i = 0; i < max / 8; i++) {
		int keep = c->bits - i * 8;
		unsigned char mask = keep >= 8 ? 0xff : keep <= 0 ? 0 :
		    (unsigned char)(0xff << (8 - keep));

		if (c->addr[i] & ~mask)
			return -2;
	}
	return 0;
}

/* The canonical text of c ("10.0.0.0/8") into out. */
void
apitoken_cidr_format(const struct apitoken_cidr *c, char *out, size_t outsz)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(c->family, c->addr, a, sizeof(a)) == NULL)
		a[0] = '\0';
	snprintf(out, outsz, "%s/%d", a, c->bits);
}

/* 1 when address text addr lies in c.  See apitoken.h. */
int
apitoken_cidr_contains(const struct apitoken_cidr *c, const char *addr)
{
	unsigned char a[16];
	int fam, i, bits;

	if (addr == NULL)
		return 0;
	if (inet_pton(AF_INET, addr, a) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, addr, a) == 1) {
		static const unsigned char mapped[12] = {
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
		};

		fam = AF_INET6;
		if (memcmp(a, mapped, 12) == 0) {	/* ::ffff:10.1.2.3 */
			memmove(a, a + 12, 4);
			fam = AF_INET;
		}
	} else
		return 0;
	if (fam != c->family)
		return 0;
	for (i = 0, bits = c->bits; bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xff :
		    (unsigned char)(0xff << (8 - bits));

		if ((a[i] & mask) != c->addr[i])
			return 0;
	}
	return 1;
}

/* ---- tokens ---- */

char *
apitoken_new(struct arena *a, char hash_hex[65],
    char shown[APITOKEN_SHOWN_LEN + 1])
{
	unsigned char raw[32];
	char *secret, *t;
	size_t got = 0;
	ssize_t n;

	/* from the kernel's CSPRNG itself; EINTR: again */
	while (got < sizeof(raw)) {
		n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		got += (size_t)n;
	}
	secret = base64url_encode(a, raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	if (secret == NULL || strlen(secret) != APITOKEN_SECRET_LEN)
		return NULL;
	t = arena_sprintf(a, "%s%s", APITOKEN_PREFIX, secret);
	OPENSSL_cleanse(secret, APITOKEN_SECRET_LEN);
	token_sha256_hex(t, strlen(t), hash_hex);
	memcpy(shown, t, APITOKEN_SHOWN_LEN);
	shown[APITOKEN_SHOWN_LEN] = '\0';
	return t;
}

/* 1 when token[0..len) has the shape of an API token. */
int
apitoken_shape_ok(const char *token, size_t len)
{
	size_t i, n = sizeof(APITOKEN_PREFIX) - 1;

	if (len != n + APITOKEN_SECRET_LEN ||
	    memcmp(token, APITOKEN_PREFIX, n) != 0)
		return 0;
	for (i = n; i < len; i++) {
		char ch = token[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return 0;
	}
	return 1;
}

const char *
apitoken_status_str(enum apitoken_status s)
{
	switch (s) {
	case APITOKEN_OK:		return "ok";
	case APITOKEN_UNKNOWN:		return "unknown token";
	case APITOKEN_REVOKED:		return "revoked";
	case APITOKEN_EXPIRED:		return "expired";
	case APITOKEN_ADDRESS:		return "address not allowed";
	case APITOKEN_UNAVAILABLE:	return "unavailable";
	}
	return "?";
}

const char *
apitoken_status_reason(enum apitoken_status s)
{
	switch (s) {
	case APITOKEN_OK:		return "ok";
	case APITOKEN_UNKNOWN:		return "unknown_token";
	case APITOKEN_REVOKED:		return "revoked";
	case APITOKEN_EXPIRED:		return "token_expired";
	case APITOKEN_ADDRESS:		return "address_not_allowed";
	case APITOKEN_UNAVAILABLE:	return "unavailable";
	}
	return "unknown_token";
}
