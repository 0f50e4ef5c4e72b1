/*
 * apitoken.c: tenant API tokens and external tenant ids.  Placeholder
 * implementation: no token and no mapping exists.
 */
#include "apitoken.h"

enum apitoken_status
apitoken_verify(struct db *db, const char *token, size_t len,
    const char *remote_addr, time_t now, struct arena *a,
    struct principal *p)
{
	(void)db; (void)token; (void)len; (void)remote_addr; (void)now;
	(void)a; (void)p;
	return APITOKEN_UNKNOWN;
}

int
tenant_alias_resolve(struct db *db, const char *issuer,
    const char *external_id, struct arena *a, const char **tenant)
{
	(void)db; (void)issuer; (void)external_id; (void)a;
	*tenant = NULL;
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
