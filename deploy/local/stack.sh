#!/usr/bin/env bash
# The Docker-free local stack: Apache Kafka (KRaft), PostgreSQL and
# a Zipkin trace UI, all on 127.0.0.1, all from package registries.
#
#   stack.sh up             start what is not running, wait until it answers, print endpoints
#   stack.sh down           stop what this stack started; data stays
#   stack.sh down --purge   (= clean) stop and delete the data (downloaded jars stay)
#   stack.sh status         one line per component; exit 1 if any is down
#   stack.sh env            `export NAME=value` lines, for: eval "$(stack.sh env)"
#   stack.sh stop|start|restart kafka|postgres|zipkin
#                           one component only (the fault suite restarts the broker and
#                           the database server of its private stack this way)
#
# Every subcommand is idempotent. Ports come from the environment:
#   KAFKA_PORT (9092)  KAFKA_CONTROLLER_PORT (9093)  PGPORT (5433)  ZIPKIN_PORT (9411)
# Other knobs: KAFKA_HEAP (512m), STACK_READY_TIMEOUT (120 s), STACK_ZIPKIN (1; 0: no Zipkin),
#   STACK_INSTANCE (empty): a name for a second, private stack of this checkout on other
#   ports, with its own Kafka data, pid files, logs and Postgres data; the jars are shared.
#
# State and logs live in $REPO/.local/ (git-ignored), logs in $REPO/.local/logs/; those of an
# instance in $REPO/.local/instances/<name>/. The Postgres data directory is the exception,
# see pg_setup_paths.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SHARED_STATE=$REPO/.local          # the downloaded jars: one copy for every instance
INSTANCE=${STACK_INSTANCE:-}
[[ -z $INSTANCE || $INSTANCE =~ ^[a-z0-9-]+$ ]] || { echo "[stack] ERROR: STACK_INSTANCE must match [a-z0-9-]+" >&2; exit 2; }
STATE=$SHARED_STATE${INSTANCE:+/instances/$INSTANCE}
LOGS=$STATE/logs

KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
PGPORT=${PGPORT:-5433}
ZIPKIN_PORT=${ZIPKIN_PORT:-9411}
KAFKA_HEAP=${KAFKA_HEAP:-512m}
READY_TIMEOUT=${STACK_READY_TIMEOUT:-120}
WITH_ZIPKIN=${STACK_ZIPKIN:-1}

LIBS=$SHARED_STATE/libs             # Kafka's classpath (and nothing else)
ZIPKIN_JAR=$SHARED_STATE/zipkin/zipkin-server-exec.jar
JARS_STAMP=$SHARED_STATE/jars.stamp # hash of pom.xml the jars were fetched for
KAFKA_DIR=$STATE/kafka
KAFKA_DATA=$KAFKA_DIR/data
KAFKA_PID=$STATE/kafka.pid
ZIPKIN_PID=$STATE/zipkin.pid
DATABASES=(intake housing aid)

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- small probes

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# True when the pid in pid file $1 is alive AND its command line contains $2,
# so a pid recycled by an unrelated process is never mistaken for ours.
pid_alive() {
  local pid
  [[ -s $1 ]] || return 1
  pid=$(<"$1")
  [[ -r /proc/$pid/cmdline ]] || return 1
  # (No `| grep -q`: under pipefail its early exit can fail the pipeline.)
  [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *"$2"* ]]
}

# Stop the process of pid file $1 (marker $2): SIGTERM, wait up to $3 s, SIGKILL.
stop_pid() {
  local file=$1 marker=$2 grace=$3 pid i
  if pid_alive "$file" "$marker"; then
    pid=$(<"$file")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 5; i++)); do
      pid_alive "$file" "$marker" || break
      sleep 0.2
    done
    if pid_alive "$file" "$marker"; then
      log "pid $pid did not stop within ${grace}s, killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

http_get() { curl -fsS -m 3 "$1" 2>/dev/null; }

# ---------------------------------------------------------------- prerequisites

