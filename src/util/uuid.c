/*
 * uuid.c: uuids as text.  rosterd keeps uuids in the canonical
 * lower-case 36-character form everywhere (paths, JSON, SQL
 * parameters), so validation and normalisation are plain string
 * checks; libuuid is used only to make new random ones.
 */
#include <stddef.h>
#include <string.h>

#include <uuid/uuid.h>

/*
 * libuuid (util-linux >= 2.37) defines UUID_STR_LEN as 37, counting
 * the NUL; ours is 36 and does not.  Only this file sees both.
 */
#undef UUID_STR_LEN

#include "util.h"

#define UUID_BRACED_LEN	(UUID_STR_LEN + 2)

static const char uuid_nil[] = "00000000-0000-0000-0000-000000000000";
_Static_assert(sizeof(uuid_nil) == UUID_STR_LEN + 1, "uuid_nil");

/* Returns the value of the hex digit c (either case), or -1. */
static int
uuid_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

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
		} else if (uuid_hexval(s[i]) == -1)
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
 * Writes a new random (version 4) uuid in canonical form, with its
 * NUL, into out.
 */
void
uuid_new(char out[UUID_STR_LEN + 1])
{
	uuid_t	 u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, out);
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
