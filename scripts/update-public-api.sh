#!/usr/bin/env bash
# Adds every public symbol the build reports as undeclared (RS0016) to its package's PublicAPI.Unshipped.txt.
# Run after an intended change to the public surface; review the diff of the PublicAPI files before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet build Vince.FeatureStore.sln -c Release -nologo -v quiet -p:TreatWarningsAsErrors=false >"$log" 2>&1 || true
python3 - "$log" <<'PY'
import re, sys, os, collections
found = collections.defaultdict(set)
pattern = re.compile(r"^(?P<file>/\S+?\.cs)\(\d+,\d+\): (?:error|warning) RS0016: Symbol '(?P<symbol>.+)' is not part of the declared public API")
for line in open(sys.argv[1], encoding="utf-8"):
    m = pattern.match(line.strip())
    if not m:
        continue
    directory = os.path.dirname(m["file"])
    while not any(f.endswith(".csproj") for f in os.listdir(directory)):
        directory = os.path.dirname(directory)
    found[directory].add(m["symbol"])
for directory, symbols in sorted(found.items()):
    path = os.path.join(directory, "PublicAPI.Unshipped.txt")
    lines = [l.rstrip("\n") for l in open(path, encoding="utf-8")] if os.path.exists(path) else ["#nullable enable"]
    header, body = lines[:1], set(l for l in lines[1:] if l)
    body |= symbols
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(header + sorted(body, key=str.lower)) + "\n")
    print(f"{os.path.relpath(path)}: +{len(symbols)}")
PY
