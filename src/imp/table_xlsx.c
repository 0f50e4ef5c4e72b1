/*
 * table_xlsx.c: the first worksheet of an xlsx workbook as a tabular
 * source (table.h).  libzip opens the container; libxml2's xmlTextReader
 * reads each part as a stream through zip_fread(), so that memory stays
 * flat for any number of rows; only the shared-strings table is held,
 * within XLSX_STRINGS_MAX.  The first worksheet is found through
 * xl/workbook.xml (its first <sheet>) and xl/_rels/workbook.xml.rels
 * (that sheet's relationship), the shared strings through the same
 * relationships.
 *
 * Cells: shared strings (t="s"), inline strings (t="inlineStr", rich
 * text runs joined, phonetic runs left out; both with their "_xHHHH_"
 * escapes undone), formula strings (t="str"),
 * booleans (t="b") as TRUE or FALSE, numbers and dates as the text of
 * their value.  A formula cell is its cached value; one without a
 * cached value, or an error value (t="e"), is an error naming the cell:
 * no formula is ever evaluated.  A cell's reference ("C7") places it in
 * its column, cells left out are empty; a row's number is its line, and
 * rows may skip numbers.  Trailing empty cells of a row are left out.
 *
 * Sizes are checked against the limits of table_xlsx.h before a part is
 * read (its declared size and ratio) and while it is read (the bytes
 * inflated), so a zip bomb is refused early.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>
#include <zip.h>

#include "imp/table.h"
#include "imp/table_xlsx.h"
#include "util/util.h"

static long long lim_sheet = XLSX_SHEET_MAX;
static long long lim_strings = XLSX_STRINGS_MAX;
static long long lim_part = XLSX_PART_MAX;

void
table_xlsx_limits(long long sheet_max, long long strings_max,
    long long part_max)
{
	lim_sheet = sheet_max > 0 ? sheet_max : XLSX_SHEET_MAX;
	lim_strings = strings_max > 0 ? strings_max : XLSX_STRINGS_MAX;
	lim_part = part_max > 0 ? part_max : XLSX_PART_MAX;
}

#define REL_NS \
	"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define REL_NS_STRICT "http://purl.oclc.org/ooxml/officeDocument/relationships"

/* One part being read: the zip entry and the XML reader over it. */
struct part {
	const char	*name;
	zip_file_t	*zf;
	long long	 size;		/* declared uncompressed bytes */
	long long	 got;		/* inflated so far */
	long long	 max;
	int		 zerr;		/* zip_fread failed */
	int		 over;		/* inflated past size or max */
	char		 zmsg[160];
	char		 xmsg[200];	/* the first XML error */
	xmlTextReaderPtr rd;
};

struct xlsx {
	struct table_src base;
	char		*path;
	zip_t		*z;
	/* shared strings: text at ss + off[i], length off[i+1] - off[i] */
	char		*ss;
	size_t		 sslen, sscap;
	size_t		*off;
	size_t		 nss, offcap;
	/* the worksheet */
	char		*sheet_part;	/* its name in the zip */
	struct part	 sheet;
	int		 in_data;	/* inside <sheetData> */
	int		 failed, eof;
	long		 rownum;	/* the last row's number */
	/* the row being read: text in rb, cell c's at rb + co[c] */
	char		*rb;
	size_t		 rblen, rbcap;
	size_t		 co[TABLE_COLS_MAX], cl[TABLE_COLS_MAX];
	unsigned char	 set[TABLE_COLS_MAX];
	size_t		 ncells;
	struct table_cell cells[TABLE_COLS_MAX];
};

static void
msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- parts ------------------------------------------------------- */

static int
part_read(void *ctx, char *buf, int len)
{
	struct part *p = ctx;
	zip_int64_t n;

	n = zip_fread(p->zf, buf, (zip_uint64_t)len);
	if (n < 0) {
		p->zerr = 1;
		snprintf(p->zmsg, sizeof(p->zmsg), "%s",
		    zip_file_strerror(p->zf));
		return -1;
	}
	p->got += n;
	if (p->got > p->size || p->got > p->max) {
		p->over = 1;
		return -1;
	}
	return (int)n;
}

static int
part_close_cb(void *ctx)
{
	(void)ctx;
	return 0;
}

