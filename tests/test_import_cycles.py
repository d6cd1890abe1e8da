"""The import-circle check that `./dev lint` runs (.ci/import_cycles.py), on packages made
for the test, and on cognitia itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECK = ROOT / ".ci" / "import_cycles.py"


def check(package: str, *, path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(path), str(ROOT / "src")])}
    return subprocess.run(
        [sys.executable, str(CHECK), package], env=env, capture_output=True, text=True, timeout=120
    )


def write_package(root: Path, name: str, modules: dict[str, str]) -> None:
    package = root / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    for module, source in modules.items():
        (package / f"{module}.py").write_text(source)


def test_a_circle_fails_the_check_and_is_named(tmp_path: Path) -> None:
    write_package(
        tmp_path,
        "tangled",
        {
            "a": "from tangled import b\n",
            "b": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tangled import c\n",
            "c": "import tangled.a\n",
            "d": "from tangled import a\n",
        },
    )

    result = check("tangled", path=tmp_path)

    assert result.returncode == 1
    [line] = result.stdout.splitlines()
    assert line.startswith("3 modules in a circle, e.g. ")
    circle = line.removeprefix("3 modules in a circle, e.g. ").split(" -> ")
    assert set(circle) == {"tangled.a", "tangled.b", "tangled.c"}
    assert circle[0] == circle[-1]


def test_imports_that_point_one_way_pass(tmp_path: Path) -> None:
    write_package(
        tmp_path, "tidy", {"a": "from tidy import b\n", "b": "from tidy import c\n", "c": ""}
    )

    result = check("tidy", path=tmp_path)

    assert result.returncode == 0, result.stdout
    assert result.stdout.strip() == "no import circles in tidy"


def test_cognitia_has_no_import_circle(tmp_path: Path) -> None:
    result = check("cognitia", path=tmp_path)

    assert result.returncode == 0, result.stdout
