# Sourced by scripts that need the whole local stack on free ports (after common.sh): a fresh Kafka broker (SASL/SCRAM,
# ACLs on, as scripts/run starts it), the development registry and the API (debug build) serving frontend/dist with
# the demo mesh and dev sign-in.
# `start_stack <work dir> [VAR=value...]` sets STACK_URL and STACK_KAFKA; stop it with stop_services.
# With STACK_IDP=true it also starts a real OpenID Connect provider (tests/browser/idp.mjs, needs `npm ci` there
# first) and makes the portal its client, so people can sign in there too; STACK_IDP_URL is then its issuer.
start_stack() {
  local work=$1; shift
  local kafka_port registry_port api_port idp_port oidc=()
  kafka_port=$(free_port)
  start_kafka "$kafka_port" "$work/kafka.log"
  registry_port=$(free_port)
  start_registry "$registry_port" "$work/registry.log" debug
  api_port=$(free_port)
  if [ "${STACK_IDP:-false}" = true ]; then
    idp_port=$(free_port)
    node "$MESHPORT_ROOT/tests/browser/idp.mjs" --port "$idp_port" \
      --redirect-uri "http://127.0.0.1:$api_port/sign-in" >"$work/idp.log" 2>&1 &
    SERVICE_PIDS+=($!)
    STACK_IDP_URL="http://127.0.0.1:$idp_port"
    wait_for_http "$STACK_IDP_URL/.well-known/openid-configuration" "OpenID Connect provider" "$work/idp.log"
    # The test provider serves plain HTTP on loopback, which the API accepts only when told so explicitly.
    oidc=(MESHPORT_OIDC_ISSUER="$STACK_IDP_URL" MESHPORT_OIDC_JWKS_URL="$STACK_IDP_URL/jwks"
      MESHPORT_OIDC_AUDIENCE=meshport-portal MESHPORT_OIDC_CLIENT_ID=meshport-portal
      MESHPORT_OIDC_SCOPE="openid profile groups" MESHPORT_OIDC_ALLOW_HTTP=true)
  fi
  start_api "$api_port" "$work/api.log" debug "${oidc[@]}" \
    MESHPORT_DEMO=true MESHPORT_DEV_AUTH=true MESHPORT_PUBLIC_CARDS=true \
    MESHPORT_PORTAL_URL="http://127.0.0.1:$api_port" \
    MESHPORT_DATA_DIR="$work/data" MESHPORT_STATIC_DIR="$MESHPORT_ROOT/frontend/dist" \
    MESHPORT_KAFKA_BOOTSTRAP="127.0.0.1:$kafka_port" MESHPORT_KAFKA_CONFIG="$KAFKA_MESHPORT_CONFIG" \
    MESHPORT_REGISTRY_URL="http://127.0.0.1:$registry_port" "$@"
  STACK_URL="http://127.0.0.1:$api_port"
  STACK_KAFKA="127.0.0.1:$kafka_port"
  wait_for_products "$STACK_URL" 3 "$work/api.log"
}
