"""Writing files atomically and formula-safe.

Every file is written to a temporary file in the same folder and renamed into place only when the
write succeeded, so an interrupted run never leaves a half-written output. Text cells a
spreadsheet would run as formulas are neutralised.

A temporary file is named ``.{name}.{pid}.{random}{suffix}``: unique to the process and the call,
so two processes writing the same file never touch each other's temporary files, and one left by
a killed process says whose it was (:func:`temporary_files` finds them). A failed write removes
only its own temporary file. An ``OSError`` (a full disk, a read-only or missing folder, a
permission) propagates with ``filename`` set to the file being written.

:class:`FolderLock` lets processes that write the same folder take turns (a batch holds one per
job).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import socket
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["atomic_write", "atomic_save", "safe_cell", "write_frame", "write_workbook", "temporary_files",
           "write_failure", "FolderLock"]


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", **kwargs: Any) -> Iterator[Any]:
    """Open a temporary file beside ``path``; rename it onto ``path`` only if the block succeeds."""
    with _replacing(path, suffix=".tmp") as tmp, open(tmp, mode, **kwargs) as stream:
        yield stream


def atomic_save(path: str | os.PathLike, save: Callable[[str], Any]) -> str:
    """Call ``save(tmp_path)`` then rename onto ``path``: for writers that want a file name."""
    # the temporary file keeps the suffix: writers such as Excel's choose the format by it
    with _replacing(path, suffix=Path(path).suffix) as tmp:
        save(tmp)
    return str(Path(path))


@contextlib.contextmanager
def _replacing(path: str | os.PathLike, *, suffix: str) -> Iterator[str]:
    """A temporary file name beside ``path``, renamed onto it when the block succeeds, else removed."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=suffix,
                                       dir=target.parent)
    except OSError as exc:
        raise _naming(exc, target) from None
    os.close(handle)
    try:
        yield tmp
        _share_mode(tmp, target)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _naming(exc, target) from None
        raise


def _naming(exc: OSError, path: Path) -> OSError:
    """``exc`` with ``filename`` set (a failed ``write`` says nothing of the file it wrote to)."""
    if exc.filename is None or str(exc.filename).startswith(str(path.parent / f".{path.name}.")):
        exc.filename = str(path)
    return exc


