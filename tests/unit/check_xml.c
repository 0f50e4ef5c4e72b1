/*
 * check_xml.c: unit tests for formats/xml.c (DataContract XML) and
 * formats/form.c (x-www-form-urlencoded).
 *
 * The encoder is checked byte for byte against the XML samples of seed
 * pages 003 and 004 (modulo the newlines the Help Page put between
 * elements); the decoders against those samples, vector tables of valid
 * and hostile inputs (named after the attack), and their limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "unit.h"
#include "../../src/formats/formats.h"
#include "../../src/formats/form.h"
#include "../../src/formats/xml.h"

/* ---- contracts, as the ASP.NET dialects declare them ---- */

#define NS_003 XML_NS_DATACONTRACT "EziManager.Models.Tenancies.Accounts"
#define NS_003_BROWSER \
	XML_NS_DATACONTRACT "EziManager.Service.Tenancies.Browser"
#define NS_004 XML_NS_DATACONTRACT "XCapture.DTO"

/* Declaration order, as on the page: the encoder sorts. */
static const struct xml_member security_options_members[] = {
	{ .name = "LoginMode" },
	{ .name = "AllowSelfVerification" },
	{ .name = "VerifierEmail" },
	{ .name = "Source" },
	{ .name = "LoginModeInherited" },
	{ .name = "LoginModeSource" },
	{ .name = "SelfVerifyInherited" },
	{ .name = "SelfVerifySource" },
	{ .name = "VerifyEmailInherited" },
	{ .name = "VerifyEmailSource" },
};

static const struct xml_contract security_options = {
	"SecurityOptions", NS_003_BROWSER, XML_MEMBERS(security_options_members)
};

static const struct xml_member account_details_members[] = {
	{ .name = "ID" },
	{ .name = "OperatorID" },
	{ .name = "Email" },
	{ .name = "Password" },
	{ .name = "ConfirmPassword" },
	{ .name = "Verified" },
	{ .name = "Disabled" },
	{ .name = "TimeZone" },
	{ .name = "StoreScope", .kind = XML_SCALAR_ARRAY, .item = "guid" },
	{ .name = "PrivilegeGroup" },
	{ .name = "ExternalSender" },
	{ .name = "CanPromptStores" },
	{ .name = "PromptStoresOnLogin" },
	{ .name = "ReleaseNotify" },
	{ .name = "Required" },
	{ .name = "PrivilegeGroupName" },
	{ .name = "StoreIDs", .kind = XML_SCALAR_ARRAY, .item = "int" },
	{ .name = "SecurityOptions", .kind = XML_OBJECT,
	    .type = &security_options },
};

static const struct xml_contract account_details = {
	"AccountDetails", NS_003, XML_MEMBERS(account_details_members)
};

static const struct xml_member role_simple_members[] = {
	{ .name = "Id" },
	{ .name = "Name" },
	{ .name = "OrganizationId" },
};

static const struct xml_contract role_simple = {
	"RoleSimple", NS_004, XML_MEMBERS(role_simple_members)
};

static const struct xml_member user_simple_members[] = {
	{ .name = "Id" },
	{ .name = "Username" },
	{ .name = "FirstName" },
	{ .name = "LastName" },
	{ .name = "Title" },
	{ .name = "Email" },
	{ .name = "Phone" },
	{ .name = "ExternalId" },
	{ .name = "Roles", .kind = XML_OBJECT_ARRAY, .type = &role_simple },
};

static const struct xml_contract user_simple = {
	"UserSimple", NS_004, XML_MEMBERS(user_simple_members)
};

/* ---- the pages' own samples ---- */

/* seed 003, request sample (application/xml) */
static const char seed003_request_xml[] =
    "<AccountDetails "
    "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xmlns=\"http://schemas.datacontract.org/2004/07/"
    "EziManager.Models.Tenancies.Accounts\">\n"
    "<CanPromptStores>true</CanPromptStores>\n"
    "<ConfirmPassword>sample string 5</ConfirmPassword>\n"
    "<Disabled>true</Disabled>\n"
    "<Email>sample string 3</Email>\n"
    "<ExternalSender>true</ExternalSender>\n"
    "<ID>fdd6addf-3b18-4637-a764-a32ea27e4a8b</ID>\n"
    "<OperatorID>ba324397-7359-4c38-85b0-e7077be83c66</OperatorID>\n"
    "<Password>sample string 4</Password>\n"
    "<PrivilegeGroup>09702133-9ef0-451b-93d9-caa202a1c78b</PrivilegeGroup>\n"
    "<PrivilegeGroupName>sample string 14</PrivilegeGroupName>\n"
    "<PromptStoresOnLogin>true</PromptStoresOnLogin>\n"
    "<ReleaseNotify>true</ReleaseNotify>\n"
    "<Required>true</Required>\n"
    "<SecurityOptions "
    "xmlns:d2p1=\"http://schemas.datacontract.org/2004/07/"
    "EziManager.Service.Tenancies.Browser\">\n"
    "<d2p1:AllowSelfVerification>true</d2p1:AllowSelfVerification>\n"
    "<d2p1:LoginMode>1</d2p1:LoginMode>\n"
    "<d2p1:LoginModeInherited>5</d2p1:LoginModeInherited>\n"
    "<d2p1:LoginModeSource>sample string 6</d2p1:LoginModeSource>\n"
    "<d2p1:SelfVerifyInherited>true</d2p1:SelfVerifyInherited>\n"
    "<d2p1:SelfVerifySource>sample string 8</d2p1:SelfVerifySource>\n"
    "<d2p1:Source>sample string 4</d2p1:Source>\n"
    "<d2p1:VerifierEmail>sample string 3</d2p1:VerifierEmail>\n"
    "<d2p1:VerifyEmailInherited>sample string 9</d2p1:VerifyEmailInherited>\n"
    "<d2p1:VerifyEmailSource>sample string 10</d2p1:VerifyEmailSource>\n"
    "</SecurityOptions>\n"
    "<StoreIDs "
    "xmlns:d2p1=\"http://schemas.microsoft.com/2003/10/Serialization/"
    "Arrays\">\n"
    "<d2p1:int>1</d2p1:int>\n"
    "<d2p1:int>2</d2p1:int>\n"
    "</StoreIDs>\n"
    "<StoreScope "
    "xmlns:d2p1=\"http://schemas.microsoft.com/2003/10/Serialization/"
    "Arrays\">\n"
    "<d2p1:guid>0127b19f-b94d-4e56-b4e0-569f3342a7c5</d2p1:guid>\n"
    "<d2p1:guid>17c282e5-4e54-4754-a8e1-e8c6128a2f62</d2p1:guid>\n"
    "</StoreScope>\n"
    "<TimeZone>sample string 8</TimeZone>\n"
    "<Verified>true</Verified>\n"
    "</AccountDetails>\n";

/* seed 003, response sample (application/xml) */
static const char seed003_response_xml[] =
    "<AccountDetails "
    "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xmlns=\"http://schemas.datacontract.org/2004/07/"
    "EziManager.Models.Tenancies.Accounts\">\n"
    "<CanPromptStores>true</CanPromptStores>\n"
    "<ConfirmPassword>sample string 5</ConfirmPassword>\n"
    "<Disabled>true</Disabled>\n"
    "<Email>sample string 3</Email>\n"
    "<ExternalSender>true</ExternalSender>\n"
    "<ID>ad99defd-f13b-42ed-8dff-12e56ba823ff</ID>\n"
    "<OperatorID>541ef564-8f04-4cf5-8647-6f30425332bf</OperatorID>\n"
    "<Password>sample string 4</Password>\n"
    "<PrivilegeGroup>26fe2086-aff6-45e8-9769-389e559fed62</PrivilegeGroup>\n"
    "<PrivilegeGroupName>sample string 14</PrivilegeGroupName>\n"
    "<PromptStoresOnLogin>true</PromptStoresOnLogin>\n"
    "<ReleaseNotify>true</ReleaseNotify>\n"
    "<Required>true</Required>\n"
    "<SecurityOptions "
    "xmlns:d2p1=\"http://schemas.datacontract.org/2004/07/"
    "EziManager.Service.Tenancies.Browser\">\n"
    "<d2p1:AllowSelfVerification>true</d2p1:AllowSelfVerification>\n"
    "<d2p1:LoginMode>1</d2p1:LoginMode>\n"
    "<d2p1:LoginModeInherited>5</d2p1:LoginModeInherited>\n"
    "<d2p1:LoginModeSource>sample string 6</d2p1:LoginModeSource>\n"
    "<d2p1:SelfVerifyInherited>true</d2p1:SelfVerifyInherited>\n"
    "<d2p1:SelfVerifySource>sample string 8</d2p1:SelfVerifySource>\n"
    "<d2p1:Source>sample string 4</d2p1:Source>\n"
    "<d2p1:VerifierEmail>sample string 3</d2p1:VerifierEmail>\n"
    "<d2p1:VerifyEmailInherited>sample string 9</d2p1:VerifyEmailInherited>\n"
    "<d2p1:VerifyEmailSource>sample string 10</d2p1:VerifyEmailSource>\n"
    "</SecurityOptions>\n"
    "<StoreIDs "
    "xmlns:d2p1=\"http://schemas.microsoft.com/2003/10/Serialization/"
    "Arrays\">\n"
    "<d2p1:int>1</d2p1:int>\n"
    "<d2p1:int>2</d2p1:int>\n"
    "</StoreIDs>\n"
    "<StoreScope "
    "xmlns:d2p1=\"http://schemas.microsoft.com/2003/10/Serialization/"
    "Arrays\">\n"
    "<d2p1:guid>30f992b9-80ae-4bef-9aee-359424aa0d6a</d2p1:guid>\n"
    "<d2p1:guid>b20d06ed-8fa5-47ae-b1a6-d7154e6f157d</d2p1:guid>\n"
    "</StoreScope>\n"
    "<TimeZone>sample string 8</TimeZone>\n"
    "<Verified>true</Verified>\n"
    "</AccountDetails>\n";

