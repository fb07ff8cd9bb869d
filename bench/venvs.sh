# Shared by bench/run and bench/net_run (sourced, not executed): creates or
# reuses the two venvs and checks where each imports layer_cake from.
#
#   bench/.venv-orig   pip install $ORIG_SPEC (seven-layer-cake==1.0.10)
#   bench/.venv-ours   pip install -e <repository root>
#
# Expects HERE (this directory), ROOT (the repository), PY (python3),
# ORIG_SPEC, REINSTALL (0/1) and a say() function from the caller.

# Where a venv's layer_cake comes from (run outside the repository so the
# working tree's layer_cake/ can never be picked up by accident).
module_dir() {
    (cd /tmp && env -u PYTHONPATH "$1" -s -c \
        'import os, layer_cake; print(os.path.dirname(os.path.abspath(layer_cake.__file__)))' 2>/dev/null)
}

setup_orig() {
    local venv=$HERE/.venv-orig
    if [ ! -x "$venv/bin/python" ] || [ -z "$(module_dir "$venv/bin/python")" ]; then
        say "creating $venv ($ORIG_SPEC)"
        "$PY" -m venv "$venv" || return 1
        if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check "$ORIG_SPEC" \
                >"$HERE/.pip-orig.log" 2>&1; then
            cat "$HERE/.pip-orig.log" >&2
            return 1
        fi
    fi
    local dir
    dir=$(module_dir "$venv/bin/python")
    case "$dir" in
        "$venv"/*) return 0 ;;
        *) say "original side imports layer_cake from '$dir', not from $venv"; return 1 ;;
    esac
}

setup_ours() {
    local venv=$HERE/.venv-ours stamp=$HERE/.venv-ours/.installed
    local fresh=0
    if [ ! -x "$venv/bin/python" ]; then
        say "creating $venv"
        "$PY" -m venv "$venv" || return 1
        fresh=1
    fi
    local need=$REINSTALL
    [ $fresh = 1 ] && need=1
    [ -f "$stamp" ] || need=1
    for f in "$ROOT/setup.py" "$ROOT/setup.cfg" "$ROOT/pyproject.toml"; do
        if [ -f "$f" ] && [ -f "$stamp" ] && [ "$f" -nt "$stamp" ]; then need=1; fi
    done
    if [ $need = 1 ]; then
        say "pip install -e $ROOT"
        if "$venv/bin/python" -m pip install -q --disable-pip-version-check -e "$ROOT" \
                >"$HERE/.pip-ours.log" 2>&1; then
            touch "$stamp"
        else
            rm -f "$stamp"
            tail -n 20 "$HERE/.pip-ours.log" >&2
            say "pip install -e $ROOT failed (log: bench/.pip-ours.log)"
            return 1
        fi
    fi
    local dir
    dir=$(module_dir "$venv/bin/python")
    case "$dir" in
        "$ROOT"/*) return 0 ;;
        *) say "our side imports layer_cake from '${dir:-nowhere}', not from $ROOT"; return 1 ;;
    esac
}