APT_UPDATED=0
apt_install() {
  [[ $EUID -eq 0 ]] || die "missing $*; install it (apt-get install $*) or run as root"
  if ((APT_UPDATED == 0)); then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    APT_UPDATED=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

ensure_java_maven() {
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  command -v mvn >/dev/null || apt_install maven
  command -v curl >/dev/null || apt_install curl
}

# Resolve the jars from Maven Central, but only when the pom changed since the
# last download (or the jars are gone): a warm `up` must not pay for Maven.
ensure_jars() {
  local want
  want=$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)
  if [[ -f $JARS_STAMP && $(<"$JARS_STAMP") == "$want" && -f $ZIPKIN_JAR ]] &&
    compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null; then
    return 0
  fi
  ensure_java_maven
  log "fetching Kafka and Zipkin jars with Maven (log: $LOGS/maven.log)"
  # Start from empty folders so an old version never stays on the classpath.
  rm -rf "$LIBS" "$SHARED_STATE/zipkin" "$JARS_STAMP"
  local attempt
  for attempt in 1 2 3; do
    if mvn -B -q -f "$HERE/pom.xml" \
      -Dmaven.wagon.http.retryHandler.count=3 \
      -Dlibs.dir="$LIBS" -Dzipkin.dir="$SHARED_STATE/zipkin" \
      dependency:copy-dependencies dependency:copy-dependencies@zipkin \
      >"$LOGS/maven.log" 2>&1; then
      echo "$want" >"$JARS_STAMP"
      return 0
    fi
    log "maven attempt $attempt failed"
    ((attempt < 3)) && sleep $((attempt * 5))
  done
  tail -n 30 "$LOGS/maven.log" >&2
  die "could not fetch the jars; see $LOGS/maven.log"
}

# Any JVM of ours that only runs a Kafka command-line tool: small heap, quick
# start (C1 only), and a log4j2 config that keeps the tools quiet on stderr.
kafka_tool() {
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -Dlog4j2.configurationFile="$KAFKA_DIR/tools-log4j2.xml" \
    -cp "$LIBS/*" "$@"
}

# ---------------------------------------------------------------- Kafka

# Generated on every start (cheap) so a changed port takes effect.
kafka_write_config() {
  mkdir -p "$KAFKA_DIR" "$KAFKA_DATA"
  cat >"$KAFKA_DIR/server.properties" <<EOF
# Generated by deploy/local/stack.sh on each start: edit the script, not this file.
# One combined broker+controller (KRaft), loopback only, single-replica everything.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:${KAFKA_CONTROLLER_PORT}
listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT},CONTROLLER://127.0.0.1:${KAFKA_CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT},CONTROLLER://127.0.0.1:${KAFKA_CONTROLLER_PORT}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
log.dirs=${KAFKA_DATA}

# One broker: every internal topic has one replica, or it can never be created.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1

# Consumers join at once instead of waiting 3 s for more members (tests).
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
num.partitions=3

# Keep a developer's disk small.
log.retention.hours=168
log.segment.bytes=104857600
num.network.threads=2
num.io.threads=4
EOF

  # Everything the broker says goes to one rolling file, nothing to the console.
  cat >"$KAFKA_DIR/log4j2.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by deploy/local/stack.sh -->
<Configuration status="WARN">
  <Appenders>
    <RollingFile name="file" fileName="${LOGS}/kafka.log" filePattern="${LOGS}/kafka.log.%i">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <SizeBasedTriggeringPolicy size="50MB"/>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="file"/></Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="kafka.network.RequestChannel\$" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
  </Loggers>
</Configuration>
EOF

  cat >"$KAFKA_DIR/tools-log4j2.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by deploy/local/stack.sh: command-line tools log warnings to stderr only -->
<Configuration status="WARN">
  <Appenders>
    <Console name="stderr" target="SYSTEM_ERR"><PatternLayout pattern="[%d] %p %m (%c)%n"/></Console>
  </Appenders>
  <Loggers><Root level="WARN"><AppenderRef ref="stderr"/></Root></Loggers>
</Configuration>
EOF

  # Readiness probes must fail fast, not retry for the client's default minute.
  cat >"$KAFKA_DIR/tools.properties" <<'EOF'
