# Shared by scripts/run and scripts/test: where builds go, how tools are installed when missing, and how the
# services started for a run are stopped again. Source it; it defines functions and sets no traps by itself.

MESHPORT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# One target directory outside the checkout, so every clone (and CI's fresh one) reuses the compiled dependencies.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/meshport/target}"
# Incremental compilation pays off in an edit-compile loop, not in these whole runs, and its caches grow by gigabytes
# per checkout in the shared target directory (a full disk once failed CI). Off unless asked for.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export PATH="$HOME/.cargo/bin:$PATH"
MOTO_VERSION="5.2.1"
CFN_LINT_VERSION="1.51.0"
OPENAPI_VALIDATOR_VERSION="0.9.0"
SCHEMATHESIS_VERSION="4.32.5"
AIOSMTPD_VERSION="1.4.6"
STANDARDWEBHOOKS_VERSION="1.3.0"
DATACONTRACT_CLI_VERSION="1.2.8"

log() { printf '\033[1;34m[meshport]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[meshport] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Warns when the disk holding the target directory is nearly full: a build that runs out of space fails with a
# linker's bus error, far from the cause.
check_disk_space() {
  mkdir -p "$CARGO_TARGET_DIR"
  local free_kb
  free_kb=$(df -Pk "$CARGO_TARGET_DIR" | awk 'NR == 2 { print $4 }')
  if [ -n "$free_kb" ] && [ "$free_kb" -lt $((8 * 1024 * 1024)) ]; then
    log "warning: only $((free_kb / 1024)) MB free under $CARGO_TARGET_DIR; a build needs about 8 GB"
  fi
}

# Prints a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Java 17 or later and Maven, for the JVM services (apt, only when missing).
ensure_java_and_maven() {
  local java_major=""
  if command -v java >/dev/null 2>&1; then
    java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  fi
  if [ -z "$java_major" ] || [ "${java_major%%.*}" -lt 17 ]; then
    ensure_apt openjdk-17-jre-headless
  fi
  command -v mvn >/dev/null 2>&1 || ensure_apt maven
}

# ensure_kafka and start_kafka: Apache Kafka from Maven Central.
source "$MESHPORT_ROOT/scripts/kafka.sh"
# ensure_apicurio and start_apicurio: Apicurio Registry from Maven Central, a second schema registry for the registry
# client's conformance tests.
source "$MESHPORT_ROOT/scripts/apicurio.sh"

# Debian packages, installed only when missing.
ensure_apt() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} (apt)"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -o DPkg::Lock::Timeout=300 -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
}

ensure_moto() {
  if command -v moto_server >/dev/null 2>&1; then return 0; fi
  log "installing moto[server] $MOTO_VERSION (local DynamoDB)"
  python3 -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  hash -r
  command -v moto_server >/dev/null 2>&1 || die "moto_server is not on PATH after pip install"
}

ensure_nextest() {
  command -v cargo-nextest >/dev/null 2>&1 && return 0
  log "installing cargo-nextest"
  cargo install cargo-nextest --locked --quiet
}

# cfn-lint checks the deployment template (infra/template.json), SAM transform included.
ensure_cfn_lint() {
  command -v cfn-lint >/dev/null 2>&1 && return 0
  log "installing cfn-lint $CFN_LINT_VERSION (deployment template linter)"
  python3 -m pip install --quiet --disable-pip-version-check "cfn-lint==$CFN_LINT_VERSION"
  hash -r
  command -v cfn-lint >/dev/null 2>&1 || die "cfn-lint is not on PATH after pip install"
}

# openapi-spec-validator checks the API's OpenAPI document (`meshport openapi`) against the OpenAPI 3.1 schema.
ensure_openapi_validator() {
  command -v openapi-spec-validator >/dev/null 2>&1 && return 0
  log "installing openapi-spec-validator $OPENAPI_VALIDATOR_VERSION (OpenAPI document validator)"
  python3 -m pip install --quiet --disable-pip-version-check "openapi-spec-validator==$OPENAPI_VALIDATOR_VERSION"
  hash -r
  command -v openapi-spec-validator >/dev/null 2>&1 || die "openapi-spec-validator is not on PATH after pip install"
}

