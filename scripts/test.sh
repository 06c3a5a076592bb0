#!/usr/bin/env bash
# Runs every test of the solution on a fresh machine: installs what the tests need, builds in Release,
# runs all test projects with TRX results, and ends with one line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET SDK (10.0) is required: https://dot.net" >&2
  exit 1
fi

# What the Postgres / PGlite sink tests need: the PostgreSQL server binaries (Debian package; CI runs as root)
# and the PGlite server pinned by tests/pglite/package-lock.json.
apt_packages=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || apt_packages+=(postgresql)
command -v npm >/dev/null 2>&1 || apt_packages+=(nodejs npm)
# The model report test opens the HTML report in a real headless browser.
command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)
if [ "${#apt_packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${apt_packages[@]}"
  else
    echo "Missing ${apt_packages[*]}: install with apt-get as root to run the Postgres/PGlite and browser tests." >&2
  fi
fi
if command -v npm >/dev/null 2>&1; then
  (cd tests/pglite && npm ci --no-audit --no-fund --loglevel=error)
fi

results="artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

dotnet build Vince.FeatureStore.sln -c Release -nologo -v quiet

# One run per test project, each with its own TRX file: names derived from timestamps can collide.
status=0
for project in $(dotnet sln Vince.FeatureStore.sln list | grep -E '\.Tests\.csproj$' | tr '\\' '/'); do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=${name}.trx" --logger "console;verbosity=minimal" --results-directory "$results" \
    || status=1
done

passed=0
failed=0
shopt -s nullglob
trx_files=("$results"/*.trx)
for trx in "${trx_files[@]}"; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
done

if [ "${#trx_files[@]}" -eq 0 ]; then
  echo "No test results were written." >&2
  status=1
fi

echo "${passed} passed, ${failed} failed"
exit "$status"
