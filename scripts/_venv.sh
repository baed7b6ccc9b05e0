# Shared by scripts/demo and scripts/test: create .venv and install modelswap into it.
VENV="${MODELSWAP_VENV:-.venv}"
ensure_venv() {
  local extra="${1:-}"
  local stamp="$VENV/.installed${extra:+-$extra}"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "modelswap: creating $VENV (first run only)"
    python3 -m venv "$VENV"
  fi
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "modelswap: installing modelswap${extra:+[$extra]} and its dependencies into $VENV (first run: a few minutes)"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    # one line per package as pip collects it, so a slow first install is visibly moving; the whole log is kept
    if ! "$VENV/bin/python" -m pip install --progress-bar off -e ".${extra:+[$extra]}" 2>&1 \
      | tee "$VENV/pip-install.log" \
      | { grep --line-buffered -E '^Collecting ' || true; } | sed -u -e 's/^Collecting /  collecting /'; then
      echo "modelswap: pip install failed; the log is in $VENV/pip-install.log:" >&2
      tail -n 15 "$VENV/pip-install.log" >&2
      exit 1
    fi
    touch "$stamp"
    echo "modelswap: $VENV is ready"
  fi
}
