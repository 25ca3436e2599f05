#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build and test the toolkit:
# LAPACKE + OpenBLAS (Debian's liblapacke-dev, libopenblas-dev, and the pthreads build of
# OpenBLAS, libopenblas0-pthread, which the collapse binary loads through its run path: the one
# Debian build that is safe for concurrent callers; see Package.swift), rsvg-convert (Debian's
# librsvg2-bin, with the DejaVu fonts the figures name: `collapse plot --format png|pdf` and the PNG
# that `collapse reproduce` writes beside its SVG) and the Python packages the notebooks need
# (pandas, matplotlib, nbconvert, ...). Idempotent: installs nothing when everything is present.
# The Swift toolchain (6.0 or later) and python3 with pip must already be on PATH.
set -euo pipefail

packages=(liblapacke-dev libopenblas-dev libopenblas0-pthread librsvg2-bin fonts-dejavu-core)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
    echo "install-deps: installing ${missing[*]}" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Python packages for the notebooks (executed by the test suite and scripts/export-notebooks.sh).
here="$(cd "$(dirname "$0")" && pwd)"
if ! python3 -c "import pandas, matplotlib, nbformat, nbclient, nbconvert, ipykernel" >/dev/null 2>&1; then
    echo "install-deps: installing the notebook Python packages (scripts/requirements-notebooks.txt)" >&2
    python3 -m pip install -q --disable-pip-version-check -r "$here/requirements-notebooks.txt"
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: no 'swift' on PATH; install a Swift 6 toolchain (swift.org) first" >&2
    exit 1
fi

# Package.swift links the Swift runtime and Foundation into collapse (-static-stdlib): the
# toolchain's static libraries, which swift.org's Linux toolchains ship.
static_libs="$(dirname "$(readlink -f "$(command -v swift)")")/../lib/swift_static/linux"
if [[ "$(uname -s)" == Linux && ! -e "$static_libs/libFoundation.a" ]]; then
    echo "install-deps: this Swift toolchain has no static runtime ($static_libs/libFoundation.a)," \
        "which collapse is linked with; install a swift.org toolchain" >&2
    exit 1
fi
