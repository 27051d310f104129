#!/usr/bin/env bash
# Runs every HaloPortal test: unit/integration (HaloPortal.Tests), the sandbox tenant's own (HaloPortal.Sandbox.Tests), browser
# end-to-end (HaloPortal.E2E), then the ingestion, webhook, outbound, crash-recovery and data tests of HaloPortal.Tests again
# on PostgreSQL (HALOPORTAL_TEST_DB=PostgreSql).
#   bash build/test.sh
# Installs what the tests need when it is missing (Debian's Chromium, docker-compose and PostgreSQL 15; needs root then),
# starts PostgreSQL on loopback with the role haloportal/haloportal (or uses HALOPORTAL_TEST_PG when it is set),
# builds the solution once, runs the test projects against that build, writes TRX results to
# artifacts/test-results/ (screenshots: artifacts/screenshots/, portal and browser logs: artifacts/e2e/),
# and ends with one line "N passed, N failed[, N skipped]". Exits non-zero when anything failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CONFIGURATION=Release
RESULTS="$ROOT/artifacts/test-results"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Playwright must never try to download a browser: the tests use Debian's Chromium at /usr/bin/chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

started=$SECONDS
phase_started=$SECONDS
phase() {
  echo "== $1 (after $((SECONDS - started)) s)"
  phase_started=$SECONDS
}

# --- 1. What the tests need from the machine -------------------------------------------------------------------
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
# Debian 12's postgresql is PostgreSQL 15; its package creates the cluster 15/main (loopback only by default).
if [ -z "${HALOPORTAL_TEST_PG:-}" ] && ! { command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql/15/main ]; }; then
  missing+=(postgresql)
