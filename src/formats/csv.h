/*
 * csv.h: ServiceStack's CSV for one DTO (FORMATS.md 2.6).  Encoder
 * only: ServiceStack's CSV is a response format here, never a request
 * body.
 */
#ifndef ROSTERD_FORMATS_CSV_H
#define ROSTERD_FORMATS_CSV_H

#include "formats.h"

/*
 * Appends dto, an object, to b (sticky errors: check b->failed) as
 * ServiceStack's CsvSerializer writes a single object: a header row of
 * the member names, in order and as they are (pass the CLR PascalCase
 * names: ServiceStack does not re-case CSV headers), and one data row,
 * each row ending in CR LF.  Members that are null stay in the header
 * with an empty cell.  Cells: strings and number text as they are;
 * booleans True/False; arrays and objects as their JSV (jsv_encode()).
 * A cell or name is quoted, with every '"' doubled, when it contains
 * '"' ',' CR or LF (RFC 4180) or starts with '[' or '{' (ServiceStack's
 * rule, so a JSV list or map is always quoted).  A name or a string
 * cell a spreadsheet would take for a formula (it starts with '=', '@',
 * TAB or CR; or with '+' or '-' and holds more than digits, spaces and
 * ( ) . - /, and, after a '-', more than ASCII letters, digits, '-' and
 * '_') is written quoted with a single quote before it, as OWASP
 * recommends against CSV injection (ServiceStack does not do this);
 * numbers are written as they are.
 *
 * Returns FMT_OK, or FMT_SYNTAX (nothing written) when dto is NULL or
 * not an object.
 */
enum fmt_status csv_encode(struct buf *b, const struct value *dto)
    RS_MUSTCHECK;

/*
 * 1 when a spreadsheet would read s[0..n) as a formula (csv_encode()'s
 * rule above): it starts with '=', '@', TAB or CR, or with '+' or '-'
 * and is neither a phone number nor a base64url token.
 */
int csv_formula_like(const char *s, size_t n);

/*
 * The protection of rosterctl export and import, which round-trips: 1
 * when s[0..n), after any leading single quotes, is formula-like.
 * Export writes such a cell with one more ' before it; import strips
 * exactly one leading ' from a cell that begins with ' and is such a
 * cell ("'=1" -> "=1", "''=1" -> "'=1", "'abc" and "'+44 1" stay).
 */
int csv_cell_protected(const char *s, size_t n);

/*
 * Appends s[0..n) to b as one RFC 4180 cell: quoted (every '"' doubled)
 * when it holds '"', ',', CR or LF, or quote is set; protect puts a
 * single quote before the text, inside the quotes.
 */
void csv_put_cell(struct buf *b, const char *s, size_t n, int quote,
    int protect);

#endif
