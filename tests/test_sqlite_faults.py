"""The SQLite adapter on a failing disk: a full filesystem and a read-only one, for real.

The filesystems are small tmpfs mounts (the suite runs as root in CI); where mounting is not
permitted the tests are skipped with the reason.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from notifpolicy import Channel, StorageError
from notifpolicy._outbox import OutboxItem
from notifpolicy.adapters.sqlite import SqliteStore

T0 = dt.datetime(2026, 3, 28, 21, 0, tzinfo=dt.UTC)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs of its own."""
    where = tmp_path / f"disk-{uuid.uuid4().hex[:8]}"
    where.mkdir()
    mounted = _run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield where
    finally:
        _run("umount", "-l", str(where))


def _fill(disk: Path) -> Path:
    """Fill the filesystem to the last byte; the filler file is returned to free it again."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while _write_all(fd, b"\0" * 4096):
            pass
    finally:
        os.close(fd)
    return filler


def _write_all(fd: int, data: bytes) -> bool:
    """Write ``data``; ``False`` once the disk is full."""
    try:
        os.write(fd, data)
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        return False
    return True


def item(n: int, *, size: int = 100) -> OutboxItem:
    return OutboxItem(
        id=f"ws:item:{n}",
        workspace_id="ws",
        event_id=f"e{n}",
        conversation_id=None,
        recipient="anna",
        channel=Channel.EMAIL,
        kinds=("mention",),
        due_at=T0,
        text="x" * size,
    )


@pytest.mark.parametrize("size", [100, 200_000], ids=["small-write", "large-write"])
def test_a_full_disk_is_a_storage_error_and_writes_nothing(small_disk: Path, size: int):
    with SqliteStore(small_disk / "s.sqlite3") as store:
        assert store.claim("ws:k0", [item(0)])
        filler = _fill(small_disk)
        # A small write may fail only at COMMIT (its pages fit in the cache), a large one while
        # the rows are written: either way the error is ours, and nothing is half-written.
        errors = []
        for n in range(1, 40):
            try:
                store.claim(f"ws:k{n}", [item(n, size=size), item(100 + n, size=size)])
            except StorageError as exc:
                errors.append(exc)
                break
        assert errors, "the disk never filled up"
        (error,) = errors
        assert "cannot" in str(error)
        assert "no transaction is active" not in str(error)
        claimed = store.claimed(f"ws:k{n}" for n in range(40))
        stored = {i.id for i in store.items("ws")}
        # Each claim landed whole (its key and both items) or not at all.
        for key in claimed:
            k = int(key.rpartition("k")[2])
            assert {f"ws:item:{k}", f"ws:item:{100 + k}"} <= stored or k == 0
        assert len(stored) == 1 + 2 * (len(claimed) - 1)
        failed_key = f"ws:k{len(claimed)}"
        assert failed_key not in claimed
        # Space again: the same store goes on, and the failed claim can be made now.
        filler.unlink()
        assert store.claim(failed_key, [item(999)])
        assert "ws:item:999" in {i.id for i in store.items("ws")}


def test_a_read_only_filesystem_is_a_storage_error(small_disk: Path, tmp_path: Path):
    read_only = tmp_path / f"ro-{uuid.uuid4().hex[:8]}"
    read_only.mkdir()
    with SqliteStore(small_disk / "s.sqlite3") as writer:
        writer.enqueue([item(1)])
        bound = _run("mount", "--bind", str(small_disk), str(read_only))
        if bound.returncode != 0:
            pytest.skip(f"cannot bind-mount here: {bound.stderr.strip()}")
        try:
            made_ro = _run("mount", "-o", "remount,bind,ro", str(read_only))
            if made_ro.returncode != 0:
                pytest.skip(f"cannot remount read-only here: {made_ro.stderr.strip()}")
            assert not os.access(read_only, os.W_OK) or _is_read_only_mount(read_only)
            with SqliteStore(read_only / "s.sqlite3") as reader:
                assert [i.id for i in reader.items("ws")] == ["ws:item:1"]
                with pytest.raises(StorageError, match=r"readonly|read-only"):
                    reader.enqueue([item(2)])
                with pytest.raises(StorageError):
                    reader.claim("ws:k", [item(3)])
                assert [i.id for i in reader.items("ws")] == ["ws:item:1"]
        finally:
            _run("umount", "-l", str(read_only))
        assert writer.claimed(["ws:k"]) == frozenset()
        assert [i.id for i in writer.items("ws")] == ["ws:item:1"]


def _is_read_only_mount(path: Path) -> bool:
    return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
