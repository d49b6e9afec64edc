"""Writing files atomically and formula-safe.

Every file is written to a temporary file in the same folder and renamed into place only when the
write succeeded, so an interrupted run never leaves a half-written output. Text cells a
spreadsheet would run as formulas are neutralised.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["atomic_write", "atomic_save", "safe_cell", "write_frame"]


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
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(handle)
    try:
        yield tmp
        _share_mode(tmp, target)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


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
