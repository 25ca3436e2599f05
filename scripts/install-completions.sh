#!/usr/bin/env bash
# Installs collapse's shell completions (bash, zsh, fish) and its man page.
#
#   scripts/install-completions.sh [--prefix DIR] [--binary PATH] [--no-man]
#
# Where (user level, the default):
#   ${XDG_DATA_HOME:-~/.local/share}/bash-completion/completions/collapse   (bash-completion loads it)
#   ${XDG_DATA_HOME:-~/.local/share}/zsh/site-functions/_collapse          (add the directory to fpath)
#   ${XDG_CONFIG_HOME:-~/.config}/fish/completions/collapse.fish           (fish loads it)
#   ${XDG_DATA_HOME:-~/.local/share}/man/man1/collapse.1                   (man finds it when ~/.local/bin is on PATH)
# With --prefix DIR (e.g. /usr/local, which needs write access): DIR/share/bash-completion/completions/
# collapse, DIR/share/zsh/site-functions/_collapse, DIR/share/fish/vendor_completions.d/collapse.fish,
# DIR/share/man/man1/collapse.1.
#
# The completion scripts are the binary's own (`collapse --generate-completion-script SHELL`, from
# swift-argument-parser): they complete subcommands, flags, enumerated values (models, datasets,
# presets, formats, experiments, engines, ...) and file paths, and call back into the binary for a
# family's parameter flags (`collapse simulate --<TAB>`, `--regimes <TAB>`), which come from the
# family's parameter list. The binary is --binary, else .build/release/collapse of this checkout,
# else `collapse` on PATH. The man page is the binary's too (`collapse generate-manual`: every command's
# help as one man(7) page, formulas kept in UTF-8; argument-parser's generate-manual plugin drops every
# non-ASCII character, so it is not used); --no-man skips it.
#
# Idempotent: a file already holding the current content is left alone. Rerun after updating collapse.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="" binary="" no_man=false
while (($#)); do
    case "$1" in
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --binary) binary="${2:?--binary needs the path of the collapse binary}"; shift 2 ;;
    --no-man) no_man=true; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-completions: unknown option '$1'; allowed: --prefix DIR, --binary PATH, --no-man" >&2; exit 64 ;;
    esac
done

if [ -z "$binary" ]; then
    if [ -x "$root/.build/release/collapse" ]; then binary="$root/.build/release/collapse"
    elif command -v collapse >/dev/null 2>&1; then binary="$(command -v collapse)"
    else echo "install-completions: no collapse binary; build it (swift build -c release) or pass --binary PATH" >&2; exit 1
    fi
fi
[ -x "$binary" ] || { echo "install-completions: --binary $binary is not an executable file" >&2; exit 64; }

if [ -n "$prefix" ]; then
    bash_dir="$prefix/share/bash-completion/completions" zsh_dir="$prefix/share/zsh/site-functions"
    fish_dir="$prefix/share/fish/vendor_completions.d" man_dir="$prefix/share/man/man1"
else
    data="${XDG_DATA_HOME:-$HOME/.local/share}"
    bash_dir="$data/bash-completion/completions" zsh_dir="$data/zsh/site-functions"
    fish_dir="${XDG_CONFIG_HOME:-$HOME/.config}/fish/completions" man_dir="$data/man/man1"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# put SOURCE DESTINATION: installs SOURCE as DESTINATION (mode 644) unless it already holds it.
put() {
    if cmp -s "$1" "$2"; then echo "up to date: $2"; return; fi
    mkdir -p "$(dirname "$2")"
    cp "$1" "$2.tmp.$$" && chmod 644 "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
    echo "installed: $2"
}

for shell in bash zsh fish; do
    "$binary" --generate-completion-script "$shell" >"$work/$shell"
    [ -s "$work/$shell" ] || { echo "install-completions: $binary wrote no $shell completion script" >&2; exit 1; }
done
put "$work/bash" "$bash_dir/collapse"
put "$work/zsh" "$zsh_dir/_collapse"
put "$work/fish" "$fish_dir/collapse.fish"

if ! $no_man; then
    "$binary" generate-manual >"$work/collapse.1"
    [ -s "$work/collapse.1" ] || { echo "install-completions: $binary wrote no man page" >&2; exit 1; }
    put "$work/collapse.1" "$man_dir/collapse.1"
fi

if [ -z "$prefix" ]; then
    case ":${FPATH:-}:" in *":$zsh_dir:"*) ;; *) echo "zsh: add 'fpath=($zsh_dir \$fpath)' before compinit in ~/.zshrc" ;; esac
fi
