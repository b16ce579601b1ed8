#!/usr/bin/env bash
# Every figure of BENCHMARKS.md "The fleet" (issue 14), one run at a time.
#   bench/fleet-runs.sh faults     compressed (1 profile minute = 5 s, 8 minutes): a flush at minute 3, a 20 s outage from minute 2
#                                  (killed; stopped), N = 1, 4, 8 (~14 min)
#   bench/fleet-runs.sh realtime   real time, 4 profile minutes, 30 ms to Redis, N = 1, 4, 8, without and with
#                                  eviction (~35 min)
#   bench/fleet-runs.sh steady     a constant crowd (profile steady, 1 profile minute = 10 s, 6 minutes), 30 ms, N = 1, 4, 8:
#                                  Redis calls per second against N (~4 min)
#   bench/fleet-runs.sh compare    quick runs: one worker through wrangler dev, and the fleet of one (~2 min)
#   bench/fleet-runs.sh all
# Reports go to bench/out/fleet-<set>-<name>/ (report.md, report.json); the table rows come from
# `node bench/fleet-table.ts bench/out/fleet-*`. Run it from a clone if you edit the tree meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(node tools/node.mjs --print-bin):$PATH"
set_name="${1:-all}"
run() {
  local name="$1"
  shift
  echo "fleet-runs: $name: npm run surge -- $*" >&2
  nice npm run --silent surge -- "$@" --out "bench/out/fleet-$name" > "bench/out/fleet-$name.log" 2>&1 ||
    echo "fleet-runs: $name failed (bench/out/fleet-$name.log)" >&2
}
mkdir -p bench/out
if [ "$set_name" = faults ] || [ "$set_name" = all ]; then
  for n in 1 4 8; do
    run "faults-flush-n$n" --minute 5 --duration 8 --instances "$n" --redis-latency 30 --flush-at 3 --skip-without
    run "faults-outage-n$n" --minute 5 --duration 8 --instances "$n" --redis-latency 30 --outage-at 2 --outage-seconds 20 --skip-without
    run "faults-outage-stop-n$n" --minute 5 --duration 8 --instances "$n" --redis-latency 30 --outage-at 2 --outage-seconds 20 --outage-stop --skip-without
  done
fi
if [ "$set_name" = steady ] || [ "$set_name" = all ]; then
  for n in 1 4 8; do
    run "steady-n$n" --profile steady --minute 10 --duration 6 --instances "$n" --redis-latency 30 --skip-without
  done
fi
if [ "$set_name" = compare ] || [ "$set_name" = all ]; then
  run "compare-wrangler" --quick --skip-without
  run "compare-n1" --quick --instances 1 --skip-without
fi
if [ "$set_name" = realtime ] || [ "$set_name" = all ]; then
  for n in 1 4 8; do
    run "realtime-n$n" --minute 60 --duration 4 --instances "$n" --redis-latency 30 --skip-without
  done
  for n in 1 4 8; do
    run "realtime-evict-n$n" --minute 60 --duration 4 --instances "$n" --redis-latency 30 --evict --evict-every 15 --skip-without
  done
fi
