#!/usr/bin/env bash
# Runs the Flink sensor example on a local MiniCluster: builds it (and the modules it needs) when its classpath
# is missing or older than the sources, then runs dev.rill.examples.flink.SensorJob from the repository root
# with the JVM flags Rill and Flink need on JDK 25. Arguments go to the job (--help lists them).
#   JAVA_HOME  used if it is JDK 25 or newer; else /usr/lib/jvm/*25* is searched
#   JAVA_OPTS  extra JVM options
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/examples/flink-sensors"
CLASSPATH_FILE="$HERE/target/run.classpath"

die() {
  echo "flink-sensors: error: $*" >&2
  exit 1
}

java_major() {
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}

find_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    local v
    v="$(java_major "$JAVA_HOME/bin/java")"
    if [[ -n "$v" && "$v" -ge 25 ]]; then
      echo "$JAVA_HOME/bin/java"
      return 0
    fi
  fi
  local dir
  for dir in /usr/lib/jvm/*25*; do
    if [[ -x "$dir/bin/java" ]]; then
      echo "$dir/bin/java"
      return 0
    fi
  done
  return 1
}

JAVA="$(find_java)" || die "JDK 25 not found: set JAVA_HOME to a JDK 25 or newer"

if [[ ! -f "$CLASSPATH_FILE" || -n "$(find "$ROOT/pom.xml" "$ROOT"/{format,runtime,integrations/flink,examples/flink-sensors}/pom.xml \
    "$ROOT"/{format,runtime,integrations/flink,examples/flink-sensors}/src -newer "$CLASSPATH_FILE" -type f -print -quit)" ]]; then
  command -v mvn >/dev/null || die "Maven (mvn) is needed to build the example the first time"
  echo "flink-sensors: building (mvn package -pl examples/flink-sensors -am)..." >&2
  LOG="$(mktemp "${TMPDIR:-/tmp}/flink-sensors-build.XXXXXX")"
  # The classpath file is written by every module of the reactor; the example comes last, so its own wins.
  if ! (cd "$ROOT" && mvn -B -DskipTests package dependency:build-classpath -pl examples/flink-sensors -am \
      -Dmdep.outputFile="$CLASSPATH_FILE.tmp" -Dmdep.includeScope=runtime) >"$LOG" 2>&1; then
    grep -E '^\[(ERROR|WARNING)\]' "$LOG" | head -n 40 >&2 || true
    die "the build failed (full log: $LOG)"
  fi
  rm -f "$LOG"
  echo "$HERE/target/classes:$(cat "$CLASSPATH_FILE.tmp")" >"$CLASSPATH_FILE"
  rm -f "$CLASSPATH_FILE.tmp"
fi

cd "$ROOT"
# shellcheck disable=SC2086
exec "$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  ${JAVA_OPTS:-} -cp "$(cat "$CLASSPATH_FILE")" dev.rill.examples.flink.SensorJob "$@"
