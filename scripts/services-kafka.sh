# Kafka for scripts/services.sh (sourced): Apache Kafka's broker jars from Maven Central, one node
# in KRaft combined mode (broker + controller) on 127.0.0.1:9092, controller on 127.0.0.1:9093.
#
# Version: the newest 4.x served. kafkajs 2.2.4 was checked against it (produce with acks=all and
# idempotence, consume in a group, commit/fetch offsets, create/delete topics, list offsets) and
# works: kafkajs negotiates API versions through ApiVersions, and the versions 4.x dropped
# (KIP-896) are older than the ones kafkajs picks. Override with PINPIPE_KAFKA_VERSION.
KAFKA_VERSION="${PINPIPE_KAFKA_VERSION:-4.4.0}"
LOG4J_VERSION=2.25.5 # the log4j-core that kafka_2.13 depends on; the slf4j 1.x binding must match
KAFKA_PORT="${PINPIPE_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${PINPIPE_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HOME="$CACHE_DIR/kafka-$KAFKA_VERSION"
KAFKA_STATE="$STATE_DIR/kafka"
KAFKA_JAVA=(java -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true $(jit_opts)
  "-Dlog4j2.configurationFile=$KAFKA_STATE/log4j2.properties" "-Dkafka.logs.dir=$KAFKA_STATE"
  -cp "$KAFKA_HOME/libs/*")

install_kafka() {
  [[ -f "$KAFKA_HOME/libs/.complete" ]] && return 0
  say "kafka: resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION and its dependencies with Maven"
  maven_resolve kafka-broker "$KAFKA_HOME" "$KAFKA_HOME/libs" \
    "    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>" \
    "$KAFKA_VERSION" "kafka_2.13:$KAFKA_VERSION"
}

write_kafka_config() {
  mkdir -p "$KAFKA_STATE/data"
  cat >"$KAFKA_STATE/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_STATE/data
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=268435456
EOF
  cat >"$KAFKA_STATE/log4j2.properties" <<EOF
status = warn
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $KAFKA_STATE/server.log
appender.file.filePattern = $KAFKA_STATE/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = warn
EOF
}

kafka_java() { "${KAFKA_JAVA[@]}" "$@"; }

ready_kafka() {
  alive_pid "$KAFKA_STATE/kafka.pid" >/dev/null && port_open "$KAFKA_PORT" &&
    kcat -L -b "127.0.0.1:$KAFKA_PORT" -m 2 >/dev/null 2>&1
}

start_kafka() {
  if ready_kafka; then say "kafka: already running on 127.0.0.1:$KAFKA_PORT$(jit_note "$KAFKA_STATE" kafka)"; return 0; fi
  if alive_pid "$KAFKA_STATE/kafka.pid" >/dev/null; then
    say "kafka: process is up, waiting for it to answer"
    wait_until kafka 90 "$KAFKA_STATE/server.log" ready_kafka; return
  fi
  check_port_free kafka "$KAFKA_PORT"
  check_port_free kafka-controller "$KAFKA_CONTROLLER_PORT"
  write_kafka_config
  # a data dir formatted by another Kafka version may not start: keep one per version
  if [[ -f "$KAFKA_STATE/data/meta.properties" && "$(cat "$KAFKA_STATE/version" 2>/dev/null)" != "$KAFKA_VERSION" ]]; then
    say "kafka: data dir was formatted by another version; formatting anew"
    rm -rf "$KAFKA_STATE/data" && mkdir -p "$KAFKA_STATE/data"
  fi
  if [[ ! -f "$KAFKA_STATE/data/meta.properties" ]]; then
    say "kafka: formatting storage (KRaft)"
    local cluster_id
    cluster_id="$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$KAFKA_STATE/format.log" | tail -n 1)"
    kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_STATE/server.properties" \
      >>"$KAFKA_STATE/format.log" 2>&1 || die "kafka: storage format failed; see $KAFKA_STATE/format.log"
    echo "$KAFKA_VERSION" >"$KAFKA_STATE/version"
  fi
  say "kafka: starting $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (log: $KAFKA_STATE/server.log)"
  spawn "$KAFKA_STATE/kafka.pid" "$KAFKA_STATE/kafka.out" "${KAFKA_JAVA[@]}" kafka.Kafka "$KAFKA_STATE/server.properties"
  jit_mode >"$KAFKA_STATE/jit"
  wait_until kafka 90 "$KAFKA_STATE/server.log" ready_kafka
  say "kafka: ready"
}

stop_kafka() {
  stop_pid kafka "$KAFKA_STATE/kafka.pid" 60
}
