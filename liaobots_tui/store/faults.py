"""Storage faults as one-line :class:`~liaobots_tui.errors.StorageError` messages.

SQLite and the file system report a full disk, a read-only directory, a lock held
too long or a damaged file as exceptions whose text means little to a user (and
whose traceback means less). :func:`storage_error` names the file and says what to
do; :func:`translated` applies it around a block of store code.
"""

from __future__ import annotations

import contextlib
import errno
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from liaobots_tui.errors import StorageError

# SQLite's messages for its result codes (sqlite3_errstr), matched by substring because
# Python 3.11 has no sqlite_errorcode on every build we run on.
_FULL = ("database or disk is full", "disk i/o error")
_LOCKED = ("database is locked", "database table is locked")
_READ_ONLY = ("readonly database", "read-only")
_DAMAGED = ("no such table", "no such column", "malformed", "not a database", "corrupt")
_CANNOT_OPEN = ("unable to open database file",)

_OS_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_OS_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}


def storage_error(exc: BaseException, db_path: Path) -> StorageError:
    """The one-line error for ``exc``, raised while using the history at ``db_path``."""
    if isinstance(exc, OSError) and not isinstance(exc, sqlite3.Error):
        return _os_error(exc)
    text = " ".join(str(exc).split()) or type(exc).__name__
    lowered = text.lower()
    where = db_path.parent
    if any(key in lowered for key in _FULL):
        return StorageError(
            f"the disk holding {where} is full or failing: cannot save {db_path.name} ({text})"
        )
    if any(key in lowered for key in _LOCKED):
        return StorageError(
            f"{db_path} stayed locked by another program; close other liaobots windows and try again"
        )
    if any(key in lowered for key in _READ_ONLY):
        return StorageError(f"{db_path} is read-only; check the permissions of {where}")
    if any(key in lowered for key in _DAMAGED):
        return StorageError(
            f"{db_path} is damaged ({text}); move it aside to start a new history"
            if "not a database" not in lowered
            else f"{db_path}: cannot use history database ({text})"
        )
    if any(key in lowered for key in _CANNOT_OPEN):
        return StorageError(f"cannot open {db_path}: check that {where} is a writable directory")
    return StorageError(f"{db_path}: history database error ({text})")


def _os_error(exc: OSError) -> StorageError:
    name = exc.filename if exc.filename is not None else "a history file"
    reason = exc.strerror or type(exc).__name__
    if exc.errno in _OS_FULL:
        return StorageError(f"the disk is full: cannot write {name}")
    if exc.errno in _OS_READ_ONLY:
        return StorageError(f"cannot write {name}: {reason} (the data directory is read-only or not yours)")
    return StorageError(f"cannot write {name}: {reason}")


#: SQLite errors that are faults of the file or the machine, not bugs in our SQL use.
_FAULTS: tuple[type[BaseException], ...] = (sqlite3.OperationalError, sqlite3.DatabaseError, OSError)
#: Subclasses of the above that mean a bug (closed connection, bad binding): let them surface.
_BUGS: tuple[type[BaseException], ...] = (
    sqlite3.ProgrammingError,
    sqlite3.InterfaceError,
    sqlite3.IntegrityError,
)


@contextlib.contextmanager
def translated(db_path: Path) -> Iterator[None]:
    """Run a block, turning storage faults into :class:`StorageError` (bugs pass through)."""
    try:
        yield
    except _BUGS:
        raise
    except _FAULTS as exc:
        raise storage_error(exc, db_path) from exc
