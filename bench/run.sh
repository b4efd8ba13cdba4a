#!/usr/bin/env bash
# Runs the Rill-vs-ONNX-Runtime JMH benchmarks (bench/src/main/java/dev/rill/bench).
#
#   bench/run.sh                      # everything below, full settings (about 15 minutes on 2 cores)
#   bench/run.sh RillVsOrtStreaming   # one class (a JMH regex), full settings
#   bench/run.sh RillVsOrtStreaming -p workload=S -p cell=LSTM   # extra JMH options are passed through
#   QUICK=1 bench/run.sh              # smoke run: 1 fork, 1 warm-up and 1 measurement iteration of 1 s
#   bench/run.sh streaming               # the streaming-step subset (about 15 minutes), then its table of ratios
#   bench/run.sh streaming -p cell=LSTM  # the same with extra JMH options (here: LSTM only)
#
# The streaming-step subset (see bench/README.md): KernelStepBenchmark, KernelStepPrecisionBenchmark, ReadBandwidthBenchmark,
# the ort* methods of RillVsOrtStreamingBenchmark and RillVsOrtLargeThreadsBenchmark, in one JMH run whose JSON
# (bench/target/streaming.json, or STREAMING_JSON=...) bench/streaming_report.py turns into the ratios of the targets.
#
# Classes (each puts Rill and ORT side by side, on the same seeded weights, in one JMH run):
#   RillVsOrtStreamingBenchmark     one step at batch 1, 1 thread: rill, ortTypical (heap FloatBuffer tensors
#                                   per call), ortPinned (preallocated direct tensors, pinned outputs);
#                                   params cell=LSTM|GRU, workload=S|M|L (X,H = 64,128 | 256,256 | 512,1024)
#   RillVsOrtLargeThreadsBenchmark  workload L, 2 threads: rill, rillBf16, rillInt8 vs ortPinned (fp32)
#   RillVsOrtSequenceBenchmark      T=100 steps, batch=1|32, 1 thread: rill, ortTypical, ortPinned
#
# Rill uses the kernels KernelProvider picks (the log line "Rill kernels: ..." says which). With the scalar
# kernels, RillVsOrtSequenceBenchmark at workload L and batch 32 takes minutes per operation: add
# -p workload=S,M (or -p batch=1) to leave it out.
#
# Ratios: divide the ort* score by the rill score of the same parameters (average time, µs/op).
# Useful extra options: -prof gc (bytes allocated per op), -bm sample (percentiles: p50, p99).
set -euo pipefail
cd "$(dirname "$0")/.."

jar=bench/target/benchmarks.jar
if [[ ! -f "$jar" || -n "${REBUILD:-}" ]]; then
  mvn -B -q -pl bench -am package -DskipTests
fi

# JDK 25: the one Maven's toolchain picks; override with JAVA=/path/to/java.
java="${JAVA:-}"
if [[ -z "$java" ]]; then
  for candidate in "${JAVA_HOME:-}/bin/java" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java /usr/lib/jvm/*25*/bin/java; do
    if [[ -x "$candidate" ]] && "$candidate" -version 2>&1 | grep -q 'version "25'; then
      java="$candidate"
      break
    fi
  done
fi
if [[ -z "$java" ]]; then
  echo "bench/run.sh: no JDK 25 found; set JAVA=/path/to/jdk-25/bin/java" >&2
  exit 1
fi

pattern="${1:-RillVsOrt}"
shift || true
settings=()
if [[ -n "${QUICK:-}" ]]; then
  settings=(-f 1 -wi 1 -w 1s -i 1 -r 1s)
fi
# The benchmark classes add --add-modules jdk.incubator.vector and native access to their forks.
if [[ "$pattern" == streaming ]]; then
  json="${STREAMING_JSON:-bench/target/streaming.json}"
  # Several include patterns in one run, so every ratio comes from the same conditions.
  "$java" -jar "$jar" '\.KernelStepBenchmark\.' '\.KernelStepPrecisionBenchmark\.' '\.ReadBandwidthBenchmark\.' \
    '\.RillVsOrtStreamingBenchmark\.ort' '\.RillVsOrtLargeThreadsBenchmark\.' \
    -bm avgt -tu us "${settings[@]}" "$@" -rf json -rff "$json"
  exec python3 bench/streaming_report.py "$json"
fi
exec "$java" -jar "$jar" "$pattern" "${settings[@]}" "$@"
