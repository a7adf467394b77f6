#!/usr/bin/env bash
# Runs Cairn's whole test suite: installs what the tests need when it is missing (the PostgreSQL server
# binaries, Chromium for the console's browser tests, the npm packages of the SDK test), runs every test project
# (the .NET build installs and builds the console itself), then the console's component tests, and prints one summary line.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# Installs a Debian package when running as root with apt-get; otherwise says what is missing (fatal on CI).
install_package() {
  local package=$1 what=$2 instead=$3
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${what} (Debian package '${package}')…"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  else
    echo "${what} is missing: install the '${package}' package or set ${instead}." >&2
    if [ "${CI:-}" = "true" ]; then exit 1; fi
  fi
}

if [ -z "${CAIRN_TEST_POSTGRES:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  install_package postgresql "PostgreSQL server binaries" CAIRN_TEST_POSTGRES
fi

# The console's browser tests drive the Debian chromium package through Playwright (Playwright's own browser
# download cannot work here).
if [ -z "${CAIRN_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  install_package chromium "Chromium for the browser tests" CAIRN_CHROMIUM
fi

if ! command -v node >/dev/null 2>&1; then
  echo "node is required for the @segment/analytics-node test." >&2
  exit 1
fi
if [ ! -d test/node/node_modules ] || [ test/node/package-lock.json -nt test/node/node_modules ]; then
  (cd test/node && npm ci --no-audit --no-fund --loglevel=error)
fi

results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

status=0
dotnet test Cairn.slnx -c Release \
  --logger "trx" --results-directory "$results" \
  --blame-hang-timeout 5m "$@" || status=$?

# The console's component tests (vitest), on the packages its .NET build installed.
if [ "$#" -eq 0 ]; then
  (cd src/Cairn.Console && npm test --silent) || status=$?
fi

passed=0; failed=0; skipped=0
count() { grep -o "<Counters [^>]*" "$1" | grep -o " $2=\"[0-9]*\"" | grep -o "[0-9]*" || echo 0; }
while IFS= read -r -d '' trx; do
  passed=$((passed + $(count "$trx" passed)))
  failed=$((failed + $(count "$trx" failed) + $(count "$trx" error) + $(count "$trx" timeout) + $(count "$trx" aborted)))
  skipped=$((skipped + $(count "$trx" notExecuted)))
done < <(find "$results" -name '*.trx' -print0)
echo "${passed} passed, ${failed} failed, ${skipped} skipped"

# The end-to-end smoke load: 100,000 contacts through a real server with the demo workspace, 50 live segments and
# email to a loopback SMTP server. It fails when the server errors or loses an acknowledged event, never for speed.
smoke=0
if [ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$#" -eq 0 ]; then
  echo "Smoke load (100,000 contacts, 200,000 events)…"
  dotnet run -c Release --project benchmarks/Cairn.Benchmarks -- \
    loadgen workload --contacts 100000 --events 200000 --segments 50 --smoke || smoke=$?
fi

if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$smoke" -ne 0 ]; then
  exit 1
fi
if [ "$passed" -eq 0 ]; then
  echo "No tests ran." >&2
  exit 1
fi