fi
if [ ${#missing[@]} -gt 0 ]; then
  phase "installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "The tests need ${missing[*]}; run as root, or install them first: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Wait for another apt/dpkg run (if any) to release its locks instead of failing at once.
  apt-get -o DPkg::Lock::Timeout=900 update -qq
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -x /usr/bin/chromium ] || { echo "chromium did not install to /usr/bin/chromium" >&2; exit 1; }
  command -v docker-compose >/dev/null 2>&1 || { echo "docker-compose did not install" >&2; exit 1; }
  if [[ " ${missing[*]} " == *" postgresql "* ]] && [ ! -d /etc/postgresql/15/main ]; then
    # A package install where the cluster was not created (e.g. create_main_cluster off): make it.
    pg_createcluster 15 main >/dev/null
  fi
fi

# PostgreSQL for the PostgreSQL pass: started on loopback, with a role that may create the tests' databases.
if [ -z "${HALOPORTAL_TEST_PG:-}" ]; then
  export HALOPORTAL_TEST_PG="Host=127.0.0.1;Port=5432;Username=haloportal;Password=haloportal"
  if [ "$(id -u)" -eq 0 ]; then
    if ! pg_lsclusters --no-header 15 main 2>/dev/null | grep -q online; then
      phase "starting PostgreSQL 15"
      pg_ctlcluster 15 main start
    fi
    for _ in $(seq 1 30); do
      (cd / && runuser -u postgres -- psql -qtAc "SELECT 1" >/dev/null 2>&1) && break
      sleep 1
    done
    (cd / && runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qc "DO \$\$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'haloportal') THEN
          CREATE ROLE haloportal LOGIN CREATEDB PASSWORD 'haloportal';
        ELSE
          ALTER ROLE haloportal LOGIN CREATEDB PASSWORD 'haloportal';
        END IF;
      END \$\$;" >/dev/null)
  fi
  if ! PGPASSWORD=haloportal psql -h 127.0.0.1 -U haloportal -d postgres -qtAc "SELECT 1" >/dev/null 2>&1; then
    echo "PostgreSQL is not reachable as haloportal@127.0.0.1:5432; run as root (this script then starts it and creates the role)," >&2
    echo "or set HALOPORTAL_TEST_PG to a connection string whose role may CREATE DATABASE." >&2
    exit 1
  fi
fi

# --- 2. Tools and build (once) -----------------------------------------------------------------------------------
phase "dotnet tool restore"
dotnet tool restore >/dev/null

phase "building HaloPortal.sln ($CONFIGURATION)"
# NU1603 (a Graph dependency resolved one patch higher) is known and harmless; keep it out of the output.
dotnet build HaloPortal.sln -c "$CONFIGURATION" -nologo -v:q -warnAsMessage:NU1603
echo "   build took $((SECONDS - phase_started)) s"

rm -rf "$RESULTS" "$ROOT/artifacts/screenshots" "$ROOT/artifacts/e2e"
mkdir -p "$RESULTS"

# --- 3. Tests ----------------------------------------------------------------------------------------------------
declare -A exit_codes=()
run_tests() {
  local project=$1
  phase "testing $project"
  local code=0
  dotnet test "$project" -c "$CONFIGURATION" --no-build --nologo \
    --results-directory "$RESULTS" \
    --logger "trx;LogFileName=$project.trx" \
    --logger "console;verbosity=minimal" || code=$?
  exit_codes[$project]=$code
  echo "   $project took $((SECONDS - phase_started)) s (exit code $code)"
}

run_tests HaloPortal.Tests
run_tests HaloPortal.Sandbox.Tests
run_tests HaloPortal.E2E

# The same engine on PostgreSQL: each test class (or restarted portal) gets a database of its own, dropped afterwards.
POSTGRESQL_FILTER="FullyQualifiedName~HaloPortal.Tests.Ingestion|FullyQualifiedName~HaloPortal.Tests.Nodes|FullyQualifiedName~HaloPortal.Tests.Outbound|FullyQualifiedName~HaloPortal.Tests.Data|FullyQualifiedName~HaloPortal.Tests.Hosting.HealthTests|FullyQualifiedName~HaloPortal.Tests.Retention|FullyQualifiedName~HaloPortal.Tests.Monitoring|FullyQualifiedName~HaloPortal.Tests.Telemetry"
phase "testing HaloPortal.Tests on PostgreSQL (ingestion, webhooks, outbound, crash recovery, nodes, migrations, health, retention, ledger, metrics)"
code=0
HALOPORTAL_TEST_DB=PostgreSql dotnet test HaloPortal.Tests -c "$CONFIGURATION" --no-build --nologo \
  --filter "$POSTGRESQL_FILTER" \
  --results-directory "$RESULTS" \
  --logger "trx;LogFileName=HaloPortal.Tests.PostgreSql.trx" \
  --logger "console;verbosity=minimal" || code=$?
exit_codes[HaloPortal.Tests.PostgreSql]=$code
echo "   HaloPortal.Tests on PostgreSQL took $((SECONDS - phase_started)) s (exit code $code)"

# --- 4. Summary from the TRX files ------------------------------------------------------------------------------
counter() { # counter FILE NAME -> the number in <Counters NAME="n">, 0 when absent
  local value
  value=$(grep -o '<Counters [^>]*>' "$1" | grep -o " $2=\"[0-9]*\"" | grep -o '[0-9]\+' || true)
  echo "${value:-0}"
}

passed=0 failed=0 skipped=0
for project in HaloPortal.Tests HaloPortal.Sandbox.Tests HaloPortal.E2E HaloPortal.Tests.PostgreSql; do
  trx="$RESULTS/$project.trx"
  if [ ! -f "$trx" ]; then
    echo "$project wrote no results (exit code ${exit_codes[$project]}): the test run itself failed; see its output above." >&2
    failed=$((failed + 1))
    continue
  fi
  p=$(counter "$trx" passed)
  f=$(( $(counter "$trx" failed) + $(counter "$trx" error) + $(counter "$trx" timeout) + $(counter "$trx" aborted) ))
  s=$(( $(counter "$trx" total) - $(counter "$trx" executed) )) # the trx's notExecuted counter stays 0 for skipped xunit tests
  echo "   $project: $p passed, $f failed, $s skipped"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  if [ "$f" -eq 0 ] && [ "${exit_codes[$project]}" -ne 0 ]; then
    echo "$project exited with ${exit_codes[$project]} although no test failed; see its output above." >&2
    failed=$((failed + 1))
  fi
done

echo "   total time $((SECONDS - started)) s; results in artifacts/test-results, screenshots in artifacts/screenshots"
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
