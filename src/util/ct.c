/*
 * ct.c: comparisons whose running time does not depend on the data,
 * for secrets (signatures, API keys) where an early exit would leak
 * how many leading bytes an attacker got right.
 */
#include <stddef.h>

#include "util.h"

/*
 * Compares n bytes of a and b in time that depends only on n.
 * Returns 0 when they are equal and 1 otherwise; unlike memcmp() the
 * result carries no ordering.  Neither pointer may be NULL unless n
 * is 0.
 */
int
ct_memcmp(const void *a, const void *b, size_t n)
{
	const volatile unsigned char	*pa = a;
	const volatile unsigned char	*pb = b;
	unsigned int			 diff = 0;
	size_t				 i;

	/* volatile keeps the compiler from turning this into memcmp(). */
	for (i = 0; i < n; i++)
		diff |= pa[i] ^ pb[i];
	/* Branch-free map of 0..255 to 0 or 1. */
	return (int)((diff + 0xffu) >> 8);
}