static void
part_xml_error(void *ctx, xmlErrorPtr e)
{
	struct part *p = ctx;

	if (p->xmsg[0] != '\0' || e == NULL || e->level < XML_ERR_ERROR)
		return;
	snprintf(p->xmsg, sizeof(p->xmsg), "line %d: %.*s", e->line,
	    e->message != NULL ? (int)strcspn(e->message, "\n") : 0,
	    e->message != NULL ? e->message : "");
}

static void
part_close(struct part *p)
{
	if (p->rd != NULL)
		xmlFreeTextReader(p->rd);
	if (p->zf != NULL)
		zip_fclose(p->zf);
	p->rd = NULL;
	p->zf = NULL;
}

/* The reason a part's reading failed, after xmlTextReaderRead() < 0. */
static void
part_why(const struct xlsx *x, const struct part *p, char *err,
    size_t errlen)
{
	if (p->over)
		msg(err, errlen, "%s: %s inflates past %lld bytes (its "
		    "declared size or the limit): refused as a zip bomb",
		    x->path, p->name, p->size < p->max ? p->size : p->max);
	else if (p->zerr)
		msg(err, errlen, "%s: %s: %s (a truncated or corrupt file?)",
		    x->path, p->name, p->zmsg);
	else
		msg(err, errlen, "%s: %s: bad XML: %s", x->path, p->name,
		    p->xmsg[0] != '\0' ? p->xmsg : "unreadable");
}

/* Opens part name for streaming, its sizes checked against max. */
static int
part_open(struct xlsx *x, struct part *p, const char *name, long long max,
    char *err, size_t errlen)
{
	zip_stat_t st;

	memset(p, 0, sizeof(*p));
	p->name = name;
	p->max = max;
	zip_stat_init(&st);
	if (zip_stat(x->z, name, 0, &st) != 0) {
		msg(err, errlen, "%s: no %s in the workbook", x->path, name);
		return -1;
	}
	if (!(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE)) {
		msg(err, errlen, "%s: %s: no size in the zip directory",
		    x->path, name);
		return -1;
	}
	if ((long long)st.size < 0 || (long long)st.size > max) {
		msg(err, errlen, "%s: %s is %llu bytes uncompressed, more "
		    "than the limit of %lld: refused", x->path, name,
		    (unsigned long long)st.size, max);
		return -1;
	}
	if ((long long)st.size > XLSX_RATIO_FLOOR &&
	    st.size / (st.comp_size + 1) > XLSX_RATIO_MAX) {
		msg(err, errlen, "%s: %s inflates %llu times: refused as a "
		    "zip bomb", x->path, name,
		    (unsigned long long)(st.size / (st.comp_size + 1)));
		return -1;
	}
	p->size = (long long)st.size;
	if ((p->zf = zip_fopen(x->z, name, 0)) == NULL) {
		msg(err, errlen, "%s: %s: %s", x->path, name,
		    zip_error_strerror(zip_get_error(x->z)));
		return -1;
	}
	p->rd = xmlReaderForIO(part_read, part_close_cb, p, name, NULL,
	    XML_PARSE_NONET | XML_PARSE_COMPACT);
	if (p->rd == NULL) {
		part_close(p);
		msg(err, errlen, "%s: %s: cannot start the XML reader",
		    x->path, name);
		return -1;
	}
	xmlTextReaderSetStructuredErrorHandler(p->rd, part_xml_error, p);
	return 0;
}

/* The next node: 1, 0 at the end, -1 after an error (in err). */
static int
part_next(struct xlsx *x, struct part *p, char *err, size_t errlen)
{
	int r = xmlTextReaderRead(p->rd), t;

	if (r < 0 || (r == 1 && p->xmsg[0] != '\0') || p->over || p->zerr) {
		part_why(x, p, err, errlen);
		return -1;
	}
	/* an xlsx part has no DTD and no entity: one is an attack, and its
	 * references would vanish silently from the cells' text */
	if (r == 1 && ((t = xmlTextReaderNodeType(p->rd)) ==
	    XML_READER_TYPE_DOCUMENT_TYPE ||
	    t == XML_READER_TYPE_ENTITY_REFERENCE ||
	    t == XML_READER_TYPE_ENTITY)) {
		msg(err, errlen, "%s: %s: a DOCTYPE or an entity, which no "
		    "xlsx holds: refused", x->path, p->name);
		return -1;
	}
	return r;
}

static int
is_elem(xmlTextReaderPtr rd, int type, const char *local)
{
	const xmlChar *n;

	if (xmlTextReaderNodeType(rd) != type)
		return 0;
	n = xmlTextReaderConstLocalName(rd);
	return n != NULL && strcmp((const char *)n, local) == 0;
}

