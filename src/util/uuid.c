/*
 * uuid.c: uuids as text.  rosterd keeps uuids in the canonical
 * lower-case 36-character form everywhere (paths, JSON, SQL
 * parameters), so validation and normalisation are plain string
 * checks.  New ones take their 122 random bits from OpenSSL's DRBG,
 * which is fork-safe and makes no system call per uuid (libuuid made
 * six: getrandom, getpid twice, getppid, getuid, gettid).
 */
#include <stddef.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/rand.h>

#include "util.h"

#define UUID_BRACED_LEN	(UUID_STR_LEN + 2)

static const char uuid_nil[] = "00000000-0000-0000-0000-000000000000";
_Static_assert(sizeof(uuid_nil) == UUID_STR_LEN + 1, "uuid_nil");

/*
 * Returns the 36 characters of the 8-4-4-4-12 form inside s[0..n),
 * unwrapping {braces}, or NULL if s is not a uuid in either form.
 */
static const char *
uuid_body(const char *s, size_t n)
{
	size_t	 i;

	if (s == NULL)
		return NULL;
	if (n == UUID_BRACED_LEN && s[0] == '{' && s[n - 1] == '}') {
		s++;
		n -= 2;
	}
	if (n != UUID_STR_LEN)
		return NULL;
	for (i = 0; i < UUID_STR_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return NULL;
		} else if (hex_value(s[i]) == -1)
			return NULL;
	}
	return s;
}

/*
 * Returns 1 if s[0..n) is a uuid in 8-4-4-4-12 hex form, in either
 * case, optionally wrapped in {braces}; else 0.  s need not be
 * NUL-terminated.  Version and variant bits are not checked: any
 * uuid a client may legitimately hold is accepted.
 */
int
uuid_valid(const char *s, size_t n)
{
	return uuid_body(s, n) != NULL;
}

/*
 * Writes the canonical lower-case 36-character form of s[0..n) (any
 * case, optional braces) and a NUL into out.  Returns 0, or -1 if s
 * is not a uuid (out is then untouched).
 */
int
uuid_normalize(const char *s, size_t n, char out[UUID_STR_LEN + 1])
{
	const char	*body;
	size_t		 i;

	if ((body = uuid_body(s, n)) == NULL)
		return -1;
	for (i = 0; i < UUID_STR_LEN; i++) {
		out[i] = body[i];
		if (body[i] >= 'A' && body[i] <= 'F')
			out[i] = (char)(body[i] - 'A' + 'a');
	}
	out[UUID_STR_LEN] = '\0';
	return 0;
}

/*
 * The 16 bytes of s[0..n) (a uuid in any form uuid_valid() takes) into
 * out: 0, or -1 if s is not a uuid.
 */
int
uuid_to_bytes(const char *s, size_t n, unsigned char out[UUID_BYTES])
{
	const char	*body;
	size_t		 i, j;

	if ((body = uuid_body(s, n)) == NULL)
		return -1;
	for (i = 0, j = 0; i < UUID_STR_LEN; i++) {
		if (body[i] == '-')
			continue;
		if (j % 2 == 0)
			out[j / 2] = (unsigned char)(hex_value(body[i]) << 4);
		else
			out[j / 2] |= (unsigned char)hex_value(body[i]);
		j++;
	}
	return 0;
}

/* Writes the canonical form of the 16 bytes u, with its NUL, into out. */
void
uuid_from_bytes(const unsigned char u[UUID_BYTES], char out[UUID_STR_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o;

	for (i = 0, o = 0; i < UUID_BYTES; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u[i] >> 4];
		out[o++] = hex[u[i] & 0x0f];
	}
	out[o] = '\0';
}

/*
 * Writes a new random (version 4) uuid in canonical form, with its
 * NUL, into out.
 */
void
uuid_new(char out[UUID_STR_LEN + 1])
{
	unsigned char u[UUID_BYTES];
	size_t i, o;

	if (RAND_bytes(u, (int)sizeof(u)) != 1) {
		/* no DRBG (it cannot fail once seeded): the kernel's */
		for (o = 0; o < sizeof(u); o += (size_t)i)
			if ((i = (size_t)getrandom(u + o, sizeof(u) - o,
			    0)) == (size_t)-1)
				i = 0;
	}
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);	/* version 4 */
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);	/* RFC 4122 */
	uuid_from_bytes(u, out);
}

/*
 * Returns 1 if canon, a NUL-terminated canonical uuid, is the nil
 * uuid (all zeros), else 0 (also for NULL).
 */
int
uuid_is_nil(const char *canon)
{
	return canon != NULL && strcmp(canon, uuid_nil) == 0;
}
