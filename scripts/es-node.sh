#!/usr/bin/env bash
# Start or stop a throwaway Elasticsearch node on 127.0.0.1 for the test suite.
#   scripts/es-node.sh start STATE_DIR   -> prints the node URL, writes STATE_DIR/{pid,url}
#   scripts/es-node.sh stop STATE_DIR
# The test distribution comes from Maven Central through `mvn dependency:copy` (cached in ~/.m2).
set -euo pipefail
ES_VERSION="${VIGIE_ES_VERSION:-9.2.0}"
# Outside $HOME: when we are root the node runs as another user, who cannot enter /root.
CACHE="${VIGIE_CACHE_DIR:-/var/tmp/vigie-cache}"
cmd="${1:?usage: es-node.sh start|stop STATE_DIR}"
state="${2:?usage: es-node.sh start|stop STATE_DIR}"

# Elasticsearch 9 needs Java 21 or newer, 8 needs 17.
JAVA_MIN=21
[ "${ES_VERSION%%.*}" -lt 9 ] 2>/dev/null && JAVA_MIN=17

java_major() {
  # The major version `$1/bin/java -version` reports (empty when it reports none).
  "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1
}

find_java() {
  # VIGIE_ES_JAVA_HOME when set (checked), else the newest JDK under /usr/lib/jvm. One line on failure.
  local best="" bestv=0 v home
  if [ -n "${VIGIE_ES_JAVA_HOME:-}" ]; then
    best="${VIGIE_ES_JAVA_HOME%/}"
    if [ ! -x "$best/bin/java" ]; then
      echo "es-node: no Java at VIGIE_ES_JAVA_HOME=$VIGIE_ES_JAVA_HOME ($best/bin/java is missing):" \
           "point it at a JDK $JAVA_MIN+ or unset it to use the newest JDK under /usr/lib/jvm" >&2
      return 1
    fi
    bestv=$(java_major "$best")
    if [ -z "$bestv" ] || [ "$bestv" -lt "$JAVA_MIN" ]; then
      echo "es-node: Elasticsearch $ES_VERSION needs Java $JAVA_MIN+, VIGIE_ES_JAVA_HOME=$VIGIE_ES_JAVA_HOME" \
           "is Java ${bestv:-of unknown version}: point it at a JDK $JAVA_MIN+ or unset it" >&2
      return 1
    fi
    echo "$best"; return 0
  fi
  for home in /usr/lib/jvm/*/; do
    [ -x "$home/bin/java" ] || continue
    v=$(java_major "${home%/}")
    if [ -n "$v" ] && [ "$v" -gt "$bestv" ]; then bestv=$v; best=${home%/}; fi
  done
  if [ "$bestv" -lt "$JAVA_MIN" ]; then
    echo "es-node: Elasticsearch $ES_VERSION needs Java $JAVA_MIN+, found ${best:+only Java $bestv}${best:-no Java}" \
         "under /usr/lib/jvm: install a JDK $JAVA_MIN+ (apt-get install openjdk-21-jdk-headless)" \
         "or set VIGIE_ES_JAVA_HOME" >&2
    return 1
  fi
  echo "$best"
}

start() {
  # Java first (a plain assignment, so a failure stops the script): no download, no node without it.
  local java_home
  java_home=$(find_java) || return 1
  mkdir -p "$CACHE" "$state"
  local home="$CACHE/elasticsearch-$ES_VERSION"
  if [ ! -x "$home/bin/elasticsearch" ]; then
    mvn -q -B dependency:copy \
      -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
      -DoutputDirectory="$CACHE" >&2
    rm -rf "$home.tmp" && mkdir -p "$home.tmp"
    (cd "$home.tmp" && python3 -m zipfile -e "$CACHE/elasticsearch-$ES_VERSION.zip" .)
    mv "$home.tmp/elasticsearch-$ES_VERSION" "$home" && rm -rf "$home.tmp"
    chmod +x "$home"/bin/* "$home"/lib/platform/*/bin/* 2>/dev/null || true
  fi
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$state/data" "$state/logs"
  # ES refuses to run as root; run it as an unprivileged user when we are root.
  local runner=()
  if [ "$(id -u)" = "0" ]; then
    id vigie-es >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin vigie-es
    chown -R vigie-es "$state" "$home"
    runner=(runuser -u vigie-es --)
  fi
  ES_JAVA_HOME="$java_home" ES_JAVA_OPTS="-Xms512m -Xmx512m" "${runner[@]}" env ES_JAVA_HOME="$java_home" \
    ES_JAVA_OPTS="-Xms512m -Xmx512m" "$home/bin/elasticsearch" \
    -Ediscovery.type=single-node -Enetwork.host=127.0.0.1 -Ehttp.port="$port" -Etransport.port=0 \
    -Epath.data="$state/data" -Epath.logs="$state/logs" -Ecluster.name=vigie-test \
    -Ecluster.routing.allocation.disk.threshold_enabled=false -Expack.security.enabled=false \
    >"$state/stdout.log" 2>&1 &
  echo $! >"$state/pid"
  local url="http://127.0.0.1:$port"
  echo "$url" >"$state/url"
  # Poll cluster health (no blind sleep): up to 180 s.
  for _ in $(seq 1 360); do
    if ! kill -0 "$(cat "$state/pid")" 2>/dev/null; then
      echo "es-node: Elasticsearch exited during start; last log lines:" >&2; tail -30 "$state/stdout.log" >&2; return 1
    fi
    if curl -fsS "$url/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null 2>&1; then
      echo "$url"; return 0
    fi
    sleep 0.5
  done
  echo "es-node: Elasticsearch did not become healthy in 180 s; see $state/stdout.log" >&2
  stop; return 1
}

stop() {
  [ -f "$state/pid" ] || return 0
  local pid; pid=$(cat "$state/pid")
  # runuser forks the JVM as a child: stop the whole process group tree.
  pkill -TERM -P "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  pkill -KILL -P "$pid" 2>/dev/null || true
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$state/pid"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: es-node.sh start|stop STATE_DIR" >&2; exit 2 ;;
esac