request.timeout.ms=5000
default.api.timeout.ms=8000
EOF
}

# Format the log directory once. `--standalone` writes this node as the only
# voter of a dynamic KRaft quorum, with the controller's address in it; a
# changed controller port therefore needs a fresh format (data is dev data).
kafka_format() {
  local formatted_for=$KAFKA_DIR/formatted-for
  local want="controller=127.0.0.1:${KAFKA_CONTROLLER_PORT}"
  if [[ -f $KAFKA_DATA/meta.properties ]]; then
    [[ -f $formatted_for && $(<"$formatted_for") == "$want" ]] && return 0
    log "Kafka data was formatted for another controller port: formatting anew"
    rm -rf "$KAFKA_DATA"
    mkdir -p "$KAFKA_DATA"
  fi
  if [[ ! -s $KAFKA_DIR/cluster-id ]]; then
    kafka_tool kafka.tools.StorageTool random-uuid >"$KAFKA_DIR/cluster-id"
  fi
  log "formatting Kafka storage (cluster id $(<"$KAFKA_DIR/cluster-id"))"
  kafka_tool kafka.tools.StorageTool format --standalone \
    -t "$(<"$KAFKA_DIR/cluster-id")" -c "$KAFKA_DIR/server.properties" \
    >>"$LOGS/kafka-format.log" 2>&1 ||
    die "kafka storage format failed; see $LOGS/kafka-format.log"
  echo "$want" >"$formatted_for"
}

# Ready = the broker serves metadata (listing topics needs the controller too).
kafka_answers() {
  port_open "$KAFKA_PORT" || return 1
  timeout 30 java -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -Dlog4j2.configurationFile="$KAFKA_DIR/tools-log4j2.xml" -cp "$LIBS/*" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
    --command-config "$KAFKA_DIR/tools.properties" --list >/dev/null 2>&1
}

kafka_running() { pid_alive "$KAFKA_PID" "$KAFKA_DIR/server.properties"; }

# Decide what `up` does with Kafka (KAFKA_ACTION = ours | reuse | start), and
# refuse before anything is started when a port is taken by something else.
kafka_check() {
  if kafka_running; then
    grep -qF "PLAINTEXT://127.0.0.1:${KAFKA_PORT}," "$KAFKA_DIR/server.properties" ||
      die "kafka of this checkout runs on other ports than KAFKA_PORT=$KAFKA_PORT: run 'down' first"
    log "kafka: already started (pid $(<"$KAFKA_PID"))"
    KAFKA_ACTION=ours
  elif port_open "$KAFKA_PORT"; then
    # Not ours, but maybe a Kafka all the same: reuse it if it answers.
    kafka_write_config # the probe needs the tools' config files
    kafka_answers ||
      die "port $KAFKA_PORT (KAFKA_PORT) is taken by something that is not a working Kafka broker"
    log "kafka: reusing the broker already answering on 127.0.0.1:$KAFKA_PORT"
    KAFKA_ACTION=reuse
  else
    port_open "$KAFKA_CONTROLLER_PORT" &&
      die "port $KAFKA_CONTROLLER_PORT (KAFKA_CONTROLLER_PORT) is taken by another process"
    KAFKA_ACTION=start
  fi
}

kafka_start() {
  [[ $KAFKA_ACTION == start ]] || return 0
  kafka_write_config
  kafka_format
  log "kafka: starting on 127.0.0.1:$KAFKA_PORT (log: $LOGS/kafka.log)"
  # setsid: the broker is a daemon, a Ctrl-C on `up` must not reach it.
  # G1 settings as in Kafka's own kafka-run-class.sh.
  setsid nohup java -Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true \
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.xml" -Dkafka.logs.dir="$LOGS" \
    -cp "$LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
    >"$LOGS/kafka.out" 2>&1 </dev/null 9>&- &
  echo $! >"$KAFKA_PID"
}

kafka_stop() {
  if kafka_running; then
    log "kafka: stopping (pid $(<"$KAFKA_PID"))"
    # Controlled shutdown flushes and closes the logs: worth the wait.
    stop_pid "$KAFKA_PID" "$KAFKA_DIR/server.properties" 60
  else
    rm -f "$KAFKA_PID"
  fi
}

