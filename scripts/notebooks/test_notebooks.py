#!/usr/bin/env python3
"""Executes every notebook in this folder against small CSVs written by the collapse CLI.

    python3 scripts/notebooks/test_notebooks.py [--binary .build/release/collapse]

For each notebook: the committed .ipynb matches scripts/notebooks/build_notebooks.py, it executes headless
(nbclient) with COLLAPSE_PAPER_CSV / COLLAPSE_COT_CSV pointing at the small CSVs, no cell produced
an error output, and at least one figure came out (display_data with image/png). Plain Python, no
pytest; about 15-25 s. Prints one PASS/FAIL line per notebook and ends with "N passed, M failed";
exit status 0 when all passed, else 1.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NOTEBOOKS = ["paper-linear", "collapse-or-thrive", "mc-vs-theory"]

SMALL_SWEEPS = {
    "paper": ["sweep", "--experiment", "paper-linear", "--repeats", "20", "--generations", "6"],
    "cot": ["sweep", "--experiment", "collapse-or-thrive-linear", "--repeats", "10", "--generations", "5",
            "--dimension", "1,3", "--samples", "10,32"],
}


class Failure(Exception):
    pass


def resolve_binary(given: str) -> Path:
    path = Path(given)
    if not path.is_absolute() and not path.exists():
        path = ROOT / path  # relative to the repository root when not relative to the working directory
    return path.resolve()


def make_csvs(binary: Path, tmp: Path) -> dict[str, Path]:
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise Failure(f"no collapse binary at {binary}; build it with `swift build -c release` or pass --binary PATH")
    csvs = {}
    for key, args in SMALL_SWEEPS.items():
        out = tmp / key
        command = [str(binary), *args, "--output", str(out), "--quiet"]
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
        if run.returncode != 0:
            raise Failure(f"`{' '.join(command)}` exited {run.returncode}: {run.stderr.strip()}")
        csvs[key] = out / "results.csv"
        if not csvs[key].is_file():
            raise Failure(f"`{' '.join(command)}` wrote no {csvs[key]}")
    return csvs


def check_generated(name: str) -> None:
    sys.path.insert(0, str(HERE))
    try:
        import build_notebooks
    finally:
        sys.path.pop(0)
    path = HERE / f"{name}.ipynb"
    if not path.is_file() or path.read_text(encoding="utf-8") != build_notebooks.render(build_notebooks.build(name)):
        raise Failure(f"{path.name} differs from build_notebooks.py; run python3 scripts/notebooks/build_notebooks.py")


def execute(name: str, kernel_log: Path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(HERE / f"{name}.ipynb", as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(HERE)}})
    with kernel_log.open("w") as log:  # the kernel's own stderr (startup chatter), shown on failure
        client.execute(stderr=log)
    return nb


def check_outputs(nb) -> int:
    images = 0
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                raise Failure(f"cell {index} raised {output.get('ename')}: {output.get('evalue')}")
            if output.get("output_type") == "display_data" and "image/png" in output.get("data", {}):
                images += 1
    if images == 0:
        raise Failure("no figure (display_data image/png) in the executed notebook")
    return images


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/collapse",
                        help="the collapse binary (default: .build/release/collapse, relative to the repository root)")
    args = parser.parse_args()

    started = time.monotonic()
    passed, failed = 0, 0
    with tempfile.TemporaryDirectory(prefix="test-notebooks-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            import nbclient  # noqa: F401
            import nbformat  # noqa: F401
            csvs = make_csvs(resolve_binary(args.binary), tmp)
        except (Failure, ImportError, subprocess.TimeoutExpired) as error:
            message = str(error)
            if isinstance(error, ImportError):
                message += "; install: python3 -m pip install -r scripts/requirements-notebooks.txt"
            for name in NOTEBOOKS:
                print(f"FAIL {name}: {message}")
            print(f"0 passed, {len(NOTEBOOKS)} failed")
            return 1
        os.environ["COLLAPSE_PAPER_CSV"] = str(csvs["paper"])
        os.environ["COLLAPSE_COT_CSV"] = str(csvs["cot"])
        os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

        for name in NOTEBOOKS:
            t0 = time.monotonic()
            kernel_log = tmp / f"{name}.kernel.log"
            try:
                check_generated(name)
                images = check_outputs(execute(name, kernel_log))
                print(f"PASS {name} ({images} figure(s), {time.monotonic() - t0:.1f} s)")
                passed += 1
            except Exception as error:  # noqa: BLE001 — any failure of one notebook is that test's failure
                detail = str(error) if isinstance(error, Failure) else f"{type(error).__name__}: {error}"
                print(f"FAIL {name}: {detail}")
                if kernel_log.is_file() and kernel_log.stat().st_size:
                    tail = kernel_log.read_text(errors="replace").strip().splitlines()[-10:]
                    print("  kernel stderr:\n    " + "\n    ".join(tail))
                failed += 1
    print(f"(total {time.monotonic() - started:.1f} s)")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
