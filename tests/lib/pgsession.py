"""tests/lib/pgsession.py: a PostgreSQL session that a test program keeps
open, through libpq (by ctypes; only the standard library).

A psql process costs about 50 ms to start and a query a millisecond or
two, and some tests look at the tables before and after every request;
others hold a lock or a transaction across calls. Both want one session
kept open. Session.query() answers as `psql -X -q -A -t` prints: one line
per row of each statement that returns rows, fields joined by '|', a NULL
as an empty field, empty lines left out.

SnapshotCache keeps the answers of read-only SELECTs of table rows with
the database's snapshot (pg_current_snapshot(): the transactions completed
and in progress) and gives one again while the snapshot reads the same:
no transaction has ended since, so no row the SELECT can see has changed,
and a look at every table costs a snapshot's read instead of a scan.
"""

import ctypes
import ctypes.util

CONNECTION_OK = 0
PGRES_TUPLES_OK = 2
PGRES_ERRORS = (5, 7)   # PGRES_BAD_RESPONSE, PGRES_FATAL_ERROR


class PgError(Exception):
    """A connection that failed or a statement PostgreSQL refused."""


def _libpq():
    lib = ctypes.CDLL(ctypes.util.find_library("pq") or "libpq.so.5")
    vp, cp, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    for name, res, args in (("PQconnectdb", vp, [cp]), ("PQstatus", i, [vp]),
                            ("PQfinish", None, [vp]), ("PQsendQuery", i, [vp, cp]),
                            ("PQgetResult", vp, [vp]), ("PQresultStatus", i, [vp]),
                            ("PQresultErrorMessage", cp, [vp]), ("PQntuples", i, [vp]),
                            ("PQnfields", i, [vp]), ("PQgetvalue", cp, [vp, i, i]),
                            ("PQclear", None, [vp]), ("PQerrorMessage", cp, [vp])):
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args
    return lib


_lib = []


class Session:
    """One session on conninfo (a libpq connection string). With
    reconnect, a session found ended (a test ended it) is opened again
    once before a query; without, that query fails, as it should for a
    session that holds locks."""

    def __init__(self, conninfo, reconnect=False, error=PgError):
        if not _lib:
            _lib.append(_libpq())
        self.lib = _lib[0]
        self.conninfo = conninfo
        self.reconnect = reconnect
        self.error = error
        self.conn = None
        self._connect()

    def _connect(self):
        if self.conn is not None:
            self.lib.PQfinish(self.conn)
        self.conn = self.lib.PQconnectdb(self.conninfo.encode())
        if self.lib.PQstatus(self.conn) != CONNECTION_OK:
            msg = self.lib.PQerrorMessage(self.conn).decode(errors="replace").strip()
            self.lib.PQfinish(self.conn)
            self.conn = None
            raise self.error(f"libpq: {msg}")

    def _ok(self):
        return self.conn is not None and self.lib.PQstatus(self.conn) == CONNECTION_OK

    def query(self, sql):
        """The rows of every statement of sql (psql's lines, see above);
        raises self.error if a statement fails (those after it do not run).
        With reconnect, a query that failed because the session had ended
        runs once more on a new one."""
        if self.conn is None:
            raise self.error("libpq: the session is closed")
        for attempt in (1, 2):
            if self.reconnect and not self._ok():
                self._connect()
            out, err = self._run(sql)
            if err is None:
                return out
            if not (self.reconnect and attempt == 1 and not self._ok()):
                break
        raise self.error(f"libpq: {err} (SQL: {sql.strip()[:300]})")

    def _run(self, sql):
        lib = self.lib
        if not lib.PQsendQuery(self.conn, sql.encode()):
            return [], lib.PQerrorMessage(self.conn).decode(errors="replace").strip()
        out, err = [], None
        while True:
            res = lib.PQgetResult(self.conn)
            if not res:
                break
            try:
                st = lib.PQresultStatus(res)
                if st == PGRES_TUPLES_OK:
                    for r in range(lib.PQntuples(res)):
                        line = "|".join(lib.PQgetvalue(res, r, c).decode()
                                        for c in range(lib.PQnfields(res)))
                        if line != "":
                            out.append(line)
                elif st in PGRES_ERRORS and err is None:
                    err = lib.PQresultErrorMessage(res).decode(errors="replace").strip()
            finally:
                lib.PQclear(res)
        if err is None and not self._ok():
            err = lib.PQerrorMessage(self.conn).decode(errors="replace").strip()
        return out, err

    def close(self):
        if self.conn is not None:
            self.lib.PQfinish(self.conn)
            self.conn = None


class SnapshotCache:
    """Answers of read-only SELECTs of table rows through session, each
    given again while pg_current_snapshot() reads as when it was made."""

    def __init__(self, session):
        self.session = session
        self.answers = {}
        self.scans = 0

    def get(self, sql):
        # The snapshot first: a write ending during the scan changes what
        # the next call reads, which scans again.
        snap = self.session.query("SELECT pg_current_snapshot()")
        hit = self.answers.get(sql)
        if hit is not None and hit[0] == snap:
            return list(hit[1])
        rows = self.session.query(sql)
        self.answers[sql] = (snap, rows)
        self.scans += 1
        return list(rows)
