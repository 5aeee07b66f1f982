# Apicurio Registry 2.4.2.Final, a second and independent Confluent-compatible schema registry for the registry
# client's conformance tests, from Maven Central only; sourced by common.sh (it uses log, die, free_port, ensure_apt
# and SERVICE_PIDS from there).
#
#   ensure_apicurio               Java 17 and Maven (apt, when missing), then Apicurio built once by Maven
#                                 (scripts/apicurio/pom.xml: Maven Central publishes the application's classes, not a
#                                 runnable form, so Quarkus's build step runs here) into $APICURIO_HOME, outside the
#                                 checkout. A few minutes, once.
#   start_apicurio <port> <log>   an empty in-memory registry on 127.0.0.1:<port> (one request at a time, see below),
#                                 BACKWARD as its global compatibility level (Confluent's default); waits until it
#                                 answers (about 3 s; about 170 MB resident), registers the JVM with stop_services, and
#                                 sets APICURIO_URL to its Confluent API (http://127.0.0.1:<port>/apis/ccompat/v7),
#                                 what MESHPORT_TEST_APICURIO_URL takes.

APICURIO_VERSION="2.4.2.Final"
APICURIO_HOME="${APICURIO_HOME:-$HOME/.cache/meshport/apicurio-$APICURIO_VERSION}"
APICURIO_HEAP="${APICURIO_HEAP:-512m}"
APICURIO_RUNNER="apicurio-registry-runtime-2.4.2-runner.jar"

ensure_apicurio() {
  ensure_java_and_maven
  [ -f "$APICURIO_HOME/.complete" ] && return 0
  log "building Apicurio Registry $APICURIO_VERSION from Maven Central into $APICURIO_HOME (a few minutes, once)"
  local staging="$APICURIO_HOME.partial"
  rm -rf "$staging"
  mvn --batch-mode --quiet -s "$MESHPORT_ROOT/scripts/apicurio/settings.xml" -f "$MESHPORT_ROOT/scripts/apicurio/pom.xml" \
    package -Dapicurio.build.directory="$staging" >&2 || die "Maven could not build Apicurio Registry $APICURIO_VERSION"
  [ -f "$staging/$APICURIO_RUNNER" ] && [ -d "$staging/lib" ] || die "Maven built no $APICURIO_RUNNER"
  # The runner jar finds its jars in lib/ beside it; the rest is the build's own.
  find "$staging" -mindepth 1 -maxdepth 1 ! -name "$APICURIO_RUNNER" ! -name lib -exec rm -rf {} +
  touch "$staging/.complete"
  rm -rf "$APICURIO_HOME"
  mv "$staging" "$APICURIO_HOME"
}

start_apicurio() {
  local port=${1:?usage: start_apicurio <port> <log>} logfile=${2:?usage: start_apicurio <port> <log>}
  local url="http://127.0.0.1:$port/apis/ccompat/v7" pid waited=0
  # Its storage is H2 in memory, and not safe for concurrent writes: two registrations at once can draw the same id
  # (HTTP 500 on the content table's primary key), time out on the lock of its id sequence (HTTP 500), or answer 409
  # "already exists" for a new subject. One worker thread makes requests take turns (a one-connection pool does not:
  # a request takes a second connection and waits for ever). No metrics.
  java -Xms64m -Xmx"$APICURIO_HEAP" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" \
    -Dquarkus.datasource.jdbc.initial-size=1 -Dquarkus.datasource.jdbc.min-size=1 -Dquarkus.datasource.jdbc.max-size=4 \
    -Dquarkus.thread-pool.core-threads=1 -Dquarkus.thread-pool.max-threads=1 \
    -Dquarkus.micrometer.enabled=false -Dquarkus.datasource.metrics.enabled=false \
    -Dquarkus.datasource.jdbc.enable-metrics=false \
    -jar "$APICURIO_HOME/$APICURIO_RUNNER" >"$logfile" 2>&1 &
  pid=$!
  SERVICE_PIDS+=("$pid")
  until curl -fsS --max-time 2 -o /dev/null "$url/subjects" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$logfile" >&2; die "Apicurio Registry exited while starting (log: $logfile)"; }
    sleep 0.2; waited=$((waited + 1))
    [ "$waited" -lt 300 ] || { tail -n 30 "$logfile" >&2; die "Apicurio Registry did not answer within 60s (log: $logfile)"; }
  done
  # Apicurio's global level starts as NONE; Confluent's (and meshport-registry's) is BACKWARD. Set through the
  # Confluent API itself, so that API reports it (a level given in Apicurio's settings is enforced but reported as NONE).
  curl -fsS --max-time 5 -o /dev/null -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
    -d '{"compatibility": "BACKWARD"}' "$url/config" || die "Apicurio Registry refused its global compatibility level"
  APICURIO_URL="$url"
}
