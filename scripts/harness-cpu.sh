#!/usr/bin/env bash
# What the gateway adds to one caller's CPU time per call, for two benchmark jars (for example the
# pipeline issue's baseline and this commit's), with the backend in another process.
#
#   scripts/harness-cpu.sh A.jar B.jar [runs per jar=2] [warm-up s=15] [pairs=30] [round ms=500] \
#       [mixed|json|stream] [instrument: v2|v1 = v2]
#
# Builds nothing. One loopback backend (LoopbackBackend: canned OpenAI JSON and SSE answers, one
# event per flush) runs in its own JVM pinned to one core; each client run is a fresh JVM pinned to
# another core (CpuHarness: one caller, plain and wrapped clients alternating in short rounds after a
# warm-up; it measures its own process CPU time per call and its throughput). Runs alternate
# A, B, A, B, ... Each run prints its pairs' medians and interquartile ranges; the table at the end
# has one line per run and each jar's median over its runs. The load average is printed with every
# run (other work on the machine inflates CPU time and the spread).
#
# The instrument (passed to the backend and to every client run as --instrument=v1|v2): v2, the
# default, is like real traffic: each call builds its own okhttp3.Request, the same way for the
# plain and the wrapped client (as openai-java's OkHttp client does), and every answer of the
# backend has its own id and the creation time of its second. v1 is the instrument of every figure
# in docs/benchmarks.md that names none (all measured before the instrument could be chosen): one
# Request object per kind of call sent again and again, and every answer the same bytes. Figures of
# v1 and v2 are not comparable with each other, only within one instrument.
#
# The harness classes come from whichever jar has them (B first): they are copied out of it and put
# in front of each jar on the class path, so an older jar (whose benchmarks module predates the
# harness) is measured by the same code; they use only Workload's gateway and requests and
# OkHttpAiGateway.wrap, which every build since 316d4ad has. Cores: CLIENT_CPU (default 0) and
# SERVER_CPU (default 1); JVM options of the client: CLIENT_JAVA_OPTS. With THREADS=1 each run also
# breaks its CPU down by thread group (CpuHarness --threads: caller, OkHttp's and okio's threads,
# compilers, GC; time on a CPU, user and kernel, context switches; Linux only) and prints each
# group's time on a CPU per call, plain against wrapped. With FLOOR=hide (or step, ask) each run
# also measures a third client, the plain one with the floor interceptor (CpuHarness --floor=:
# the least any wrapper counting a stream's tokens exactly must do, or a part of it), and the
# tables add its added CPU and throughput ratio and the gateway's added CPU over the floor's; the
# floor's classes must be in one of the jars. FLOOR_EXTRA=spin=N,bytes=M (with FLOOR) adds known
# work to each of the floor client's calls (CpuHarness --floor-extra=: N steps of arithmetic, M bytes
# of short-lived objects), to calibrate the instrument against FloorCpuTime's in-process figure for
# the same work. About 50 s per run with the defaults (4 runs: about
# 3.5 minutes; half as long again with a floor).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 A.jar B.jar [runs per jar] [warm-up s] [pairs] [round ms] [mixed|json|stream]" \
    "[v2|v1]" >&2
  exit 2
fi
a=$1; b=$2; runs=${3:-2}; warmup=${4:-15}; pairs=${5:-30}; round=${6:-500}; mix=${7:-mixed}
instrument=${8:-v2}
case "$instrument" in
  v1 | v2) ;;
  *) echo "the instrument is v1 or v2, not $instrument" >&2; exit 2 ;;
esac
client_cpu=${CLIENT_CPU:-0}; server_cpu=${SERVER_CPU:-1}
client_opts=${CLIENT_JAVA_OPTS:--Xms1g -Xmx1g -XX:+UseSerialGC}
threads_flag=
if [ "${THREADS:-0}" = 1 ]; then threads_flag=--threads; fi
floor_flag=
if [ -n "${FLOOR:-}" ]; then floor_flag="--floor=$FLOOR"; fi
if [ -n "${FLOOR_EXTRA:-}" ]; then
  [ -n "$floor_flag" ] || { echo "FLOOR_EXTRA adds work to a floor: set FLOOR too" >&2; exit 2; }
  floor_flag="$floor_flag --floor-extra=$FLOOR_EXTRA"
fi
for jar in "$a" "$b"; do
  [ -f "$jar" ] || { echo "no such jar: $jar" >&2; exit 2; }
done
command -v taskset >/dev/null || { echo "taskset (util-linux) is needed to pin the processes" >&2; exit 2; }

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

harness_jar=
for jar in "$b" "$a"; do
  if unzip -l "$jar" 'dev/aigateway/benchmarks/CpuHarness.class' >/dev/null 2>&1; then
    harness_jar=$jar; break
  fi
done
[ -n "$harness_jar" ] || { echo "neither jar has dev.aigateway.benchmarks.CpuHarness" >&2; exit 2; }
unzip -q "$harness_jar" 'dev/aigateway/benchmarks/CpuHarness*.class' \
  'dev/aigateway/benchmarks/LoopbackBackend*.class' -d "$work/classes"
