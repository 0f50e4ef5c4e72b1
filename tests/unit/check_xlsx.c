/*
 * check_xlsx.c: unit tests for the xlsx tabular source (table_xlsx.c)
 * against workbooks the tests write: with libxlsxwriter (shared strings,
 * and constant_memory's inline strings), and by hand with libzip for
 * what libxlsxwriter does not write (rich text, a first sheet that is
 * not sheet1.xml, formulas, error values, bad XML), plus a truncated
 * file, a zip bomb and the size limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "unit.h"
#include "../../src/imp/table.h"
#include "../../src/imp/table_xlsx.h"

static char path[256];

static void
xsetup(void)
{
	const char *d = getenv("TMPDIR");
	int fd;

	setup();
	snprintf(path, sizeof(path), "%s/check_xlsx.XXXXXX",
	    d != NULL && *d != '\0' ? d : "/tmp");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	table_xlsx_limits(0, 0, 0);
}

static void
xteardown(void)
{
	unlink(path);
	table_xlsx_limits(0, 0, 0);
	teardown();
}

/* Reads every row of path as "a|b|c@LINE\n" lines; NULL on failure. */
static char *
dump(char *err, size_t errlen)
{
	struct table_src *t;
	struct table_row row;
	struct buf b;
	size_t i;
	int r;

	err[0] = '\0';
	if ((t = table_open_xlsx(path, err, errlen)) == NULL)
		return NULL;
	buf_init(&b, ta);
	while ((r = table_next(t, &row, err, errlen)) == 1) {
		for (i = 0; i < row.n; i++) {
			if (i > 0)
				buf_putc(&b, '|');
			buf_put(&b, row.cells[i].v, row.cells[i].len);
		}
		buf_printf(&b, "@%ld\n", row.line);
	}
	if (r < 0) {
		/* an error is final */
		ck_assert_int_eq(table_next(t, &row, err + strlen(err),
		    errlen - strlen(err)), -1);
		table_close(t);
		return NULL;
	}
	table_close(t);
	return b.p;
}

static void
write_book(int constant_memory)
{
	lxw_workbook_options o = { 0 };
	lxw_workbook *wb;
	lxw_worksheet *ws, *ws2;

	o.constant_memory = constant_memory;
	wb = workbook_new_opt(path, &o);
	ck_assert_ptr_nonnull(wb);
	ws = workbook_add_worksheet(wb, "users");
	ws2 = workbook_add_worksheet(wb, "other");
	worksheet_write_string(ws, 0, 0, "username", NULL);
	worksheet_write_string(ws, 0, 1, "email", NULL);
	worksheet_write_string(ws, 0, 2, "active", NULL);
	worksheet_write_string(ws, 1, 0, "jürgen 日本", NULL);
	worksheet_write_string(ws, 1, 2, "=1+2", NULL);	/* a gap at B */
	worksheet_write_string(ws, 3, 0, " two  spaces ", NULL);
	worksheet_write_number(ws, 3, 1, 42, NULL);
	worksheet_write_boolean(ws, 3, 2, 1, NULL);
	worksheet_write_boolean(ws, 4, 2, 0, NULL);
	worksheet_write_number(ws, 5, 0, 1.5, NULL);
	worksheet_write_string(ws2, 0, 0, "not me", NULL);
	ck_assert_int_eq(workbook_close(wb), LXW_NO_ERROR);
}

static const char book_rows[] =
    "username|email|active@1\n"
    "jürgen 日本||=1+2@2\n"
    " two  spaces |42|TRUE@4\n"
    "||FALSE@5\n"
    "1.5@6\n";

START_TEST(test_libxlsxwriter_shared_strings)
{
	char err[512], *got;

	write_book(0);
	got = dump(err, sizeof(err));
	ck_assert_msg(got != NULL, "%s", err);
	ck_assert_str_eq(got, book_rows);
}
END_TEST

