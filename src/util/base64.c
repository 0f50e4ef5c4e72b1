/*
 * base64.c: RFC 4648 base64 (section 4) and base64url (section 5).
 *
 * Decoding is strict: no whitespace, no characters outside the
 * alphabet, and the unused low bits of the last symbol must be zero, so
 * that every byte string has exactly one accepted encoding.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util.h"

enum b64_alphabet {
	B64_STD = 0,		/* A-Z a-z 0-9 + / */
	B64_URL,		/* A-Z a-z 0-9 - _ */
	B64__MAX
};

static const char b64_chars[B64__MAX][65] = {
	[B64_STD] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789+/",
	[B64_URL] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_",
};
_Static_assert(RS_ARRAY_LEN(b64_chars) == B64__MAX, "b64_chars");

/*
 * Maps a character to its 6-bit value in the given alphabet, or -1.
 * Written out rather than table-driven so that the '+' '/' versus
 * '-' '_' split is obvious at a glance.
 */
static int
b64_value(enum b64_alphabet alpha, unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (alpha == B64_STD) {
		if (c == '+')
			return 62;
		if (c == '/')
			return 63;
	} else {
		if (c == '-')
			return 62;
		if (c == '_')
			return 63;
	}
	return -1;
}

static char *
b64_encode(struct arena *a, enum b64_alphabet alpha, int pad,
    const void *p, size_t n)
{
	const unsigned char	*in = p;
	const char		*tab = b64_chars[alpha];
	size_t			 groups, olen, i, o;
	char			*out;

	/* 4 * ceil(n / 3) + 1, without overflowing. */
	groups = n / 3 + (n % 3 != 0);
	if (__builtin_mul_overflow(groups, (size_t)4, &olen) ||
	    __builtin_add_overflow(olen, (size_t)1, &olen))
		xoom(SIZE_MAX);
	out = arena_alloc(a, olen);

	o = 0;
	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 |
		    (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = tab[v >> 18 & 0x3f];
		out[o++] = tab[v >> 12 & 0x3f];
		out[o++] = tab[v >> 6 & 0x3f];
		out[o++] = tab[v & 0x3f];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = tab[v >> 18 & 0x3f];
		out[o++] = tab[v >> 12 & 0x3f];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = tab[v >> 18 & 0x3f];
		out[o++] = tab[v >> 12 & 0x3f];
		out[o++] = tab[v >> 6 & 0x3f];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

/*
 * Decodes s[0..n) in the given alphabet.  With allow_pad, '=' padding
 * is accepted when present (and then must be complete and correct);
 * without, any '=' is refused.  Unpadded input whose length is 1 mod 4
 * cannot come from any byte string and is refused, as are non-zero
 * bits in the last symbol that do not fill a whole byte.
 */
static int
b64_decode(struct arena *a, enum b64_alphabet alpha, int allow_pad,
    const char *s, size_t n, unsigned char **out, size_t *outlen)
{
	const unsigned char	*in = (const unsigned char *)s;
	unsigned char		*buf;
	size_t			 npad = 0, ndata, rem, olen, i, o;
	uint32_t		 acc;
	int			 v;

	if (s == NULL && n != 0)
		return -1;

	/* Trailing '=' characters: at most two, only as padding. */
	while (npad < n && npad < 3 && in[n - 1 - npad] == '=')
		npad++;
	if (npad > 0) {
		if (!allow_pad || npad > 2 || n % 4 != 0)
			return -1;
	}
	ndata = n - npad;
	rem = ndata % 4;
	if (rem == 1)
		return -1;
	/* "xx=" style: padding must complete the last quantum exactly. */
	if (npad > 0 && npad != 4 - rem)
		return -1;

	/* olen < n for n > 0, so olen + 1 cannot overflow. */
	olen = ndata / 4 * 3 + (rem == 0 ? 0 : rem - 1);
	buf = arena_alloc(a, olen + 1);

	o = 0;
	acc = 0;
	for (i = 0; i < ndata; i++) {
		if ((v = b64_value(alpha, in[i])) < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		if (i % 4 == 3) {
			buf[o++] = (unsigned char)(acc >> 16);
			buf[o++] = (unsigned char)(acc >> 8);
			buf[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	if (rem == 2) {
		/* 12 bits, one byte; the low 4 must be zero. */
		if (acc & 0x0f)
			return -1;
		buf[o++] = (unsigned char)(acc >> 4);
	} else if (rem == 3) {
		/* 18 bits, two bytes; the low 2 must be zero. */
		if (acc & 0x03)
			return -1;
		buf[o++] = (unsigned char)(acc >> 10);
		buf[o++] = (unsigned char)(acc >> 2);
	}
	buf[o] = '\0';

	*out = buf;
	*outlen = o;
	return 0;
}

/*
 * Encodes p[0..n) as padded standard base64.  Returns a NUL-terminated
 * string allocated from a; never NULL (aborts on size overflow, as on
 * any allocation failure).
 */
char *
base64_encode(struct arena *a, const void *p, size_t n)
{
	return b64_encode(a, B64_STD, 1, p, n);
}

/*
 * Encodes p[0..n) as base64url without padding (RFC 7515 section 2).
 * Returns a NUL-terminated string allocated from a; never NULL.
 */
char *
base64url_encode(struct arena *a, const void *p, size_t n)
{
	return b64_encode(a, B64_URL, 0, p, n);
}

/*
 * Decodes standard base64 s[0..n) (s need not be NUL-terminated).
 * Padding is accepted when present and then must be correct; unpadded
 * input is accepted too.  Whitespace, characters outside the alphabet
 * and non-zero trailing bits are refused.  Returns 0 and sets *out (arena
 * memory, NUL-terminated) and *outlen, or -1 on malformed input, leaving
 * *out and *outlen untouched.
 */
int
base64_decode(struct arena *a, const char *s, size_t n, unsigned char **out,
    size_t *outlen)
{
	return b64_decode(a, B64_STD, 1, s, n, out, outlen);
}

/*
 * Decodes base64url s[0..n) (s need not be NUL-terminated).  Refuses
 * '=' padding, whitespace, '+' and '/', a length of 1 mod 4 and
 * non-zero trailing bits.  Returns 0 and sets *out (arena memory,
 * NUL-terminated) and *outlen, or -1 on malformed input, leaving *out
 * and *outlen untouched.
 */
int
base64url_decode(struct arena *a, const char *s, size_t n,
    unsigned char **out, size_t *outlen)
{
	return b64_decode(a, B64_URL, 0, s, n, out, outlen);
}