# ---------------------------------------------------------------- Postgres

# The server runs as the `postgres` system user when we are root (initdb
# refuses root), and as ourselves otherwise. That user may not be able to
# reach a checkout under a root-only home, so the data directory lives in the
# system temp area, named after the checkout so two clones never share one.
pg_setup_paths() {
  # The newest installed major version, if several.
  local initdb
  initdb=$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
  [[ -x $initdb ]] || initdb=""
  PG_BIN=${initdb%/initdb}
  PG_DIR=${STACK_PG_DIR:-/tmp/resettle-pg-$(echo -n "$REPO" | sha1sum | cut -c1-10)${INSTANCE:+-$INSTANCE}}
  PGDATA_DIR=$PG_DIR/data
  PG_LOG=$PG_DIR/postgres.log
  if [[ $EUID -eq 0 ]]; then PG_USER=postgres; else PG_USER=$(id -un); fi
}

ensure_pg_binaries() {
  [[ -n $PG_BIN && -x $PG_BIN/initdb ]] && return 0
  # Debian's postgresql package; it would start its own cluster on 5432 through
  # invoke-rc.d, which we do not want: a policy-rc.d that says "no" prevents it
  # (only if none exists, and removed again right after).
  local policy=/usr/sbin/policy-rc.d added=0
  if [[ $EUID -eq 0 && ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added=1
  fi
  apt_install postgresql || { ((added)) && rm -f "$policy"; die "could not install postgresql"; }
  ((added)) && rm -f "$policy"
  pg_setup_paths
  [[ -x $PG_BIN/initdb ]] || die "postgresql installed but no initdb under /usr/lib/postgresql/*/bin"
}

# Run a server binary as the server's user, from a directory it can read
# (initdb and pg_ctl complain when the current directory is unreachable).
as_pg() {
  if [[ $EUID -eq 0 ]]; then
    (cd "$PG_DIR" && runuser -u "$PG_USER" -- "$@")
  else
    (cd "$PG_DIR" && "$@")
  fi
}

pg_answers() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" -t 2 >/dev/null 2>&1; }

pg_running() { [[ -f $PGDATA_DIR/postmaster.pid ]] && as_pg "$PG_BIN/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1; }

pg_init() {
  if [[ ! -d $PG_DIR ]]; then
    mkdir -m 700 "$PG_DIR"
    [[ $EUID -eq 0 ]] && chown "$PG_USER:" "$PG_DIR"
  fi
  # /tmp is shared: never use a directory someone else made for us.
  [[ $(stat -c %U "$PG_DIR") == "$PG_USER" ]] || die "$PG_DIR is not owned by $PG_USER"
  if [[ ! -f $PGDATA_DIR/PG_VERSION ]]; then
    log "postgres: initdb in $PGDATA_DIR"
    as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" --auth=trust -U postgres \
      -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 ||
      { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
    # Port is given at each start (-p) so PGPORT can change; the rest is fixed.
    cat >>"$PGDATA_DIR/postgresql.conf" <<EOF

# --- deploy/local/stack.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
max_connections = 200
EOF
  fi
  mkdir -p "$LOGS"
  ln -sfn "$PG_LOG" "$LOGS/postgres.log"
}

# PG_ACTION = ours | reuse | start, as for Kafka.
pg_check() {
  if pg_running; then
    # Line 4 of postmaster.pid is the port the server listens on.
    [[ $(sed -n 4p "$PGDATA_DIR/postmaster.pid") == "$PGPORT" ]] ||
      die "postgres of this checkout runs on another port than PGPORT=$PGPORT: run 'down' first"
    log "postgres: already started"
    PG_ACTION=ours
  elif port_open "$PGPORT"; then
    pg_answers || die "port $PGPORT (PGPORT) is taken by something that is not Postgres"
    log "postgres: reusing the server already answering on 127.0.0.1:$PGPORT"
    PG_ACTION=reuse
  else
    PG_ACTION=start
  fi
}

pg_start() {
  [[ $PG_ACTION == start ]] || return 0
  pg_init
  log "postgres: starting on 127.0.0.1:$PGPORT (log: $LOGS/postgres.log)"
  # Postgres is started last and waited for here (-w): it takes a second or
  # two, while the two JVMs started before it are still booting.
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -w -t 60 -o "-p $PGPORT" start >/dev/null 9>&- ||
    die "pg_ctl start failed; see $LOGS/postgres.log"
}

pg_create_databases() {
  local db
  for db in "${DATABASES[@]}"; do
    if [[ -z $("$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
      "$PG_BIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres "$db" ||
        die "could not create database $db"
      log "postgres: created database $db"
    fi
  done
}

pg_stop() {
  if [[ -n $PG_BIN ]] && pg_running; then
    log "postgres: stopping"
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null
  fi
}

# ---------------------------------------------------------------- Zipkin

zipkin_answers() { [[ $(http_get "http://127.0.0.1:$ZIPKIN_PORT/health") == *'"UP"'* ]]; }

zipkin_running() { pid_alive "$ZIPKIN_PID" "$ZIPKIN_JAR"; }

# ZIPKIN_ACTION = ours | reuse | start, as for Kafka.
zipkin_check() {
  if zipkin_running; then
    pid_alive "$ZIPKIN_PID" "--armeria.ports[0].port=$ZIPKIN_PORT " ||
      die "zipkin of this checkout runs on another port than ZIPKIN_PORT=$ZIPKIN_PORT: run 'down' first"
    log "zipkin: already started (pid $(<"$ZIPKIN_PID"))"
    ZIPKIN_ACTION=ours
  elif port_open "$ZIPKIN_PORT"; then
    zipkin_answers || die "port $ZIPKIN_PORT (ZIPKIN_PORT) is taken by something that is not Zipkin"
    log "zipkin: reusing the server already answering on 127.0.0.1:$ZIPKIN_PORT"
    ZIPKIN_ACTION=reuse
  else
    ZIPKIN_ACTION=start
  fi
}

zipkin_start() {
  [[ $ZIPKIN_ACTION == start ]] || return 0
  log "zipkin: starting on 127.0.0.1:$ZIPKIN_PORT (log: $LOGS/zipkin.log)"
  # Armeria binds every interface unless the port entry names an ip; Spring
  # replaces a list as a whole, so the entry is given in full.
  # KAFKA_BOOTSTRAP_SERVERS (and the other collector variables) would make
  # Zipkin consume our Kafka: a developer's shell may have them from `env`.
  # In-memory storage keeps at most MEM_MAX_SPANS spans; sized for the heap.
  # C1-only JIT (TieredStopAtLevel=1): starts ~25% faster, plenty for a dev UI.
  env -u KAFKA_BOOTSTRAP_SERVERS -u RABBIT_URI -u RABBIT_ADDRESSES -u ACTIVEMQ_URL \
    -u SCRIBE_ENABLED -u COLLECTOR_GRPC_ENABLED \
    STORAGE_TYPE=mem MEM_MAX_SPANS="${ZIPKIN_MEM_MAX_SPANS:-50000}" QUERY_PORT="$ZIPKIN_PORT" \
    setsid nohup java -Xms64m -Xmx256m -XX:TieredStopAtLevel=1 -Djava.net.preferIPv4Stack=true \
    -jar "$ZIPKIN_JAR" \
    "--armeria.ports[0].ip=127.0.0.1" "--armeria.ports[0].port=$ZIPKIN_PORT" \
    "--armeria.ports[0].protocols[0]=http" \
    >"$LOGS/zipkin.log" 2>&1 </dev/null 9>&- &
  echo $! >"$ZIPKIN_PID"
}

zipkin_stop() {
  if zipkin_running; then
    log "zipkin: stopping (pid $(<"$ZIPKIN_PID"))"
    stop_pid "$ZIPKIN_PID" "$ZIPKIN_JAR" 20
  else
    rm -f "$ZIPKIN_PID"
  fi
}

# ---------------------------------------------------------------- subcommands

print_env() {
  local pg="postgresql://postgres@127.0.0.1:$PGPORT"
  cat <<EOF
export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$KAFKA_PORT
export INTAKE_DATABASE_URL=$pg/intake
export HOUSING_DATABASE_URL=$pg/housing
export AID_DATABASE_URL=$pg/aid
export PG_ADMIN_URL=$pg/postgres
export OTEL_EXPORTER_ZIPKIN_ENDPOINT=http://127.0.0.1:$ZIPKIN_PORT/api/v2/spans
EOF
}

print_endpoints() {
  local pg="postgresql://postgres@127.0.0.1:$PGPORT"
  cat <<EOF
Local stack is up:
  Kafka bootstrap   127.0.0.1:$KAFKA_PORT
  Postgres intake   $pg/intake
  Postgres housing  $pg/housing
  Postgres aid      $pg/aid
  Postgres admin    $pg/postgres
EOF
  if ((WITH_ZIPKIN)); then
    cat <<EOF
  Zipkin UI         http://127.0.0.1:$ZIPKIN_PORT/zipkin/
  Zipkin spans      http://127.0.0.1:$ZIPKIN_PORT/api/v2/spans
EOF
  fi
  cat <<EOF
Logs: $LOGS/   Environment: eval "\$(bash deploy/local/stack.sh env)"
EOF
}

# Serialise up/down/clean: parallel test workers may all call `up`.
# The servers are started with `9>&-` so they never inherit (and hold) the lock.
take_lock() {
  mkdir -p "$STATE" "$LOGS"
  exec 9>"$STATE/stack.lock"
  flock -w 300 9 || die "another stack.sh holds $STATE/stack.lock for 5 minutes; is one stuck?"
}

# The end of a log on stderr: in CI the log files may be gone with the clone.
show_tail() { tail -n 20 "$@" >&2 2>/dev/null || true; }

# Wait until the named components answer (default: all three; Zipkin only when
# STACK_ZIPKIN is not 0); fail early if one of our processes dies.
wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT)) wanted=" ${*:-kafka postgres zipkin} "
  local kafka_ok=1 pg_ok=1 zipkin_ok=1
  [[ $wanted == *" kafka "* ]] && kafka_ok=0
  [[ $wanted == *" postgres "* ]] && pg_ok=0
  [[ $wanted == *" zipkin "* ]] && ((WITH_ZIPKIN)) && zipkin_ok=0
  while :; do
    ((pg_ok)) || { pg_answers && pg_ok=1 && log "postgres: ready ($((SECONDS - UP_T0))s)"; } || true
    ((zipkin_ok)) || { zipkin_answers && zipkin_ok=1 && log "zipkin: ready ($((SECONDS - UP_T0))s)"; } || true
    # The Kafka probe costs a JVM start: only try once the port is open.
    ((kafka_ok)) || { kafka_answers && kafka_ok=1 && log "kafka: ready ($((SECONDS - UP_T0))s)"; } || true
    ((kafka_ok && pg_ok && zipkin_ok)) && return 0

    if ((!kafka_ok)) && [[ $KAFKA_ACTION != reuse ]] && ! kafka_running; then
      show_tail "$LOGS/kafka.log" "$LOGS/kafka.out"
      die "kafka exited during start; see $LOGS/kafka.log and $LOGS/kafka.out"
    fi
    if ((!zipkin_ok)) && [[ $ZIPKIN_ACTION != reuse ]] && ! zipkin_running; then
      show_tail "$LOGS/zipkin.log"
      die "zipkin exited during start; see $LOGS/zipkin.log"
    fi
    if ((!pg_ok)) && [[ $PG_ACTION != reuse ]] && [[ ! -f $PGDATA_DIR/postmaster.pid ]]; then
      show_tail "$PG_LOG"
      die "postgres exited during start; see $LOGS/postgres.log"
    fi
    if ((SECONDS >= deadline)); then
      ((kafka_ok)) || { show_tail "$LOGS/kafka.log" "$LOGS/kafka.out"; log "kafka not ready; see $LOGS/kafka.log"; }
      ((pg_ok)) || { show_tail "$PG_LOG"; log "postgres not ready; see $LOGS/postgres.log"; }
      ((zipkin_ok)) || { show_tail "$LOGS/zipkin.log"; log "zipkin not ready; see $LOGS/zipkin.log"; }
      die "the local stack did not become ready within ${READY_TIMEOUT}s"
    fi
    sleep 1
  done
}

cmd_up() {
  UP_T0=$SECONDS
  take_lock
  pg_setup_paths
  ensure_jars
  ensure_pg_binaries
  # Check all three first, so that a taken port stops us before anything starts.
  kafka_check
  if ((WITH_ZIPKIN)); then zipkin_check; else ZIPKIN_ACTION=skip; fi
  pg_check
  # Start all three before waiting for any: they boot in parallel.
  kafka_start
  zipkin_start
  pg_start
  wait_ready
  pg_create_databases
  log "up in $((SECONDS - UP_T0))s"
  print_endpoints
}

cmd_down() {
  take_lock
  pg_setup_paths
  kafka_stop
  zipkin_stop
  pg_stop
}

cmd_clean() {
  cmd_down
  rm -rf "$KAFKA_DIR" "$PG_DIR" "$LOGS"
  if [[ -n $INSTANCE ]]; then rm -rf "$STATE"; fi
  log "removed Kafka data, Postgres data ($PG_DIR) and logs; jars kept in $LIBS"
}

# stop|start|restart one component, leaving the others as they are: a broker or a
# database server that goes away and comes back, as in production.
cmd_component() {
  local action=$1 component=${2:-}
  case $component in kafka | postgres | zipkin) ;; *) usage >&2; exit 2 ;; esac
  UP_T0=$SECONDS
  take_lock
  pg_setup_paths
  if [[ $action == stop || $action == restart ]]; then
    case $component in kafka) kafka_stop ;; postgres) pg_stop ;; zipkin) zipkin_stop ;; esac
  fi
  if [[ $action == start || $action == restart ]]; then
    case $component in
      kafka) ensure_jars && kafka_check && kafka_start ;;
      postgres) ensure_pg_binaries && pg_check && pg_start ;;
      zipkin) ensure_jars && WITH_ZIPKIN=1 && zipkin_check && zipkin_start ;;
    esac
    wait_ready "$component"
    log "$component: $action done in $((SECONDS - UP_T0))s"
  fi
}

