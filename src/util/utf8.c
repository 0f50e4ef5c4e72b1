/*
 * utf8.c: strict UTF-8 (RFC 3629) for every decoder: no overlong forms,
 * no surrogates, nothing above U+10FFFF.  One implementation, so that
 * JSON, XML, JSV and form bodies agree on what text is.
 */
#include "util.h"

/*
 * Returns the length (2 to 4) of the well-formed sequence at s[0..n),
 * s[0] >= 0x80, or 0 with *bad (when not NULL) set to the length of its
 * maximal ill-formed subpart (for U+FFFD replacement, Unicode §3.9).
 */
size_t
utf8_seq_len(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] < 0xc2 || s[0] > 0xf4) {
		if (bad != NULL)
			*bad = 1;
		return 0;
	}
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (s[0] == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;		/* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f;		/* above U+10FFFF */
	for (i = 1; i < len; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			if (bad != NULL)
				*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	return len;
}

/* Returns the offset of the first NUL or ill-formed byte of s[0..n), or n. */
size_t
utf8_check(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, len;

	while (i < n) {
		if (s[i] == 0)
			return i;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((len = utf8_seq_len(s + i, n - i, NULL)) == 0)
			return i;
		i += len;
	}
	return n;
}
