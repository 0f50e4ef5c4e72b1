/*
 * fuzz_xml.c: the DataContract XML decoder (formats/xml.c) against the
 * real contracts: seed 004's UserSimple (the one src/dialects exports),
 * and a contract with every member kind (nested contract, contract
 * array, guid/int/string collections, in two namespaces) built like
 * seed 003's AccountDetails.
 *
 * Properties: an accepted document keeps the limits, is an object (or
 * null for a nil root) holding only members the contract declares, with
 * strict UTF-8 text; xml_encode() of it decodes again, and encoding
 * that gives the same bytes (a fixed point).  A DOCTYPE is never
 * accepted.
 */
#define FUZZ_NAME "xml"
#include "fuzz.h"
#include "../../src/formats/xml.h"
#include "../../src/dialects/dialect.h"

/* seed 003's namespaces (aspnet_accounts.c), so its fixtures decode */
#define NS_T XML_NS_DATACONTRACT "EziManager.Models.Tenancies.Accounts"
#define NS_T2 XML_NS_DATACONTRACT "EziManager.Service.Tenancies.Browser"

static const struct xml_member opts_members[] = {
	{ .name = "LoginMode" },
	{ .name = "Source" },
	{ .name = "Codes", .kind = XML_SCALAR_ARRAY, .item = "string" },
};
static const struct xml_contract opts = {
	"SecurityOptions", NS_T2, XML_MEMBERS(opts_members)
};
static const struct xml_member role_members[] = {
	{ .name = "Id" },
	{ .name = "Name" },
};
static const struct xml_contract role = {
	"RoleSimple", NS_T, XML_MEMBERS(role_members)
};
static const struct xml_member account_members[] = {
	{ .name = "ID" },
	{ .name = "Email" },
	{ .name = "Verified" },
	{ .name = "StoreScope", .kind = XML_SCALAR_ARRAY, .item = "guid" },
	{ .name = "StoreIDs", .kind = XML_SCALAR_ARRAY, .item = "int" },
	{ .name = "SecurityOptions", .kind = XML_OBJECT, .type = &opts },
	{ .name = "Roles", .kind = XML_OBJECT_ARRAY, .type = &role },
	{ .name = "Others", .kind = XML_OBJECT_ARRAY, .type = &opts,
	    .item = "Opt" },
};
static const struct xml_contract account = {
	"AccountDetails", NS_T, XML_MEMBERS(account_members)
};

static const struct fmt_limits tight = {
	.max_depth = 3, .max_items = 4, .max_string = 16, .max_nodes = 24,
};

static const struct xml_member *
find_member(const struct xml_contract *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nmembers; i++)
		if (strcmp(c->members[i].name, name) == 0)
			return &c->members[i];
	return NULL;
}

/* Every member of the object v is one c declares. */
static void
check_shape(const struct xml_contract *c, const struct value *v)
{
	const struct xml_member *m;
	const struct value *x;
	size_t i, j;

	if (v->type == VALUE_NULL)
		return;
	if (v->type != VALUE_OBJECT)
		fuzz_fail("contract %s decoded to a %s", c->name,
		    value_type_name(v->type));
	for (i = 0; i < v->u.obj.n; i++) {
		x = v->u.obj.members[i].val;
		if ((m = find_member(c, v->u.obj.members[i].key)) == NULL)
			fuzz_fail("undeclared member %s in %s",
			    v->u.obj.members[i].key, c->name);
		switch (m->kind) {
		case XML_SCALAR:
			if (x->type != VALUE_STRING && x->type != VALUE_NULL)
				fuzz_fail("scalar %s is a %s", m->name,
				    value_type_name(x->type));
			break;
		case XML_OBJECT:
			check_shape(m->type, x);
			break;
		case XML_SCALAR_ARRAY:
		case XML_OBJECT_ARRAY:
			if (x->type == VALUE_NULL)
				break;
			if (x->type != VALUE_ARRAY)
				fuzz_fail("collection %s is a %s", m->name,
				    value_type_name(x->type));
			for (j = 0; j < x->u.arr.n; j++)
				if (m->kind == XML_OBJECT_ARRAY)
					check_shape(m->type,
					    x->u.arr.items[j]);
				else if (x->u.arr.items[j]->type !=
				    VALUE_STRING &&
				    x->u.arr.items[j]->type != VALUE_NULL)
					fuzz_fail("item of %s is a %s",
					    m->name, value_type_name(
					    x->u.arr.items[j]->type));
			break;
		default:
			fuzz_fail("bad kind");
		}
	}
}

/* A "<!DOCTYPE" before the root element and outside any comment. */
static int
doctype_first(const char *p, size_t n)
{
	const char *d = memmem(p, n, "<!DOCTYPE", 9), *c, *e;
	size_t i;

	if (d == NULL)
		return 0;
	c = memmem(p, n, "<!--", 4);
	if (c != NULL && c < d)
		return 0;
	for (e = p, i = 0; i + 1 < n; i++, e++)
		if (e[0] == '<' && ((e[1] >= 'A' && e[1] <= 'Z') ||
		    (e[1] >= 'a' && e[1] <= 'z') || e[1] == '_'))
			break;
	return d < e;
}

static void
one(struct arena *a, const char *p, size_t n, const struct xml_contract *c,
    const struct fmt_limits *lim)
{
	const struct fmt_limits *l = lim != NULL ? lim : &fmt_default_limits;
	struct fmt_error err;
	struct value *v, *w;
	enum fmt_status st;
	struct buf b1, b2;

	st = xml_decode(a, p, n, c, lim, &v, &err);
	if (st >= FMT__MAX)
		fuzz_fail("status %d", (int)st);
	if (st != FMT_OK) {
		if (v != NULL || err.msg[0] == '\0')
			fuzz_fail("refusal %d with a tree or no message",
			    (int)st);
		return;
	}
	if (v == NULL)
		fuzz_fail("FMT_OK without a tree");
	fuzz_accepted++;
	if (doctype_first(p, n))
		fuzz_fail("a DOCTYPE was accepted");
	fuzz_check_tree(v, l, 0, NULL);
	check_shape(c, v);
	if (v->type == VALUE_NULL)
		return;
	buf_init(&b1, a);
	xml_encode(&b1, c, v);
	if (b1.failed)
		fuzz_fail("xml_encode failed on an accepted tree %s",
		    fuzz_json(a, v));
	/* the encoder writes every member (nil when absent): the
	 * default limits, as the larger document needs them */
	st = xml_decode(a, b1.p, b1.len, c, NULL, &w, &err);
	if (st != FMT_OK)
		fuzz_fail("re-decode failed (%d: %s) of\n%s", (int)st,
		    err.msg, b1.p);
	check_shape(c, w);
	buf_init(&b2, a);
	xml_encode(&b2, c, w);
	if (b2.failed || b1.len != b2.len || memcmp(b1.p, b2.p, b1.len) != 0)
		fuzz_fail("round trip differs:\n%s\n%s", b1.p, b2.p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = fuzz_arena();
	char *p = fuzz_copy(a, data, size);

	one(a, p, size, &aspnet_user_simple, &fmt_default_limits);
	one(a, p, size, &account, NULL);
	one(a, p, size, &account, &tight);
	arena_reset(a);
	return 0;
}
