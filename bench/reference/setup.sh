#!/usr/bin/env bash
# Makes the Python environments of the reference libraries for
# `cargo run -p bench --release --bin compare`:
#
#   bench/reference/.venv/seal     tenseal==0.3.18 (SEAL 4 inside)
#   bench/reference/.venv/openfhe  openfhe 1.6.1
#
# The openfhe 1.6.1.0.22.4 wheel carries only a CPython 3.10 module; its
# newer 1.6.1 builds need Python >= 3.12. This script uses whichever
# interpreter fits (python3.x on PATH, or under ~/.pyenv/versions). A
# library that cannot be installed is reported and skipped: the driver then
# says so in its report instead of failing. Run it again to retry; an
# environment that already imports its library is kept.

set -u
here="$(cd "$(dirname "$0")" && pwd)"
venvs="$here/.venv"
mkdir -p "$venvs"

# The first interpreter among the given minor versions (e.g. 3.10).
find_python() {
    for v in "$@"; do
        for c in "python$v" "$HOME"/.pyenv/versions/"$v".*/bin/python "/usr/bin/python$v" "/usr/local/bin/python$v"; do
            if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import venv, ensurepip' >/dev/null 2>&1; then
                command -v "$c"
                return 0
            fi
        done
    done
    return 1
}

# make_env NAME IMPORT-CHECK "PIP SPEC" PYTHON-VERSIONS...
make_env() {
    local name="$1" check="$2" spec="$3"
    shift 3
    local env="$venvs/$name"
    if [ -x "$env/bin/python" ] && "$env/bin/python" -c "$check" >/dev/null 2>&1; then
        echo "$name: ready ($env)"
        return 0
    fi
    local py
    if ! py="$(find_python "$@")"; then
        echo "$name: NOT INSTALLED: no Python $* with venv found" >&2
        return 1
    fi
    rm -rf "$env"
    if "$py" -m venv "$env" \
        && "$env/bin/python" -m pip install --quiet --disable-pip-version-check $spec \
        && "$env/bin/python" -c "$check"; then
        echo "$name: installed $spec with $("$env/bin/python" --version 2>&1) ($env)"
    else
        echo "$name: NOT INSTALLED: pip install $spec failed with $py" >&2
        rm -rf "$env"
        return 1
    fi
}

status=0
make_env seal "import tenseal, tenseal.sealapi" "tenseal==0.3.18" 3.11 3.10 3.12 3.9 3.8 || status=1
if ! make_env openfhe "import openfhe" "openfhe==1.6.1.0.22.4" 3.10; then
    make_env openfhe "import openfhe" "openfhe==1.6.1.*" 3.12 3.13 || status=1
fi
if [ $status -ne 0 ]; then
    echo "some references are missing; the comparison will run without them and say so" >&2
fi
exit 0
