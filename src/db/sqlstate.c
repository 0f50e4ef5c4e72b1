/*
 * sqlstate.c: the one table from SQLSTATE to db_status.
 */
#include <string.h>

#include "db.h"

static const struct {
	const char	*code;	/* full code, or a two-character class */
	enum db_status	 st;
} map[] = {
	{ "23505", DB_CONFLICT },	/* unique_violation */
	{ "23503", DB_INVALID },	/* foreign_key_violation */
	{ "23514", DB_INVALID },	/* check_violation */
	{ "23502", DB_INVALID },	/* not_null_violation */
	{ "40001", DB_RETRY },		/* serialization_failure */
	{ "40P01", DB_RETRY },		/* deadlock_detected */
	{ "25006", DB_UNAVAILABLE },	/* read_only_sql_transaction: a
					   standby, or a session made
					   read-only; the primary may be
					   elsewhere by now */
	{ "57014", DB_UNAVAILABLE },	/* query_canceled (timeout) */
	{ "57P01", DB_UNAVAILABLE },	/* admin_shutdown */
	{ "57P02", DB_UNAVAILABLE },	/* crash_shutdown */
	{ "57P03", DB_UNAVAILABLE },	/* cannot_connect_now */
	{ "53", DB_UNAVAILABLE },	/* insufficient resources */
	{ "08", DB_UNAVAILABLE },	/* connection exception */
	{ "22", DB_INVALID },		/* data exception */
};

/*
 * Returns the status for sqlstate: an exact code first, then its
 * class; DB_INTERNAL for anything unknown or NULL.
 */
enum db_status
db_sqlstate_status(const char *sqlstate)
{
	size_t i;

	if (sqlstate == NULL || strlen(sqlstate) != 5)
		return DB_INTERNAL;
	for (i = 0; i < RS_ARRAY_LEN(map); i++)
		if (strlen(map[i].code) == 5 &&
		    strcmp(map[i].code, sqlstate) == 0)
			return map[i].st;
	for (i = 0; i < RS_ARRAY_LEN(map); i++)
		if (strlen(map[i].code) == 2 &&
		    strncmp(map[i].code, sqlstate, 2) == 0)
			return map[i].st;
	return DB_INTERNAL;
}
