#!/usr/bin/env bash
# Packs `collapse` for a machine that has no Swift (the lent GPU machine: PyTorch, no Swift, no
# network): the release build (its Swift runtime linked in, Package.swift), stripped, with the
# shared libraries `ldd` lists beyond glibc's own (OpenBLAS, LAPACK(E), gfortran, quadmath,
# libstdc++, ...), as one .tar.xz
# in .device/ (git-ignored), then checks the bundle as the device will use it: unpacked with
# Python's tarfile into a temporary directory, its libraries found through the bundle's lib/
# (`ldd` must resolve the BLAS libraries there), `collapse data stories` and a small
# `collapse simulate` (LAPACK) run, and the exported stories equal the unbundled build's.
#
#   scripts/device-bundle.sh          # builds (minutes the first time), packs, verifies
#
# Prints the bundle's path, size and SHA-256; fails above 30 MB. It builds in the ordinary .build/.
# On the device (scripts/device-collapse.sh does this for gpu-lm.sh and device-cpu.sh):
#   python3 -c 'import tarfile,sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
#       .device/collapse-bundle.tar.xz /tmp/b
#   LD_LIBRARY_PATH=/tmp/b/collapse-bundle/lib /tmp/b/collapse-bundle/collapse --version
# or, so that programs collapse starts (a trainer) do not inherit the path:
#   /lib64/ld-linux-x86-64.so.2 --library-path /tmp/b/collapse-bundle/lib /tmp/b/collapse-bundle/collapse …
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
build="$root/.build"
out="$root/.device"
bundle="$out/collapse-bundle.tar.xz"
limit=$((30 * 1000 * 1000))

echo "device-bundle: swift build -c release --product collapse" >&2
swift build -c release --product collapse >&2
binary="$build/release/collapse"
[[ -x "$binary" ]] || { echo "device-bundle: the build left no $binary" >&2; exit 1; }
if ldd "$binary" | grep -q 'libswiftCore'; then
    echo "device-bundle: $binary loads the Swift runtime as a shared library; Package.swift links it statically on Linux" >&2
    exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/device-bundle.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
stage="$tmp/stage/collapse-bundle"
mkdir -p "$stage/lib"
strip -o "$stage/collapse" "$binary"

# Every library ldd resolves, except glibc's own (those the target system has anyway, and
# which must match its loader). Copied under the name ldd shows (the soname), links followed.
glibc='^(linux-vdso|ld-linux[^ ]*|libc|libm|libpthread|libdl|librt|libresolv|libutil|libmvec)\.so'
missing=$(ldd "$binary" | awk '/not found/ {print $1}')
[[ -z "$missing" ]] || { echo "device-bundle: ldd finds no $missing here; install it first (scripts/install-deps.sh)" >&2; exit 1; }
while read -r name path; do
    [[ "$name" =~ $glibc ]] && continue
    cp -L "$path" "$stage/lib/$name"
done < <(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}')

{
    echo "collapse $(git describe --always --dirty 2>/dev/null || echo unknown), built $(date -u +%Y-%m-%dT%H:%MZ) on $(. /etc/os-release && echo "$PRETTY_NAME"), $(ldd --version | head -1)"
    echo "needs glibc $(objdump -T "$stage/collapse" "$stage"/lib/*.so* 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -Vu | tail -1 | sed 's/GLIBC_//') or newer"
    echo "libraries:"
    (cd "$stage/lib" && ls -1)
} > "$stage/BUNDLE.txt"

mkdir -p "$out"
tar -C "$tmp/stage" -cJf "$tmp/bundle.tar.xz" collapse-bundle
mv "$tmp/bundle.tar.xz" "$bundle"
size=$(stat -c %s "$bundle")

# Verify as the device will: Python's tarfile, the bundle's lib/ only.
check="$tmp/check"
mkdir -p "$check"
python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$bundle" "$check"
b="$check/collapse-bundle"
resolved=$(LD_LIBRARY_PATH="$b/lib" ldd "$b/collapse")
for lib in libopenblas liblapack libblas liblapacke libgfortran; do
    if ! grep -q "^[[:space:]]*$lib[^ ]* => $b/lib/" <<< "$resolved"; then
        if grep -q "^[[:space:]]*$lib" <<< "$resolved"; then
            echo "device-bundle: $lib does not resolve to the bundle's copy:" >&2
            echo "$resolved" >&2
            exit 1
        fi
    fi
done
(
    cd "$check"
    LD_LIBRARY_PATH="$b/lib" "$b/collapse" data stories --count 10 --seed 1 --output x.txt > /dev/null
    "$binary" data stories --count 10 --seed 1 --output y.txt > /dev/null
    cmp -s x.txt y.txt || { echo "device-bundle: the bundled binary's stories differ from the build's" >&2; exit 1; }
    LD_LIBRARY_PATH="$b/lib" "$b/collapse" simulate --dimension 4 --samples 20 --generations 3 --repeats 4 \
        --seed 1 --threads 1 --quiet --output sim > /dev/null
    [[ -s sim/results.csv ]] || { echo "device-bundle: the bundled collapse simulate wrote no results.csv" >&2; exit 1; }
    # The form gpu-lm.sh uses: the loader's own --library-path, not inherited by child processes.
    /lib64/ld-linux-x86-64.so.2 --library-path "$b/lib" "$b/collapse" data stories --count 10 --seed 1 --output z.txt > /dev/null
    cmp -s x.txt z.txt || { echo "device-bundle: the loader-started binary's stories differ" >&2; exit 1; }
)
echo "device-bundle: verified (tarfile unpack; ldd resolves the BLAS/LAPACK libraries to the bundle; data stories and simulate ran)" >&2
sed 's/^/  /' "$b/BUNDLE.txt" >&2

echo "$bundle: $size bytes ($(awk -v s="$size" 'BEGIN {printf "%.1f", s / 1e6}') MB), sha256 $(sha256sum "$bundle" | cut -d' ' -f1)"
if ((size > limit)); then
    echo "device-bundle: the bundle is over $((limit / 1000000)) MB" >&2
    exit 1
fi
