/*
 * errors.c: field errors and status helpers shared by every operation.
 */
#include <string.h>

#include "core.h"

/* Appends one field error to e (arena memory). */
void
core_error_add(struct arena *a, struct core_errors *e, enum core_field field,
    int index, enum core_code code, long limit, const char *value)
{
	struct core_error *nv;

	if (e->n == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 8;

		nv = arena_allocarray(a, ncap, sizeof(*nv));
		if (e->n > 0)
			memcpy(nv, e->v, e->n * sizeof(*nv));
		e->v = nv;
		e->cap = ncap;
	}
	e->v[e->n].field = field;
	e->v[e->n].index = index;
	e->v[e->n].code = code;
	e->v[e->n].limit = limit;
	e->v[e->n].value = value;
	e->n++;
}

static const char *const status_names[CORE__MAX] = {
	[CORE_OK] = "ok",
	[CORE_INVALID] = "invalid",
	[CORE_NOT_FOUND] = "not found",
	[CORE_CONFLICT] = "conflict",
	[CORE_PRECONDITION] = "precondition failed",
	[CORE_FORBIDDEN] = "forbidden",
	[CORE_TOO_LARGE] = "too large",
	[CORE_UNAVAILABLE] = "unavailable",
	[CORE_INTERNAL] = "internal error",
};

/* Returns a short lower-case name of st. */
const char *
core_status_str(enum core_status st)
{
	return st < CORE__MAX ? status_names[st] : "unknown";
}

/* Maps a database status to the core's. */
enum core_status
core_from_db(enum db_status st)
{
	switch (st) {
	case DB_OK:
		return CORE_OK;
	case DB_CONFLICT:
		return CORE_CONFLICT;
	case DB_INVALID:
		return CORE_INVALID;
	case DB_UNAVAILABLE:
	case DB_RETRY:
		return CORE_UNAVAILABLE;
	default:
		return CORE_INTERNAL;
	}
}
