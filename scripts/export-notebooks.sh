#!/usr/bin/env bash
# Regenerates the sweep CSVs with the collapse CLI, executes the notebooks in scripts/notebooks/ headless and
# exports each to notebooks-exports/<name>/: <name>.html, <name>.md with its PNGs in <name>_files/,
# and the executed <name>.ipynb when it is under 1 MiB. Also writes notebooks-exports/PROVENANCE.md.
#
#   scripts/export-notebooks.sh                    # sweeps (≈ 10 s + ≈ 1.5 min on 2 cores), then export
#   scripts/export-notebooks.sh --skip-csv         # reuse results/*/results.csv
#   scripts/export-notebooks.sh --cot-repeats 50   # fewer replicates for the collapse-or-thrive sweep
#
# Needs the release binary (swift build -c release) unless --skip-csv, and the Python packages of
# scripts/requirements-notebooks.txt (python3 -m pip install -r scripts/requirements-notebooks.txt).
# Output carries no timestamps: rerunning on the same CSVs and package versions gives the same files.
set -euo pipefail

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

Options:
  --skip-csv           do not run the sweeps; use the CSVs already in results/
  --binary PATH        the collapse binary (default .build/release/collapse)
  --cot-repeats N      override the replicates of the collapse-or-thrive-linear sweep
  --python PY          Python interpreter (default $PYTHON or python3)
  -h, --help           this help
EOF
}

