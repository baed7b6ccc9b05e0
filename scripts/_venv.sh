# Shared by scripts/demo and scripts/test: create .venv and install modelswap into it.
VENV="${MODELSWAP_VENV:-.venv}"
ensure_venv() {
  local extra="${1:-}"
  local stamp="$VENV/.installed${extra:+-$extra}"
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
  fi
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e ".${extra:+[$extra]}"
    touch "$stamp"
  fi
}
