# Apache Kafka 4.4.0 for local runs, tests and benchmarks, from Maven Central only; sourced by common.sh.
#
#   ensure_kafka                       Java 17 and Maven (apt, when missing), then Kafka's jars, resolved once by Maven
#                                      (scripts/kafka/pom.xml) into $KAFKA_LIB, outside the checkout
#   start_kafka <port> <log> [plain]   a fresh single-node KRaft cluster (broker and controller in one JVM) on
#                                      127.0.0.1:<port>, secured like production: SASL_PLAINTEXT with SCRAM-SHA-512 and
#                                      the StandardAuthorizer. With a third argument `plain`, also a PLAINTEXT listener
#                                      (KAFKA_PLAIN_PORT) whose anonymous callers are super users, for tests that do not
#                                      test authorization. Registers the JVM and its data directory with stop_services.
#
# Principals (SCRAM-SHA-512, added when the storage is formatted; passwords are the demo's, local use only):
#   meshport       Meshport's own principal, a super user (KAFKA_MESHPORT_CONFIG holds its librdkafka settings)
#   svc-accounts   team accounts' producer: WRITE on its live products' topics (password svc-accounts-secret)
#   svc-edge       team edge's producer, likewise                               (password svc-edge-secret)
#   svc-trading    team trading's producer, likewise                            (password svc-trading-secret)
#   svc-fraud      team insights' consumer, no rights until access is granted   (password svc-fraud-secret)
#   svc-reporting  team insights' consumer, likewise                            (password svc-reporting-secret)
# The demo (api/src/demo.rs) registers them as these teams' service accounts; Meshport grants their ACLs.
# The broker talks to itself as `broker` (SCRAM) and to its controller as `controller` (SASL/PLAIN: a controller
# cannot read SCRAM credentials from the metadata it serves); both are super users, neither is for clients.

KAFKA_VERSION="4.4.0"
KAFKA_LIB="${KAFKA_LIB:-$HOME/.cache/meshport/kafka-$KAFKA_VERSION/lib}"
KAFKA_HEAP="${KAFKA_HEAP:-512m}"
KAFKA_MESHPORT_PASSWORD="meshport-secret"
KAFKA_DEMO_PRINCIPALS=(svc-accounts svc-edge svc-trading svc-fraud svc-reporting)
# librdkafka settings for Meshport's principal; MESHPORT_KAFKA_CONFIG's format.
KAFKA_MESHPORT_CONFIG="security.protocol=SASL_PLAINTEXT;sasl.mechanism=SCRAM-SHA-512;sasl.username=meshport;sasl.password=$KAFKA_MESHPORT_PASSWORD"

ensure_kafka() {
  ensure_java_and_maven
  [ -f "$KAFKA_LIB/.complete" ] && return 0
  log "resolving Apache Kafka $KAFKA_VERSION from Maven Central into $KAFKA_LIB (about a minute, once)"
  local staging="$KAFKA_LIB.partial"
  rm -rf "$staging"
  mvn --batch-mode --quiet -f "$MESHPORT_ROOT/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$staging" >&2 || die "Maven could not resolve Kafka $KAFKA_VERSION"
  [ -f "$staging/kafka_2.13-$KAFKA_VERSION.jar" ] || die "Maven resolved no kafka_2.13-$KAFKA_VERSION.jar"
  touch "$staging/.complete"
  rm -rf "$KAFKA_LIB"
  mv "$staging" "$KAFKA_LIB"
}

