import os

import pytest

from attndyn.model.errors import UserError
from attndyn.model.outputs import atomic_file, check_writable


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "x.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_file(target) as stream:
        stream.write(b"half")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]


def test_check_writable_names_the_problem(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        check_writable(tmp_path / "missing" / "a.png")
    with pytest.raises(UserError, match="is a directory"):
        check_writable(tmp_path)
    with pytest.raises(UserError, match=r"must end in \.png"):
        check_writable(tmp_path / "a.jpg", suffix=".png")
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(UserError, match="not writable"):
            check_writable(locked / "a.png")
