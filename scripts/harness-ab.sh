#!/usr/bin/env bash
# Alternating A/B runs of the load harness: two benchmark jars (for example the one built from
# the previous commit and the one built from this one), run one after the other PAIRS times,
# A first then B, each run a fresh JVM with the same harness arguments. One line per run:
# the jar, then the harness's wrapped/plain throughput ratio and CPU-per-request ratio.
#
#   scripts/harness-ab.sh A.jar B.jar [pairs=4] [harness args, default: 16 10 3]
#
# To build the jar of an earlier commit without touching this checkout:
#   git worktree add /tmp/ab-old <commit> && (cd /tmp/ab-old &&
#     mvn -B -ntp -q -pl benchmarks -am package -DskipTests) && cp
#     /tmp/ab-old/benchmarks/target/benchmarks.jar /tmp/a.jar && git worktree remove /tmp/ab-old
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 A.jar B.jar [pairs] [harness args...]" >&2
  exit 2
fi
a=$1; b=$2; pairs=${3:-4}
shift $(( $# < 3 ? $# : 3 ))
args=("$@")
if [ ${#args[@]} -eq 0 ]; then args=(16 10 3); fi
for jar in "$a" "$b"; do
  [ -f "$jar" ] || { echo "no such jar: $jar" >&2; exit 2; }
done
ratios_a=(); ratios_b=()
for i in $(seq 1 "$pairs"); do
  for jar in "$a" "$b"; do
    line=$(java -cp "$jar" dev.aigateway.benchmarks.LoadHarness "${args[@]}" \
      | grep '^wrapped/plain:' || true)
    ratio=$(sed -n 's/.*throughput \([0-9.]*\).*/\1/p' <<<"$line")
    cpu=$(sed -n 's/.*cpu per request \([0-9.]*\).*/\1/p' <<<"$line")
    echo "pair $i $(basename "$jar"): throughput ratio ${ratio:-?} cpu per request ${cpu:-?}"
    if [ -n "$ratio" ]; then
      if [ "$jar" = "$a" ]; then ratios_a+=("$ratio"); else ratios_b+=("$ratio"); fi
    fi
  done
done
# Mean and median of each build's throughput ratios (runs that printed no ratio are left out).
summary() {
  printf '%s\n' "${@:2}" | sort -n | awk -v name="$1" \
    '{ v[NR] = $1; sum += $1 }
     END { if (NR == 0) { print name ": no runs"; exit }
           median = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
           printf "%s: throughput ratio mean %.3f, median %.3f (n=%d)\n", name, sum / NR, median, NR }'
}
summary "$(basename "$a")" "${ratios_a[@]}"
summary "$(basename "$b")" "${ratios_b[@]}"