/* seed 004, request sample (application/xml) */
static const char seed004_request_xml[] =
    "<UserSimple xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xmlns=\"http://schemas.datacontract.org/2004/07/XCapture.DTO\">\n"
    "<Email>sample string 6</Email>\n"
    "<ExternalId>sample string 8</ExternalId>\n"
    "<FirstName>sample string 3</FirstName>\n"
    "<Id>c68d723a-ffc7-4d39-9bd0-966f946d2181</Id>\n"
    "<LastName>sample string 4</LastName>\n"
    "<Phone>sample string 7</Phone>\n"
    "<Roles>\n"
    "<RoleSimple>\n"
    "<Id>a63de9bd-7d4a-46e8-b197-61541e4ae989</Id>\n"
    "<Name>sample string 2</Name>\n"
    "<OrganizationId>a12c1b3e-b67b-4123-a3e9-04577aec3a9d</OrganizationId>\n"
    "</RoleSimple>\n"
    "<RoleSimple>\n"
    "<Id>a63de9bd-7d4a-46e8-b197-61541e4ae989</Id>\n"
    "<Name>sample string 2</Name>\n"
    "<OrganizationId>a12c1b3e-b67b-4123-a3e9-04577aec3a9d</OrganizationId>\n"
    "</RoleSimple>\n"
    "</Roles>\n"
    "<Title>sample string 5</Title>\n"
    "<Username>sample string 2</Username>\n"
    "</UserSimple>\n";

/* seed 004, response sample (application/xml) */
static const char seed004_response_xml[] =
    "<UserSimple xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" "
    "xmlns=\"http://schemas.datacontract.org/2004/07/XCapture.DTO\">\n"
    "<Email>sample string 6</Email>\n"
    "<ExternalId>sample string 8</ExternalId>\n"
    "<FirstName>sample string 3</FirstName>\n"
    "<Id>bc87dd8e-82ae-46ee-89bd-b6c236a47fe5</Id>\n"
    "<LastName>sample string 4</LastName>\n"
    "<Phone>sample string 7</Phone>\n"
    "<Roles>\n"
    "<RoleSimple>\n"
    "<Id>6be226e2-ad14-416b-affd-47e1206ad73f</Id>\n"
    "<Name>sample string 2</Name>\n"
    "<OrganizationId>4517af03-1a00-4789-918e-fefdfda0cbe7</OrganizationId>\n"
    "</RoleSimple>\n"
    "<RoleSimple>\n"
    "<Id>6be226e2-ad14-416b-affd-47e1206ad73f</Id>\n"
    "<Name>sample string 2</Name>\n"
    "<OrganizationId>4517af03-1a00-4789-918e-fefdfda0cbe7</OrganizationId>\n"
    "</RoleSimple>\n"
    "</Roles>\n"
    "<Title>sample string 5</Title>\n"
    "<Username>sample string 2</Username>\n"
    "</UserSimple>\n";

/* seed 004, request sample (application/json) */
static const char seed004_request_json[] =
    "{\n"
    "\"Id\": \"c68d723a-ffc7-4d39-9bd0-966f946d2181\",\n"
    "\"Username\": \"sample string 2\",\n"
    "\"FirstName\": \"sample string 3\",\n"
    "\"LastName\": \"sample string 4\",\n"
    "\"Title\": \"sample string 5\",\n"
    "\"Email\": \"sample string 6\",\n"
    "\"Phone\": \"sample string 7\",\n"
    "\"ExternalId\": \"sample string 8\",\n"
    "\"Roles\": [\n"
    "{\n"
    "\"Id\": \"a63de9bd-7d4a-46e8-b197-61541e4ae989\",\n"
    "\"Name\": \"sample string 2\",\n"
    "\"OrganizationId\": \"a12c1b3e-b67b-4123-a3e9-04577aec3a9d\"\n"
    "},\n"
    "{\n"
    "\"Id\": \"a63de9bd-7d4a-46e8-b197-61541e4ae989\",\n"
    "\"Name\": \"sample string 2\",\n"
    "\"OrganizationId\": \"a12c1b3e-b67b-4123-a3e9-04577aec3a9d\"\n"
    "}\n"
    "]\n"
    "}\n";

/* seed 004, response sample (application/json) */
static const char seed004_response_json[] =
    "{\n"
    "\"Id\": \"bc87dd8e-82ae-46ee-89bd-b6c236a47fe5\",\n"
    "\"Username\": \"sample string 2\",\n"
    "\"FirstName\": \"sample string 3\",\n"
    "\"LastName\": \"sample string 4\",\n"
    "\"Title\": \"sample string 5\",\n"
    "\"Email\": \"sample string 6\",\n"
    "\"Phone\": \"sample string 7\",\n"
    "\"ExternalId\": \"sample string 8\",\n"
    "\"Roles\": [\n"
    "{\n"
    "\"Id\": \"6be226e2-ad14-416b-affd-47e1206ad73f\",\n"
    "\"Name\": \"sample string 2\",\n"
    "\"OrganizationId\": \"4517af03-1a00-4789-918e-fefdfda0cbe7\"\n"
    "},\n"
    "{\n"
    "\"Id\": \"6be226e2-ad14-416b-affd-47e1206ad73f\",\n"
    "\"Name\": \"sample string 2\",\n"
    "\"OrganizationId\": \"4517af03-1a00-4789-918e-fefdfda0cbe7\"\n"
    "}\n"
    "]\n"
    "}\n";

/* ---- helpers ---- */

