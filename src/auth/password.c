/*
 * password.c: the secrets rosterd keeps only as hashes.  Passwords (and
 * PIN codes) as Argon2id PHC strings with OWASP's parameters (19 MiB,
 * 2 passes, 1 lane); single-use tokens (invites) as 32 random bytes
 * whose SHA-256 alone is stored.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/*
 * The hash slots: one file (a memfd) made by the master before it forks,
 * so that every worker, the ones of a reload included, shares it.  Slot
 * i is an exclusive fcntl() lock on byte i: the kernel releases it when
 * its worker exits, however it exits, so a crash never leaks a slot.
 * POSIX locks belong to the process, and a worker serves one request at
 * a time, so one worker holds at most one slot.
 */
static int slot_fd = -1;

int
password_slots_init(void)
{
	if (slot_fd >= 0)
		return 0;
	if ((slot_fd = memfd_create("rosterd-hash-slots", MFD_CLOEXEC)) < 0)
		return -1;
	return 0;
}

static int
slot_lock(int slot, short type, int cmd)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = slot;
	fl.l_len = 1;
	return fcntl(slot_fd, cmd, &fl);
}

/*
 * Takes one of slots slots: its index, or -1 when every one is taken.
 * Without the shared file (no init, or slots <= 0) it never refuses:
 * PASSWORD_SLOT_NONE.  The search starts at the process id, so that
 * workers do not all probe slot 0 first.
 */
int
password_slot_take(long slots)
{
	long i, s;

	if (slot_fd < 0 || slots <= 0)
		return PASSWORD_SLOT_NONE;
	for (i = 0; i < slots; i++) {
		s = ((long)getpid() + i) % slots;
		if (slot_lock((int)s, F_WRLCK, F_SETLK) == 0)
			return (int)s;
		if (errno != EACCES && errno != EAGAIN)
			return PASSWORD_SLOT_NONE;	/* cannot tell: allow */
	}
	return -1;
}

void
password_slot_give(int slot)
{
	if (slot >= 0)
		(void)slot_lock(slot, F_UNLCK, F_SETLK);
}

/*
 * password_hash() in one of the slots hash slots shared by the workers:
 * 0, -1 (an error) or PASSWORD_BUSY (every slot taken: nothing hashed).
 */
int
password_hash_slotted(long slots, const char *pw, size_t n, char *out,
    size_t outsz)
{
	int slot, rc;

	if ((slot = password_slot_take(slots)) == -1)
		return PASSWORD_BUSY;
	rc = password_hash(pw, n, out, outsz);
	password_slot_give(slot);
	return rc;
}

/*
 * The length of a password, in characters: the bytes that do not
 * continue a UTF-8 sequence (for valid UTF-8, its code points).
 */
size_t
password_length(const char *pw, size_t n)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)pw[i] & 0xc0) != 0x80)
			len++;
	return len;
}

/* 1 when pw[0..n) matches the PHC string phc, else 0. */
int
password_verify(const char *phc, const char *pw, size_t n)
{
	return argon2id_verify(phc, pw, n) == ARGON2_OK;
}

/*
 * The SHA-256 of p[0..n).  The implementation is fetched once and the
 * context reused: OpenSSL 3 otherwise looks the algorithm up by name on
 * every call, which costs more than the digest of a short input.
 */
int
sha256_digest(const void *p, size_t n, unsigned char out[32])
{
	static EVP_MD *md;
	static EVP_MD_CTX *ctx;
	unsigned int len = 0;

	if (md == NULL && (md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		return -1;
	if (ctx == NULL && (ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex2(ctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, p, n) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != 32)
		return -1;
	return 0;
}

/* The lower-case hex SHA-256 of s[0..n). */
void
token_sha256_hex(const char *s, size_t n, char out[65])
{
	unsigned char md[32];

	if (sha256_digest(s, n, md) != 0) {
		memset(out, '0', 64);	/* never matches a stored hash */
		out[64] = '\0';
		return;
	}
	hex_encode(md, sizeof(md), out);
}

/*
 * A new single-use invite token for tenant `tenant` (a canonical uuid)
 * and its SHA-256 in hex: the tenant's 16 bytes and 32 random bytes,
 * each base64url, joined by '.' (22 + 1 + 43 characters).  The tenant
 * part lets the acceptance find the invite by tenant and hash, as a
 * database sharded by tenant must.  Returns the token (arena), or NULL.
 */
char *
token_new(struct arena *a, const char *tenant, char hash_hex[65])
{
	unsigned char raw[32], id[UUID_BYTES];
	char *t;

	if (uuid_to_bytes(tenant, strlen(tenant), id) != 0 ||
	    RAND_bytes(raw, sizeof(raw)) != 1)
		return NULL;
	t = arena_sprintf(a, "%s.%s", base64url_encode(a, id, sizeof(id)),
	    base64url_encode(a, raw, sizeof(raw)));
	OPENSSL_cleanse(raw, sizeof(raw));
	token_sha256_hex(t, strlen(t), hash_hex);
	return t;
}

/*
 * The tenant an invite token names, into out (canonical uuid): 0, or -1
 * when the token has no tenant part (one issued before tokens carried
 * it) or a malformed one.
 */
int
token_tenant(struct arena *a, const char *tok, size_t n,
    char out[UUID_STR_LEN + 1])
{
	const char *dot;
	unsigned char *raw;
	size_t rawlen;

	if ((dot = memchr(tok, '.', n)) == NULL || dot - tok != 22 ||
	    base64url_decode(a, tok, 22, &raw, &rawlen) != 0 ||
	    rawlen != UUID_BYTES)
		return -1;
	uuid_from_bytes(raw, out);
	return 0;
}
