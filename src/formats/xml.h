/*
 * xml.h: DataContractSerializer-style XML <-> value tree (ASP.NET Web
 * API 2's XmlMediaTypeFormatter, FORMATS.md §3.3 and §3.5).
 *
 * XML alone cannot tell a one-item array from an object, nor where a
 * namespace changes, so both directions are driven by a contract: a
 * static const table per DTO that the dialect writes once.  Example
 * (seed 004):
 *
 *	#define NS_004 XML_NS_DATACONTRACT "XCapture.DTO"
 *
 *	static const struct xml_member role_simple_members[] = {
 *		{ .name = "Id" },
 *		{ .name = "Name" },
 *		{ .name = "OrganizationId" },
 *	};
 *	static const struct xml_contract role_simple = {
 *		"RoleSimple", NS_004, XML_MEMBERS(role_simple_members)
 *	};
 *	static const struct xml_member user_simple_members[] = {
 *		{ .name = "Id" }, { .name = "Username" }, ...
 *		{ .name = "Roles", .kind = XML_OBJECT_ARRAY,
 *		    .type = &role_simple },
 *	};
 *
 * Scalars travel as strings in both directions' value trees (numbers
 * and booleans are also accepted by the encoder); converting types and
 * naming the field on error is the dialect's job.
 */
#ifndef ROSTERD_XML_H
#define ROSTERD_XML_H

#include "formats.h"

#define XML_NS_INSTANCE "http://www.w3.org/2001/XMLSchema-instance"
#define XML_NS_ARRAYS \
	"http://schemas.microsoft.com/2003/10/Serialization/Arrays"
/* Prefix of every default contract namespace: append the CLR namespace. */
#define XML_NS_DATACONTRACT "http://schemas.datacontract.org/2004/07/"

/* Bodies larger than this are refused before libxml2 sees them. */
#define XML_MAX_BYTES (1024 * 1024)

enum xml_kind {
	XML_SCALAR = 0,		/* text content; the default */
	XML_OBJECT,		/* a nested contract (`type`) */
	XML_SCALAR_ARRAY,	/* primitive collection: <d2p1:guid>... */
	XML_OBJECT_ARRAY,	/* collection of contracts: <RoleSimple>... */
	XML_KIND__MAX
};

struct xml_contract;

/* One data member: its element is in the declaring contract's namespace. */
struct xml_member {
	const char	*name;	/* element local name = value tree key */
	enum xml_kind	 kind;
	const struct xml_contract *type; /* XML_OBJECT, XML_OBJECT_ARRAY */
	const char	*item;	/* XML_SCALAR_ARRAY: "guid", "int", "string";
				 * XML_OBJECT_ARRAY: NULL means type->name */
	const char	*item_ns; /* NULL: XML_NS_ARRAYS for scalar items,
				 * type->ns for contract items */
};

/* A data contract: root element name, namespace and members. */
struct xml_contract {
	const char	*name;	/* "UserSimple" */
	const char	*ns;	/* its namespace (children are in it) */
	const struct xml_member *members; /* any order: the encoder sorts */
	size_t		 nmembers;
};

#define XML_MEMBERS(m) (m), RS_ARRAY_LEN(m)

/*
 * Decodes n bytes of XML whose root element must be c->name in
 * namespace c->ns into *out: an object whose members are the root's
 * child elements that c declares (matched by exact local name, as XML
 * and DataContractSerializer are case-sensitive; keys in document
 * order), with strings for scalars, nested objects and arrays as c
 * describes, and null for i:nil="true".  Element order is free (a
 * superset of DataContractSerializer, which skips out-of-order
 * members); elements c does not declare are skipped, as
 * DataContractSerializer skips unknown data; a declared element in
 * another namespace, text in an object, elements in a scalar, or the
 * same member twice are errors.
 *
 * Hostile input: a DOCTYPE is refused before its internal subset is
 * read (no entity is ever declared, so none can expand or be fetched),
 * the network is never used, the bytes must be strict UTF-8 without
 * NUL, an XML declaration may only name UTF-8, and lim (NULL for
 * fmt_default_limits) bounds depth (nested objects and arrays, as for
 * JSON: a text element adds none, a skipped one counts), child elements
 * per element, text bytes per element and elements in the document,
 * with XML_MAX_BYTES on the whole body.
 *
 * Returns FMT_OK with *out set (a nil root gives a null value);
 * otherwise *out is NULL and *err holds a message, the path of the
 * element ("Roles[0].Name") and the byte offset: FMT_EMPTY (no bytes or
 * only whitespace), FMT_ENCODING, FMT_LIMIT, FMT_DUPLICATE or FMT_SYNTAX
 * (not well-formed, DOCTYPE, wrong root name or namespace, a shape that
 * c does not allow).  Everything in *out comes from a; libxml2's memory
 * is freed before returning.
 */
enum fmt_status xml_decode(struct arena *a, const char *p, size_t n,
    const struct xml_contract *c, const struct fmt_limits *lim,
    struct value **out, struct fmt_error *err) RS_MUSTCHECK;

/*
 * Appends v as DataContractSerializer writes contract c (Web API's
 * settings: no XML declaration, no indentation): the root with
 * xmlns:i then its default namespace, every member of c in ordinal
 * (byte-wise) order of name, absent or null members as
 * <X i:nil="true" />, primitive collections with xmlns:dNp1 for the
 * Arrays namespace declared on the collection element, nested contracts
 * of another namespace likewise prefixed.  Members of v that c does not
 * declare are not written.  Text is escaped; characters XML 1.0 cannot
 * carry (C0 controls other than tab and newline, ill-formed UTF-8,
 * U+FFFE/U+FFFF) become U+FFFD and CR becomes &#xD;.  A value whose
 * shape c does not allow sets b->failed (sticky, as for every put):
 * check it once at the end.
 */
void xml_encode(struct buf *b, const struct xml_contract *c,
    const struct value *v);

/*
 * Appends Web API's HttpError as XML: <Error> then one element per
 * member of the object err, in its order, named by
 * XmlConvert.EncodeLocalName ("user.Roles[0].Id" ->
 * "user.Roles_x005B_0_x005D_.Id"); objects (ModelState) nest the same
 * way, arrays are their items' text joined by single spaces, null is an
 * empty element.  No namespaces.
 */
void xml_encode_http_error(struct buf *b, const struct value *err);

/*
 * Appends <Error><Message>message</Message></Error> (<Message /> when
 * message is NULL), with <ModelState>...</ModelState> before </Error>
 * when model_state is not NULL (an object of key -> array of messages,
 * as aspnet_model_error() builds it; not an object sets b->failed).
 */
void xml_encode_error(struct buf *b, const char *message,
    const struct value *model_state);

#endif
