"""Where the lessons database is and how it is reached: SQLite by default, PostgreSQL given a URL.

* :func:`database_url`: the URL to open. With none given, a SQLite file in the data folder
  (``~/.local/share/class-mood/lessons.sqlite3`` unless told another folder). A PostgreSQL URL
  (``DATABASE_URL`` on Heroku, whose ``postgres://`` SQLAlchemy no longer takes) is mapped to the
  psycopg 3 driver. The library never reads the environment: the page passes the URL in.
* :func:`create` makes the engine: SQLite in WAL mode (readers never wait for the writer) with a
  busy timeout, and writes that take the write lock at their start (``BEGIN IMMEDIATE``), so that
  concurrent saves queue up instead of failing; PostgreSQL with a connect timeout and a ping
  before a pooled connection is reused, so that a restarted server is found again.
* :func:`upgrade_to_head` runs the Alembic migrations shipped in ``migrations/``, at start.
* :class:`StorageError`: any failure of the database, in one line a page can show.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

DEFAULT_DATA_DIR = Path("~/.local/share/class-mood")  # expanded when used, never at import
DATABASE_FILE = "lessons.sqlite3"
BUSY_TIMEOUT_MS = 10_000  # a SQLite write waits this long for another's to finish
CONNECT_TIMEOUT_S = 5  # a PostgreSQL server that does not answer in this time is unreachable
MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 0x636C6D64  # PostgreSQL advisory lock: one server at a time migrates
WRITE = {"immediate": True}  # execution options of a connection that writes (SQLite: BEGIN IMMEDIATE)


class StorageError(RuntimeError):
    """The lessons database could not be reached or written: one line, fit to show. ``reason``: the
    cause alone ("connection refused"), without what was being done; ``database_wide``: whether it is
    the database's (unreachable, disk full, locked) rather than one lesson's."""

    def __init__(self, message: str, reason: str | None = None, database_wide: bool = True) -> None:
        super().__init__(message)
        self.reason = reason or message
        self.database_wide = database_wide


def database_url(url: str | None = None, data_dir: Path | None = None) -> str:
    """The URL to open: ``url`` (a ``postgres://`` or ``postgresql://`` one mapped to psycopg 3), or, with
    none, the SQLite file :data:`DATABASE_FILE` in ``data_dir`` (default :data:`DEFAULT_DATA_DIR`)."""
    if not url:
        folder = Path(data_dir or DEFAULT_DATA_DIR).expanduser().resolve()
        return f"sqlite:///{folder / DATABASE_FILE}"
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database (or SQLite in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def shown(url: str) -> str:
    """The URL as it may be shown: its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(a malformed database URL)"


def reason(error: BaseException) -> str:
    """A database error in one line: the driver's own first line, without SQL or parameters."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


def create(url: str) -> Engine:
    """An engine for ``url`` (see :func:`database_url`); a SQLite file's folder is made if missing.
    Raises :class:`StorageError` for a URL it cannot use or a folder it cannot make."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError("the database URL is malformed") from None
    path = sqlite_path(url)
    try:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed, pool_size=5, max_overflow=20, pool_timeout=BUSY_TIMEOUT_MS / 1000)
            _sqlite_events(engine)
        elif parsed.get_backend_name() == "postgresql":
            engine = create_engine(
                parsed,
                pool_size=5,
                max_overflow=20,
                pool_pre_ping=True,
                connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "class-mood"},
            )
        elif parsed.get_backend_name() == "sqlite":
            raise StorageError("a SQLite database in memory keeps nothing: give it a file")
        else:
            raise StorageError(f"{parsed.get_backend_name()} is not supported: use SQLite or PostgreSQL")
    except (OSError, SQLAlchemyError, ImportError) as error:
        cause = reason(error)
        raise StorageError(f"cannot open the lessons database at {shown(url)}: {cause}", cause) from None
    return engine


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        # The driver's own transaction handling is off: the "begin" event below opens each one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")  # in WAL: durable when the process dies, fast commits
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # A write takes the write lock at once: a read that turns into a write inside a WAL
        # transaction fails at once (SQLITE_BUSY_SNAPSHOT) when another wrote meanwhile.
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def transaction(engine: Engine, what: str, write: bool = False) -> Iterator[Connection]:
    """One transaction on ``engine``; any database failure in it raised as :class:`StorageError`,
    ``what`` saying what was being done ("cannot save the lesson")."""
    try:
        with engine.connect() as connection:
            if write:
                connection = connection.execution_options(**WRITE)
            elif engine.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                yield connection
    except (SQLAlchemyError, OSError) as error:
        cause = reason(error)
        wide = isinstance(error, OperationalError | InterfaceError | OSError)
        raise StorageError(f"{what}: {cause}", cause, wide) from None


def upgrade_to_head(engine: Engine, revision: str = "head") -> None:
    """Bring the database's schema to the newest migration shipped with the package (a new database:
    all of them), or to ``revision``. Several servers may start at once: on PostgreSQL one migrates while
    the others wait."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    what = f"cannot open the lessons database at {engine.url.render_as_string(hide_password=True)}"
    with transaction(engine, what, write=True) as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