# CpuHarness reads its --floor option into FloorInterceptor's mode whether or not it is given, so
# the floor's classes go with the harness's (an older jar measured as A has none of its own).
if ! unzip -q "$harness_jar" 'dev/aigateway/benchmarks/FloorInterceptor*.class' -d "$work/classes"
then
  if [ -n "$floor_flag" ]; then
    echo "$(basename "$harness_jar") has no dev.aigateway.benchmarks.FloorInterceptor" >&2; exit 2
  fi
fi

taskset -c "$server_cpu" java -Xms256m -Xmx256m -XX:+UseSerialGC \
  -cp "$work/classes:$harness_jar" dev.aigateway.benchmarks.LoopbackBackend "--instrument=$instrument" >"$work/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$work/server.out" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.out" >&2; exit 1; }
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/server.out")
[ -n "$url" ] || { echo "the backend did not start" >&2; cat "$work/server.out" >&2; exit 1; }
echo "backend $url on cpu $server_cpu (harness classes from $(basename "$harness_jar")); client on cpu $client_cpu"
echo "client JVM: $client_opts; $(nproc) cores; $(java -version 2>&1 | head -1)"
echo "each run: $warmup s warm-up, $pairs pairs of $round ms rounds, $mix calls, instrument $instrument"

table=()
floors=()
for i in $(seq 1 "$runs"); do
  for jar in "$a" "$b"; do
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    # shellcheck disable=SC2086
    out=$(taskset -c "$client_cpu" java $client_opts -cp "$work/classes:$jar" \
      dev.aigateway.benchmarks.CpuHarness "$url" "$warmup" "$pairs" "$round" "$mix" \
      "--instrument=$instrument" $threads_flag $floor_flag) || {
      echo "$out" >&2; echo "run $i of $(basename "$jar") failed" >&2; exit 1; }
    echo "--- run $i, $(basename "$jar"), load average before: $load"
    grep -E '^(plain|wrapped|added|  of it|throughput|errors|floor|gateway over)' <<<"$out"
    if [ -n "$threads_flag" ]; then
      grep -E '^  [a-z]+ on cpu |^  process (user|kernel) |^  collections' <<<"$out" || true
    fi
    result=$(grep '^RESULT ' <<<"$out")
    table+=("$(basename "$jar") $i $load $result")
    if [ -n "$floor_flag" ]; then
      floors+=("$(basename "$jar") $i $load $(grep '^FLOOR ' <<<"$out")")
    fi
  done
done

echo
echo "=== per run (medians over the run's pairs; IQR in brackets)"
printf '%-28s %3s %-15s %-26s %12s %9s %-24s %10s %10s\n' \
  jar run "load avg" "added cpu us/call" "thread us" "added B" "throughput ratio" "plain us" "wrapped us"
for row in "${table[@]}"; do
  read -r name run l1 l2 l3 _ _ cpu cq1 cq3 _ thr _ bytes _ ratio rq1 rq3 _ pcpu _ wcpu _ _ <<<"$row"
  printf '%-28s %3s %-15s %-26s %12s %9s %-24s %10s %10s\n' "$name" "$run" "$l1 $l2 $l3" \
    "$cpu [$cq1..$cq3]" "$thr" "$bytes" "$ratio [$rq1..$rq3]" "$pcpu" "$wcpu"
done
echo
# The median of v[1..k], for the awk programs below.
median_awk='function median(v, k,   i, j, t) {
  for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
  return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
}'
echo "=== per jar (median over its runs of each run's median)"
for jar in "$a" "$b"; do
  name=$(basename "$jar")
  printf '%s\n' "${table[@]}" | awk -v name="$name" "$median_awk"'
    $1 == name { n++; cpu[n] = $8; ratio[n] = $16; thr[n] = $12; bytes[n] = $14 }
    END { printf "%-28s runs %d: added cpu %.2f us/call (caller thread %.2f), added %.0f B/call, throughput ratio %.3f\n",
            name, n, median(cpu, n), median(thr, n), median(bytes, n), median(ratio, n) }'
done
if [ -n "$floor_flag" ]; then
  echo
  echo "=== floor ($FLOOR) per run: its added cpu and ratio against plain; the gateway's added cpu over it"
  printf '%-28s %3s %-15s %-26s %12s %9s %-24s %14s %10s\n' \
    jar run "load avg" "floor added cpu us/call" "thread us" "added B" "floor ratio" "gw over floor" "thread us"
  for row in "${floors[@]}"; do
    read -r name run l1 l2 l3 _ _ _ cpu cq1 cq3 _ thr _ bytes _ ratio rq1 rq3 _ over _ othr <<<"$row"
    printf '%-28s %3s %-15s %-26s %12s %9s %-24s %14s %10s\n' "$name" "$run" "$l1 $l2 $l3" \
      "$cpu [$cq1..$cq3]" "$thr" "$bytes" "$ratio [$rq1..$rq3]" "$over" "$othr"
  done
  echo
  echo "=== floor per jar (median over its runs)"
  for jar in "$a" "$b"; do
    name=$(basename "$jar")
    printf '%s\n' "${floors[@]}" | awk -v name="$name" "$median_awk"'
      $1 == name { n++; cpu[n] = $9; ratio[n] = $17; over[n] = $21 }
      END { printf "%-28s runs %d: floor added cpu %.2f us/call, floor ratio %.3f; gateway over floor %.2f us/call\n",
              name, n, median(cpu, n), median(ratio, n), median(over, n) }'
  done
fi