START_TEST(test_libxlsxwriter_inline_strings)
{
	char err[512], *got;

	write_book(1);
	got = dump(err, sizeof(err));
	ck_assert_msg(got != NULL, "%s", err);
	ck_assert_str_eq(got, book_rows);
}
END_TEST

/* ---- hand-made workbooks ----------------------------------------- */

#define NS "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\""
#define RNS "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/" \
	"2006/relationships\""
#define RELNS "xmlns=\"http://schemas.openxmlformats.org/package/2006/" \
	"relationships\""
#define WS_TYPE "http://schemas.openxmlformats.org/officeDocument/2006/" \
	"relationships/worksheet"
#define SS_TYPE "http://schemas.openxmlformats.org/officeDocument/2006/" \
	"relationships/sharedStrings"

/* The first sheet is rId7, at worksheets/data.xml; sheet1.xml is the second. */
static const char workbook_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<workbook " NS " " RNS "><sheets>"
    "<sheet name=\"first\" sheetId=\"1\" r:id=\"rId7\"/>"
    "<sheet name=\"second\" sheetId=\"2\" r:id=\"rId1\"/>"
    "</sheets></workbook>";
static const char rels_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<Relationships " RELNS ">"
    "<Relationship Id=\"rId1\" Type=\"" WS_TYPE "\" "
    "Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId7\" Type=\"" WS_TYPE "\" "
    "Target=\"/xl/worksheets/data.xml\"/>"
    "<Relationship Id=\"rId9\" Type=\"" SS_TYPE "\" "
    "Target=\"strings.xml\"/>"
    "</Relationships>";
static const char strings_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<sst " NS " count=\"3\" uniqueCount=\"3\">"
    "<si><t>name</t></si>"
    "<si><r><t>Rich </t></r><r><rPr><b/></rPr><t>text</t></r>"
    "<rPh sb=\"0\" eb=\"1\"><t>PHONETIC</t></rPh></si>"
    "<si><t xml:space=\"preserve\">  </t></si>"
    "</sst>";
static const char sheet1_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<worksheet " NS "><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\">"
    "<is><t>wrong sheet</t></is></c></row></sheetData></worksheet>";

#define SHEET(rows)							\
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"			\
	"<worksheet " NS "><dimension ref=\"A1\"/><sheetData>" rows	\
	"</sheetData></worksheet>"

struct zpart {
	const char	*name;
	const char	*data;
	size_t		 len;
};

static void
write_zip(const struct zpart *p, size_t n)
{
	zip_source_t *s;
	zip_t *z;
	size_t i;
	int e;

	z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &e);
	ck_assert_ptr_nonnull(z);
	for (i = 0; i < n; i++) {
		s = zip_source_buffer(z, p[i].data, p[i].len != 0 ? p[i].len :
		    strlen(p[i].data), 0);
		ck_assert_ptr_nonnull(s);
		ck_assert_int_ge(zip_file_add(z, p[i].name, s,
		    ZIP_FL_OVERWRITE), 0);
	}
	ck_assert_int_eq(zip_close(z), 0);
}

/* A workbook whose first sheet is sheet (data.xml), with strings. */
static void
write_sheet(const char *sheet)
{
	const struct zpart p[] = {
		{ "xl/workbook.xml", workbook_xml, 0 },
		{ "xl/_rels/workbook.xml.rels", rels_xml, 0 },
		{ "xl/strings.xml", strings_xml, 0 },
		{ "xl/worksheets/sheet1.xml", sheet1_xml, 0 },
		{ "xl/worksheets/data.xml", sheet, 0 },
	};

	write_zip(p, RS_ARRAY_LEN(p));
}