# One line per component. "up" means it answers on its port, whoever runs it.
cmd_status() {
  local rc=0
  pg_setup_paths
  status_line() { # NAME PORT ANSWERS(0/1) OURS(0/1) DETAIL
    if (($3)); then
      local who=" (not started by this stack)"
      (($4)) && who=" ($5)"
      printf '%-9s up    127.0.0.1:%s%s\n' "$1" "$2" "$who"
    else
      printf '%-9s down  127.0.0.1:%s\n' "$1" "$2"
      rc=1
    fi
  }
  local ok ours
  ok=0; port_open "$KAFKA_PORT" && ok=1
  ours=0; kafka_running && ours=1
  status_line kafka "$KAFKA_PORT" "$ok" "$ours" "pid $(cat "$KAFKA_PID" 2>/dev/null)"
  ok=0; [[ -n $PG_BIN ]] && pg_answers && ok=1
  ours=0; pg_running && ours=1
  status_line postgres "$PGPORT" "$ok" "$ours" "data $PGDATA_DIR"
  if ((WITH_ZIPKIN)); then
    ok=0; zipkin_answers && ok=1
    ours=0; zipkin_running && ours=1
    status_line zipkin "$ZIPKIN_PORT" "$ok" "$ours" "pid $(cat "$ZIPKIN_PID" 2>/dev/null)"
  fi
  return "$rc"
}

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'; }

case ${1:-} in
  up) cmd_up ;;
  down) if [[ ${2:-} == --purge ]]; then cmd_clean; else cmd_down && log "stopped (data kept)"; fi ;;
  clean) cmd_clean ;;
  status) cmd_status ;;
  env) print_env ;;
  stop | start | restart) cmd_component "$1" "${2:-}" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
