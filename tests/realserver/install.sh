#!/usr/bin/env bash
# Installs the third-party FHIR R4 server used by the integration tests
# (Medplum's @medplum/fhir-router + MemoryRepository, pinned in package.json /
# package-lock.json next to this script) into tests/realserver/.node/.
# Needs node (>= 20) and npm, and the npm registry; nothing else.
# Idempotent: returns at once when the pinned versions are already installed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$here/.node"
stamp="$dest/.installed"

command -v node >/dev/null || { echo "install.sh: node not found" >&2; exit 1; }
command -v npm >/dev/null || { echo "install.sh: npm not found" >&2; exit 1; }

want="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ ! ( -f "$stamp" && "$(cat "$stamp")" == "$want" && -d "$dest/node_modules/@medplum/fhir-router" ) ]]; then
  mkdir -p "$dest"
  cp "$here/package.json" "$here/package-lock.json" "$dest/"
  rm -f "$stamp"
  # --engine-strict=false: @medplum 5.x declares node >= 22; it runs on node 20
  # (server.js supplies the one missing global). --ignore-scripts: nothing to build.
  (cd "$dest" && npm ci --no-audit --no-fund --ignore-scripts --engine-strict=false --loglevel=error)
  echo "$want" > "$stamp"
  echo "install.sh: installed $(node -p "require('$dest/node_modules/@medplum/fhir-router/package.json').version" 2>/dev/null || echo '?') into $dest"
fi

# The second independent server: fhirsnake (PyPI, beda-software), a minimal FastAPI FHIR server that
# serves files as resources, in its own venv (its pins on fastapi/uvicorn differ from the project's).
pyvenv="$here/.pyvenv"
snake_pin="fhirsnake==1.1.0"
if [[ ! -f "$pyvenv/.installed" || "$(cat "$pyvenv/.installed")" != "$snake_pin" ]]; then
  python3 -m venv "$pyvenv"
  "$pyvenv/bin/pip" install -q "$snake_pin"
  echo "$snake_pin" > "$pyvenv/.installed"
  echo "install.sh: installed $snake_pin into $pyvenv"
fi

# The third independent server: Asymmetrik's node-fhir-server-core (npm, MIT), an R4 REST framework that
# generates its CapabilityStatement, routes, parameter handling and responses; asymmetrik_server.js gives
# it a tiny in-memory service. Pinned in asymmetrik/package.json + package-lock.json.
asym_src="$here/asymmetrik"
asym="$here/.node-asymmetrik"
asym_want="$(cat "$asym_src/package.json" "$asym_src/package-lock.json" | sha256sum | cut -d' ' -f1)"
if [[ ! ( -f "$asym/.installed" && "$(cat "$asym/.installed")" == "$asym_want" \
          && -d "$asym/node_modules/@asymmetrik/node-fhir-server-core" ) ]]; then
  mkdir -p "$asym"
  cp "$asym_src/package.json" "$asym_src/package-lock.json" "$asym/"
  rm -f "$asym/.installed"
  (cd "$asym" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
  echo "$asym_want" > "$asym/.installed"
  echo "install.sh: installed @asymmetrik/node-fhir-server-core into $asym"
fi