START_TEST(test_hand_made_cells)
{
	char err[512], *got;

	write_sheet(SHEET(
	    "<row r=\"2\" spans=\"1:4\">"
	    "<c r=\"A2\" t=\"s\"><v>0</v></c>"
	    "<c r=\"C2\" t=\"inlineStr\"><is><r><t>in</t></r><r><t>line"
	    "</t></r><rPh><t>X</t></rPh></is></c>"
	    "<c r=\"D2\" t=\"s\"><v>1</v></c></row>"
	    "<row r=\"5\"><c t=\"s\"><v>2</v></c><c t=\"str\"><f>A1&amp;"
	    "\"x\"</f><v>cached &amp; &lt;ok&gt;</v></c>"
	    "<c><f>SUM(1,2)</f><v>3</v></c><c r=\"F5\" s=\"1\"/></row>"
	    "<row r=\"6\"/>"
	    "<row><c r=\"B7\" t=\"b\"><v>0</v></c>"
	    "<c r=\"C7\" t=\"inlineStr\"><is><t>&#x1F600; =cmd</t></is>"
	    "</c></row>"
	    "<row r=\"8\"><c r=\"A8\" t=\"inlineStr\"><is><t>a_x0001_b"
	    "_x005F_x0041_c_x00e9__x12_</t></is></c></row>"));
	got = dump(err, sizeof(err));
	ck_assert_msg(got != NULL, "%s", err);
	ck_assert_str_eq(got,
	    "name||inline|Rich text@2\n"
	    "  |cached & <ok>|3@5\n"
	    "@6\n"
	    "|FALSE|\xf0\x9f\x98\x80 =cmd@7\n"
	    "a\x01" "b_x0041_c\xc3\xa9_x12_@8\n");
}
END_TEST

/* Each sheet body must fail with a message holding want. */
static const struct {
	const char	*sheet;
	const char	*want;
} bad_sheets[] = {
	{ SHEET("<row r=\"1\"><c r=\"A1\"><v>1</v></c>"
	    "<c r=\"C1\"><f>NOW()</f></c></row>"),
	    "cell C1): a formula without a cached value" },
	{ SHEET("<row r=\"3\"><c r=\"B3\" t=\"e\"><v>#DIV/0!</v></c></row>"),
	    "cell B3): an error value (#DIV/0!)" },
	{ SHEET("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>3</v></c></row>"),
	    "no shared string 3" },
	{ SHEET("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>x</v></c></row>"),
	    "no shared string x" },
	{ SHEET("<row r=\"1\"><c r=\"IW1\"><v>1</v></c></row>"),
	    "column 257: more than 256 columns" },
	{ SHEET("<row r=\"1\"><c r=\"B1\"><v>1</v></c><c r=\"A1\"><v>2</v>"
	    "</c></row>"), "cell A1 out of order" },
	{ SHEET("<row r=\"2\"/><row r=\"2\"/>"), "a row numbered \"2\"" },
	{ SHEET("<row r=\"1\"><c r=\"A1\"><v>1</v></row>"), "bad XML" },
	{ "<worksheet><sheetData><row r=\"1\">", "bad XML" },
	{ "not xml at all", "bad XML" },
	{ SHEET("<row r=\"1\"><c r=\"1A\"><v>1</v></c></row>"),
	    "a cell reference \"1A\"" },
};

START_TEST(test_bad_sheets)
{
	char err[512], *got;

	write_sheet(bad_sheets[_i].sheet);
	got = dump(err, sizeof(err));
	ck_assert_msg(got == NULL, "read %s", got != NULL ? got : "");
	ck_assert_msg(strstr(err, bad_sheets[_i].want) != NULL,
	    "\"%s\" does not say \"%s\"", err, bad_sheets[_i].want);
	ck_assert_msg(strstr(err, path) != NULL, "%s names no file", err);
}
END_TEST

/* Entities are never expanded: a billion laughs costs nothing. */
START_TEST(test_billion_laughs)
{
	static const char sheet[] =
	    "<?xml version=\"1.0\"?>"
	    "<!DOCTYPE worksheet ["
	    "<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">"
	    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
	    "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
	    "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
	    "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
	    "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">"
	    "<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">"
	    "<!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">"
	    "]><worksheet " NS "><sheetData><row r=\"1\">"
	    "<c r=\"A1\" t=\"inlineStr\"><is><t>x&h;y</t></is></c>"
	    "</row></sheetData></worksheet>";
	char err[512];

	write_sheet(sheet);
	ck_assert_ptr_null(dump(err, sizeof(err)));
	ck_assert_msg(strstr(err, "a DOCTYPE or an entity") != NULL ||
	    strstr(err, "Detected an entity reference loop") != NULL, "%s",
	    err);
}
END_TEST

