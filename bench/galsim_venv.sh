# Sourced by the comparison scripts (from the repository's root): `galsim_venv [MODULE ...]` puts GalSim
# 2.8.5, numpy and the named extra modules into a virtual environment on first use, and sets $venv to it
# ($GALSIM_VENV, default /tmp/galsim-venv).
galsim_venv() {
  venv=${GALSIM_VENV:-/tmp/galsim-venv}
  local check="import galsim"
  local module
  for module in "$@"; do
    check="$check, $module"
  done
  if ! "$venv/bin/python" -c "$check" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "galsim==2.8.5" numpy "$@"
  fi
}
