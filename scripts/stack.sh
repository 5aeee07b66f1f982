# Sourced by scripts that need the whole local stack on free ports (after common.sh): a fresh tansu broker, the
# development registry and the API (debug build) serving frontend/dist with the demo mesh and dev sign-in.
# `start_stack <work dir> [VAR=value...]` sets STACK_URL and STACK_KAFKA; stop it with stop_services.
start_stack() {
  local work=$1; shift
  local kafka_port registry_port api_port
  kafka_port=$(free_port)
  start_tansu "$kafka_port" "$work/tansu.log" >/dev/null
  SERVICE_PIDS+=("$TANSU_PID")
  registry_port=$(free_port)
  start_registry "$registry_port" "$work/registry.log" debug
  api_port=$(free_port)
  start_api "$api_port" "$work/api.log" debug \
    MESHPORT_DEMO=true MESHPORT_DEV_AUTH=true MESHPORT_PUBLIC_CARDS=true \
    MESHPORT_PORTAL_URL="http://127.0.0.1:$api_port" \
    MESHPORT_DATA_DIR="$work/data" MESHPORT_STATIC_DIR="$MESHPORT_ROOT/frontend/dist" \
    MESHPORT_KAFKA_BOOTSTRAP="127.0.0.1:$kafka_port" MESHPORT_REGISTRY_URL="http://127.0.0.1:$registry_port" "$@"
  STACK_URL="http://127.0.0.1:$api_port"
  STACK_KAFKA="127.0.0.1:$kafka_port"
  wait_for_products "$STACK_URL" 3 "$work/api.log"
}
