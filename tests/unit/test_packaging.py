"""A built, non-editable wheel still finds the Cypher files and the loaders."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_ships_cypher_files_and_loaders(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            str(REPO),
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    wheel = next(tmp_path.glob("mishon_graph-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (REPO / "cypher").rglob("*.cypher"):
        assert f"mishon_graph/cypher/{path.relative_to(REPO / 'cypher')}" in names
    for path in (REPO / "loaders").glob("*.py"):
        assert f"mishon_graph/loaders/{path.name}" in names

    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    probe = (
        "import mishon_graph.db.cypher_files as c, mishon_graph.loaders as l;"
        "print(c.cypher_root()); print(l.__file__); print(c.load_query('schema/video_id'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    ).stdout.splitlines()
    assert out[0].startswith(str(target)) and out[1].startswith(str(target))
    assert "CREATE CONSTRAINT video_id" in out[2]