# schemathesis fuzzes the running API from its OpenAPI document (scripts/api-fuzz).
ensure_schemathesis() {
  if command -v schemathesis >/dev/null 2>&1 && [ "$(schemathesis --version)" = "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
    return 0
  fi
  log "installing schemathesis $SCHEMATHESIS_VERSION (OpenAPI-driven API fuzzer)"
  python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  hash -r
  command -v schemathesis >/dev/null 2>&1 || die "schemathesis is not on PATH after pip install"
}

# ensure_venv DIR WHY PACKAGE...: a venv in DIR holding exactly the pinned PACKAGEs, (re)installed when they change.
ensure_venv() {
  local venv=$1 why=$2; shift 2
  local want="$*"
  if [ "$(cat "$venv/installed" 2>/dev/null)" != "$want" ]; then
    log "installing $want ($why)"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "cannot create the venv $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" || die "pip could not install $want"
    echo "$want" >"$venv/installed"
  fi
}

# The notification tests' independent receivers (tests/peers/): aiosmtpd receives the mail, the official
# standardwebhooks library verifies webhook signatures. Pinned, in a venv of their own under ~/.cache/meshport, and
# named to the tests in MESHPORT_TEST_PEERS_PYTHON.
ensure_notify_peers() {
  local venv="$HOME/.cache/meshport/notify-peers"
  ensure_venv "$venv" "the notification tests' receivers" "aiosmtpd==$AIOSMTPD_VERSION" "standardwebhooks==$STANDARDWEBHOOKS_VERSION"
  export MESHPORT_TEST_PEERS_PYTHON="$venv/bin/python"
}

# start_catcher SMTP_PORT HTTP_PORT LOG SECRET: the demo's mail and webhook catcher (tests/peers/catcher.py) on
# 127.0.0.1, verifying webhooks signed with SECRET; its page lists what arrived.
start_catcher() {
  local smtp_port=$1 http_port=$2 logfile=$3 secret=$4
  ensure_notify_peers
  "$MESHPORT_TEST_PEERS_PYTHON" "$MESHPORT_ROOT/tests/peers/catcher.py" \
    --smtp-port "$smtp_port" --http-port "$http_port" --secret "$secret" >"$logfile" 2>&1 &
  SERVICE_PIDS+=($!)
  wait_for_http "http://127.0.0.1:$http_port/messages" "mail and webhook catcher" "$logfile"
}

# ensure_datacontract: the Data Contract CLI (PyPI datacontract-cli, pinned; its `lint` validates an ODCS file), the
# independent reader the products-as-code tests hand Meshport's contracts to, in a venv of its own (many
# dependencies: about 110 s to install from the network, 17 s of it CPU), named to the tests in
# MESHPORT_TEST_DATACONTRACT.
ensure_datacontract() {
  local venv="$HOME/.cache/meshport/datacontract"
  ensure_venv "$venv" "the products-as-code tests' contract linter" "datacontract-cli==$DATACONTRACT_CLI_VERSION"
  export MESHPORT_TEST_DATACONTRACT="$venv/bin/datacontract"
}

# The processes this run started and the directories they keep their data in; each start_* helper registers its own.
# stop_services stops and removes them (scripts set it as their EXIT trap).
SERVICE_PIDS=()
SERVICE_DIRS=()
stop_services() {
  local pid
  for pid in "${SERVICE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SERVICE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ ${#SERVICE_DIRS[@]} -eq 0 ] || rm -rf "${SERVICE_DIRS[@]}"
  SERVICE_PIDS=()
  SERVICE_DIRS=()
}

# wait_for_http URL NAME LOG [SECONDS]: polls until URL answers, or fails showing the end of LOG.
wait_for_http() {
  local url=$1 name=$2 logfile=$3 limit=${4:-30} waited=0
  # Each try is bounded, so a server that accepts connections before it answers cannot stall the wait.
  until curl -fsS --max-time 2 -o /dev/null "$url" 2>/dev/null; do
    sleep 0.2; waited=$((waited + 1))
    if [ "$waited" -ge $((limit * 5)) ]; then
      tail -n 30 "$logfile" >&2 || true
      die "$name did not answer at $url within ${limit}s (log: $logfile)"
    fi
  done
}

# start_moto PORT LOG: a moto_server on 127.0.0.1 (exports AWS test credentials for the clients).
start_moto() {
  local port=$1 logfile=$2
  moto_server -H 127.0.0.1 -p "$port" >"$logfile" 2>&1 &
  SERVICE_PIDS+=($!)
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
  wait_for_http "http://127.0.0.1:$port/moto-api/" "moto_server" "$logfile"
}

# start_registry PORT LOG PROFILE: Meshport's development schema registry, as built by cargo's PROFILE (debug|release).
start_registry() {
  local port=$1 logfile=$2 profile=$3
  MESHPORT_REGISTRY_LISTEN="127.0.0.1:$port" "$CARGO_TARGET_DIR/$profile/meshport-registry" >"$logfile" 2>&1 &
  SERVICE_PIDS+=($!)
  wait_for_http "http://127.0.0.1:$port/subjects" "schema registry" "$logfile"
}

# start_api PORT LOG PROFILE [VAR=value ...]: the meshport server, with extra environment for this run.
start_api() {
  local port=$1 logfile=$2 profile=$3; shift 3
  env MESHPORT_LISTEN="127.0.0.1:$port" "$@" "$CARGO_TARGET_DIR/$profile/meshport" >"$logfile" 2>&1 &
  SERVICE_PIDS+=($!)
  wait_for_http "http://127.0.0.1:$port/api/health" "meshport API" "$logfile"
}

# start_test_services WORK: what the Rust tests and benchmarks run against: a Kafka broker (secured, plus the plain
# listener for tests that do not test authorization), a moto_server, on free ports, and the notification tests'
# receivers' Python, announced to the tests through MESHPORT_TEST_* variables.
start_test_services() {
  local work=$1 kafka_port moto_port
  kafka_port=$(free_port)
  start_kafka "$kafka_port" "$work/kafka.log" plain
  moto_port=$(free_port)
  start_moto "$moto_port" "$work/moto.log"
  export MESHPORT_TEST_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PLAIN_PORT"
  export MESHPORT_TEST_KAFKA_SASL_BOOTSTRAP="127.0.0.1:$kafka_port"
  export MESHPORT_TEST_KAFKA_CONFIG="$KAFKA_MESHPORT_CONFIG"
  export MESHPORT_TEST_DYNAMODB_ENDPOINT="http://127.0.0.1:$moto_port"
  ensure_notify_peers
  ensure_datacontract
}

# wait_for_products URL COUNT LOG: polls the product list until the catalog holds at least COUNT products. Reads may
# need sign-in (MESHPORT_PUBLIC_READS off): with dev sign-in on, it signs in as a demo reader first.
wait_for_products() {
  local url=$1 count=$2 logfile=$3 waited=0 token auth=()
  token=$(curl -fsS -H 'content-type: application/json' -d '{"user": "meshport-scripts"}' "$url/api/v1/dev/token" 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' 2>/dev/null || true)
  [ -z "$token" ] || auth=(-H "Authorization: Bearer $token")
  until [ "$(curl -fsS "${auth[@]}" "$url/api/v1/products" 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))' 2>/dev/null || echo 0)" -ge "$count" ]; do
    sleep 0.5; waited=$((waited + 1))
    [ "$waited" -lt 120 ] || { tail -n 30 "$logfile" >&2; die "the demo mesh was not seeded within 60s (log: $logfile)"; }
  done
}