fail() { echo "export-notebooks: $*" >&2; exit 1; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

skip_csv=0
binary=".build/release/collapse"
cot_repeats=""
python="${PYTHON:-python3}"
while (($#)); do
    case "$1" in
        --skip-csv) skip_csv=1 ;;
        --binary) [[ $# -ge 2 ]] || fail "--binary needs a path"; binary="$2"; shift ;;
        --cot-repeats) [[ $# -ge 2 && "$2" =~ ^[0-9]+$ && "$2" -ge 2 ]] || fail "--cot-repeats needs an integer ≥ 2"
                       cot_repeats="$2"; shift ;;
        --python) [[ $# -ge 2 ]] || fail "--python needs an interpreter"; python="$2"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; fail "unknown argument: $1" ;;
    esac
    shift
done

notebooks=(paper-linear collapse-or-thrive mc-vs-theory)
paper_dir="results/paper-linear"
cot_dir="results/collapse-or-thrive-linear"
exports="notebooks-exports"
max_ipynb_bytes=$((1024 * 1024))

# --- prerequisites ---------------------------------------------------------------------------
command -v "$python" >/dev/null 2>&1 || fail "no Python interpreter '$python' (set --python or \$PYTHON)"
"$python" - <<'EOF' || fail "install them with: $python -m pip install -r scripts/requirements-notebooks.txt"
import importlib.util, sys
needed = ["numpy", "pandas", "matplotlib", "nbformat", "nbclient", "nbconvert", "ipykernel"]
missing = [m for m in needed if importlib.util.find_spec(m) is None]
if missing:
    print(f"export-notebooks: missing Python package(s): {', '.join(missing)}", file=sys.stderr)
    sys.exit(1)
EOF
"$python" scripts/notebooks/build_notebooks.py --check \
    || fail "the .ipynb files differ from scripts/notebooks/build_notebooks.py; run: $python scripts/notebooks/build_notebooks.py"

elapsed() { echo "$((SECONDS - $1)) s"; }

# --- (a) CSVs --------------------------------------------------------------------------------
if ((skip_csv)); then
    for csv in "$paper_dir/results.csv" "$cot_dir/results.csv"; do
        [[ -f "$csv" ]] || fail "--skip-csv: $csv is missing; run without --skip-csv to generate it"
    done
else
    [[ -x "$binary" ]] || fail "no collapse binary at $binary; build it with 'swift build -c release' (or pass --binary PATH, or --skip-csv to reuse results/)"
    t0=$SECONDS
    echo "export-notebooks: sweep paper-linear → $paper_dir" >&2
    "$binary" sweep --experiment paper-linear --output "$paper_dir" --force --quiet
    echo "export-notebooks: sweep paper-linear done in $(elapsed "$t0")" >&2
    t0=$SECONDS
    extra=()
    [[ -n "$cot_repeats" ]] && extra=(--repeats "$cot_repeats")
    echo "export-notebooks: sweep collapse-or-thrive-linear${cot_repeats:+ (--repeats $cot_repeats)} → $cot_dir (takes minutes)" >&2
    "$binary" sweep --experiment collapse-or-thrive-linear "${extra[@]}" --output "$cot_dir" --force --quiet
    echo "export-notebooks: sweep collapse-or-thrive-linear done in $(elapsed "$t0")" >&2
fi

# --- (b) execute, (c) export -----------------------------------------------------------------
tmp="$(mktemp -d "${TMPDIR:-/tmp}/export-notebooks.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# Paths as the notebooks see them (they run with scripts/notebooks/ as working directory): relative, so no
# machine-specific path ends up in the exports.
export COLLAPSE_PAPER_CSV="../../$paper_dir/results.csv"
export COLLAPSE_COT_CSV="../../$cot_dir/results.csv"
export PYDEVD_DISABLE_FILE_VALIDATION=1

nbconvert() {  # nbconvert ARGS... — quiet unless it fails
    local log="$tmp/nbconvert.log"
    if ! "$python" -m nbconvert "$@" >"$log" 2>&1; then
        grep -v "Kernel is running over TCP without encryption" "$log" >&2 || true
        return 1
    fi
}

for name in "${notebooks[@]}"; do
    t0=$SECONDS
    nbconvert --to notebook --execute "scripts/notebooks/$name.ipynb" --output-dir "$tmp" --output "$name" \
        --ExecutePreprocessor.timeout=1200 --ExecutePreprocessor.kernel_name=python3 \
        --ExecutePreprocessor.record_timing=False \
        || fail "executing scripts/notebooks/$name.ipynb failed (error above)"
    out="$exports/$name"
    rm -rf "$out"
    mkdir -p "$out"
    nbconvert --to html "$tmp/$name.ipynb" --output-dir "$out" --output "$name" \
        || fail "HTML export of $name failed"
    nbconvert --to markdown "$tmp/$name.ipynb" --output-dir "$out" --output "$name" \
        || fail "Markdown export of $name failed"
    size=$(wc -c <"$tmp/$name.ipynb")
    if ((size <= max_ipynb_bytes)); then
        cp "$tmp/$name.ipynb" "$out/$name.ipynb"
        kept="executed .ipynb kept"
    else
        kept="executed .ipynb not kept ($((size / 1024)) KiB > $((max_ipynb_bytes / 1024)) KiB)"
    fi
    echo "export-notebooks: $name → $out/ in $(elapsed "$t0") ($kept)" >&2
done

# --- provenance (no timestamps) --------------------------------------------------------------
"$python" - "$paper_dir" "$cot_dir" "$exports/PROVENANCE.md" <<'EOF'
import json, platform, sys
from importlib.metadata import version
from pathlib import Path

paper_dir, cot_dir, target = sys.argv[1:4]
lines = [
    "# Provenance of these exports",
    "",
    "Written by `scripts/export-notebooks.sh`: the notebooks in `scripts/notebooks/` executed headless on the CSVs",
    "below, then exported to HTML and Markdown (+ PNG). Regenerate with `scripts/export-notebooks.sh`.",
    "",
    "| CSV | experiment | seed | d | T | σ² | generations | replicates R | rows | collapse | source commit |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
]
notes = []
defaults = {"paper-linear": 1000, "collapse-or-thrive-linear": 100}
for d in (paper_dir, cot_dir):
    csv = Path(d) / "results.csv"
    m = json.loads((Path(d) / "manifest.json").read_text()) if (Path(d) / "manifest.json").is_file() else {}
    p = m.get("parameters", {})
    rows = sum(1 for _ in csv.open()) - 1
    fmt = lambda v: ", ".join(f"{x:g}" if isinstance(x, float) else str(x) for x in v) if isinstance(v, list) else str(v)
    lines.append(f"| `{csv}` | {p.get('name', '?')} | {m.get('seed', '?')} | {fmt(p.get('dimension', '?'))} | "
                 f"{fmt(p.get('samples', '?'))} | {fmt(p.get('noise_variance', '?'))} | {fmt(p.get('generations', '?'))} | "
                 f"{fmt(p.get('repeats', '?'))} | {rows} | {m.get('version', '?')} | `{m.get('git_commit', '?')}` |")
    name, repeats = p.get("name"), p.get("repeats")
    repeats = repeats[0] if isinstance(repeats, list) and len(repeats) == 1 else repeats
    if name in defaults and repeats != defaults[name]:
        notes.append(f"- **{name} ran with R = {repeats} replicates per cell**, not the experiment's "
                     f"{defaults[name]} (`--repeats {repeats}`), to bound the sweep's run time.")
lines += [""] + (notes + [""] if notes else [])
packages = ["numpy", "pandas", "matplotlib", "nbformat", "nbclient", "nbconvert", "ipykernel"]
lines.append(f"Python {platform.python_version()}; " + ", ".join(f"{p} {version(p)}" for p in packages) + ".")
Path(target).write_text("\n".join(lines) + "\n", encoding="utf-8")
EOF
echo "export-notebooks: wrote $exports/{$(IFS=,; echo "${notebooks[*]}")}/ and $exports/PROVENANCE.md" >&2