#define START	XML_READER_TYPE_ELEMENT
#define END	XML_READER_TYPE_END_ELEMENT

/* The value of attribute local (any namespace, or ns), or NULL. */
static const char *
attr(xmlTextReaderPtr rd, const char *local, const char *ns,
    const char *ns2)
{
	const xmlChar *n, *u;
	const char *v = NULL;

	if (xmlTextReaderMoveToFirstAttribute(rd) != 1)
		return NULL;
	do {
		n = xmlTextReaderConstLocalName(rd);
		u = xmlTextReaderConstNamespaceUri(rd);
		if (n == NULL || strcmp((const char *)n, local) != 0)
			continue;
		if (ns != NULL && (u == NULL ||
		    (strcmp((const char *)u, ns) != 0 &&
		    (ns2 == NULL || strcmp((const char *)u, ns2) != 0))))
			continue;
		v = (const char *)xmlTextReaderConstValue(rd);
		break;
	} while (xmlTextReaderMoveToNextAttribute(rd) == 1);
	(void)xmlTextReaderMoveToElement(rd);
	return v;
}

/* ---- the workbook: which part is the first sheet ----------------- */

/* A part name from a relationship's target, relative to xl/. */
static char *
target_path(const char *t)
{
	char *p;

	if (t[0] == '/')
		return xstrdup(t + 1);
	while (strncmp(t, "./", 2) == 0)
		t += 2;
	p = xmalloc(strlen(t) + 4);
	memcpy(p, "xl/", 3);
	strcpy(p + 3, t);
	return p;
}

