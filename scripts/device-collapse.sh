# Sourced by the one-call device scripts (scripts/gpu-lm.sh, scripts/device-cpu.sh): starts
# `collapse` from the bundle of scripts/device-bundle.sh on a machine without Swift.
#
#   device_collapse BUNDLE WORKDIR    # needs the caller's say(); sets collapse_bin, collapse_version
#
# Unpacks BUNDLE with Python's tarfile into WORKDIR/bundle and writes WORKDIR/collapse, a wrapper
# that execs the loader with the bundle's libraries (as LD_LIBRARY_PATH would, but not inherited
# by the programs collapse starts, such as a trainer whose PyTorch must see the system's
# libstdc++ and CUDA libraries; exec keeps signals going to collapse itself). When the bundled
# collapse does not start (the bundle's libstdc++ needs glibc 2.36), it retries with the system's
# libstdc++ and libgcc_s. Exits 2, saying why, when there is no bundle or collapse cannot start.
device_collapse() {
    local bundle=$1 work=$2 lib
    [[ -f "$bundle" ]] || { say "no $bundle: build it with scripts/device-bundle.sh and carry .device"; exit 2; }
    rm -rf "$work/bundle"
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$bundle" "$work/bundle"
    lib="$work/bundle/collapse-bundle/lib"
    collapse_bin="$work/collapse"
    printf '#!/bin/sh\nexec /lib64/ld-linux-x86-64.so.2 --library-path %s %s "$@"\n' "$lib" "$work/bundle/collapse-bundle/collapse" > "$collapse_bin"
    chmod +x "$collapse_bin"
    if ! collapse_version=$("$collapse_bin" --version 2>&1); then
        say "the bundled collapse did not start ($collapse_version); retrying with the system's libstdc++ and libgcc_s"
        rm -f "$lib"/libstdc++.so.* "$lib"/libgcc_s.so.*
        collapse_version=$("$collapse_bin" --version 2>&1) || {
            say "collapse does not start here: $collapse_version ($(ldd --version | head -1))"
            exit 2
        }
    fi
    say "collapse $collapse_version from $bundle ($(head -1 "$work/bundle/collapse-bundle/BUNDLE.txt" 2> /dev/null || echo '?'))"
}