/* An external entity is never loaded: the DOCTYPE is refused. */
START_TEST(test_external_entity)
{
	static const char sheet[] =
	    "<?xml version=\"1.0\"?>"
	    "<!DOCTYPE worksheet ["
	    "<!ENTITY sys SYSTEM \"file:///etc/passwd\">"
	    "]><worksheet " NS "><sheetData><row r=\"1\">"
	    "<c r=\"A1\" t=\"inlineStr\"><is><t>x&sys;y</t></is></c>"
	    "</row></sheetData></worksheet>";
	char err[512], *got;

	write_sheet(sheet);
	got = dump(err, sizeof(err));
	ck_assert_ptr_null(got);
	ck_assert_msg(strstr(err, "a DOCTYPE or an entity, which no xlsx "
	    "holds: refused") != NULL, "%s", err);
	ck_assert_ptr_null(strstr(err, "root:"));
}
END_TEST

START_TEST(test_cell_too_long)
{
	size_t n = TABLE_CELL_MAX + 1, pre, post;
	char err[512], *sheet, *got;
	const char *a = SHEET("<row r=\"1\"><c r=\"B1\" t=\"inlineStr\"><is><t>");
	const char *b = "</t></is></c></row>" "</sheetData></worksheet>";

	/* SHEET's tail is in a: cut it at the <t> */
	pre = (size_t)(strstr(a, "<t>") - a) + 3;
	post = strlen(b);
	sheet = arena_alloc(ta, pre + n + post + 1);
	memcpy(sheet, a, pre);
	memset(sheet + pre, 'x', n);
	memcpy(sheet + pre + n, b, post + 1);
	write_sheet(sheet);
	got = dump(err, sizeof(err));
	ck_assert_ptr_null(got);
	ck_assert_msg(strstr(err, "(cell B1): more than 65536 bytes") != NULL,
	    "%s", err);
}
END_TEST

START_TEST(test_no_sheet)
{
	static const char wb[] = "<workbook " NS "><sheets/></workbook>";
	const struct zpart p[] = {
		{ "xl/workbook.xml", wb, 0 },
		{ "xl/_rels/workbook.xml.rels", rels_xml, 0 },
	};
	char err[512];

	write_zip(p, RS_ARRAY_LEN(p));
	ck_assert_ptr_null(dump(err, sizeof(err)));
	ck_assert_msg(strstr(err, "names no worksheet") != NULL, "%s", err);
}
END_TEST

START_TEST(test_not_a_zip)
{
	char err[512];
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs("username,email\nx,y\n", f);
	fclose(f);
	ck_assert_ptr_null(dump(err, sizeof(err)));
	ck_assert_msg(strstr(err, "not an xlsx workbook") != NULL, "%s", err);
}
END_TEST

/* Every cut of a real workbook fails cleanly, never reads it all. */
START_TEST(test_truncated)
{
	struct stat st;
	char err[512];
	off_t cut;
	int fails = 0, tries = 0;

	write_book(0);
	ck_assert_int_eq(stat(path, &st), 0);
	for (cut = st.st_size - 1; cut > 0; cut = cut * 7 / 8) {
		write_book(0);
		ck_assert_int_eq(truncate(path, cut), 0);
		tries++;
		if (dump(err, sizeof(err)) == NULL) {
			fails++;
			ck_assert_msg(err[0] != '\0', "no message at %ld",
			    (long)cut);
		}
	}
	ck_assert_int_eq(fails, tries);
}
END_TEST