def temporary_files(folder: str | os.PathLike, names: tuple[str, ...]) -> list[Path]:
    """Temporary files of :func:`atomic_write` for ``names`` in ``folder`` (left by a killed writer).

    Only the caller knows whether their writers are gone: call it where no other process writes
    those files (a batch holds the job's lock).
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    prefixes = tuple(f".{name}." for name in names)
    return [item for item in folder.iterdir() if item.name.startswith(prefixes) and item.is_file()]


#: What a person can do about a failed write, by errno: (what happened, what to do, exit status).
#: Path problems the user can fix exit 2, like bad input; a full disk exits 1, like any failure.
_WRITE_FAILURES = {
    errno.ENOSPC: ("the disk is full", "free some space, or write elsewhere, and run again", 1),
    errno.EDQUOT: ("the disk quota is used up", "free some space, or write elsewhere, and run again", 1),
    errno.EROFS: ("the file system is read-only", "choose a folder on a writable disk", 2),
    errno.EACCES: ("permission denied", "choose a folder you may write to, or change its permissions", 2),
    errno.EPERM: ("permission denied", "choose a folder you may write to, or change its permissions", 2),
    errno.EEXIST: ("a file is in the way of a folder", "choose a folder, or move the file away", 2),
    errno.ENOTDIR: ("a file is in the way of a folder", "choose a folder, or move the file away", 2),
    errno.EISDIR: ("is a folder", "name a file, not a folder", 2),
    errno.ENOENT: ("no such folder, and it cannot be made here", "choose another folder", 2),
    errno.ENAMETOOLONG: ("the name is too long", "choose a shorter path", 2),
}


def write_failure(exc: OSError) -> tuple[str, int]:
    """One line saying which file could not be written, why and what to do; and the exit status.

    >>> write_failure(OSError(errno.ENOSPC, "No space left on device", "out/report.html"))
    ('cannot write out/report.html: the disk is full (free some space, or write elsewhere, and run again)', 1)
    >>> write_failure(FileExistsError(errno.EEXIST, "File exists", "out"))[1]
    2
    """
    what, hint, status = _WRITE_FAILURES.get(exc.errno, (exc.strerror or str(exc), "", 1))
    where = exc.filename if exc.filename is not None else "a file"
    return f"cannot write {where}: {what}" + (f" ({hint})" if hint else ""), status


class FolderLock:
    """An advisory lock on a folder, for the processes that write into it: one at a time.

    The lock is ``flock`` on a file ``.lock`` in the folder (made, with the folder, when needed).
    The kernel releases it when its holder exits, however it exits (a SIGKILL too), so a lock is
    never left held by a dead process. :meth:`release` removes the lock file while still holding
    it, and the folder too when the lock made it and nothing else was put there; a process that
    was waiting on the removed file notices (its file is no longer the one at the path) and locks
    the new one, so two processes never both hold the lock.

    The holder writes a token into the lock file (``token``: host, pid and a random part);
    :meth:`holds` tells a helper process (a Dask worker writing on the holder's behalf) whether
    the lock it was sent with is still held.

    Parameters
    ----------
    folder : path
    name : str
        The lock file's name in the folder.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "job"
    >>> first, second = FolderLock(folder), FolderLock(folder)
    >>> first.acquire(), second.acquire(blocking=False)
    (True, False)
    >>> first.release(); second.acquire(blocking=False)
    True
    >>> second.release(); folder.exists()          # made by the lock, left empty: removed
    False
    """

    def __init__(self, folder: str | os.PathLike, name: str = ".lock"):
        self.folder = Path(folder)
        self.path = self.folder / name
        self._fd: int | None = None
        self._made_folder = False
        self.token = ""

    def acquire(self, *, blocking: bool = True) -> bool:
        """Take the lock; without ``blocking``, return False at once when another process has it.

        Raises ``OSError`` (with ``filename``) when the folder cannot be made or written.
        """
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is locked already by this object")
        while True:
            try:
                if not self.folder.is_dir():
                    self.folder.mkdir(parents=True, exist_ok=True)
                    self._made_folder = True
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
            except FileNotFoundError:  # the holder removed its empty folder just now: make it again
                continue
            except OSError as exc:
                raise _naming(exc, self.path) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                os.close(fd)
                return False
            try:
                current = os.stat(self.path)
            except FileNotFoundError:
                current = None
            mine = os.fstat(fd)
            if current is not None and (current.st_dev, current.st_ino) == (mine.st_dev, mine.st_ino):
                self._fd = fd
                self.token = f"{socket.gethostname()} {os.getpid()} {uuid.uuid4().hex}"
                os.ftruncate(fd, 0)
                os.write(fd, self.token.encode())
                return True
            os.close(fd)  # locked a file its holder removed on release: lock the one there now

    def release(self) -> None:
        """Give the lock up (removing its file, and the folder it made if left empty)."""
        if self._fd is None:
            return
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            if self._made_folder:
                with contextlib.suppress(OSError):  # not empty (or in use): kept
                    self.folder.rmdir()
        finally:
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        """Whether this process holds the lock now."""
        return self._fd is not None

    @staticmethod
    def holds(folder: str | os.PathLike, token: str, name: str = ".lock") -> bool:
        """Whether the lock of ``folder`` is held by the holder that was given ``token``."""
        try:
            return (Path(folder) / name).read_text(encoding="utf-8", errors="replace") == token
        except OSError:
            return False

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


def _share_mode(tmp: str, target: Path) -> None:
    """Give the temporary file the mode a plain ``open`` would (mkstemp makes it owner-only)."""
    os.chmod(tmp, 0o666 & ~_umask())


def _umask() -> int:
    # read, not set-and-restore: os.umask would briefly change it for every thread
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (cells starting =, +, -, @, tab, CR)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_cell)
    return out


def write_frame(frame: pd.DataFrame, path: str | os.PathLike, *, index: bool = False) -> str:
    """Write a DataFrame as CSV, JSON or Excel by the path's suffix, atomically and formula-safe."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        safe = _safe_frame(frame)
        with atomic_write(path, newline="", encoding="utf-8") as stream:
            safe.to_csv(stream, index=index)
    elif suffix == ".json":
        with atomic_write(path, encoding="utf-8") as stream:
            frame.to_json(stream, orient="records", indent=2, force_ascii=False)
    elif suffix == ".xlsx":
        safe = _safe_frame(frame)
        atomic_save(path, lambda tmp: safe.to_excel(tmp, index=index))
    else:
        raise ValueError(f"cannot write '{suffix}' files; use .csv, .json or .xlsx")
    return str(path)


def write_workbook(sheets: Mapping[str, pd.DataFrame], path: str | os.PathLike) -> str:
    """Write one Excel sheet per table (formula-safe, atomically); sheet names as given, in order.

    >>> import tempfile, openpyxl
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     sheets = {"matches": pd.DataFrame({"a": [1]}), "notes": pd.DataFrame({"b": ["=1+1"]})}
    ...     path = write_workbook(sheets, f"{folder}/book.xlsx")
    ...     book = openpyxl.load_workbook(path)
    ...     book.sheetnames, book["notes"]["A2"].value
    (['matches', 'notes'], "'=1+1")
    """
    safe = {name[:31]: _safe_frame(frame) for name, frame in sheets.items()}

    def save(tmp: str) -> None:
        with pd.ExcelWriter(tmp) as writer:
            for name, frame in safe.items():
                frame.to_excel(writer, sheet_name=name, index=False)

    return atomic_save(path, save)
