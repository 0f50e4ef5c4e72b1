/*
 * xml.c: DataContractSerializer XML <-> value tree, with libxml2.
 *
 * Decoding runs libxml2's SAX2 push parser over the whole body with our
 * own handler: no tree is built inside libxml2, every limit is checked
 * as each element arrives, and the DOCTYPE hook stops the parser before
 * an internal subset (and so any entity) is read.  Encoding writes into
 * a struct buf directly; the namespace prefixes follow
 * DataContractSerializer's "d{depth}p1" scheme so that the output is
 * byte for byte what Web API writes.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "xml.h"

/* Nesting the encoder follows before it calls the value malformed. */
#define XML_ENC_MAX_DEPTH 64

/* ---- shared by the decoder and the encoder ---- */

/* NULL and "" are both "no namespace". */
static int
ns_eq(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* ---- decoder ---- */

enum frame_kind {
	FR_CONTRACT = 0,	/* an object: members by contract */
	FR_SCALAR_ARRAY,	/* items are text elements */
	FR_OBJECT_ARRAY,	/* items are contracts */
	FR_SCALAR,		/* text only */
	FR_NIL,			/* i:nil="true": nothing inside */
	FR_SKIP,		/* not declared: ignored with its subtree */
	FR__MAX
};

struct frame {
	enum frame_kind	 kind;
	struct value	*v;	/* node being filled (not for FR_SKIP) */
	const struct xml_contract *c; /* FR_CONTRACT; arrays: item type */
	const struct xml_member *m;   /* the member (arrays: items) */
	const char	*name;	/* path segment: member name, NULL for item */
	size_t		 index;	/* path segment of an array item */
	size_t		 children; /* child elements so far */
	struct buf	 text;	/* FR_SCALAR: the content so far */
};

struct xctx {
	struct arena	*a;
	const struct fmt_limits *lim;
	const struct xml_contract *root_c;
	xmlParserCtxtPtr px;
	struct frame	*stack;	/* lim->max_depth + 1 frames */
	size_t		 depth;	/* frames in use */
	size_t		 cdepth; /* of them objects, arrays, skipped */
	size_t		 nodes;	/* elements seen */
	struct value	*root;
	enum fmt_status	 st;	/* first failure, FMT_OK until then */
	struct fmt_error *err;
};

/* Renders the path of the open elements (+ name or [index]) into err. */
static void
render_path(struct xctx *c, const char *name, long index)
{
	struct buf b;
	size_t i;

	buf_init(&b, c->a);
	for (i = 1; i < c->depth && c->stack[i].kind != FR_SKIP; i++) {
		if (c->stack[i].name == NULL)
			buf_printf(&b, "[%zu]", c->stack[i].index);
		else
			buf_printf(&b, "%s%s", b.len ? "." : "",
			    c->stack[i].name);
	}
	if (i == c->depth && name != NULL)
		buf_printf(&b, "%s%s", b.len ? "." : "", name);
	else if (i == c->depth && index >= 0)
		buf_printf(&b, "[%ld]", index);
	snprintf(c->err->path, sizeof(c->err->path), "%s",
	    b.failed ? "" : b.p);
}

/*
 * Records the first failure, with the path of the open elements plus
 * name (or [index] when index >= 0), and stops the parser.
 */
static void RS_PRINTF(5, 6)
fail(struct xctx *c, enum fmt_status st, const char *name, long index,
    const char *fmt, ...)
{
	va_list ap;

	if (c->st != FMT_OK)
		return;
	c->st = st;
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	render_path(c, name, index);
	c->err->offset = (size_t)xmlByteConsumed(c->px);
	xmlStopParser(c->px);
}

/* Returns 1 when the parse already failed (and stops it). */
static int
failed(struct xctx *c)
{
	if (c->st == FMT_OK)
		return 0;
	xmlStopParser(c->px);
	return 1;
}

/*
 * Reads i:nil from SAX2 attributes (localname, prefix, URI, value, end
 * quintuples).  Returns 1 for "true"/"1", 0 when absent or
 * "false"/"0", -1 for anything else.
 */
static int
attr_nil(int nattr, const xmlChar **at)
{
	const char *v;
	size_t n;
	int i;

	for (i = 0; i < nattr; i++, at += 5) {
		if (at[2] == NULL || strcmp((const char *)at[2],
		    XML_NS_INSTANCE) != 0 || strcmp((const char *)at[0],
		    "nil") != 0)
			continue;
		v = (const char *)at[3];
		n = (size_t)(at[4] - at[3]);
		if ((n == 4 && memcmp(v, "true", 4) == 0) ||
		    (n == 1 && v[0] == '1'))
			return 1;
		if ((n == 5 && memcmp(v, "false", 5) == 0) ||
		    (n == 1 && v[0] == '0'))
			return 0;
		return -1;
	}
	return 0;
}

static const struct xml_member *
find_member(const struct xml_contract *k, const char *name)
{
	size_t i;

	for (i = 0; i < k->nmembers; i++)
		if (strcmp(k->members[i].name, name) == 0)
			return &k->members[i];
	return NULL;
}

/*
 * Depth counts what JSON's does, containers: a text or nil element adds
 * none (it can hold nothing), a skipped one counts as it might.
 */
static int
is_container(enum frame_kind k)
{
	return k != FR_SCALAR && k != FR_NIL;
}

/*
 * Pushes a frame for a new element whose node (if any) is v.  Returns
 * NULL (failed) when that nests containers deeper than the limit.
 */
static struct frame *
push(struct xctx *c, enum frame_kind kind, struct value *v,
    const char *name, size_t index)
{
	struct frame *f;

	if (is_container(kind) && c->cdepth >= c->lim->max_depth) {
		fail(c, FMT_LIMIT, NULL, -1,
		    "The document is nested too deeply.");
		return NULL;
	}
	c->cdepth += is_container(kind);
	f = &c->stack[c->depth++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->v = v;
	f->name = name;
	f->index = index;
	if (kind == FR_SCALAR)
		buf_init(&f->text, c->a);
	return f;
}

/*
 * The node and frame for an element of kind (of member m, or of m's
 * items when item is set), nil or not.  Returns the frame, or NULL when
 * it would nest too deeply.
 */
static struct frame *
push_value(struct xctx *c, const struct xml_member *m, int item, int nil,
    const char *name, size_t index)
{
	struct frame *f;
	enum xml_kind k = m->kind;

	if (nil)
		return push(c, FR_NIL, value_null(c->a), name, index);
	if (k != XML_SCALAR && k != XML_SCALAR_ARRAY && m->type == NULL)
		abort();	/* a contract table bug */
	if (item)
		k = k == XML_SCALAR_ARRAY ? XML_SCALAR : XML_OBJECT;
	switch (k) {
	case XML_SCALAR:
		return push(c, FR_SCALAR, value_string(c->a, "", 0), name,
		    index);
	case XML_OBJECT:
		f = push(c, FR_CONTRACT, value_object(c->a), name, index);
		break;
	case XML_SCALAR_ARRAY:
	case XML_OBJECT_ARRAY:
		f = push(c, k == XML_SCALAR_ARRAY ? FR_SCALAR_ARRAY :
		    FR_OBJECT_ARRAY, value_array(c->a), name, index);
		break;
	default:
		abort();	/* a contract table bug */
	}
	if (f != NULL) {
		f->c = m->type;
		f->m = m;
	}
	return f;
}

/* The root element: name and namespace must be the contract's. */
static void
start_root(struct xctx *c, const char *local, const char *uri, int nil)
{
	const struct xml_contract *k = c->root_c;
	struct frame *f;

	if (strcmp(local, k->name) != 0) {
		fail(c, FMT_SYNTAX, NULL, -1, "Expecting element '%s' from "
		    "namespace '%s', not '%.64s'.", k->name,
		    k->ns != NULL ? k->ns : "", local);
		return;
	}
	if (!ns_eq(uri, k->ns)) {
		fail(c, FMT_SYNTAX, NULL, -1, "Element '%s' must be in "
		    "namespace '%s', not '%.64s'.", k->name,
		    k->ns != NULL ? k->ns : "", uri != NULL ? uri : "");
		return;
	}
	if (nil) {
		push(c, FR_NIL, c->root = value_null(c->a), NULL, 0);
		return;
	}
	f = push(c, FR_CONTRACT, c->root = value_object(c->a), NULL, 0);
	if (f != NULL)
		f->c = k;
}

/* A child of an object: a declared member, or skipped. */
static void
start_member(struct xctx *c, struct frame *p, const char *local,
    const char *uri, int nil)
{
	const struct xml_member *m = find_member(p->c, local);
	struct frame *f;

	if (m == NULL) {
		push(c, FR_SKIP, NULL, NULL, 0);
		return;
	}
	if (!ns_eq(uri, p->c->ns)) {
		fail(c, FMT_SYNTAX, m->name, -1, "Element '%s' must be in "
		    "namespace '%s', not '%.64s'.", m->name,
		    p->c->ns != NULL ? p->c->ns : "", uri != NULL ? uri : "");
		return;
	}
	if (value_get(p->v, m->name) != NULL) {
		fail(c, FMT_DUPLICATE, m->name, -1,
		    "Element '%s' appears twice.", m->name);
		return;
	}
	if ((f = push_value(c, m, 0, nil, m->name, 0)) != NULL)
		value_set(c->a, p->v, m->name, f->v);
}

/* A child of a collection: must be the item element. */
static void
start_item(struct xctx *c, struct frame *p, const char *local,
    const char *uri, int nil)
{
	const struct xml_member *m = p->m;
	const char *iname, *ins;
	size_t idx = p->v->u.arr.n;
	struct frame *f;

	if (m->kind == XML_SCALAR_ARRAY) {
		iname = m->item;
		ins = m->item_ns != NULL ? m->item_ns : XML_NS_ARRAYS;
	} else {
		iname = m->item != NULL ? m->item : m->type->name;
		ins = m->item_ns != NULL ? m->item_ns : m->type->ns;
	}
	if (strcmp(local, iname) != 0 || !ns_eq(uri, ins)) {
		fail(c, FMT_SYNTAX, NULL, (long)idx, "Expecting element '%s' "
		    "from namespace '%s'. Encountered element '%.64s'.",
		    iname, ins != NULL ? ins : "", local);
		return;
	}
	if ((f = push_value(c, m, 1, nil, NULL, idx)) != NULL)
		value_push(c->a, p->v, f->v);
}

/* Checks the limits that every element counts against. */
static int
count_element(struct xctx *c, const char *local)
{
	struct frame *p;

	if (++c->nodes > c->lim->max_nodes) {
		fail(c, FMT_LIMIT, NULL, -1,
		    "The document has too many elements.");
		return 0;
	}
	if (c->depth == 0)
		return 1;
	p = &c->stack[c->depth - 1];
	if (++p->children > c->lim->max_items) {
		fail(c, FMT_LIMIT, NULL, -1,
		    "The element has too many child elements.");
		return 0;
	}
	if (p->kind == FR_SCALAR || p->kind == FR_NIL) {
		fail(c, FMT_SYNTAX, NULL, -1, "Element '%.64s' is not allowed "
		    "here: this element holds %s.", local,
		    p->kind == FR_NIL ? "nil" : "text only");
		return 0;
	}
	return 1;
}

static void
sax_start(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **ns, int nattr,
    int ndefaulted, const xmlChar **attrs)
{
	struct xctx *c = ctx;
	const char *l = (const char *)local, *u = (const char *)uri;
	struct frame *p;
	int nil;

	(void)prefix, (void)nns, (void)ns, (void)ndefaulted;
	if (failed(c) || !count_element(c, l))
		return;
	if ((nil = attr_nil(nattr, attrs)) < 0) {
		fail(c, FMT_SYNTAX, l, -1, "Attribute i:nil must be true or "
		    "false.");
		return;
	}
	if (c->depth == 0) {
		start_root(c, l, u, nil);
		return;
	}
	p = &c->stack[c->depth - 1];
	if (p->kind == FR_SKIP)
		push(c, FR_SKIP, NULL, NULL, 0);
	else if (p->kind == FR_CONTRACT)
		start_member(c, p, l, u, nil);
	else
		start_item(c, p, l, u, nil);
}

static void
sax_end(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri)
{
	struct xctx *c = ctx;
	struct frame *f;

	(void)local, (void)prefix, (void)uri;
	if (failed(c) || c->depth == 0)
		return;
	f = &c->stack[c->depth - 1];
	if (f->kind == FR_SCALAR) {
		if (f->text.failed) {
			fail(c, FMT_LIMIT, NULL, -1, "The document is too large.");
			return;
		}
		f->v->u.str.p = f->text.p;
		f->v->u.str.len = f->text.len;
	}
	c->cdepth -= is_container(f->kind);
	c->depth--;
}

static void
sax_text(void *ctx, const xmlChar *s, int len)
{
	struct xctx *c = ctx;
	struct frame *f;
	size_t n = len > 0 ? (size_t)len : 0;

	if (failed(c) || c->depth == 0)
		return;
	f = &c->stack[c->depth - 1];
	if (f->kind == FR_SKIP)
		return;
	if (f->kind != FR_SCALAR) {
		if (!fmt_all_space((const char *)s, n))
			fail(c, FMT_SYNTAX, NULL, -1, "Text is not allowed "
			    "here: this element holds %s.", f->kind == FR_NIL ?
			    "nil" : "child elements only");
		return;
	}
	if (n > c->lim->max_string - f->text.len) {
		fail(c, FMT_LIMIT, NULL, -1, "A text is too long.");
		return;
	}
	buf_put(&f->text, s, n);
}

/* The parser calls this for <!DOCTYPE, before any internal subset. */
static void
sax_doctype(void *ctx, const xmlChar *name, const xmlChar *ext,
    const xmlChar *sys)
{
	(void)name, (void)ext, (void)sys;
	fail(ctx, FMT_SYNTAX, NULL, -1, "A DOCTYPE is not allowed.");
}

/* After the XML declaration: only UTF-8 may be declared. */
static void
sax_start_document(void *ctx)
{
	struct xctx *c = ctx;

	/* libxml2 keeps a declared UTF-8 in px->encoding, others here */
	if (c->px->input != NULL && c->px->input->encoding != NULL)
		fail(c, FMT_ENCODING, NULL, -1,
		    "The XML declaration must name UTF-8 or no encoding.");
}

/* libxml2's errors: the first one that is not a warning is ours. */
static void
sax_error(void *ctx, xmlErrorPtr e)
{
	struct xctx *c = ctx;

	if (e == NULL || e->level < XML_ERR_ERROR || c->st != FMT_OK)
		return;
	c->st = e->code == XML_ERR_INVALID_CHAR ||
	    e->code == XML_ERR_INVALID_ENCODING ? FMT_ENCODING : FMT_SYNTAX;
	snprintf(c->err->msg, sizeof(c->err->msg),
	    "Invalid XML at line %d, position %d: %s", e->line, e->int2,
	    e->message != NULL ? e->message : "parse error");
	c->err->msg[strcspn(c->err->msg, "\n")] = '\0';
	render_path(c, NULL, -1);
	c->err->offset = (size_t)xmlByteConsumed(c->px);
}

static enum fmt_status
pre_check(const char *p, size_t n, struct fmt_error *err)
{
	size_t bad;

	if (p == NULL || fmt_all_space(p, n)) {
		snprintf(err->msg, sizeof(err->msg),
		    "A non-empty request body is required.");
		return FMT_EMPTY;
	}
	if (n > XML_MAX_BYTES) {
		snprintf(err->msg, sizeof(err->msg),
		    "The document is too large.");
		return FMT_LIMIT;
	}
	if ((bad = utf8_check(p, n)) < n) {
		err->offset = bad;
		snprintf(err->msg, sizeof(err->msg), "The document is not "
		    "valid UTF-8 (byte %zu).", bad);
		return FMT_ENCODING;
	}
	return FMT_OK;
}

/* Runs libxml2 over p[0..n) with our handler; returns the outcome. */
static enum fmt_status
parse(struct xctx *c, const char *p, size_t n)
{
	xmlSAXHandler sax;
	int rc, wf;

	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startDocument = sax_start_document;
	sax.internalSubset = sax_doctype;
	sax.startElementNs = sax_start;
	sax.endElementNs = sax_end;
	sax.characters = sax_text;
	sax.cdataBlock = sax_text;
	sax.ignorableWhitespace = sax_text;
	sax.serror = sax_error;

	xmlInitParser();
	c->px = xmlCreatePushParserCtxt(&sax, c, NULL, 0, NULL);
	if (c->px == NULL)
		xoom(sizeof(*c->px));
	/* No DTDLOAD, NOENT or HUGE: libxml2's own limits stay on too. */
	(void)xmlCtxtUseOptions(c->px, XML_PARSE_NONET);
	rc = xmlParseChunk(c->px, p, (int)n, 1);
	wf = c->px->wellFormed && c->px->nsWellFormed;
	xmlFreeParserCtxt(c->px);
	c->px = NULL;
	if (c->st != FMT_OK)
		return c->st;
	if (rc != 0 || !wf || c->root == NULL) {
		snprintf(c->err->msg, sizeof(c->err->msg),
		    "The document is not well-formed XML.");
		return FMT_SYNTAX;
	}
	return FMT_OK;
}

/*
 * Decodes a DataContract XML body.  See xml.h.
 */
enum fmt_status
xml_decode(struct arena *a, const char *p, size_t n,
    const struct xml_contract *k, const struct fmt_limits *lim,
    struct value **out, struct fmt_error *err)
{
	struct xctx c;
	enum fmt_status st;

	memset(err, 0, sizeof(*err));
	*out = NULL;
	if (lim == NULL)
		lim = &fmt_default_limits;
	if ((st = pre_check(p, n, err)) != FMT_OK)
		return st;
	memset(&c, 0, sizeof(c));
	c.a = a;
	c.lim = lim;
	c.root_c = k;
	c.err = err;
	c.stack = arena_allocarray(a, lim->max_depth + 1, sizeof(*c.stack));
	if ((st = parse(&c, p, n)) != FMT_OK)
		return st;
	*out = c.root;
	return FMT_OK;
}

/* ---- encoder ---- */

struct xenc {
	struct buf	*b;
	const char	*dflt;	/* the root's default namespace */
	const char	*decl[XML_ENC_MAX_DEPTH + 1]; /* "d{N}p1" of depth N */
	int		 depth;	/* of the open element; root = 1 */
};

static void
enc_fail(struct buf *b)
{
	b->failed = 1;	/* sticky, as buf's own failures */
}

/*
 * Appends s[0..n) as XML character data: the one place that decides
 * what is escaped.  & < > as entities, CR as &#xD; (a parser would
 * fold it into LF otherwise), tab and LF as they are, other C0 controls,
 * ill-formed UTF-8 and U+FFFE/U+FFFF as U+FFFD.  With quot set, '"' is
 * escaped too (attribute values).
 */
static void
put_text(struct buf *b, const char *s, size_t n, int quot)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0, len, bad;
	const char *rep;

	while (i < n) {
		rep = NULL;
		bad = 1;
		if (u[i] >= 0x80) {
			len = utf8_seq_len(u + i, n - i, &bad);
			if (len == 3 && u[i] == 0xef && u[i + 1] == 0xbf &&
			    u[i + 2] >= 0xbe)
				bad = 3;
			else if (len != 0) {
				i += len;
				continue;
			}
			rep = "\xef\xbf\xbd";
		} else if (u[i] == '&')
			rep = "&amp;";
		else if (u[i] == '<')
			rep = "&lt;";
		else if (u[i] == '>')
			rep = "&gt;";
		else if (u[i] == '"' && quot)
			rep = "&quot;";
		else if (u[i] == '\r')
			rep = "&#xD;";
		else if (u[i] < 0x20 && u[i] != '\t' && u[i] != '\n')
			rep = "\xef\xbf\xbd";
		if (rep == NULL) {
			i++;
			continue;
		}
		buf_put(b, s + run, i - run);
		buf_puts(b, rep);
		i += bad;
		run = i;
	}
	buf_put(b, s + run, i - run);
}

/*
 * The prefix under which ns is in scope: "" for the default namespace,
 * the depth N of its "dNp1" declaration, or -1 when not declared.
 */
static int
ns_depth(const struct xenc *e, const char *ns)
{
	int d;

	if (ns_eq(ns, e->dflt))
		return 0;
	for (d = e->depth; d >= 1; d--)
		if (e->decl[d] != NULL && ns_eq(e->decl[d], ns))
			return d;
	return -1;
}

/* Writes "<" and the qualified name of an element in namespace ns. */
static void
put_qname(struct xenc *e, const char *ns, const char *name)
{
	int d = ns_depth(e, ns);

	if (d < 0) {
		enc_fail(e->b);	/* only reachable through a table bug */
		return;
	}
	if (d > 0)
		buf_printf(e->b, "d%dp1:", d);
	buf_puts(e->b, name);
}

/*
 * Opens an element in namespace ns whose children are in child_ns,
 * declaring child_ns as DataContractSerializer does when it is not in
 * scope.  Returns 0 when too deep (b failed).
 */
static int
open_elem(struct xenc *e, const char *ns, const char *name,
    const char *child_ns)
{
	if (e->depth >= XML_ENC_MAX_DEPTH) {
		enc_fail(e->b);
		return 0;
	}
	buf_putc(e->b, '<');
	put_qname(e, ns, name);
	e->depth++;
	e->decl[e->depth] = NULL;
	if (child_ns != NULL && ns_depth(e, child_ns) < 0) {
		if (child_ns[0] == '\0') {
			enc_fail(e->b);	/* would need xmlns="" */
			return 0;
		}
		buf_printf(e->b, " xmlns:d%dp1=\"", e->depth);
		put_text(e->b, child_ns, strlen(child_ns), 1);
		buf_putc(e->b, '"');
		e->decl[e->depth] = child_ns;
	}
	return 1;
}

/* Closes the element opened last: "/>" when it got no content. */
static void
close_elem(struct xenc *e, const char *ns, const char *name, int empty)
{
	e->depth--;	/* its name resolves in the parent's scope */
	if (empty) {
		buf_puts(e->b, " />");
		return;
	}
	buf_puts(e->b, "</");
	put_qname(e, ns, name);
	buf_putc(e->b, '>');
}

static void
put_nil(struct xenc *e, const char *ns, const char *name)
{
	buf_putc(e->b, '<');
	put_qname(e, ns, name);
	buf_puts(e->b, " i:nil=\"true\" />");
}

/* Text of a scalar; 0 when v is not one. */
static int
put_scalar_text(struct buf *b, const struct value *v)
{
	switch (v->type) {
	case VALUE_STRING:
	case VALUE_NUMBER:
		put_text(b, v->u.str.p, v->u.str.len, 0);
		return 1;
	case VALUE_BOOL:
		buf_puts(b, v->u.boolean ? "true" : "false");
		return 1;
	default:
		return 0;
	}
}

static void
put_scalar(struct xenc *e, const char *ns, const char *name,
    const struct value *v)
{
	if (v == NULL || v->type == VALUE_NULL) {
		put_nil(e, ns, name);
		return;
	}
	if (!open_elem(e, ns, name, NULL))
		return;
	buf_putc(e->b, '>');
	if (!put_scalar_text(e->b, v))
		enc_fail(e->b);
	close_elem(e, ns, name, 0);
}

static void put_contract(struct xenc *, const char *, const char *,
    const struct xml_contract *, const struct value *);

/* A collection member: items as the member describes them. */
static void
put_array(struct xenc *e, const char *ns, const struct xml_member *m,
    const struct value *v)
{
	const char *iname, *ins;
	size_t i;

	if (m->kind == XML_SCALAR_ARRAY) {
		iname = m->item;
		ins = m->item_ns != NULL ? m->item_ns : XML_NS_ARRAYS;
	} else {
		iname = m->item != NULL ? m->item : m->type->name;
		ins = m->item_ns != NULL ? m->item_ns : m->type->ns;
	}
	if (v->type != VALUE_ARRAY || iname == NULL) {
		enc_fail(e->b);
		return;
	}
	if (!open_elem(e, ns, m->name, ins))
		return;
	if (v->u.arr.n > 0)
		buf_putc(e->b, '>');
	for (i = 0; i < v->u.arr.n; i++) {
		if (m->kind == XML_SCALAR_ARRAY)
			put_scalar(e, ins, iname, v->u.arr.items[i]);
		else
			put_contract(e, ins, iname, m->type,
			    v->u.arr.items[i]);
	}
	close_elem(e, ns, m->name, v->u.arr.n == 0);
}

/* One member of an object in namespace ns. */
static void
put_member(struct xenc *e, const char *ns, const struct xml_member *m,
    const struct value *v)
{
	if (m->kind == XML_SCALAR) {
		put_scalar(e, ns, m->name, v);
		return;
	}
	if (v == NULL || v->type == VALUE_NULL) {
		put_nil(e, ns, m->name);
		return;
	}
	if (m->kind == XML_OBJECT)
		put_contract(e, ns, m->name, m->type, v);
	else
		put_array(e, ns, m, v);
}

/*
 * The member of k whose name follows prev in ordinal order (the first
 * one when prev is NULL), or NULL.  Contracts are a few dozen members,
 * so a scan per member keeps the encoder free of allocation.
 */
static const struct xml_member *
next_member(const struct xml_contract *k, const struct xml_member *prev)
{
	const struct xml_member *best = NULL, *m;
	size_t i;

	for (i = 0; i < k->nmembers; i++) {
		m = &k->members[i];
		if (prev != NULL && strcmp(m->name, prev->name) <= 0)
			continue;
		if (best == NULL || strcmp(m->name, best->name) < 0)
			best = m;
	}
	return best;
}

/* An element (in ns, named name) holding v as contract k. */
static void
put_contract(struct xenc *e, const char *ns, const char *name,
    const struct xml_contract *k, const struct value *v)
{
	const struct xml_member *m;

	if (v == NULL || v->type == VALUE_NULL) {
		put_nil(e, ns, name);
		return;
	}
	if (v->type != VALUE_OBJECT || k == NULL) {
		enc_fail(e->b);
		return;
	}
	if (!open_elem(e, ns, name, k->ns))
		return;
	if (k->nmembers > 0)
		buf_putc(e->b, '>');
	for (m = next_member(k, NULL); m != NULL; m = next_member(k, m))
		put_member(e, k->ns, m, value_get(v, m->name));
	close_elem(e, ns, name, k->nmembers == 0);
}

/*
 * Appends v as contract k's root element.  See xml.h.
 */
void
xml_encode(struct buf *b, const struct xml_contract *k,
    const struct value *v)
{
	struct xenc e;
	const struct xml_member *m;
	int nil = v == NULL || v->type == VALUE_NULL;

	memset(&e, 0, sizeof(e));
	e.b = b;
	e.dflt = k->ns;
	e.depth = 1;
	if (!nil && v->type != VALUE_OBJECT) {
		enc_fail(b);
		return;
	}
	buf_printf(b, "<%s xmlns:i=\"" XML_NS_INSTANCE "\"", k->name);
	if (k->ns != NULL && k->ns[0] != '\0') {
		buf_puts(b, " xmlns=\"");
		put_text(b, k->ns, strlen(k->ns), 1);
		buf_putc(b, '"');
	}
	if (nil || k->nmembers == 0) {
		buf_puts(b, nil ? " i:nil=\"true\" />" : " />");
		return;
	}
	buf_putc(b, '>');
	for (m = next_member(k, NULL); m != NULL; m = next_member(k, m))
		put_member(&e, k->ns, m, value_get(v, m->name));
	buf_printf(b, "</%s>", k->name);
}

/* ---- HttpError ---- */

/* XML 1.0 (5th edition) NameStartChar beyond ASCII. */
static int
name_start_cp(unsigned cp)
{
	return (cp >= 0xc0 && cp <= 0xd6) || (cp >= 0xd8 && cp <= 0xf6) ||
	    (cp >= 0xf8 && cp <= 0x2ff) || (cp >= 0x370 && cp <= 0x37d) ||
	    (cp >= 0x37f && cp <= 0x1fff) || cp == 0x200c || cp == 0x200d ||
	    (cp >= 0x2070 && cp <= 0x218f) || (cp >= 0x2c00 && cp <= 0x2fef) ||
	    (cp >= 0x3001 && cp <= 0xd7ff) || (cp >= 0xf900 && cp <= 0xfdcf) ||
	    (cp >= 0xfdf0 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0xeffff);
}

/* NCName characters (no ':'), XML 1.0 (5th edition). */
static int
name_cp(unsigned cp, int first)
{
	if (cp < 0x80)
		return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') ||
		    cp == '_' || (!first && ((cp >= '0' && cp <= '9') ||
		    cp == '.' || cp == '-'));
	if (name_start_cp(cp))
		return 1;
	return !first && (cp == 0xb7 || (cp >= 0x300 && cp <= 0x36f) ||
	    cp == 0x203f || cp == 0x2040);
}

static unsigned
utf8_decode(const unsigned char *s, size_t len)
{
	unsigned cp = s[0] & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
	size_t i;

	for (i = 1; i < len; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/* 1 when s[0..n) starts with "_x" + 4 or 8 hex digits + "_". */
static int
looks_escaped(const char *s, size_t n)
{
	size_t i;

	if (n < 7 || s[0] != '_' || (s[1] != 'x' && s[1] != 'X'))
		return 0;
	for (i = 2; i < n && i < 10 && isxdigit((unsigned char)s[i]); i++)
		;
	return (i == 6 || i == 10) && i < n && s[i] == '_';
}

/*
 * Appends s[0..n) as XmlConvert.EncodeLocalName does: each character
 * that cannot stand there in an NCName, and the '_' of anything that
 * looks like an escape already, as _xHHHH_ (_xHHHHHHHH_ beyond the BMP).
 * An empty key becomes ASP.NET Core's "MVC-Empty" (.NET would write an
 * element without a name).
 */
static void
put_local_name(struct buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, len, bad;
	unsigned cp;

	if (n == 0)
		buf_puts(b, "MVC-Empty");
	while (i < n) {
		len = 1;
		cp = u[i];
		if (u[i] >= 0x80) {
			len = utf8_seq_len(u + i, n - i, &bad);
			cp = len != 0 ? utf8_decode(u + i, len) : 0xfffd;
			if (len == 0)
				len = bad;
		}
		if (cp == '_' && looks_escaped(s + i, n - i))
			buf_puts(b, "_x005F_");
		else if (name_cp(cp, i == 0))
			buf_put(b, s + i, len);
		else
			buf_printf(b, cp > 0xffff ? "_x%08X_" : "_x%04X_", cp);
		i += len;
	}
}

static void put_error_members(struct buf *, const struct value *, int);

/* The text of an array: its scalar items joined by single spaces. */
static void
put_joined(struct buf *b, const struct value *arr)
{
	size_t i;
	int any = 0;

	for (i = 0; i < arr->u.arr.n; i++) {
		const struct value *it = arr->u.arr.items[i];

		if (it == NULL || it->type == VALUE_NULL ||
		    it->type == VALUE_ARRAY || it->type == VALUE_OBJECT)
			continue;
		if (any++)
			buf_putc(b, ' ');
		put_scalar_text(b, it);
	}
}

/* One HttpError entry: <Key>value</Key>. */
static void
put_error_entry(struct buf *b, const struct member *m, int depth)
{
	const struct value *v = m->val;
	int empty = v == NULL || v->type == VALUE_NULL ||
	    (v->type == VALUE_OBJECT && v->u.obj.n == 0);

	buf_putc(b, '<');
	put_local_name(b, m->key, m->klen);
	if (empty) {
		buf_puts(b, " />");
		return;
	}
	buf_putc(b, '>');
	if (v->type == VALUE_OBJECT)
		put_error_members(b, v, depth + 1);
	else if (v->type == VALUE_ARRAY)
		put_joined(b, v);
	else
		put_scalar_text(b, v);
	buf_puts(b, "</");
	put_local_name(b, m->key, m->klen);
	buf_putc(b, '>');
}

static void
put_error_members(struct buf *b, const struct value *o, int depth)
{
	size_t i;

	if (depth > XML_ENC_MAX_DEPTH) {
		enc_fail(b);
		return;
	}
	for (i = 0; i < o->u.obj.n; i++)
		put_error_entry(b, &o->u.obj.members[i], depth);
}

/*
 * Appends an HttpError dictionary as <Error>.  See xml.h.
 */
void
xml_encode_http_error(struct buf *b, const struct value *err)
{
	if (err == NULL || err->type != VALUE_OBJECT) {
		enc_fail(b);
		return;
	}
	if (err->u.obj.n == 0) {
		buf_puts(b, "<Error />");
		return;
	}
	buf_puts(b, "<Error>");
	put_error_members(b, err, 1);
	buf_puts(b, "</Error>");
}

/*
 * Appends <Error><Message>...</Message>[<ModelState>...]</Error>.  See
 * xml.h.
 */
void
xml_encode_error(struct buf *b, const char *message,
    const struct value *model_state)
{
	struct member m = { "ModelState", 10, (struct value *)model_state };

	if (message == NULL)
		buf_puts(b, "<Error><Message />");
	else {
		buf_puts(b, "<Error><Message>");
		put_text(b, message, strlen(message), 0);
		buf_puts(b, "</Message>");
	}
	if (model_state != NULL) {
		if (model_state->type != VALUE_OBJECT)
			enc_fail(b);
		else
			put_error_entry(b, &m, 1);
	}
	buf_puts(b, "</Error>");
}
