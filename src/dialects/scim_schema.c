/*
 * scim_schema.c: the SCIM schemas rosterd serves (RFC 7643 §4, §8.7):
 * one table per schema, read by /Schemas, by normalisation (names,
 * types) and by PATCH.  Every attribute listed here round-trips: the
 * columns hold what rosterd itself reads, attrs->'scim' the rest, as
 * sent.
 */
#include "scim.h"

#define A(n, t, f, d)		{ n, t, f, d, NULL, 0, NULL, NULL }
#define AC(n, t, f, d, c)	{ n, t, f, d, NULL, 0, c, NULL }
#define AR(n, f, d, r)		{ n, SA_REF, f, d, NULL, 0, NULL, r }
#define AX(n, f, d, s) \
	{ n, SA_COMPLEX, f, d, s, RS_ARRAY_LEN(s), NULL, NULL }
/*
 * display, type (its description and canonical values) and primary:
 * the sub-attributes a multi-valued attribute has besides its value
 * (RFC 7643 §2.4).
 */
#define AMULTI(td, c, pd) \
	A("display", SA_STRING, 0, "A human-readable name."), \
	AC("type", SA_STRING, 0, td, c), \
	A("primary", SA_BOOL, 0, pd)

static const char *const ref_user[] = { "User", NULL };
static const char *const ref_group[] = { "Group", NULL };
static const char *const ref_user_group[] = { "User", "Group", NULL };
static const char *const ref_external[] = { "external", NULL };

static const char *const email_types[] = { "work", "home", "other", NULL };
static const char *const phone_types[] = { "work", "home", "mobile", "fax",
	"pager", "other", NULL };
static const char *const im_types[] = { "aim", "gtalk", "icq", "xmpp",
	"msn", "skype", "qq", "yahoo", NULL };
static const char *const photo_types[] = { "photo", "thumbnail", NULL };
static const char *const addr_types[] = { "work", "home", "other", NULL };
static const char *const member_types[] = { "User", NULL };
static const char *const group_kinds[] = { "security", "user", "admin",
	"privilege", NULL };

static const struct scim_attr name_sub[] = {
	A("formatted", SA_STRING, 0, "The full name, formatted for display."),
	A("familyName", SA_STRING, 0, "The family name (lastName)."),
	A("givenName", SA_STRING, 0, "The given name (firstName)."),
	A("middleName", SA_STRING, 0, "The middle name(s)."),
	A("honorificPrefix", SA_STRING, 0, "The honorific prefix(es)."),
	A("honorificSuffix", SA_STRING, 0, "The honorific suffix(es)."),
};

static const struct scim_attr email_sub[] = {
	A("value", SA_STRING, 0, "The e-mail address."),
	AMULTI("A label: work, home, other.", email_types, "The primary "
	    "address (also the user's email)."),
};

static const struct scim_attr phone_sub[] = {
	A("value", SA_STRING, 0, "The phone number."),
	AMULTI("A label.", phone_types, "The primary number (also the "
	    "user's phone)."),
};

static const struct scim_attr im_sub[] = {
	A("value", SA_STRING, 0, "The instant messaging address."),
	AMULTI("A label.", im_types, "The primary address."),
};

static const struct scim_attr photo_sub[] = {
	AR("value", 0, "The URL of the image.", ref_external),
	AMULTI("A label.", photo_types, "The primary photo."),
};

static const struct scim_attr addr_sub[] = {
	A("formatted", SA_STRING, 0, "The full address."),
	A("streetAddress", SA_STRING, 0, "The street address."),
	A("locality", SA_STRING, 0, "The city or locality."),
	A("region", SA_STRING, 0, "The state or region."),
	A("postalCode", SA_STRING, 0, "The postal code."),
	A("country", SA_STRING, 0, "The country (ISO 3166-1 alpha-2)."),
	AC("type", SA_STRING, 0, "A label.", addr_types),
	A("primary", SA_BOOL, 0, "The primary address."),
};

static const struct scim_attr vtp_sub[] = {
	A("value", SA_STRING, 0, "The value."),
	AMULTI("A label.", NULL, "The primary value."),
};

static const struct scim_attr user_groups_sub[] = {
	A("value", SA_STRING, SA_READ_ONLY, "The group's id."),
	AR("$ref", SA_READ_ONLY, "The group's URI.", ref_group),
	A("display", SA_STRING, SA_READ_ONLY, "The group's displayName."),
	AC("type", SA_STRING, SA_READ_ONLY, "direct.", NULL),
};

