"""The repository as a newcomer clones it: no file carries a half-resolved merge."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKERS = ("<<<<<<< ", ">>>>>>> ")


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    suffixes = {".py", ".md", ".html", ".js", ".css", ".po", ".toml", ".yaml", ".yml", ".txt"}
    return [
        ROOT / name.decode() for name in listed if name and Path(name.decode()).suffix in suffixes
    ]


def test_no_tracked_file_keeps_merge_conflict_markers():
    files = tracked_text_files()
    assert any(path.name == "README.md" for path in files)  # the listing found the repository
    conflicted = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in files
        if path.is_file()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if line.startswith(MARKERS)
    ]
    assert conflicted == []
