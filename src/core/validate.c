/*
 * validate.c: the validation rules every dialect inherits, as tables.
 */
#include <stddef.h>
#include <string.h>

#include "core.h"

#define EMAIL_MAX 254
#define ROLES_MAX 100

static int
local_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80 ||
	    strchr("!#$%&'*+/=?^_`{|}~.-", c) != NULL;
}

static int
valid_label(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c >= 0x80))
			return 0;
	}
	return 1;
}

/*
 * Returns 1 when s is an address mail can be sent to: a dot-atom local
 * part of 1-64 characters, '@', and a domain of two or more labels;
 * UTF-8 (SMTPUTF8) is allowed, quoted local parts and IP literals are
 * not.  At most 254 bytes.
 */
int
core_valid_email(const char *s)
{
	const char *at, *d, *dot;
	size_t i, n, local;

	if (s == NULL || (n = strlen(s)) == 0 || n > EMAIL_MAX)
		return 0;
	if ((at = strrchr(s, '@')) == NULL)
		return 0;
	local = (size_t)(at - s);
	if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.')
		return 0;
	for (i = 0; i < local; i++)
		if (!local_char((unsigned char)s[i]) ||
		    (s[i] == '.' && s[i + 1] == '.'))
			return 0;
	d = at + 1;
	if (strchr(d, '.') == NULL)
		return 0;
	while ((dot = strchr(d, '.')) != NULL) {
		if (!valid_label(d, (size_t)(dot - d)))
			return 0;
		d = dot + 1;
	}
	return valid_label(d, strlen(d));
}

struct rule {
	enum core_field	 field;
	size_t		 off;		/* const char * in core_user_new */
	size_t		 max;		/* bytes */
	int		 required;
	int		 (*valid)(const char *);
	enum core_code	 invalid_code;
};

#define U(f) offsetof(struct core_user_new, f)

static const struct rule user_rules[] = {
	{ CF_USERNAME, U(username), 256, 1, NULL, CE_INVALID },
	{ CF_EMAIL, U(email), EMAIL_MAX, 0, core_valid_email, CE_INVALID_EMAIL },
	{ CF_FIRST_NAME, U(first_name), 256, 0, NULL, CE_INVALID },
	{ CF_LAST_NAME, U(last_name), 256, 0, NULL, CE_INVALID },
	{ CF_TITLE, U(title), 256, 0, NULL, CE_INVALID },
	{ CF_PHONE, U(phone), 64, 0, NULL, CE_INVALID },
	{ CF_EXTERNAL_ID, U(external_id), 256, 0, NULL, CE_INVALID },
};

static int
blank(const char *s)
{
	return s == NULL || s[strspn(s, " \t\r\n")] == '\0';
}

static void
check_rule(struct arena *a, struct core_user_new *u, const struct rule *r,
    struct core_errors *errs)
{
	const char **fp = (const char **)((char *)u + r->off);
	const char *v = *fp;

	if (blank(v)) {
		if (r->required)
			core_error_add(a, errs, r->field, -1, CE_REQUIRED, 0,
			    NULL);
		else if (r->field == CF_EMAIL)
			*fp = NULL;	/* "" is no address, not a duplicate */
		return;
	}
	if (strlen(v) > r->max)
		core_error_add(a, errs, r->field, -1, CE_TOO_LONG,
		    (long)r->max, NULL);
	else if (r->valid != NULL && !r->valid(v))
		core_error_add(a, errs, r->field, -1, r->invalid_code, 0, v);
}

static void
check_roles(struct arena *a, const struct core_user_new *u,
    const char *tenant_id, struct core_errors *errs)
{
	size_t i;

	if (u->nroles > ROLES_MAX) {
		core_error_add(a, errs, CF_ROLE_ID, -1, CE_TOO_LONG, ROLES_MAX,
		    NULL);
		return;
	}
	for (i = 0; i < u->nroles; i++) {
		const struct core_role_ref *r = &u->roles[i];

		if (r->id_invalid)
			core_error_add(a, errs, CF_ROLE_ID, (int)i, CE_INVALID,
			    0, NULL);
		else if (r->id == NULL && blank(r->name))
			core_error_add(a, errs, CF_ROLE_ID, (int)i,
			    CE_REQUIRED, 0, NULL);
		else if (r->id == NULL && strlen(r->name) > 256)
			core_error_add(a, errs, CF_ROLE_NAME, (int)i,
			    CE_TOO_LONG, 256, NULL);
		if (r->tenant_invalid || (r->tenant_id != NULL &&
		    strcmp(r->tenant_id, tenant_id) != 0))
			core_error_add(a, errs, CF_ROLE_TENANT, (int)i,
			    CE_OTHER_TENANT, 0, NULL);
	}
}

/*
 * Checks a new user against the rules and adds every problem to errs
 * (so a client sees all of them at once).  Empty e-mail becomes NULL.
 */
void
core_user_validate(struct arena *a, struct core_user_new *u,
    const char *tenant_id, struct core_errors *errs)
{
	size_t i;

	if (u->id_invalid)
		core_error_add(a, errs, CF_USER_ID, -1, CE_INVALID, 0, NULL);
	for (i = 0; i < RS_ARRAY_LEN(user_rules); i++)
		check_rule(a, u, &user_rules[i], errs);
	check_roles(a, u, tenant_id, errs);
}