static int
first_sheet_rid(struct xlsx *x, char **rid, char *err, size_t errlen)
{
	struct part p;
	const char *v;
	int r;

	*rid = NULL;
	if (part_open(x, &p, "xl/workbook.xml", lim_part, err, errlen) != 0)
		return -1;
	while ((r = part_next(x, &p, err, errlen)) == 1) {
		if (!is_elem(p.rd, START, "sheet"))
			continue;
		if ((v = attr(p.rd, "id", REL_NS, REL_NS_STRICT)) != NULL)
			*rid = xstrdup(v);
		break;
	}
	part_close(&p);
	if (r < 0)
		return -1;
	if (*rid == NULL) {
		msg(err, errlen, "%s: xl/workbook.xml names no worksheet",
		    x->path);
		return -1;
	}
	return 0;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The parts of the first sheet and of the shared strings (or NULL). */
static int
find_parts(struct xlsx *x, char **sheet, char **strings, char *err,
    size_t errlen)
{
	const char *id, *type, *target;
	struct part p;
	char *rid;
	int r;

	*sheet = *strings = NULL;
	if (first_sheet_rid(x, &rid, err, errlen) != 0)
		return -1;
	if (part_open(x, &p, "xl/_rels/workbook.xml.rels", lim_part, err,
	    errlen) != 0) {
		free(rid);
		return -1;
	}
	while ((r = part_next(x, &p, err, errlen)) == 1) {
		if (!is_elem(p.rd, START, "Relationship"))
			continue;
		id = attr(p.rd, "Id", NULL, NULL);
		if (id != NULL && strcmp(id, rid) == 0 && *sheet == NULL) {
			if ((target = attr(p.rd, "Target", NULL, NULL)) != NULL)
				*sheet = target_path(target);
			continue;
		}
		type = attr(p.rd, "Type", NULL, NULL);
		if (type != NULL && ends_with(type, "/sharedStrings") &&
		    *strings == NULL &&
		    (target = attr(p.rd, "Target", NULL, NULL)) != NULL)
			*strings = target_path(target);
	}
	part_close(&p);
	if (r >= 0 && *sheet == NULL)
		msg(err, errlen, "%s: xl/_rels/workbook.xml.rels has no "
		    "relationship %.64s (the first worksheet)", x->path, rid);
	free(rid);
	if (r < 0 || *sheet == NULL) {
		free(*sheet);
		free(*strings);
		*sheet = *strings = NULL;
		return -1;
	}
	return 0;
}

/* ---- shared strings ---------------------------------------------- */

static int
ss_put(struct xlsx *x, const char *s, size_t n, char *err, size_t errlen)
{
	if ((long long)(x->sslen + n + (x->nss + 1) * sizeof(size_t)) >
	    lim_strings) {
		msg(err, errlen, "%s: the shared strings are over %lld bytes: "
		    "refused (save the sheet as CSV)", x->path, lim_strings);
		return -1;
	}
	if (x->sslen + n + 1 > x->sscap) {
		x->sscap = (x->sslen + n + 1) * 2;
		x->ss = xrealloc(x->ss, x->sscap);
	}
	memcpy(x->ss + x->sslen, s, n);
	x->sslen += n;
	return 0;
}

/*
 * Undoes the escapes of ST_Xstring in s[0..n) in place: "_xHHHH_" is
 * the character U+HHHH (how Excel and libxlsxwriter write control
 * characters; a literal "_x0041_" is written "_x005F_x0041_").  NUL
 * and surrogates stay as they are written.  Returns the new length.
 */
static size_t
xstring_unescape(char *s, size_t n)
{
	size_t i = 0, o = 0;
	int k, h;
	unsigned cp;

	while (i < n) {
		if (s[i] != '_' || n - i < 7 || s[i + 1] != 'x' ||
		    s[i + 6] != '_') {
			s[o++] = s[i++];
			continue;
		}
		for (k = 2, cp = 0; k < 6; k++) {
			if ((h = hex_value(s[i + (size_t)k])) < 0)
				break;
			cp = cp * 16 + (unsigned)h;
		}
		if (k < 6 || cp == 0 || (cp >= 0xd800 && cp <= 0xdfff)) {
			s[o++] = s[i++];
			continue;
		}
		if (cp < 0x80)
			s[o++] = (char)cp;
		else if (cp < 0x800) {
			s[o++] = (char)(0xc0 | cp >> 6);
			s[o++] = (char)(0x80 | (cp & 0x3f));
		} else {
			s[o++] = (char)(0xe0 | cp >> 12);
			s[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			s[o++] = (char)(0x80 | (cp & 0x3f));
		}
		i += 7;
	}
	return o;
}

static int
ss_end_item(struct xlsx *x, char *err, size_t errlen)
{
	size_t start = x->off[x->nss];

	/* empty strings too hold an offset: counted against the limit */
	if ((long long)(x->sslen + (x->nss + 2) * sizeof(size_t)) >
	    lim_strings) {
		msg(err, errlen, "%s: the shared strings are over %lld bytes: "
		    "refused (save the sheet as CSV)", x->path, lim_strings);
		return -1;
	}
	if (x->sslen > start)
		x->sslen = start + xstring_unescape(x->ss + start,
		    x->sslen - start);
	if (x->nss + 2 > x->offcap) {
		x->offcap = (x->nss + 2) * 2;
		x->off = xrealloc(x->off, x->offcap * sizeof(*x->off));
	}
	x->off[++x->nss] = x->sslen;
	return 0;
}

/* Text nodes that are a cell's content (whitespace too, inside <t>). */
static int
is_text(xmlTextReaderPtr rd)
{
	int t = xmlTextReaderNodeType(rd);

	return t == XML_READER_TYPE_TEXT || t == XML_READER_TYPE_CDATA ||
	    t == XML_READER_TYPE_SIGNIFICANT_WHITESPACE ||
	    t == XML_READER_TYPE_WHITESPACE;
}

static int
load_strings(struct xlsx *x, const char *name, char *err, size_t errlen)
{
	struct part p;
	int r, in_si = 0, in_t = 0, in_rph = 0;
	const char *v;

	x->offcap = 64;
	x->off = xcalloc(x->offcap, sizeof(*x->off));
	if (name == NULL)
		return 0;
	if (part_open(x, &p, name, lim_strings * 4 + lim_part, err,
	    errlen) != 0)
		return -1;
	while ((r = part_next(x, &p, err, errlen)) == 1) {
		if (is_elem(p.rd, START, "si")) {
			in_si = !xmlTextReaderIsEmptyElement(p.rd);
			if (!in_si && ss_end_item(x, err, errlen) != 0) {
				r = -1;
				break;
			}
		} else if (is_elem(p.rd, END, "si")) {
			in_si = 0;
			if (ss_end_item(x, err, errlen) != 0) {
				r = -1;
				break;
			}
		} else if (is_elem(p.rd, START, "rPh")) {
			in_rph = !xmlTextReaderIsEmptyElement(p.rd);
		} else if (is_elem(p.rd, END, "rPh")) {
			in_rph = 0;
		} else if (is_elem(p.rd, START, "t")) {
			in_t = !xmlTextReaderIsEmptyElement(p.rd);
		} else if (is_elem(p.rd, END, "t")) {
			in_t = 0;
		} else if (in_si && in_t && !in_rph && is_text(p.rd)) {
			v = (const char *)xmlTextReaderConstValue(p.rd);
			if (v != NULL &&
			    ss_put(x, v, strlen(v), err, errlen) != 0) {
				r = -1;
				break;
			}
		}
	}
	part_close(&p);
	return r < 0 ? -1 : 0;
}

/* ---- the worksheet ----------------------------------------------- */

/* "C7" -> column 2 (0-based); -1 when it is no reference. */
static long
ref_col(const char *r)
{
	long c = 0;
	int n = 0;

	while (*r >= 'A' && *r <= 'Z' && n < 4) {
		c = c * 26 + (*r++ - 'A' + 1);
		n++;
	}
	if (n == 0 || n == 4 || *r < '1' || *r > '9')
		return -1;
	while (*r >= '0' && *r <= '9')
		r++;
	return *r == '\0' ? c - 1 : -1;
}

static void
col_name(long c, char *out)
{
	char t[8];
	int n = 0, i;

	c++;
	while (c > 0 && n < 7) {
		t[n++] = (char)('A' + (c - 1) % 26);
		c = (c - 1) / 26;
	}
	for (i = 0; i < n; i++)
		out[i] = t[n - 1 - i];
	out[n] = '\0';
}

/* Fails the source: later calls return -1. */
static int
fail(struct xlsx *x)
{
	x->failed = 1;
	return -1;
}

static void
rb_put(struct xlsx *x, const char *s, size_t n)
{
	if (x->rblen + n + 1 > x->rbcap) {
		x->rbcap = (x->rblen + n + 1) * 2;
		x->rb = xrealloc(x->rb, x->rbcap);
	}
	if (n == 0)
		return;
	memcpy(x->rb + x->rblen, s, n);
	x->rblen += n;
}

/* The cell being read. */
struct cell {
	long		 col;
	char		 type[12];
	int		 formula, has_v, in_v, in_is, in_t, in_rph;
	size_t		 start;		/* its text in rb from here */
};

/*
 * Ends a cell: its text, now at rb + c->start (the raw <v> or the
 * inline string), becomes its value.
 */
static int
cell_end(struct xlsx *x, struct cell *c, char *err, size_t errlen)
{
	char name[16], *end;
	size_t len = x->rblen - c->start;
	unsigned long i;

	col_name(c->col, name);
	snprintf(name + strlen(name), sizeof(name) - strlen(name), "%ld",
	    x->rownum);
	if (c->formula && !c->has_v) {
		msg(err, errlen, "%s: line %ld, column %ld (cell %s): a formula "
		    "without a cached value (formulas are not evaluated: "
		    "save the sheet from a spreadsheet program, or paste "
		    "values)", x->path, x->rownum, c->col + 1, name);
		return -1;
	}
	if (strcmp(c->type, "e") == 0) {
		msg(err, errlen, "%s: line %ld, column %ld (cell %s): an "
		    "error value (%.*s)", x->path, x->rownum, c->col + 1,
		    name, (int)(len < 32 ? len : 32),
		    len > 0 ? x->rb + c->start : "");
		return -1;
	}
	if (strcmp(c->type, "s") == 0) {
		if (len == 0 || len > 20) {
			msg(err, errlen, "%s: line %ld, column %ld (cell %s): "
			    "no shared string index", x->path, x->rownum,
			    c->col + 1, name);
			return -1;
		}
		x->rb[x->rblen] = '\0';
		errno = 0;
		i = strtoul(x->rb + c->start, &end, 10);
		if (errno != 0 || *end != '\0' || i >= x->nss) {
			msg(err, errlen, "%s: line %ld, column %ld (cell %s): "
			    "no shared string %.24s", x->path, x->rownum,
			    c->col + 1, name, x->rb + c->start);
			return -1;
		}
		x->rblen = c->start;
		rb_put(x, x->ss + x->off[i], x->off[i + 1] - x->off[i]);
	} else if (strcmp(c->type, "inlineStr") == 0 && len > 0) {
		x->rblen = c->start + xstring_unescape(x->rb + c->start, len);
	} else if (strcmp(c->type, "b") == 0 && len == 1) {
		x->rblen = c->start;
		if (x->rb[c->start] == '1')
			rb_put(x, "TRUE", 4);
		else
			rb_put(x, "FALSE", 5);
	}
	len = x->rblen - c->start;
	if (len > TABLE_CELL_MAX) {
		msg(err, errlen, "%s: line %ld, column %ld (cell %s): more than "
		    "%d bytes", x->path, x->rownum, c->col + 1, name,
		    TABLE_CELL_MAX);
		return -1;
	}
	x->co[c->col] = c->start;
	x->cl[c->col] = len;
	x->set[c->col] = 1;
	if (len > 0 && (size_t)c->col + 1 > x->ncells)
		x->ncells = (size_t)c->col + 1;
	return 0;
}

/* Starts a row: its number from r, else the one after the last. */
static int
row_start(struct xlsx *x, char *err, size_t errlen)
{
	const char *r = attr(x->sheet.rd, "r", NULL, NULL);
	char *end;
	long n;

	if (r != NULL) {
		errno = 0;
		n = strtol(r, &end, 10);
		if (errno != 0 || *end != '\0' || n <= x->rownum ||
		    n > 1048576) {
			msg(err, errlen, "%s: a row numbered \"%.16s\" after "
			    "row %ld", x->path, r, x->rownum);
			return -1;
		}
	} else
		n = x->rownum + 1;
	x->rownum = n;
	x->rblen = 0;
	x->ncells = 0;
	memset(x->set, 0, sizeof(x->set));
	return 0;
}

static void
row_done(struct xlsx *x, struct table_row *row)
{
	static char empty[1];
	size_t i;

	for (i = 0; i < x->ncells; i++) {
		if (x->set[i] && x->cl[i] > 0) {
			x->cells[i].v = x->rb + x->co[i];
			x->cells[i].len = x->cl[i];
		} else {
			x->cells[i].v = empty;
			x->cells[i].len = 0;
		}
	}
	row->cells = x->cells;
	row->n = x->ncells;
	row->line = x->rownum;
}

/* A <c>'s start: its column and type. */
static int
cell_start(struct xlsx *x, struct cell *c, long last, char *err,
    size_t errlen)
{
	const char *r, *t;

	memset(c, 0, sizeof(*c));
	r = attr(x->sheet.rd, "r", NULL, NULL);
	t = attr(x->sheet.rd, "t", NULL, NULL);
	if (r != NULL) {
		if ((c->col = ref_col(r)) < 0) {
			msg(err, errlen, "%s: line %ld: a cell reference "
			    "\"%.16s\"", x->path, x->rownum, r);
			return -1;
		}
	} else
		c->col = last + 1;
	if (c->col <= last) {
		msg(err, errlen, "%s: line %ld: cell %.16s out of order",
		    x->path, x->rownum, r != NULL ? r : "?");
		return -1;
	}
	if (c->col >= TABLE_COLS_MAX) {
		msg(err, errlen, "%s: line %ld, column %ld: more than %d "
		    "columns", x->path, x->rownum, c->col + 1, TABLE_COLS_MAX);
		return -1;
	}
	snprintf(c->type, sizeof(c->type), "%s", t != NULL ? t : "n");
	c->start = x->rblen;
	return 0;
}

static int
xlsx_next(struct table_src *src, struct table_row *row, char *err,
    size_t errlen)
{
	struct xlsx *x = (struct xlsx *)src;
	xmlTextReaderPtr rd = x->sheet.rd;
	struct cell c;
	const char *v;
	long last = -1;
	int r, in_row = 0, in_cell = 0;

	if (x->failed) {
		msg(err, errlen, "%s: the workbook failed before", x->path);
		return -1;
	}
	if (x->eof)
		return 0;
	memset(&c, 0, sizeof(c));
	while ((r = part_next(x, &x->sheet, err, errlen)) == 1) {
		if (!x->in_data) {
			if (is_elem(rd, START, "sheetData"))
				x->in_data = !xmlTextReaderIsEmptyElement(rd);
			continue;
		}
		if (!in_row) {
			if (is_elem(rd, END, "sheetData"))
				break;
			if (!is_elem(rd, START, "row"))
				continue;
			if (row_start(x, err, errlen) != 0)
				return fail(x);
			if (xmlTextReaderIsEmptyElement(rd)) {
				row_done(x, row);
				return 1;
			}
			in_row = 1;
			last = -1;
			continue;
		}
		if (!in_cell) {
			if (is_elem(rd, END, "row")) {
				row_done(x, row);
				return 1;
			}
			if (!is_elem(rd, START, "c"))
				continue;
			if (cell_start(x, &c, last, err, errlen) != 0)
				return fail(x);
			last = c.col;
			if (xmlTextReaderIsEmptyElement(rd)) {
				if (cell_end(x, &c, err, errlen) != 0)
					return fail(x);
				continue;
			}
			in_cell = 1;
			continue;
		}
		if (is_elem(rd, END, "c")) {
			in_cell = 0;
			if (cell_end(x, &c, err, errlen) != 0)
				return fail(x);
		} else if (is_elem(rd, START, "f")) {
			c.formula = 1;
		} else if (is_elem(rd, START, "v")) {
			c.in_v = !xmlTextReaderIsEmptyElement(rd);
			c.has_v = 1;
			x->rblen = c.start;	/* the value, not the formula */
		} else if (is_elem(rd, END, "v")) {
			c.in_v = 0;
		} else if (is_elem(rd, START, "is")) {
			c.in_is = !xmlTextReaderIsEmptyElement(rd);
			c.has_v = 1;
		} else if (is_elem(rd, END, "is")) {
			c.in_is = 0;
		} else if (c.in_is && is_elem(rd, START, "rPh")) {
			c.in_rph = !xmlTextReaderIsEmptyElement(rd);
		} else if (is_elem(rd, END, "rPh")) {
			c.in_rph = 0;
		} else if (c.in_is && is_elem(rd, START, "t")) {
			c.in_t = !xmlTextReaderIsEmptyElement(rd);
		} else if (is_elem(rd, END, "t")) {
			c.in_t = 0;
		} else if ((c.in_v || (c.in_is && c.in_t && !c.in_rph)) &&
		    is_text(rd)) {
			v = (const char *)xmlTextReaderConstValue(rd);
			if (v == NULL)
				continue;
			if (x->rblen - c.start + strlen(v) > TABLE_CELL_MAX) {
				char name[16];

				col_name(c.col, name);
				msg(err, errlen, "%s: line %ld, column %ld "
				    "(cell %s%ld): more than %d bytes",
				    x->path, x->rownum, c.col + 1, name,
				    x->rownum, TABLE_CELL_MAX);
				return fail(x);
			}
			rb_put(x, v, strlen(v));
		}
	}
	if (r < 0)
		return fail(x);
	if (in_row || (r == 0 && !x->in_data)) {
		msg(err, errlen, "%s: %s ends before its %s", x->path,
		    x->sheet.name, in_row ? "row does" : "data");
		return fail(x);
	}
	x->eof = 1;
	return 0;
}

static void
xlsx_progress(const struct table_src *src, long long *done,
    long long *total)
{
	const struct xlsx *x = (const struct xlsx *)src;

	*done = x->sheet.got;
	*total = x->sheet.size;
}

static void
xlsx_close(struct table_src *src)
{
	struct xlsx *x = (struct xlsx *)src;

	part_close(&x->sheet);
	if (x->z != NULL)
		zip_discard(x->z);
	free(x->path);
	free(x->sheet_part);
	free(x->ss);
	free(x->off);
	free(x->rb);
	free(x);
}

static const struct table_ops xlsx_ops = {
	xlsx_next, xlsx_progress, xlsx_close,
};

struct table_src *
table_open_xlsx(const char *path, char *err, size_t errlen)
{
	struct xlsx *x;
	char *strings = NULL;
	zip_error_t ze;
	int code = 0;

	x = xcalloc(1, sizeof(*x));
	x->base.ops = &xlsx_ops;
	x->path = xstrdup(path);
	if ((x->z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code)) ==
	    NULL) {
		zip_error_init_with_code(&ze, code);
		msg(err, errlen, "%s: not an xlsx workbook: %s", path,
		    zip_error_strerror(&ze));
		zip_error_fini(&ze);
		xlsx_close(&x->base);
		return NULL;
	}
	if (find_parts(x, &x->sheet_part, &strings, err, errlen) != 0 ||
	    load_strings(x, strings, err, errlen) != 0 ||
	    part_open(x, &x->sheet, x->sheet_part, lim_sheet, err,
	    errlen) != 0) {
		free(strings);
		xlsx_close(&x->base);
		return NULL;
	}
	free(strings);
	return &x->base;
}