/* Garbage in the middle of the sheet's compressed data is an error. */
START_TEST(test_corrupt)
{
	static const char name[] = "xl/worksheets/sheet1.xml";
	unsigned char b[65536];
	char err[512];
	size_t n, i, nl = sizeof(name) - 1, data;
	FILE *f;

	write_book(0);
	f = fopen(path, "r+b");
	ck_assert_ptr_nonnull(f);
	n = fread(b, 1, sizeof(b), f);
	ck_assert_uint_lt(n, sizeof(b));
	for (i = 0; i + 30 + nl < n; i++)
		if (memcmp(b + i, "PK\3\4", 4) == 0 &&
		    memcmp(b + i + 30, name, nl) == 0)
			break;
	ck_assert_uint_lt(i + 30 + nl, n);
	data = i + 30 + nl + (size_t)(b[i + 28] | b[i + 29] << 8);
	for (i = data + 40; i < data + 56; i++)
		b[i] ^= 0x5a;
	rewind(f);
	ck_assert_uint_eq(fwrite(b, 1, n, f), n);
	fclose(f);
	ck_assert_ptr_null(dump(err, sizeof(err)));
	ck_assert_msg(strstr(err, "xl/worksheets/sheet1.xml") != NULL, "%s",
	    err);
}
END_TEST

/* A sheet of 8 MB of rows that deflate to little. */
static char *
big_sheet(size_t *len)
{
	static const char row[] = "<row><c t=\"inlineStr\"><is><t>aaaa</t>"
	    "</is></c></row>";
	const char *head = SHEET(""), *tail = "</sheetData></worksheet>";
	size_t hl = strlen(head) - strlen(tail), n = 8 << 20, i;
	char *s = arena_alloc(ta, n + 256), *p = s;

	memcpy(p, head, hl);
	p += hl;
	for (i = 0; (size_t)(p - s) + sizeof(row) + strlen(tail) < n; i++) {
		memcpy(p, row, sizeof(row) - 1);
		p += sizeof(row) - 1;
	}
	strcpy(p, tail);
	*len = (size_t)(p - s) + strlen(tail);
	return s;
}

START_TEST(test_zip_bomb_declared)
{
	size_t len;
	char *sheet = big_sheet(&len), err[512];
	const struct zpart p[] = {
		{ "xl/workbook.xml", workbook_xml, 0 },
		{ "xl/_rels/workbook.xml.rels", rels_xml, 0 },
		{ "xl/strings.xml", strings_xml, 0 },
		{ "xl/worksheets/data.xml", sheet, len },
	};

	write_zip(p, RS_ARRAY_LEN(p));
	table_xlsx_limits(1 << 20, 0, 0);
	ck_assert_ptr_null(dump(err, sizeof(err)));
	ck_assert_msg(strstr(err, "more than the limit of 1048576: refused") !=
	    NULL, "%s", err);
	table_xlsx_limits(0, 0, 0);
	ck_assert_ptr_nonnull(dump(err, sizeof(err)));
}
END_TEST

