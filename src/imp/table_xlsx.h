/*
 * table_xlsx.h: the limits of the xlsx source (table_xlsx.c), which the
 * unit tests lower to test them with small files.
 */
#ifndef ROSTERD_IMP_TABLE_XLSX_H
#define ROSTERD_IMP_TABLE_XLSX_H

/* Uncompressed bytes of the worksheet's XML. */
#define XLSX_SHEET_MAX		(8LL << 30)
/* The shared strings in memory: their bytes plus 8 per string. */
#define XLSX_STRINGS_MAX	(256LL << 20)
/* xl/workbook.xml and its relationships, each. */
#define XLSX_PART_MAX		(16LL << 20)
/*
 * A part over XLSX_RATIO_FLOOR bytes that inflates more than
 * XLSX_RATIO_MAX times is taken for a zip bomb (spreadsheets compress
 * about ten times).
 */
#define XLSX_RATIO_FLOOR	(64LL << 20)
#define XLSX_RATIO_MAX		200

/* Sets the three size limits (0: the default) for what opens next. */
void table_xlsx_limits(long long sheet_max, long long strings_max,
    long long part_max);

#endif
