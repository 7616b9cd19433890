#!/usr/bin/env bash
# Starts (start) or stops (stop) a local 3-node Dynago cluster: RESP on
# 127.0.0.1:7001-7003, gossip on 17001-17003, internode on 27001-27003,
# data and logs under ./dynago-cluster/.
set -euo pipefail
BIN=${BIN:-bin/dynago}
DIR=${CLUSTER_DIR:-./dynago-cluster}
PORTS=(7001 7002 7003)

wait_port() { # wait until something listens on 127.0.0.1:$1
  for _ in $(seq 1 100); do
    if (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "node on port $1 did not start; see $DIR/node-$1.log" >&2
  return 1
}

start() {
  mkdir -p "$DIR"
  for i in "${!PORTS[@]}"; do
    port=${PORTS[$i]}
    if [ -f "$DIR/node-$port.pid" ] && kill -0 "$(cat "$DIR/node-$port.pid")" 2>/dev/null; then
      echo "node on port $port already running (pid $(cat "$DIR/node-$port.pid"))"
      continue
    fi
    join=()
    # A node that has never run joins the first; a restarted one finds its cluster itself.
    if [ "$i" -gt 0 ] && [ ! -d "$DIR/node-$port" ]; then join=(--join "127.0.0.1:$((PORTS[0] + 10000))"); fi
    "$BIN" --port "$port" --dir "$DIR/node-$port" "${join[@]}" >>"$DIR/node-$port.log" 2>&1 &
    echo $! >"$DIR/node-$port.pid"
    wait_port "$port"
    echo "node on port $port started (pid $!, log $DIR/node-$port.log)"
  done
  echo "cluster up: redis-cli -p ${PORTS[0]} DYNAGO NODES"
}

stop() {
  for port in "${PORTS[@]}"; do
    f="$DIR/node-$port.pid"
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      echo "node on port $port stopped"
    fi
    rm -f "$f"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