/* Empty shared strings hold an offset each: they count against the limit. */
START_TEST(test_shared_strings_limit_empty)
{
	static const char many[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<sst " NS "><si/><si/><si/><si/><si/><si/><si/><si/><si/><si/>"
	    "<si></si><si/><si/><si/><si/><si/><si/><si/><si/><si/></sst>";
	const struct zpart p[] = {
		{ "xl/workbook.xml", workbook_xml, 0 },
		{ "xl/_rels/workbook.xml.rels", rels_xml, 0 },
		{ "xl/strings.xml", many, 0 },
		{ "xl/worksheets/sheet1.xml", sheet1_xml, 0 },
		{ "xl/worksheets/data.xml", SHEET("<row r=\"1\"><c r=\"A1\" "
		    "t=\"s\"><v>19</v></c></row>"), 0 },
	};
	char err[512];

	write_zip(p, RS_ARRAY_LEN(p));
	table_xlsx_limits(0, 100, 0);
	ck_assert_ptr_null(dump(err, sizeof(err)));
	ck_assert_msg(strstr(err, "shared strings are over 100 bytes") != NULL,
	    "%s", err);
	table_xlsx_limits(0, 0, 0);
	ck_assert_ptr_nonnull(dump(err, sizeof(err)));
}
END_TEST

/* Sets the uncompressed size of every entry named name to size. */
static void
lie_about_size(const char *name, unsigned size)
{
	FILE *f = fopen(path, "r+b");
	unsigned char *b;
	long n, i;
	size_t nl = strlen(name);
	int patched = 0;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	b = arena_alloc(ta, (size_t)n);
	rewind(f);
	ck_assert_int_eq(fread(b, 1, (size_t)n, f), n);
	for (i = 0; i + 46 < n; i++) {
		long off = -1;

		if (memcmp(b + i, "PK\3\4", 4) == 0 &&
		    (size_t)(b[i + 26] | b[i + 27] << 8) == nl &&
		    memcmp(b + i + 30, name, nl) == 0)
			off = 22;
		else if (memcmp(b + i, "PK\1\2", 4) == 0 &&
		    (size_t)(b[i + 28] | b[i + 29] << 8) == nl &&
		    memcmp(b + i + 46, name, nl) == 0)
			off = 24;
		if (off < 0)
			continue;
		b[i + off] = size & 0xff;
		b[i + off + 1] = (size >> 8) & 0xff;
		b[i + off + 2] = (size >> 16) & 0xff;
		b[i + off + 3] = (size >> 24) & 0xff;
		patched++;
	}
	ck_assert_int_eq(patched, 2);
	rewind(f);
	ck_assert_int_eq(fwrite(b, 1, (size_t)n, f), n);
	fclose(f);
}

START_TEST(test_zip_bomb_lying)
{
	size_t len;
	char *sheet = big_sheet(&len), err[512];
	const struct zpart p[] = {
		{ "xl/workbook.xml", workbook_xml, 0 },
		{ "xl/_rels/workbook.xml.rels", rels_xml, 0 },
		{ "xl/strings.xml", strings_xml, 0 },
		{ "xl/worksheets/data.xml", sheet, len },
	};

	write_zip(p, RS_ARRAY_LEN(p));
	lie_about_size("xl/worksheets/data.xml", 1000);
	ck_assert_ptr_null(dump(err, sizeof(err)));
	ck_assert_msg(strstr(err, "xl/worksheets/data.xml") != NULL, "%s", err);
}
END_TEST

START_TEST(test_shared_strings_limit)
{
	char err[512];

	write_sheet(SHEET("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c>"
	    "</row>"));
	table_xlsx_limits(0, 30, 0);
	ck_assert_ptr_null(dump(err, sizeof(err)));
	ck_assert_msg(strstr(err, "shared strings are over 30 bytes") != NULL,
	    "%s", err);
	table_xlsx_limits(0, 0, 0);
	ck_assert_ptr_nonnull(dump(err, sizeof(err)));
}
END_TEST

static Suite *
xlsx_suite(void)
{
	Suite *s = suite_create("xlsx");
	TCase *tc = tcase_create("read");

	tcase_add_checked_fixture(tc, xsetup, xteardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_libxlsxwriter_shared_strings);
	tcase_add_test(tc, test_libxlsxwriter_inline_strings);
	tcase_add_test(tc, test_hand_made_cells);
	tcase_add_loop_test(tc, test_bad_sheets, 0,
	    (int)RS_ARRAY_LEN(bad_sheets));
	tcase_add_test(tc, test_billion_laughs);
	tcase_add_test(tc, test_external_entity);
	tcase_add_test(tc, test_cell_too_long);
	tcase_add_test(tc, test_no_sheet);
	tcase_add_test(tc, test_not_a_zip);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_corrupt);
	tcase_add_test(tc, test_zip_bomb_declared);
	tcase_add_test(tc, test_zip_bomb_lying);
	tcase_add_test(tc, test_shared_strings_limit);
	tcase_add_test(tc, test_shared_strings_limit_empty);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(srunner_create(xlsx_suite()));
}
