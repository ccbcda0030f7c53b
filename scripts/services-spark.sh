# Apache Spark for scripts/services.sh (sourced): a standalone master and one worker on 127.0.0.1,
# from PyPI's pyspark distribution (it ships Spark's jars and scripts) in a venv under the cache
# dir, on Java 17. batch-run --engine spark submits its job there (PINPIPE_SPARK_MASTER).

SPARK_PORT="${PINPIPE_SPARK_PORT:-7077}"
SPARK_UI_PORT="${PINPIPE_SPARK_UI_PORT:-8480}"
SPARK_STATE="$STATE_DIR/spark"
PYSPARK_SPEC="${PINPIPE_PYSPARK_SPEC:-pyspark==4.0.1}"
SPARK_VENV="$CACHE_DIR/spark-venv"

install_spark() {
  install_spark_venv
  install_spark_s3a
}

install_spark_venv() {
  install_pip_venv spark "$SPARK_VENV" "$PYSPARK_SPEC" "$SPARK_STATE"
}

# S3A for the job on an S3 lake: hadoop-aws of the Hadoop version inside pyspark's jars
# (hadoop-client-api-*.jar) with its runtime dependencies (the AWS SDK v2 bundle), resolved from
# Maven Central with Maven into $CACHE_DIR/spark-s3a/jars (batch-run puts them on the job's class path)
install_spark_s3a() {
  local dir="$CACHE_DIR/spark-s3a" home api version
  home="$("$SPARK_VENV/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')" || die "spark: pyspark not importable from $SPARK_VENV"
  api="$(find "$home/jars" -name 'hadoop-client-api-*.jar' | head -1)"
  [[ -n $api ]] || die "spark: no hadoop-client-api jar in $home/jars"
  version="$(basename "$api" .jar)"
  version="${version#hadoop-client-api-}"
  [[ -f "$dir/jars/.complete" && "$(cat "$dir/jars/.complete")" == "hadoop-aws:$version" ]] && return 0
  say "spark: resolving org.apache.hadoop:hadoop-aws:$version (S3A, with the AWS SDK bundle: about 560 MB) with Maven"
  maven_resolve spark-s3a "$dir" "$dir/jars" \
    "    <dependency><groupId>org.apache.hadoop</groupId><artifactId>hadoop-aws</artifactId><version>$version</version></dependency>" \
    "hadoop-aws:$version" "hadoop-aws:$version"
}

# a Java 17 (Spark 4 runs on 17 or 21): Debian's, else JAVA_HOME's, else the java on PATH's
spark_java_home() {
  local d
  for d in /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/java-17-* /usr/lib/jvm/*-17-*; do
    [[ -x "$d/bin/java" ]] && { echo "$d"; return 0; }
  done
  if [[ -n ${JAVA_HOME:-} ]]; then echo "$JAVA_HOME"; return 0; fi
  dirname "$(dirname "$(readlink -f "$(command -v java)")")"
}

# the environment of Spark's daemons: pyspark's SPARK_HOME, Java 17, logs and work under the state dir
spark_env() {
  SPARK_HOME="$("$SPARK_VENV/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')" || die "spark: pyspark not importable from $SPARK_VENV"
  export SPARK_HOME JAVA_HOME
  JAVA_HOME="$(spark_java_home)"
  export SPARK_LOCAL_IP=127.0.0.1 SPARK_LOG_DIR="$SPARK_STATE/logs" SPARK_DAEMON_MEMORY=256m PYSPARK_PYTHON="$SPARK_VENV/bin/python"
  SPARK_DAEMON_JAVA_OPTS="$(jit_opts)"
  export SPARK_DAEMON_JAVA_OPTS
}

spark_alive_workers() {
  curl -fsS --max-time 2 "http://127.0.0.1:$SPARK_UI_PORT/json/" 2>/dev/null | grep -o '"aliveworkers" *: *[0-9]*' | grep -o '[0-9]*$'
}

ready_spark() {
  alive_pid "$SPARK_STATE/master.pid" >/dev/null && alive_pid "$SPARK_STATE/worker.pid" >/dev/null &&
    port_open "$SPARK_PORT" && [[ "$(spark_alive_workers)" -ge 1 ]]
}

start_spark() {
  if ready_spark; then say "spark: already running on spark://127.0.0.1:$SPARK_PORT$(jit_note "$SPARK_STATE" spark)"; return 0; fi
  mkdir -p "$SPARK_STATE/logs" "$SPARK_STATE/work"
  spark_env
  if ! alive_pid "$SPARK_STATE/master.pid" >/dev/null; then
    check_port_free spark "$SPARK_PORT"
    say "spark: starting the master on spark://127.0.0.1:$SPARK_PORT, UI :$SPARK_UI_PORT (Java: $JAVA_HOME; log: $SPARK_STATE/master.log)"
    spawn "$SPARK_STATE/master.pid" "$SPARK_STATE/master.log" "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master \
      --host 127.0.0.1 --port "$SPARK_PORT" --webui-port "$SPARK_UI_PORT"
  fi
  wait_until spark 90 "$SPARK_STATE/master.log" port_open "$SPARK_PORT"
  if ! alive_pid "$SPARK_STATE/worker.pid" >/dev/null; then
    say "spark: starting one worker (2 cores, 1g; log: $SPARK_STATE/worker.log)"
    spawn "$SPARK_STATE/worker.pid" "$SPARK_STATE/worker.log" "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker \
      "spark://127.0.0.1:$SPARK_PORT" --host 127.0.0.1 --cores 2 --memory 1g --webui-port 0 --work-dir "$SPARK_STATE/work"
  fi
  # the daemons' mode, kept as Kafka's is: from their start, whether or not they become ready in time
  jit_mode >"$SPARK_STATE/jit"
  wait_until spark 90 "$SPARK_STATE/worker.log" ready_spark
  say "spark: ready (export PINPIPE_SPARK_MASTER=spark://127.0.0.1:$SPARK_PORT)"
}

stop_spark() {
  stop_pid spark-worker "$SPARK_STATE/worker.pid" 30
  stop_pid spark-master "$SPARK_STATE/master.pid" 30
}
