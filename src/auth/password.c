/*
 * password.c: the secrets rosterd keeps only as hashes.  Passwords (and
 * PIN codes) as Argon2id PHC strings with OWASP's parameters (19 MiB,
 * 2 passes, 1 lane); single-use tokens (invites) as 32 random bytes
 * whose SHA-256 alone is stored.
 */
#include <string.h>

#include <argon2.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth.h"

#define PW_T_COST	2
#define PW_M_COST	19456	/* KiB */
#define PW_LANES	1
#define PW_SALT_LEN	16
#define PW_HASH_LEN	32

/*
 * Hashes pw[0..n) into out (a PHC string, "$argon2id$v=19$m=19456,...").
 * Returns 0, or -1 (no randomness, or out too small).
 */
int
password_hash(const char *pw, size_t n, char *out, size_t outsz)
{
	unsigned char salt[PW_SALT_LEN];
	int rc;

	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return -1;
	rc = argon2id_hash_encoded(PW_T_COST, PW_M_COST, PW_LANES, pw, n,
	    salt, sizeof(salt), PW_HASH_LEN, out, outsz);
	OPENSSL_cleanse(salt, sizeof(salt));
	return rc == ARGON2_OK ? 0 : -1;
}

/* 1 when pw[0..n) matches the PHC string phc, else 0. */
int
password_verify(const char *phc, const char *pw, size_t n)
{
	return argon2id_verify(phc, pw, n) == ARGON2_OK;
}

/* The lower-case hex SHA-256 of s[0..n). */
void
token_sha256_hex(const char *s, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int mdlen = 0;
	size_t i;

	if (EVP_Digest(s, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != sizeof(md)) {
		memset(out, '0', 64);	/* never matches a stored hash */
		out[64] = '\0';
		return;
	}
	for (i = 0; i < sizeof(md); i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

/*
 * A new single-use token (43 base64url characters of 32 random bytes)
 * and its SHA-256 in hex.  Returns the token (arena), or NULL.
 */
char *
token_new(struct arena *a, char hash_hex[65])
{
	unsigned char raw[32];
	char *t;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return NULL;
	t = base64url_encode(a, raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	token_sha256_hex(t, strlen(t), hash_hex);
	return t;
}