static const struct scim_attr user_attrs[] = {
	A("userName", SA_STRING, SA_REQUIRED | SA_UNIQUE, "Unique per tenant "
	    "without regard to case; its case is kept."),
	AX("name", 0, "The user's name.", name_sub),
	A("displayName", SA_STRING, 0, "The name to display."),
	A("nickName", SA_STRING, 0, "The casual name."),
	AR("profileUrl", 0, "The user's online profile.", ref_external),
	A("title", SA_STRING, 0, "The user's title."),
	A("userType", SA_STRING, 0, "The relationship to the organization."),
	A("preferredLanguage", SA_STRING, 0, "The preferred language "
	    "(RFC 7231 Accept-Language form)."),
	A("locale", SA_STRING, 0, "The locale (language tag)."),
	A("timezone", SA_STRING, 0, "The time zone (IANA name)."),
	A("active", SA_BOOL, 0, "Whether the user may sign in; false "
	    "deprovisions and keeps the user readable."),
	A("password", SA_STRING, SA_WRITE_ONLY, "Stored as an Argon2id hash; "
	    "never returned."),
	AX("emails", SA_MULTI, "E-mail addresses.", email_sub),
	AX("phoneNumbers", SA_MULTI, "Phone numbers.", phone_sub),
	AX("ims", SA_MULTI, "Instant messaging addresses.", im_sub),
	AX("photos", SA_MULTI, "Photos.", photo_sub),
	AX("addresses", SA_MULTI, "Physical addresses.", addr_sub),
	AX("groups", SA_MULTI | SA_READ_ONLY, "The groups the user is a "
	    "member of (change them through Groups).", user_groups_sub),
	AX("entitlements", SA_MULTI, "Entitlements.", vtp_sub),
	AX("roles", SA_MULTI, "Roles (kept as sent; rosterd's roles are "
	    "assigned through /v1).", vtp_sub),
};

static const struct scim_attr manager_sub[] = {
	A("value", SA_STRING, 0, "The manager's id."),
	AR("$ref", 0, "The manager's URI.", ref_user),
	A("displayName", SA_STRING, 0, "The manager's displayName."),
};

static const struct scim_attr ent_attrs[] = {
	A("employeeNumber", SA_STRING, 0, "The employee number."),
	A("costCenter", SA_STRING, 0, "The cost center."),
	A("organization", SA_STRING, 0, "The organization."),
	A("division", SA_STRING, 0, "The division."),
	A("department", SA_STRING, 0, "The department."),
	AX("manager", 0, "The user's manager (a bare id is taken as "
	    "{\"value\": id}).", manager_sub),
};

static const struct scim_attr member_sub[] = {
	A("value", SA_STRING, SA_IMMUTABLE, "The member user's id."),
	AR("$ref", SA_IMMUTABLE, "The member's URI.", ref_user_group),
	A("display", SA_STRING, SA_READ_ONLY, "The member's displayName "
	    "or userName."),
	AC("type", SA_STRING, SA_IMMUTABLE, "User (groups do not nest).",
	    member_types),
};

static const struct scim_attr group_attrs[] = {
	A("displayName", SA_STRING, SA_REQUIRED | SA_UNIQUE, "Unique per "
	    "tenant without regard to case."),
	AX("members", SA_MULTI, "The group's members.", member_sub),
};

static const struct scim_attr rgroup_attrs[] = {
	AC("kind", SA_STRING, SA_CASE_EXACT | SA_REQUIRED, "The rosterd group "
	    "kind; every group has one (security when a create leaves it "
	    "out).", group_kinds),
	A("code", SA_STRING, SA_REQUIRED, "The rosterd group code, unique per "
	    "kind; every group has one (the group's id when a create leaves "
	    "it out)."),
};

const struct scim_schema scim_schema_user = {
	SCIM_URN_USER, "User", "User Account", user_attrs,
	RS_ARRAY_LEN(user_attrs),
};
const struct scim_schema scim_schema_ent = {
	SCIM_URN_ENT, "EnterpriseUser", "Enterprise User", ent_attrs,
	RS_ARRAY_LEN(ent_attrs),
};
const struct scim_schema scim_schema_group = {
	SCIM_URN_GROUP, "Group", "Group", group_attrs,
	RS_ARRAY_LEN(group_attrs),
};
const struct scim_schema scim_schema_rgroup = {
	SCIM_URN_RGROUP, "RosterdGroup", "rosterd group kind and code",
	rgroup_attrs, RS_ARRAY_LEN(rgroup_attrs),
};

const struct scim_rtype scim_rt_user = {
	"User", "/Users", &scim_schema_user, &scim_schema_ent,
};
const struct scim_rtype scim_rt_group = {
	"Group", "/Groups", &scim_schema_group, &scim_schema_rgroup,
};