/* s without the whitespace between elements (the Help Page's newlines). */
static const char *
strip_ws(const char *s)
{
	char *out = arena_alloc(ta, strlen(s) + 1), *o = out;
	const char *p, *q;

	for (p = s; *p != '\0'; p++) {
		if (strchr(" \t\r\n", *p) != NULL) {
			for (q = p; *q != '\0' && strchr(" \t\r\n", *q); q++)
				;
			if (o == out || o[-1] == '>' || *q == '<' ||
			    *q == '\0') {
				p = q - 1;
				continue;
			}
		}
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

static const char *
to_json(const struct value *v)
{
	struct buf b;

	buf_init(&b, ta);
	json_encode(&b, v);
	ck_assert(!b.failed);
	return b.p;
}

static struct value *
from_json(const char *doc)
{
	struct value *v;
	struct fmt_error err;

	ck_assert_int_eq(json_decode(ta, doc, strlen(doc), NULL, &v, &err),
	    FMT_OK);
	return v;
}

static const char *
to_xml(const struct xml_contract *k, const struct value *v)
{
	struct buf b;

	buf_init(&b, ta);
	xml_encode(&b, k, v);
	ck_assert_msg(!b.failed, "xml_encode failed");
	return b.p;
}

/* Decodes a string literal (sizeof - 1 keeps embedded NULs). */
#define XDEC(doc, k, lim, out, err) \
	xml_decode(ta, (doc), sizeof(doc) - 1, (k), (lim), (out), (err))
#define FDEC(doc, lim, out, err) \
	form_decode(ta, (doc), sizeof(doc) - 1, (lim), (out), (err))

/* ======================= xml decode ======================= */

/* Seed 004's request sample decodes to its JSON sample's tree. */
START_TEST(test_xml_decode_seed004)
{
	struct value *v;
	struct fmt_error err;

	ck_assert_int_eq(XDEC(seed004_request_xml, &user_simple, NULL, &v,
	    &err), FMT_OK);
	/* same members and values; XML order is alphabetical, so compare
	 * member by member through the JSON sample */
	{
		struct value *j = from_json(seed004_request_json);
		size_t i;

		ck_assert_uint_eq(v->u.obj.n, j->u.obj.n);
		for (i = 0; i < j->u.obj.n; i++) {
			const struct member *m = &j->u.obj.members[i];

			ck_assert_str_eq(to_json(value_get(v, m->key)),
			    to_json(m->val));
		}
	}
	ck_assert_uint_eq(value_get(v, "Roles")->u.arr.n, 2);
	ck_assert_str_eq(to_json(value_get(v, "Roles")->u.arr.items[1]),
	    "{\"Id\":\"a63de9bd-7d4a-46e8-b197-61541e4ae989\","
	    "\"Name\":\"sample string 2\","
	    "\"OrganizationId\":\"a12c1b3e-b67b-4123-a3e9-04577aec3a9d\"}");
}
END_TEST

/* Seed 003's: primitive arrays and a nested contract in its namespace. */
START_TEST(test_xml_decode_seed003)
{
	struct value *v, *so;
	struct fmt_error err;

	ck_assert_int_eq(XDEC(seed003_request_xml, &account_details, NULL,
	    &v, &err), FMT_OK);
	ck_assert_uint_eq(v->u.obj.n, 18);
	ck_assert_str_eq(to_json(value_get(v, "StoreIDs")), "[\"1\",\"2\"]");
	ck_assert_str_eq(to_json(value_get(v, "StoreScope")),
	    "[\"0127b19f-b94d-4e56-b4e0-569f3342a7c5\","
	    "\"17c282e5-4e54-4754-a8e1-e8c6128a2f62\"]");
	ck_assert_str_eq(value_get(v, "Verified")->u.str.p, "true");
	so = value_get(v, "SecurityOptions");
	ck_assert_int_eq(so->type, VALUE_OBJECT);
	ck_assert_uint_eq(so->u.obj.n, 10);
	ck_assert_str_eq(value_get(so, "LoginModeInherited")->u.str.p, "5");
	ck_assert_str_eq(value_get(so, "VerifyEmailSource")->u.str.p,
	    "sample string 10");
	ck_assert_str_eq(value_get(v, "Email")->u.str.p, "sample string 3");
}
END_TEST

/* A valid document and the JSON of what it decodes to. */
struct good_xml {
	const char	*name;
	const char	*doc;
	const char	*json;
};

#define US_OPEN "<UserSimple xmlns=\"" NS_004 "\" xmlns:i=\"" \
	XML_NS_INSTANCE "\">"
#define US_CLOSE "</UserSimple>"
#define ROLE(x) "<RoleSimple><Name>" x "</Name></RoleSimple>"

static const struct good_xml good_xml_cases[] = {
	{ "any member order",
	    US_OPEN "<Username>u</Username><Email>e</Email><Id>i</Id>"
	    US_CLOSE, "{\"Username\":\"u\",\"Email\":\"e\",\"Id\":\"i\"}" },
	{ "empty root", US_OPEN US_CLOSE, "{}" },
	{ "self-closing root", "<UserSimple xmlns=\"" NS_004 "\"/>", "{}" },
	{ "one-item array stays an array",
	    US_OPEN "<Roles>" ROLE("a") "</Roles>" US_CLOSE,
	    "{\"Roles\":[{\"Name\":\"a\"}]}" },
	{ "empty array", US_OPEN "<Roles/>" US_CLOSE, "{\"Roles\":[]}" },
	{ "empty array with whitespace",
	    US_OPEN "<Roles>\n  </Roles>" US_CLOSE, "{\"Roles\":[]}" },
	{ "nil member", US_OPEN "<Email i:nil=\"true\"/>" US_CLOSE,
	    "{\"Email\":null}" },
	{ "nil=\"1\" and nil=\"false\"",
	    US_OPEN "<Email i:nil=\"1\"/><Title i:nil=\"false\">t</Title>"
	    US_CLOSE, "{\"Email\":null,\"Title\":\"t\"}" },
	{ "nil array and nil item",
	    US_OPEN "<Roles><RoleSimple i:nil=\"true\"/></Roles>" US_CLOSE,
	    "{\"Roles\":[null]}" },
	{ "nil root", "<UserSimple xmlns=\"" NS_004 "\" xmlns:i=\""
	    XML_NS_INSTANCE "\" i:nil=\"true\"/>", "null" },
	{ "empty scalar", US_OPEN "<Email/><Title></Title>" US_CLOSE,
	    "{\"Email\":\"\",\"Title\":\"\"}" },
	{ "text kept as sent",
	    US_OPEN "<Title>  two\n lines </Title>" US_CLOSE,
	    "{\"Title\":\"  two\\n lines \"}" },
	{ "entities, character references, CDATA, comments",
	    US_OPEN "<Title>a&amp;b&lt;&gt;&quot;&apos;&#233;&#x4e2d;"
	    "<![CDATA[<x>&amp;]]><!-- c -->z</Title>" US_CLOSE,
	    "{\"Title\":\"a&b<>\\\"'\xc3\xa9\xe4\xb8\xad<x>&amp;z\"}" },
	{ "UTF-8 text", US_OPEN "<Title>caf\xc3\xa9 \xf0\x9f\x98\x80</Title>"
	    US_CLOSE, "{\"Title\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}" },
	{ "XML declaration naming UTF-8",
	    "<?xml version=\"1.0\" encoding=\"utf-8\"?>" US_OPEN US_CLOSE,
	    "{}" },
	{ "UTF-8 BOM and declaration",
	    "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
	    US_OPEN US_CLOSE, "{}" },
	{ "unknown members skipped with their subtrees",
	    US_OPEN "<Extra><Deep><Email>x</Email></Deep></Extra>"
	    "<Email>e</Email><z:Other xmlns:z=\"urn:z\">1</z:Other>"
	    US_CLOSE, "{\"Email\":\"e\"}" },
	{ "any prefix for the right namespace",
	    "<p:UserSimple xmlns:p=\"" NS_004 "\"><p:Roles><p:RoleSimple>"
	    "<p:Id>1</p:Id></p:RoleSimple></p:Roles></p:UserSimple>",
	    "{\"Roles\":[{\"Id\":\"1\"}]}" },
	{ "unknown attributes ignored",
	    US_OPEN "<Email foo=\"bar\">e</Email>" US_CLOSE,
	    "{\"Email\":\"e\"}" },
	{ "processing instruction ignored",
	    US_OPEN "<?pi x?><Email>e</Email>" US_CLOSE,
	    "{\"Email\":\"e\"}" },
	{ "CR LF normalised", US_OPEN "<Title>a\r\nb&#xD;</Title>" US_CLOSE,
	    "{\"Title\":\"a\\nb\\r\"}" },
};

START_TEST(test_xml_decode_good)
{
	const struct good_xml *c = &good_xml_cases[_i];
	struct value *v;
	struct fmt_error err;
	enum fmt_status st;

	st = xml_decode(ta, c->doc, strlen(c->doc), &user_simple, NULL, &v,
	    &err);
	ck_assert_msg(st == FMT_OK, "%s: status %d (%s)", c->name, st,
	    err.msg);
	ck_assert_msg(strcmp(to_json(v), c->json) == 0, "%s: got %s",
	    c->name, to_json(v));
}
END_TEST

/* The primitive-array items of 003, any prefix, nil items. */
START_TEST(test_xml_decode_scalar_array)
{
	static const char doc[] = "<AccountDetails xmlns=\"" NS_003 "\" "
	    "xmlns:i=\"" XML_NS_INSTANCE "\" xmlns:a=\"" XML_NS_ARRAYS "\">"
	    "<StoreIDs><a:int>7</a:int></StoreIDs>"
	    "<StoreScope><guid xmlns=\"" XML_NS_ARRAYS "\" i:nil=\"true\"/>"
	    "</StoreScope><SecurityOptions xmlns:b=\"" NS_003_BROWSER "\">"
	    "<b:Source>s</b:Source></SecurityOptions></AccountDetails>";
	struct value *v;
	struct fmt_error err;

	ck_assert_int_eq(XDEC(doc, &account_details, NULL, &v, &err), FMT_OK);
	ck_assert_str_eq(to_json(v), "{\"StoreIDs\":[\"7\"],"
	    "\"StoreScope\":[null],\"SecurityOptions\":{\"Source\":\"s\"}}");
}
END_TEST

/* ---- invalid and hostile documents ---- */

struct bad_xml {
	const char	*name;
	const char	*doc;
	size_t		 len;
	enum fmt_status	 st;
	const char	*path;		/* err.path, or NULL */
	const char	*msg;		/* substring of err.msg, or NULL */
};

#define BADX(name, doc, st, path, msg) \
	{ name, doc, sizeof(doc) - 1, st, path, msg }

#define LOL "<!ENTITY lol \"lol\">" \
	"<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">" \
	"<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">" \
	"<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"

static const struct bad_xml bad_xml_cases[] = {
	BADX("empty", "", FMT_EMPTY, NULL, NULL),
	BADX("whitespace only", " \r\n\t", FMT_EMPTY, NULL, NULL),
	BADX("billion laughs", "<?xml version=\"1.0\"?><!DOCTYPE UserSimple ["
	    LOL "]>" US_OPEN "<Email>&lol3;</Email>" US_CLOSE, FMT_SYNTAX,
	    NULL, "DOCTYPE"),
	BADX("external entity (XXE)", "<!DOCTYPE UserSimple [<!ENTITY xxe "
	    "SYSTEM \"file:///etc/passwd\">]>" US_OPEN "<Email>&xxe;</Email>"
	    US_CLOSE, FMT_SYNTAX, NULL, "DOCTYPE"),
	BADX("external DTD over the network", "<!DOCTYPE UserSimple SYSTEM "
	    "\"http://127.0.0.1:9/evil.dtd\">" US_OPEN US_CLOSE, FMT_SYNTAX,
	    NULL, "DOCTYPE"),
	BADX("plain DOCTYPE", "<!DOCTYPE UserSimple>" US_OPEN US_CLOSE,
	    FMT_SYNTAX, NULL, "DOCTYPE"),
	BADX("undeclared entity", US_OPEN "<Email>&xxe;</Email>" US_CLOSE,
	    FMT_SYNTAX, "Email", "xxe"),
	BADX("bad UTF-8 0xff", US_OPEN "<Email>\xff</Email>" US_CLOSE,
	    FMT_ENCODING, NULL, "UTF-8"),
	BADX("overlong UTF-8", US_OPEN "<Email>\xc0\xaf</Email>" US_CLOSE,
	    FMT_ENCODING, NULL, NULL),
	BADX("UTF-8 encoded surrogate", US_OPEN "<Email>\xed\xa0\x80</Email>"
	    US_CLOSE, FMT_ENCODING, NULL, NULL),
	BADX("truncated UTF-8", US_OPEN "<Email>\xe2\x82</Email>" US_CLOSE,
	    FMT_ENCODING, NULL, NULL),
	BADX("bad UTF-8 in a name", US_OPEN "<E\xff/>" US_CLOSE, FMT_ENCODING,
	    NULL, NULL),
	BADX("embedded NUL", US_OPEN "<Email>a\0b</Email>" US_CLOSE,
	    FMT_ENCODING, NULL, NULL),
	BADX("character reference to NUL", US_OPEN "<Email>&#0;</Email>"
	    US_CLOSE, FMT_ENCODING, "Email", NULL),
	BADX("character reference to a surrogate",
	    US_OPEN "<Email>&#xD800;</Email>" US_CLOSE, FMT_ENCODING, NULL,
	    NULL),
	BADX("control character", US_OPEN "<Email>\x01</Email>" US_CLOSE,
	    FMT_ENCODING, NULL, NULL),
	BADX("declared Latin-1", "<?xml version=\"1.0\" encoding="
	    "\"ISO-8859-1\"?>" US_OPEN US_CLOSE, FMT_ENCODING, NULL,
	    "UTF-8"),
	BADX("UTF-16 BOM", "\xff\xfe<\0U\0/\0>\0", FMT_ENCODING, NULL, NULL),
	BADX("wrong root", "<User xmlns=\"" NS_004 "\"/>", FMT_SYNTAX, "",
	    "Expecting element 'UserSimple'"),
	BADX("wrong root namespace", "<UserSimple xmlns=\"" NS_003 "\"/>",
	    FMT_SYNTAX, "", "EziManager"),
	BADX("no namespace", "<UserSimple><Email>e</Email></UserSimple>",
	    FMT_SYNTAX, "", "namespace"),
	BADX("member in another namespace", US_OPEN "<Email xmlns=\"urn:x\">"
	    "e</Email>" US_CLOSE, FMT_SYNTAX, "Email", "urn:x"),
	BADX("member without namespace", "<u:UserSimple xmlns:u=\"" NS_004
	    "\"><Email>e</Email></u:UserSimple>", FMT_SYNTAX, "Email", NULL),
	BADX("duplicate member", US_OPEN "<Email>a</Email><Email>b</Email>"
	    US_CLOSE, FMT_DUPLICATE, "Email", "twice"),
	BADX("duplicate nested member", US_OPEN "<Roles><RoleSimple><Id>1"
	    "</Id><Id>2</Id></RoleSimple></Roles>" US_CLOSE, FMT_DUPLICATE,
	    "Roles[0].Id", NULL),
	BADX("text in an object", US_OPEN "oops<Email>e</Email>" US_CLOSE,
	    FMT_SYNTAX, "", "Text"),
	BADX("text in an array", US_OPEN "<Roles>x</Roles>" US_CLOSE,
	    FMT_SYNTAX, "Roles", NULL),
	BADX("element in a scalar", US_OPEN "<Roles>" ROLE("a") "<RoleSimple>"
	    "<Name><b>x</b></Name></RoleSimple></Roles>" US_CLOSE, FMT_SYNTAX,
	    "Roles[1].Name", "'b'"),
	BADX("content in a nil", US_OPEN "<Email i:nil=\"true\">x</Email>"
	    US_CLOSE, FMT_SYNTAX, "Email", "nil"),
	BADX("bad nil value", US_OPEN "<Email i:nil=\"yes\"/>" US_CLOSE,
	    FMT_SYNTAX, "Email", "i:nil"),
	BADX("wrong item element", US_OPEN "<Roles><Role/></Roles>" US_CLOSE,
	    FMT_SYNTAX, "Roles[0]", "RoleSimple"),
	BADX("item in another namespace", US_OPEN "<Roles>" ROLE("a")
	    "<RoleSimple xmlns=\"urn:x\"/></Roles>" US_CLOSE, FMT_SYNTAX,
	    "Roles[1]", NULL),
	BADX("unclosed element", US_OPEN "<Email>e", FMT_SYNTAX, NULL, NULL),
	BADX("mismatched end tag", US_OPEN "<Email>e</Title>" US_CLOSE,
	    FMT_SYNTAX, NULL, NULL),
	BADX("two roots", US_OPEN US_CLOSE US_OPEN US_CLOSE, FMT_SYNTAX, NULL,
	    NULL),
	BADX("trailing garbage", US_OPEN US_CLOSE "x", FMT_SYNTAX, NULL,
	    NULL),
	BADX("unbound prefix", US_OPEN "<q:Email>e</q:Email>" US_CLOSE,
	    FMT_SYNTAX, NULL, "q"),
	BADX("not XML", "{\"Email\":\"e\"}", FMT_SYNTAX, NULL, NULL),
	BADX("only a comment", "<!-- x -->", FMT_SYNTAX, NULL, NULL),
};

START_TEST(test_xml_decode_bad)
{
	const struct bad_xml *c = &bad_xml_cases[_i];
	struct value *v = (struct value *)&v;
	struct fmt_error err;
	enum fmt_status st;

	st = xml_decode(ta, c->doc, c->len, &user_simple, NULL, &v, &err);
	ck_assert_msg(st == c->st, "%s: status %d, want %d (%s)", c->name,
	    st, c->st, err.msg);
	ck_assert_msg(v == NULL, "%s: *out set on failure", c->name);
	ck_assert_msg(err.msg[0] != '\0', "%s: no message", c->name);
	if (c->path != NULL)
		ck_assert_msg(strcmp(err.path, c->path) == 0,
		    "%s: path \"%s\", want \"%s\"", c->name, err.path, c->path);
	if (c->msg != NULL)
		ck_assert_msg(strstr(err.msg, c->msg) != NULL,
		    "%s: message \"%s\" lacks \"%s\"", c->name, err.msg,
		    c->msg);
}
END_TEST

START_TEST(test_xml_decode_null_input)
{
	struct value *v;
	struct fmt_error err;

	ck_assert_int_eq(xml_decode(ta, NULL, 0, &user_simple, NULL, &v,
	    &err), FMT_EMPTY);
	ck_assert_ptr_null(v);
}
END_TEST

/* ---- limits ---- */

static const struct fmt_limits small = {
	.max_depth = 3, .max_items = 3, .max_string = 5, .max_nodes = 8,
};

struct limit_xml {
	const char	*name;
	const char	*doc;
	enum fmt_status	 st;
};

static const struct limit_xml limit_xml_cases[] = {
	{ "depth at max", US_OPEN "<Roles>" ROLE("a") "</Roles>" US_CLOSE,
	    FMT_OK },
	{ "deep nesting", US_OPEN "<Roles><RoleSimple><Extra/></RoleSimple>"
	    "</Roles>" US_CLOSE, FMT_LIMIT },
	{ "deep nesting in skipped elements", US_OPEN "<a><b><c/></b></a>"
	    US_CLOSE, FMT_LIMIT },
	{ "children at max", US_OPEN "<Id/><Email/><Title/>" US_CLOSE,
	    FMT_OK },
	{ "too many children", US_OPEN "<Id/><Email/><Title/><Phone/>"
	    US_CLOSE, FMT_LIMIT },
	{ "too many skipped children", US_OPEN "<a/><a/><a/><a/>" US_CLOSE,
	    FMT_LIMIT },
	{ "too many items", US_OPEN "<Roles>" ROLE("") ROLE("") ROLE("")
	    ROLE("") "</Roles>" US_CLOSE, FMT_LIMIT },
	{ "text at max", US_OPEN "<Email>abcde</Email>" US_CLOSE, FMT_OK },
	{ "oversize text", US_OPEN "<Email>abcdef</Email>" US_CLOSE,
	    FMT_LIMIT },
	{ "oversize text in pieces", US_OPEN "<Email>ab<!---->cd&amp;e"
	    "</Email>" US_CLOSE, FMT_LIMIT },
	{ "oversize text through entities", US_OPEN "<Email>&amp;&amp;&amp;"
	    "&amp;&amp;&amp;</Email>" US_CLOSE, FMT_LIMIT },
	{ "nodes at max", US_OPEN "<Roles>" ROLE("") ROLE("") ROLE("")
	    "</Roles>" US_CLOSE, FMT_OK },
	{ "too many nodes", US_OPEN "<Id/><Roles>" ROLE("") ROLE("") ROLE("")
	    "</Roles>" US_CLOSE, FMT_LIMIT },
};

START_TEST(test_xml_limits)
{
	const struct limit_xml *c = &limit_xml_cases[_i];
	struct value *v;
	struct fmt_error err;
	enum fmt_status st;

	st = xml_decode(ta, c->doc, strlen(c->doc), &user_simple, &small, &v,
	    &err);
	ck_assert_msg(st == c->st, "%s: status %d, want %d (%s)", c->name,
	    st, c->st, err.msg);
}
END_TEST

/* A nesting bomb stops at the default depth, long before libxml2's. */
START_TEST(test_xml_deep_nesting_default)
{
	size_t i, n = 100000;
	struct buf b;
	struct value *v;
	struct fmt_error err;

	buf_init(&b, ta);
	buf_puts(&b, US_OPEN);
	for (i = 0; i < n; i++)
		buf_puts(&b, "<a>");
	ck_assert(!b.failed);
	ck_assert_int_eq(xml_decode(ta, b.p, b.len, &user_simple, NULL, &v,
	    &err), FMT_LIMIT);
	ck_assert_ptr_null(v);
	ck_assert_ptr_nonnull(strstr(err.msg, "deeply"));
}
END_TEST

/* One over the default text limit is refused; at the limit is fine. */
START_TEST(test_xml_huge_text_default)
{
	size_t n = fmt_default_limits.max_string;
	struct buf b;
	struct value *v;
	struct fmt_error err;
	char *text = arena_alloc(ta, n + 1);

	memset(text, 'x', n + 1);
	buf_init(&b, ta);
	buf_printf(&b, US_OPEN "<Email>%.*s</Email>" US_CLOSE, (int)n, text);
	ck_assert_int_eq(xml_decode(ta, b.p, b.len, &user_simple, NULL, &v,
	    &err), FMT_OK);
	ck_assert_uint_eq(value_get(v, "Email")->u.str.len, n);
	buf_reset(&b);
	buf_printf(&b, US_OPEN "<Email>%.*s</Email>" US_CLOSE, (int)n + 1,
	    text);
	ck_assert_int_eq(xml_decode(ta, b.p, b.len, &user_simple, NULL, &v,
	    &err), FMT_LIMIT);
	ck_assert_str_eq(err.path, "Email");
}
END_TEST

/* Bodies beyond XML_MAX_BYTES never reach libxml2. */
START_TEST(test_xml_oversize_document)
{
	size_t n = XML_MAX_BYTES + 1;
	char *doc = arena_alloc(ta, n);
	struct value *v;
	struct fmt_error err;

	memset(doc, ' ', n);
	memcpy(doc, US_OPEN, strlen(US_OPEN));
	memcpy(doc + n - strlen(US_CLOSE), US_CLOSE, strlen(US_CLOSE));
	ck_assert_int_eq(xml_decode(ta, doc, n, &user_simple, NULL, &v, &err),
	    FMT_LIMIT);
	/* one byte less is parsed */
	memcpy(doc + n - 1 - strlen(US_CLOSE), US_CLOSE, strlen(US_CLOSE));
	ck_assert_int_eq(xml_decode(ta, doc, n - 1, &user_simple, NULL, &v,
	    &err), FMT_OK);
}
END_TEST

/* ======================= xml encode ======================= */

/* 004's JSON response sample, written as XML, is 004's XML sample. */
START_TEST(test_xml_encode_seed004)
{
	struct value *v = from_json(seed004_response_json);

	ck_assert_str_eq(to_xml(&user_simple, v),
	    strip_ws(seed004_response_xml));
}
END_TEST

/*
 * 003's response data (the page's JSON sample, PascalCase, typed: the
 * encoder writes booleans and numbers too) is 003's XML sample.
 */
START_TEST(test_xml_encode_seed003)
{
	struct value *v = from_json("{"
	    "\"ID\":\"ad99defd-f13b-42ed-8dff-12e56ba823ff\","
	    "\"OperatorID\":\"541ef564-8f04-4cf5-8647-6f30425332bf\","
	    "\"Email\":\"sample string 3\",\"Password\":\"sample string 4\","
	    "\"ConfirmPassword\":\"sample string 5\",\"Verified\":true,"
	    "\"Disabled\":true,\"TimeZone\":\"sample string 8\","
	    "\"StoreScope\":[\"30f992b9-80ae-4bef-9aee-359424aa0d6a\","
	    "\"b20d06ed-8fa5-47ae-b1a6-d7154e6f157d\"],"
	    "\"PrivilegeGroup\":\"26fe2086-aff6-45e8-9769-389e559fed62\","
	    "\"ExternalSender\":true,\"CanPromptStores\":true,"
	    "\"PromptStoresOnLogin\":true,\"ReleaseNotify\":true,"
	    "\"Required\":true,\"PrivilegeGroupName\":\"sample string 14\","
	    "\"StoreIDs\":[1,2],\"SecurityOptions\":{\"LoginMode\":1,"
	    "\"AllowSelfVerification\":true,"
	    "\"VerifierEmail\":\"sample string 3\","
	    "\"Source\":\"sample string 4\",\"LoginModeInherited\":5,"
	    "\"LoginModeSource\":\"sample string 6\","
	    "\"SelfVerifyInherited\":true,"
	    "\"SelfVerifySource\":\"sample string 8\","
	    "\"VerifyEmailInherited\":\"sample string 9\","
	    "\"VerifyEmailSource\":\"sample string 10\"}}");

	ck_assert_str_eq(to_xml(&account_details, v),
	    strip_ws(seed003_response_xml));
}
END_TEST

/* Decoding a seed sample and encoding the tree gives the sample back. */
START_TEST(test_xml_roundtrip_seeds)
{
	struct value *v;
	struct fmt_error err;

	ck_assert_int_eq(XDEC(seed003_request_xml, &account_details, NULL,
	    &v, &err), FMT_OK);
	ck_assert_str_eq(to_xml(&account_details, v),
	    strip_ws(seed003_request_xml));
	ck_assert_int_eq(XDEC(seed004_request_xml, &user_simple, NULL, &v,
	    &err), FMT_OK);
	ck_assert_str_eq(to_xml(&user_simple, v),
	    strip_ws(seed004_request_xml));
}
END_TEST

#define AD_OPEN "<AccountDetails xmlns:i=\"" XML_NS_INSTANCE "\" xmlns=\"" \
	NS_003 "\">"

/* Nulls, absent members, empty collections, members c does not know. */
START_TEST(test_xml_encode_nulls_and_empties)
{
	struct value *v = from_json("{\"Email\":null,\"StoreIDs\":[],"
	    "\"StoreScope\":[\"a\",null],\"SecurityOptions\":null,"
	    "\"PasswordHash\":\"secret\",\"ID\":\"\"}");

	ck_assert_str_eq(to_xml(&account_details, v), AD_OPEN
	    "<CanPromptStores i:nil=\"true\" />"
	    "<ConfirmPassword i:nil=\"true\" />"
	    "<Disabled i:nil=\"true\" />"
	    "<Email i:nil=\"true\" />"
	    "<ExternalSender i:nil=\"true\" />"
	    "<ID></ID>"
	    "<OperatorID i:nil=\"true\" />"
	    "<Password i:nil=\"true\" />"
	    "<PrivilegeGroup i:nil=\"true\" />"
	    "<PrivilegeGroupName i:nil=\"true\" />"
	    "<PromptStoresOnLogin i:nil=\"true\" />"
	    "<ReleaseNotify i:nil=\"true\" />"
	    "<Required i:nil=\"true\" />"
	    "<SecurityOptions i:nil=\"true\" />"
	    "<StoreIDs xmlns:d2p1=\"" XML_NS_ARRAYS "\" />"
	    "<StoreScope xmlns:d2p1=\"" XML_NS_ARRAYS "\">"
	    "<d2p1:guid>a</d2p1:guid><d2p1:guid i:nil=\"true\" />"
	    "</StoreScope>"
	    "<TimeZone i:nil=\"true\" />"
	    "<Verified i:nil=\"true\" />"
	    "</AccountDetails>");
	ck_assert_str_eq(to_xml(&user_simple, from_json("{\"Roles\":[]}")),
	    "<UserSimple xmlns:i=\"" XML_NS_INSTANCE "\" xmlns=\"" NS_004 "\">"
	    "<Email i:nil=\"true\" /><ExternalId i:nil=\"true\" />"
	    "<FirstName i:nil=\"true\" /><Id i:nil=\"true\" />"
	    "<LastName i:nil=\"true\" /><Phone i:nil=\"true\" />"
	    "<Roles />"
	    "<Title i:nil=\"true\" /><Username i:nil=\"true\" />"
	    "</UserSimple>");
	ck_assert_str_eq(to_xml(&user_simple, from_json("null")),
	    "<UserSimple xmlns:i=\"" XML_NS_INSTANCE "\" xmlns=\"" NS_004 "\" "
	    "i:nil=\"true\" />");
}
END_TEST

/*
 * The prefix scheme beyond the seeds: a declaration is "d{depth}p1" on
 * the element that needs it, a namespace in scope is reused, and the
 * default namespace never needs one.
 */
#define NS_A "urn:a"
#define NS_B "urn:b"

static const struct xml_member leaf_members[] = { { .name = "V" } };
static const struct xml_contract leaf_a = { "LeafA", NS_A,
	XML_MEMBERS(leaf_members) };
static const struct xml_contract leaf_b = { "LeafB", NS_B,
	XML_MEMBERS(leaf_members) };
static const struct xml_member inner_members[] = {
	{ .name = "Ids", .kind = XML_SCALAR_ARRAY, .item = "string" },
	{ .name = "A", .kind = XML_OBJECT, .type = &leaf_a },
	{ .name = "Bs", .kind = XML_OBJECT_ARRAY, .type = &leaf_b },
	{ .name = "Named", .kind = XML_OBJECT_ARRAY, .type = &leaf_a,
	    .item = "Item" },
};
static const struct xml_contract inner_b = { "Inner", NS_B,
	XML_MEMBERS(inner_members) };
static const struct xml_member outer_members[] = {
	{ .name = "In", .kind = XML_OBJECT, .type = &inner_b },
	{ .name = "Bs", .kind = XML_OBJECT_ARRAY, .type = &leaf_b },
};
static const struct xml_contract outer_a = { "Outer", NS_A,
	XML_MEMBERS(outer_members) };

START_TEST(test_xml_encode_prefixes)
{
	const char *want = "<Outer xmlns:i=\"" XML_NS_INSTANCE "\" "
	    "xmlns=\"urn:a\">"
	    "<Bs xmlns:d2p1=\"urn:b\"><d2p1:LeafB><d2p1:V>1</d2p1:V>"
	    "</d2p1:LeafB></Bs>"
	    "<In xmlns:d2p1=\"urn:b\">"
	    "<d2p1:A><V>2</V></d2p1:A>"
	    "<d2p1:Bs><d2p1:LeafB><d2p1:V>3</d2p1:V></d2p1:LeafB></d2p1:Bs>"
	    "<d2p1:Ids xmlns:d3p1=\"" XML_NS_ARRAYS "\">"
	    "<d3p1:string>x&amp;y</d3p1:string></d2p1:Ids>"
	    "<d2p1:Named><Item><V i:nil=\"true\" /></Item></d2p1:Named>"
	    "</In></Outer>";
	struct value *v = from_json("{\"Bs\":[{\"V\":1}],\"In\":{"
	    "\"A\":{\"V\":\"2\"},\"Bs\":[{\"V\":3}],\"Ids\":[\"x&y\"],"
	    "\"Named\":[{}]}}");
	struct value *back;
	struct fmt_error err;
	const char *xml = to_xml(&outer_a, v);

	ck_assert_str_eq(xml, want);
	/* and the decoder reads what the encoder wrote */
	ck_assert_int_eq(xml_decode(ta, xml, strlen(xml), &outer_a, NULL,
	    &back, &err), FMT_OK);
	ck_assert_str_eq(to_json(back), "{\"Bs\":[{\"V\":\"1\"}],\"In\":{"
	    "\"A\":{\"V\":\"2\"},\"Bs\":[{\"V\":\"3\"}],\"Ids\":[\"x&y\"],"
	    "\"Named\":[{\"V\":null}]}}");
}
END_TEST

/* Text escaping: one function decides, and the output is always XML. */
START_TEST(test_xml_encode_escaping)
{
	static const struct xml_member m[] = { { .name = "T" } };
	static const struct xml_contract k = { "R", NULL, XML_MEMBERS(m) };
	struct value *o = value_object(ta);
	struct value *back;
	struct fmt_error err;
	const char *xml;

	value_set(ta, o, "T", value_string(ta,
	    "<a href=\"x\">&amp;</a>\r\n\t\x01\x1f\x7f"
	    "\xff\xc0\xaf\xed\xa0\x80\xef\xbf\xbe\xef\xbf\xbf"
	    "\xc3\xa9\xf0\x9f\x98\x80", 45));
	xml = to_xml(&k, o);
	ck_assert_str_eq(xml, "<R xmlns:i=\"" XML_NS_INSTANCE "\"><T>"
	    "&lt;a href=\"x\"&gt;&amp;amp;&lt;/a&gt;&#xD;\n\t"
	    "\xef\xbf\xbd\xef\xbf\xbd\x7f"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "\xc3\xa9\xf0\x9f\x98\x80</T></R>");
	/* what it wrote parses, and CR survives */
	ck_assert_int_eq(xml_decode(ta, xml, strlen(xml), &k, NULL, &back,
	    &err), FMT_OK);
	ck_assert_int_eq(memcmp(value_get(back, "T")->u.str.p,
	    "<a href=\"x\">&amp;</a>\r\n\t", 24), 0);
}
END_TEST

/* A value whose shape the contract does not allow fails the buffer. */
START_TEST(test_xml_encode_mismatch)
{
	static const char *const bad[] = {
		"{\"Email\":{}}", "{\"Email\":[\"a\"]}", "{\"Roles\":{}}",
		"{\"Roles\":[\"a\"]}", "{\"Roles\":\"a\"}", "[]", "\"x\"",
	};
	struct buf b;
	size_t i;

	for (i = 0; i < RS_ARRAY_LEN(bad); i++) {
		buf_init(&b, ta);
		xml_encode(&b, &user_simple, from_json(bad[i]));
		ck_assert_msg(b.failed, "%s: encoded", bad[i]);
	}
	buf_init(&b, ta);
	xml_encode(&b, &account_details, from_json("{\"StoreIDs\":[[1]]}"));
	ck_assert(b.failed);
	buf_init(&b, ta);
	xml_encode(&b, &account_details, from_json("{\"StoreIDs\":1}"));
	ck_assert(b.failed);
}
END_TEST

/* ---- HttpError ---- */

START_TEST(test_xml_error_message)
{
	struct buf b;

	buf_init(&b, ta);
	xml_encode_error(&b, "Authorization has been denied for this "
	    "request.", NULL);
	ck_assert(!b.failed);
	ck_assert_str_eq(b.p, "<Error><Message>Authorization has been "
	    "denied for this request.</Message></Error>");
	buf_init(&b, ta);
	xml_encode_error(&b, "a<b & c>", NULL);
	ck_assert_str_eq(b.p, "<Error><Message>a&lt;b &amp; c&gt;</Message>"
	    "</Error>");
	buf_init(&b, ta);
	xml_encode_error(&b, NULL, value_object(ta));
	ck_assert(!b.failed);
	ck_assert_str_eq(b.p, "<Error><Message /><ModelState /></Error>");
	buf_init(&b, ta);
	xml_encode_error(&b, "m", value_array(ta));
	ck_assert(b.failed);
}
END_TEST

START_TEST(test_xml_error_model_state)
{
	struct value *ms = from_json("{\"user.Email\":[\"The Email field is "
	    "required.\"],\"user.Roles[0].OrganizationId\":[\"a\",\"b\"]}");
	struct buf b;

	buf_init(&b, ta);
	xml_encode_error(&b, "The request is invalid.", ms);
	ck_assert(!b.failed);
	ck_assert_str_eq(b.p, "<Error><Message>The request is invalid."
	    "</Message><ModelState><user.Email>The Email field is required."
	    "</user.Email><user.Roles_x005B_0_x005D_.OrganizationId>a b"
	    "</user.Roles_x005B_0_x005D_.OrganizationId></ModelState>"
	    "</Error>");
	/* the general writer gives the same for the same dictionary */
	buf_init(&b, ta);
	xml_encode_http_error(&b, from_json("{\"Message\":\"The request is "
	    "invalid.\",\"ModelState\":{\"user.Email\":[\"The Email field is "
	    "required.\"],\"user.Roles[0].OrganizationId\":[\"a\",\"b\"]}}"));
	ck_assert_str_eq(b.p, "<Error><Message>The request is invalid."
	    "</Message><ModelState><user.Email>The Email field is required."
	    "</user.Email><user.Roles_x005B_0_x005D_.OrganizationId>a b"
	    "</user.Roles_x005B_0_x005D_.OrganizationId></ModelState>"
	    "</Error>");
}
END_TEST

/* XmlConvert.EncodeLocalName on the keys; null and empty values. */
START_TEST(test_xml_error_names)
{
	struct buf b;

	buf_init(&b, ta);
	xml_encode_http_error(&b, from_json("{\"1a\":\"x\",\"a:b c\":1,"
	    "\"_x0041_\":true,\"_x12_\":null,\"caf\xc3\xa9\":\"\","
	    "\"\":[],\"-\\u00b7\":{},\"\xf0\x9f\x98\x80\":\"y\","
	    "\"\xf3\xb0\x80\x80\":\"z\"}"));
	ck_assert(!b.failed);
	ck_assert_str_eq(b.p, "<Error>"
	    "<_x0031_a>x</_x0031_a>"
	    "<a_x003A_b_x0020_c>1</a_x003A_b_x0020_c>"
	    "<_x005F_x0041_>true</_x005F_x0041_>"
	    "<_x12_ />"
	    "<caf\xc3\xa9></caf\xc3\xa9>"
	    "<MVC-Empty></MVC-Empty>"
	    "<_x002D_\xc2\xb7 />"
	    "<\xf0\x9f\x98\x80>y</\xf0\x9f\x98\x80>"
	    "<_x000F0000_>z</_x000F0000_>"
	    "</Error>");
	buf_init(&b, ta);
	xml_encode_http_error(&b, from_json("{}"));
	ck_assert_str_eq(b.p, "<Error />");
	buf_init(&b, ta);
	xml_encode_http_error(&b, from_json("[]"));
	ck_assert(b.failed);
}
END_TEST

/* ======================= form decode ======================= */

struct good_form {
	const char	*name;
	const char	*doc;
	const char	*json;
};

static const struct good_form good_form_cases[] = {
	{ "plain pairs", "a=1&b=2", "{\"a\":\"1\",\"b\":\"2\"}" },
	{ "plus and percent", "Title=Dr+Who%21&Email=a%40b.example%2b1",
	    "{\"Title\":\"Dr Who!\",\"Email\":\"a@b.example+1\"}" },
	{ "percent-encoded key", "First%20Name=x", "{\"First Name\":\"x\"}" },
	{ "UTF-8 escapes and raw UTF-8", "n=caf%C3%A9&m=caf\xc3\xa9",
	    "{\"n\":\"caf\xc3\xa9\",\"m\":\"caf\xc3\xa9\"}" },
	{ "no '=' is null, '=' alone is empty", "a&b=&c==",
	    "{\"a\":null,\"b\":\"\",\"c\":\"=\"}" },
	{ "empty pairs skipped", "&&a=1&&", "{\"a\":\"1\"}" },
	{ "only separators", "&&", "{}" },
	{ "jQuery objects in arrays",
	    "Roles[0][Name]=x&Roles[0][Id]=1&Roles[1][Name]=y",
	    "{\"Roles\":[{\"Name\":\"x\",\"Id\":\"1\"},{\"Name\":\"y\"}]}" },
	{ "MVC objects in arrays",
	    "Roles[0].Name=x&Roles[0].Id=1&Roles[1].Name=y",
	    "{\"Roles\":[{\"Name\":\"x\",\"Id\":\"1\"},{\"Name\":\"y\"}]}" },
	{ "jQuery with encoded brackets",
	    "Roles%5B0%5D%5BName%5D=x", "{\"Roles\":[{\"Name\":\"x\"}]}" },
	{ "jQuery nested object", "SecurityOptions[LoginMode]=1",
	    "{\"SecurityOptions\":{\"LoginMode\":\"1\"}}" },
	{ "MVC nested object", "SecurityOptions.LoginMode=1&a.b.c=2",
	    "{\"SecurityOptions\":{\"LoginMode\":\"1\"},"
	    "\"a\":{\"b\":{\"c\":\"2\"}}}" },
	{ "mixed styles", "a[0].b[c]=1&a[0][b].d=2",
	    "{\"a\":[{\"b\":{\"c\":\"1\",\"d\":\"2\"}}]}" },
	{ "jQuery primitive arrays", "StoreIDs[]=1&StoreIDs[]=2",
	    "{\"StoreIDs\":[\"1\",\"2\"]}" },
	{ "indexed primitive arrays", "StoreIDs[0]=1&StoreIDs[1]=2",
	    "{\"StoreIDs\":[\"1\",\"2\"]}" },
	{ "repeated key (traditional)", "StoreIDs=1&StoreIDs=2&StoreIDs=3",
	    "{\"StoreIDs\":[\"1\",\"2\",\"3\"]}" },
	{ "indices in any order", "a[1]=y&a[0]=x", "{\"a\":[\"x\",\"y\"]}" },
	{ "names merge ignoring case",
	    "Roles[0].Name=x&roles[0].id=1&ROLES[0].NAME=z",
	    "{\"Roles\":[{\"Name\":[\"x\",\"z\"],\"id\":\"1\"}]}" },
	{ "nested arrays", "m[0][0]=a&m[0][1]=b&m[1][0]=c",
	    "{\"m\":[[\"a\",\"b\"],[\"c\"]]}" },
	{ "bracketed names may hold dots and signs", "a[b.c]=1&a[-]=2",
	    "{\"a\":{\"b.c\":\"1\",\"-\":\"2\"}}" },
	{ "items of mixed shapes are the dialect's business",
	    "r[0].n=1&r[]=2", "{\"r\":[{\"n\":\"1\"},\"2\"]}" },
	{ "'+' in brackets is a space, so a name", "a[+1]=x",
	    "{\"a\":{\" 1\":\"x\"}}" },
	{ "trailing CRLF kept in the value", "a=1\r\n",
	    "{\"a\":\"1\\r\\n\"}" },
};

START_TEST(test_form_good)
{
	const struct good_form *c = &good_form_cases[_i];
	struct value *v;
	struct fmt_error err;
	enum fmt_status st;

	st = form_decode(ta, c->doc, strlen(c->doc), NULL, &v, &err);
	ck_assert_msg(st == FMT_OK, "%s: status %d (%s)", c->name, st,
	    err.msg);
	ck_assert_msg(strcmp(to_json(v), c->json) == 0, "%s: got %s",
	    c->name, to_json(v));
}
END_TEST

/*
 * Seed 004's request sample, sent as jQuery's $.param and as MVC keys,
 * binds to the same tree as the page's JSON sample.
 */
START_TEST(test_form_seed004)
{
	static const char jq[] = "Id=c68d723a-ffc7-4d39-9bd0-966f946d2181"
	    "&Username=sample+string+2&FirstName=sample+string+3"
	    "&LastName=sample+string+4&Title=sample+string+5"
	    "&Email=sample+string+6&Phone=sample+string+7"
	    "&ExternalId=sample+string+8"
	    "&Roles%5B0%5D%5BId%5D=a63de9bd-7d4a-46e8-b197-61541e4ae989"
	    "&Roles%5B0%5D%5BName%5D=sample+string+2"
	    "&Roles%5B0%5D%5BOrganizationId%5D="
	    "a12c1b3e-b67b-4123-a3e9-04577aec3a9d"
	    "&Roles%5B1%5D%5BId%5D=a63de9bd-7d4a-46e8-b197-61541e4ae989"
	    "&Roles%5B1%5D%5BName%5D=sample+string+2"
	    "&Roles%5B1%5D%5BOrganizationId%5D="
	    "a12c1b3e-b67b-4123-a3e9-04577aec3a9d";
	static const char mvc[] = "Id=c68d723a-ffc7-4d39-9bd0-966f946d2181"
	    "&Username=sample%20string%202&FirstName=sample%20string%203"
	    "&LastName=sample%20string%204&Title=sample%20string%205"
	    "&Email=sample%20string%206&Phone=sample%20string%207"
	    "&ExternalId=sample%20string%208"
	    "&Roles[0].Id=a63de9bd-7d4a-46e8-b197-61541e4ae989"
	    "&Roles[0].Name=sample%20string%202"
	    "&Roles[0].OrganizationId=a12c1b3e-b67b-4123-a3e9-04577aec3a9d"
	    "&Roles[1].Id=a63de9bd-7d4a-46e8-b197-61541e4ae989"
	    "&Roles[1].Name=sample%20string%202"
	    "&Roles[1].OrganizationId=a12c1b3e-b67b-4123-a3e9-04577aec3a9d";
	const char *want = to_json(from_json(seed004_request_json));
	struct value *v;
	struct fmt_error err;

	ck_assert_int_eq(FDEC(jq, NULL, &v, &err), FMT_OK);
	ck_assert_str_eq(to_json(v), want);
	ck_assert_int_eq(FDEC(mvc, NULL, &v, &err), FMT_OK);
	ck_assert_str_eq(to_json(v), want);
}
END_TEST

struct bad_form {
	const char	*name;
	const char	*doc;
	size_t		 len;
	enum fmt_status	 st;
	const char	*path;		/* err.path, or NULL */
	const char	*msg;		/* substring of err.msg, or NULL */
};

#define BADF(name, doc, st, path, msg) \
	{ name, doc, sizeof(doc) - 1, st, path, msg }

static const struct bad_form bad_form_cases[] = {
	BADF("empty", "", FMT_EMPTY, NULL, NULL),
	BADF("whitespace only", " \r\n", FMT_EMPTY, NULL, NULL),
	BADF("gap in indices", "Roles[0].Name=a&Roles[2].Name=c", FMT_SYNTAX,
	    "Roles[1]", "gaps"),
	BADF("index without its predecessors", "a[1]=x", FMT_SYNTAX, "a[0]",
	    NULL),
	BADF("nested gap", "a[0][1]=x", FMT_SYNTAX, "a[0][0]", NULL),
	BADF("negative index", "Roles[-1].Name=x", FMT_SYNTAX, NULL,
	    "Roles[-1].Name"),
	BADF("signed index", "a[%2B1]=x", FMT_SYNTAX, NULL, "signed"),
	BADF("leading zero", "a[01]=x", FMT_SYNTAX, NULL, "leading zero"),
	BADF("huge index", "a[10000]=x", FMT_LIMIT, NULL, "a[10000]"),
	BADF("absurd index", "a[99999999999999999999999999]=x", FMT_LIMIT,
	    NULL, NULL),
	BADF("index that wraps size_t", "a[18446744073709551616]=x",
	    FMT_LIMIT, NULL, NULL),
	BADF("value then object", "a=1&a.b=2", FMT_SYNTAX, "a",
	    "'a.b' uses 'a' as an object, but an earlier key made it a value"),
	BADF("object then value", "a[b]=1&a=2", FMT_SYNTAX, "a",
	    "made it an object"),
	BADF("array then object", "a[0]=1&a.b=2", FMT_SYNTAX, "a",
	    "an array"),
	BADF("object then array", "a.b=1&a[0]=2", FMT_SYNTAX, "a",
	    "as an array"),
	BADF("item value then object", "r[0]=1&r[0].n=2", FMT_SYNTAX, "r[0]",
	    NULL),
	BADF("same index twice", "a[0]=1&a[0]=2", FMT_DUPLICATE, "a[0]",
	    "twice"),
	BADF("unclosed bracket", "a[0=1", FMT_SYNTAX, NULL, "'['"),
	BADF("nested bracket", "a[b[c]]=1", FMT_SYNTAX, NULL, NULL),
	BADF("stray close bracket", "a]=1", FMT_SYNTAX, NULL, "']'"),
	BADF("junk after bracket", "a[0]b=1", FMT_SYNTAX, NULL, "'b'"),
	BADF("empty key", "=x", FMT_SYNTAX, NULL, "empty"),
	BADF("leading dot", ".a=x", FMT_SYNTAX, NULL, "empty"),
	BADF("double dot", "a..b=x", FMT_SYNTAX, NULL, "empty"),
	BADF("leading bracket", "[0]=x", FMT_SYNTAX, NULL, NULL),
	BADF("append not last", "a[][b]=x", FMT_SYNTAX, NULL, "last"),
	BADF("lone percent", "a=%", FMT_SYNTAX, NULL, "%-escape"),
	BADF("bad hex", "a=%G1", FMT_SYNTAX, NULL, NULL),
	BADF("short escape at end", "a=%4", FMT_SYNTAX, NULL, NULL),
	BADF("bad escape in key", "a%zz=1", FMT_SYNTAX, NULL, "key"),
	BADF("escaped NUL", "a=x%00y", FMT_ENCODING, "a",
	    "The value of 'a'"),
	BADF("raw NUL", "a=x\0y", FMT_ENCODING, "a", NULL),
	BADF("escaped NUL in key", "a%00=1", FMT_ENCODING, NULL, NULL),
	BADF("bad UTF-8 escape", "a=%FF", FMT_ENCODING, NULL, "UTF-8"),
	BADF("overlong UTF-8", "a=%C0%AF", FMT_ENCODING, NULL, NULL),
	BADF("UTF-8 surrogate", "a=%ED%A0%80", FMT_ENCODING, NULL, NULL),
	BADF("truncated UTF-8", "a=%E2%82", FMT_ENCODING, NULL, NULL),
	BADF("raw bad UTF-8 in key", "\xff=1", FMT_ENCODING, NULL, NULL),
};

START_TEST(test_form_bad)
{
	const struct bad_form *c = &bad_form_cases[_i];
	struct value *v = (struct value *)&v;
	struct fmt_error err;
	enum fmt_status st;

	st = form_decode(ta, c->doc, c->len, NULL, &v, &err);
	ck_assert_msg(st == c->st, "%s: status %d, want %d (%s)", c->name,
	    st, c->st, err.msg);
	ck_assert_msg(v == NULL, "%s: *out set on failure", c->name);
	ck_assert_msg(err.msg[0] != '\0', "%s: no message", c->name);
	if (c->path != NULL)
		ck_assert_msg(strcmp(err.path, c->path) == 0,
		    "%s: path \"%s\", want \"%s\"", c->name, err.path, c->path);
	if (c->msg != NULL)
		ck_assert_msg(strstr(err.msg, c->msg) != NULL,
		    "%s: message \"%s\" lacks \"%s\"", c->name, err.msg,
		    c->msg);
}
END_TEST

static const struct fmt_limits form_small = {
	.max_depth = 3, .max_items = 3, .max_string = 5, .max_nodes = 8,
};

struct limit_form {
	const char	*name;
	const char	*doc;
	enum fmt_status	 st;
};

static const struct limit_form limit_form_cases[] = {
	{ "depth at max", "a[0][b]=1", FMT_OK },
	{ "too deep", "a[0][b][c]=1", FMT_LIMIT },
	{ "too deep with dots", "a.b.c.d=1", FMT_LIMIT },
	{ "index at max", "a[0]=1&a[1]=1&a[2]=1", FMT_OK },
	{ "index over max", "a[3]=1", FMT_LIMIT },
	{ "too many appended items", "a[]=1&a[]=2&a[]=3&a[]=4", FMT_LIMIT },
	{ "too many repeated values", "a=1&a=2&a=3&a=4", FMT_LIMIT },
	{ "members at max", "a=1&b=2&c=3", FMT_OK },
	{ "too many members", "a=1&b=2&c=3&d=4", FMT_LIMIT },
	{ "value at max", "a=abcde", FMT_OK },
	{ "value too long", "a=abcdef", FMT_LIMIT },
	{ "value too long once decoded", "a=%41%42%43%44%45%46", FMT_LIMIT },
	{ "value at max once decoded", "a=%41%42%43%44%45", FMT_OK },
	{ "nodes at max", "a[0][0]=1&a[0][1]=1&a[1][0]=1&b=1&c=1", FMT_OK },
	{ "too many nodes", "a[0][0]=1&a[0][1]=1&a[1][0]=1&b=1&c[0]=1",
	    FMT_LIMIT },
	{ "too many nodes through holes", "a[2]=1&b[2]=1&c[2]=1",
	    FMT_LIMIT },
};

START_TEST(test_form_limits)
{
	const struct limit_form *c = &limit_form_cases[_i];
	struct value *v;
	struct fmt_error err;
	enum fmt_status st;

	st = form_decode(ta, c->doc, strlen(c->doc), &form_small, &v, &err);
	ck_assert_msg(st == c->st, "%s: status %d, want %d (%s)", c->name,
	    st, c->st, err.msg);
}
END_TEST

/* FORM_MAX_PAIRS and FORM_MAX_KEY, at and over. */
START_TEST(test_form_pairs_and_keys)
{
	struct buf b;
	struct value *v;
	struct fmt_error err;
	size_t i;

	buf_init(&b, ta);
	for (i = 0; i < FORM_MAX_PAIRS; i++)
		buf_printf(&b, "a[]=%zu&", i % 10);
	ck_assert_int_eq(form_decode(ta, b.p, b.len, NULL, &v, &err), FMT_OK);
	ck_assert_uint_eq(value_get(v, "a")->u.arr.n, FORM_MAX_PAIRS);
	buf_puts(&b, "b=1");
	ck_assert_int_eq(form_decode(ta, b.p, b.len, NULL, &v, &err),
	    FMT_LIMIT);

	buf_init(&b, ta);
	for (i = 0; i < FORM_MAX_KEY; i++)
		buf_putc(&b, 'k');
	buf_puts(&b, "=1");
	ck_assert_int_eq(form_decode(ta, b.p, b.len, NULL, &v, &err), FMT_OK);
	buf_init(&b, ta);
	for (i = 0; i < FORM_MAX_KEY / 3 + 1; i++)
		buf_puts(&b, "%6B");
	buf_puts(&b, "%6B=1");
	ck_assert_int_eq(form_decode(ta, b.p, b.len, NULL, &v, &err), FMT_OK);
	buf_init(&b, ta);
	for (i = 0; i <= FORM_MAX_KEY; i++)
		buf_putc(&b, 'k');
	buf_puts(&b, "=1");
	ck_assert_int_eq(form_decode(ta, b.p, b.len, NULL, &v, &err),
	    FMT_LIMIT);
}
END_TEST

/* A hostile index cannot make the decoder allocate what it names. */
START_TEST(test_form_index_bomb)
{
	struct buf b;
	struct value *v;
	struct fmt_error err;
	size_t i;

	buf_init(&b, ta);
	for (i = 0; i < 100; i++)
		buf_printf(&b, "a%zu[9999]=x&", i);
	ck_assert_int_eq(form_decode(ta, b.p, b.len, NULL, &v, &err),
	    FMT_LIMIT);
	ck_assert_ptr_nonnull(strstr(err.msg, "too many values"));
}
END_TEST

/* ---- suites ---- */

static Suite *
xml_suite(void)
{
	Suite	*s = suite_create("xml");
	TCase	*td = tcase_create("decode");
	TCase	*tl = tcase_create("limits");
	TCase	*te = tcase_create("encode");

	tcase_add_checked_fixture(td, setup, teardown);
	tcase_add_test(td, test_xml_decode_seed004);
	tcase_add_test(td, test_xml_decode_seed003);
	tcase_add_loop_test(td, test_xml_decode_good, 0,
	    (int)RS_ARRAY_LEN(good_xml_cases));
	tcase_add_test(td, test_xml_decode_scalar_array);
	tcase_add_loop_test(td, test_xml_decode_bad, 0,
	    (int)RS_ARRAY_LEN(bad_xml_cases));
	tcase_add_test(td, test_xml_decode_null_input);
	suite_add_tcase(s, td);

	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_add_loop_test(tl, test_xml_limits, 0,
	    (int)RS_ARRAY_LEN(limit_xml_cases));
	tcase_add_test(tl, test_xml_deep_nesting_default);
	tcase_add_test(tl, test_xml_huge_text_default);
	tcase_add_test(tl, test_xml_oversize_document);
	suite_add_tcase(s, tl);

	tcase_add_checked_fixture(te, setup, teardown);
	tcase_add_test(te, test_xml_encode_seed004);
	tcase_add_test(te, test_xml_encode_seed003);
	tcase_add_test(te, test_xml_roundtrip_seeds);
	tcase_add_test(te, test_xml_encode_nulls_and_empties);
	tcase_add_test(te, test_xml_encode_prefixes);
	tcase_add_test(te, test_xml_encode_escaping);
	tcase_add_test(te, test_xml_encode_mismatch);
	tcase_add_test(te, test_xml_error_message);
	tcase_add_test(te, test_xml_error_model_state);
	tcase_add_test(te, test_xml_error_names);
	suite_add_tcase(s, te);
	return s;
}

static Suite *
form_suite(void)
{
	Suite	*s = suite_create("form");
	TCase	*tc = tcase_create("decode");
	TCase	*tl = tcase_create("limits");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_form_good, 0,
	    (int)RS_ARRAY_LEN(good_form_cases));
	tcase_add_test(tc, test_form_seed004);
	tcase_add_loop_test(tc, test_form_bad, 0,
	    (int)RS_ARRAY_LEN(bad_form_cases));
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tl, setup, teardown);
	tcase_add_loop_test(tl, test_form_limits, 0,
	    (int)RS_ARRAY_LEN(limit_form_cases));
	tcase_add_test(tl, test_form_pairs_and_keys);
	tcase_add_test(tl, test_form_index_bomb);
	suite_add_tcase(s, tl);
	return s;
}

int
main(void)
{
	SRunner	*sr;

	sr = srunner_create(xml_suite());
	srunner_add_suite(sr, form_suite());
	return unit_run(sr);
}
