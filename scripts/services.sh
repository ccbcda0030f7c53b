#!/usr/bin/env bash
# Real services for tests and local runs, all on 127.0.0.1 (see docs/design.md "Real services"):
#   kafka  Apache Kafka broker+controller (KRaft combined mode), jars from Maven Central  :9092
#   mysql  MariaDB from Debian                                                           :3306
#   redis  Redis from Debian, no persistence                                             :6379
#   s3     moto's S3-compatible server from PyPI, path-style, credentials test/test      :9000
#   spark  Apache Spark standalone master + one worker, pyspark from PyPI, Java 17        :7077
#
# Usage: bash scripts/services.sh start|stop|restart|status|install [kafka|mysql|redis|s3|spark|all]...
# State (data, logs, pid files): $PINPIPE_SERVICES_DIR (default /var/tmp/pinpipe-services).
# Downloads: $PINPIPE_CACHE_DIR (default ~/.cache/pinpipe). Idempotent: starting a running
# service does nothing; install steps run only for what is missing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE_DIR="${PINPIPE_SERVICES_DIR:-/var/tmp/pinpipe-services}"
CACHE_DIR="${PINPIPE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pinpipe}"
ALL_SERVICES=(kafka mysql redis s3 spark)

# shellcheck source=scripts/services-lib.sh
source "$HERE/services-lib.sh"
jit_mode >/dev/null # PINPIPE_SERVICES_JIT checked once, before anything starts
# shellcheck source=scripts/services-kafka.sh
source "$HERE/services-kafka.sh"
# shellcheck source=scripts/services-other.sh
source "$HERE/services-other.sh"
# shellcheck source=scripts/services-spark.sh
source "$HERE/services-spark.sh"

install_parallel() {
  local pids=() n pid rc=0
  for n in "$@"; do ( "install_$n" ) & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  [[ $rc == 0 ]] || exit 1
}

usage() {
  echo "usage: bash scripts/services.sh start|stop|restart|status|install [kafka|mysql|redis|s3|spark|all]..." >&2
  exit 2
}

main() {
  [[ $# -ge 1 ]] || usage
  local action="$1"; shift
  local names=("$@")
  [[ ${#names[@]} -gt 0 ]] || names=(all)
  local list=() n
  for n in "${names[@]}"; do
    case "$n" in
      all) list+=("${ALL_SERVICES[@]}") ;;
      kafka|mysql|redis|s3|spark) list+=("$n") ;;
      *) echo "services: unknown service '$n' (allowed: kafka, mysql, redis, s3, spark, all)" >&2; exit 2 ;;
    esac
  done
  mkdir -p "$STATE_DIR" "$CACHE_DIR"
  case "$action" in
    install)
      install_apt_packages "${list[@]}"
      install_parallel "${list[@]}" ;;
    start)
      install_apt_packages "${list[@]}"
      # install everything first (downloads, in parallel), then start; each start waits until ready
      install_parallel "${list[@]}"
      for n in "${list[@]}"; do "start_$n"; done ;;
    stop)
      local rc=0
      for n in "${list[@]}"; do "stop_$n" || rc=1; done
      return $rc ;;
    restart)
      for n in "${list[@]}"; do "stop_$n"; done
      install_apt_packages "${list[@]}"
      for n in "${list[@]}"; do "install_$n"; "start_$n"; done ;;
    status)
      local rc=0
      for n in "${list[@]}"; do
        if "ready_$n"; then echo "$n: running"; else echo "$n: stopped"; rc=3; fi
      done
      return $rc ;;
    *) usage ;;
  esac
}

main "$@"