# kafka_java <class> <args...>: one of Kafka's main classes on the resolved jars, with the bounded heap. It replaces
# the shell it runs in, so call it in a subshell or in the background (where $! is then the JVM itself).
kafka_java() {
  local class=$1; shift
  exec java -Xms128m -Xmx"$KAFKA_HEAP" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$MESHPORT_ROOT/scripts/kafka/log4j2.properties" \
    -cp "$KAFKA_LIB/*" "$class" "$@"
}

# kafka_configure <dir> <port> [plain port]: writes <dir>/server.properties for a single-node cluster listening on
# 127.0.0.1:<port> (and, with a plain port, the PLAINTEXT listener) and formats <dir>/data with the principals'
# credentials. A directory formatted before keeps its data and its broker password, so a broker can restart on it.
kafka_configure() {
  local dir=$1 port=$2 plain=${3:-} controller_port controller_password listeners advertised protocols super_users
  mkdir -p "$dir"
  controller_port=$(free_port)
  controller_password="controller-$RANDOM$RANDOM$RANDOM"
  [ ! -f "$dir/server.properties" ] || controller_password=$(sed -n 's/^# broker password: //p' "$dir/server.properties")
  listeners="SASL://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port"
  advertised="SASL://127.0.0.1:$port"
  protocols="SASL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
  super_users="User:broker;User:controller;User:meshport"
  if [ -n "$plain" ]; then
    listeners+=",PLAIN://127.0.0.1:$plain"
    advertised+=",PLAIN://127.0.0.1:$plain"
    protocols+=",PLAIN:PLAINTEXT"
    super_users+=";User:ANONYMOUS"
  fi
  cat >"$dir/server.properties" <<PROPERTIES
# broker password: $controller_password
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=$protocols
inter.broker.listener.name=SASL
controller.listener.names=CONTROLLER
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
sasl.mechanism.controller.protocol=PLAIN
listener.name.sasl.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="$controller_password";
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="controller" password="$controller_password" user_controller="$controller_password";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=$super_users
allow.everyone.if.no.acl.found=false
auto.create.topics.enable=false
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPERTIES
  local scram=(--add-scram "SCRAM-SHA-512=[name=broker,password=$controller_password]"
    --add-scram "SCRAM-SHA-512=[name=meshport,password=$KAFKA_MESHPORT_PASSWORD]")
  local principal
  for principal in "${KAFKA_DEMO_PRINCIPALS[@]}"; do
    scram+=(--add-scram "SCRAM-SHA-512=[name=$principal,password=$principal-secret]")
  done
  [ ! -f "$dir/data/meta.properties" ] || return 0
  # The format tool prints the salted credentials it writes; they stay in the data directory, out of the log.
  (kafka_java kafka.tools.StorageTool format --config "$dir/server.properties" \
    --cluster-id "$(kafka_cluster_id)" \
    "${scram[@]}") >"$dir/format.log" 2>&1 \
    || { grep -v Scram "$dir/format.log" | tail -n 20 >&2; die "formatting Kafka's storage failed (in $dir)"; }
}

# A random cluster id as Kafka writes them (a UUID in URL-safe base64), never starting with `-`, which the storage
# tool would read as an option (Kafka's own generator avoids it the same way).
kafka_cluster_id() {
  python3 -c 'import base64, uuid
while True:
    text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not text.startswith("-"):
        print(text)
        break'
}

start_kafka() {
  local port=${1:?usage: start_kafka <port> <log> [plain]} logfile=${2:?usage: start_kafka <port> <log> [plain]}
  local dir waited=0 started
  started=$(date +%s%N)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/meshport-kafka.XXXXXX")
  SERVICE_DIRS+=("$dir")
  KAFKA_PLAIN_PORT=""
  [ "${3:-}" != plain ] || KAFKA_PLAIN_PORT=$(free_port)
  kafka_configure "$dir" "$port" "$KAFKA_PLAIN_PORT"
  kafka_java kafka.Kafka "$dir/server.properties" >"$logfile" 2>&1 &
  KAFKA_PID=$!
  SERVICE_PIDS+=("$KAFKA_PID")
  until grep -q 'Kafka Server started' "$logfile" 2>/dev/null; do
    kill -0 "$KAFKA_PID" 2>/dev/null || { tail -n 30 "$logfile" >&2; die "Kafka exited while starting (log: $logfile)"; }
    sleep 0.2; waited=$((waited + 1))
    [ "$waited" -lt 300 ] || { tail -n 30 "$logfile" >&2; die "Kafka did not start within 60s (log: $logfile)"; }
  done
  log "Kafka ready on 127.0.0.1:$port in $(( ($(date +%s%N) - started) / 1000000 )) ms"
}
