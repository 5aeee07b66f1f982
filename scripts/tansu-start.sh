# Starts a throwaway tansu broker (a Kafka-API broker) for tests; meant to be sourced, not run:
#
#   source scripts/tansu-start.sh
#   port=$(free_port)
#   start_tansu "$port" /tmp/tansu.log || exit 1
#   export MESHPORT_TEST_KAFKA_BOOTSTRAP="127.0.0.1:$port"
#   ...
#   kill "$TANSU_PID"
#
# The broker keeps everything in memory, so every start is a fresh, empty cluster. Set TANSU to use a binary other
# than the one `cargo install tansu` put on PATH or in ~/.cargo/bin.

# Prints a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
        return
    fi
    # Without python: probe random high ports until one refuses connections.
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    echo "free_port: found no free TCP port on 127.0.0.1" >&2
    return 1
}

# start_tansu <port> <logfile>: launches tansu on 127.0.0.1:<port> in the background, waits (up to
# TANSU_START_TIMEOUT seconds, 20 by default) until the port accepts connections, and exports its PID as TANSU_PID.
start_tansu() {
    local port=${1:?usage: start_tansu <port> <logfile>}
    local log=${2:?usage: start_tansu <port> <logfile>}
    local tansu=${TANSU:-}
    if [[ -z $tansu ]]; then
        tansu=$(command -v tansu || true)
        [[ -n $tansu ]] || tansu="$HOME/.cargo/bin/tansu"
    fi
    if [[ ! -x $tansu ]]; then
        echo "start_tansu: no tansu binary at '$tansu': install it with" \
            "\`cargo install tansu --version 0.6.0 --locked --features dynostore\` or set TANSU" >&2
        return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "start_tansu: something already listens on 127.0.0.1:$port" >&2
        return 1
    fi

    # A random cluster id per start, so two brokers started by concurrent test runs can never be mistaken for one.
    local cluster_id="meshport-test-$$-$RANDOM"
    "$tansu" broker \
        --cluster-id "$cluster_id" \
        --listener-url "tcp://127.0.0.1:$port" \
        --advertised-listener-url "tcp://127.0.0.1:$port" \
        --storage-engine "memory://tansu/" \
        >"$log" 2>&1 &
    TANSU_PID=$!
    export TANSU_PID

    local timeout=${TANSU_START_TIMEOUT:-20}
    local deadline=$((SECONDS + timeout))
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        if ! kill -0 "$TANSU_PID" 2>/dev/null; then
            echo "start_tansu: tansu exited before listening on 127.0.0.1:$port; the end of $log:" >&2
            tail -n 20 "$log" >&2
            unset TANSU_PID
            return 1
        fi
        if ((SECONDS >= deadline)); then
            echo "start_tansu: tansu did not listen on 127.0.0.1:$port within ${timeout}s; the end of $log:" >&2
            tail -n 20 "$log" >&2
            kill "$TANSU_PID" 2>/dev/null
            unset TANSU_PID
            return 1
        fi
        sleep 0.1
    done
    echo "$TANSU_PID"
}
