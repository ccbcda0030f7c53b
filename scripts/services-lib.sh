# Helpers shared by scripts/services*.sh (sourced, not run).

say() { echo "services: $*" >&2; }
die() { echo "services: ERROR: $*" >&2; exit 1; }
# Maven, one run at a time: the installs run in parallel (install_parallel) and share ~/.m2
mvn_locked() { flock "$CACHE_DIR/.maven.lock" mvn "$@"; }

# true when something accepts TCP connections on 127.0.0.1:$1
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid stored in file $1 if that process is alive and is the service's program (a stale pid file
# from before a reboot may name an unrelated process), else nothing and a non-zero status
alive_pid() {
  local pid want
  [[ -s "$1" ]] || return 1
  pid="$(cat "$1" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  case "$(basename "$1")" in
    kafka.pid) want=kafka.Kafka ;; mysqld.pid) want=mariadbd ;; redis.pid) want=redis-server ;; moto.pid) want=moto_server ;;
    master.pid) want=deploy.master.Master ;; worker.pid) want=deploy.worker.Worker ;; *) want="" ;;
  esac
  if [[ -n $want && -r /proc/$pid/cmdline ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$want" || return 1
  fi
  echo "$pid"
}

# The JIT of the services' JVMs (Kafka's broker, Spark's daemons): PINPIPE_SERVICES_JIT=c1 compiles
# with C1 only. scripts/test.sh asks for it: the suite's short, varied work never pays back C2's
# compilations (the broker over five Kafka test files: 3.8-4.7 CPU-s instead of 7.3-8.8;
# BENCHMARKS.md, 2026-12-05). Unset: the JVM's default (both compilers), for benchmarks and real use.
jit_mode() {
  case "${PINPIPE_SERVICES_JIT:-default}" in
    c1 | default) echo "${PINPIPE_SERVICES_JIT:-default}" ;;
    *) die "PINPIPE_SERVICES_JIT=${PINPIPE_SERVICES_JIT}: allowed are c1 or default (unset)" ;;
  esac
}
jit_opts() { [[ "$(jit_mode)" == c1 ]] && echo "-XX:TieredStopAtLevel=1" || true; }
# " (...)" when the service in state dir $1 was started with another JIT than this start asks for
jit_note() {
  local was
  was="$(cat "$1/jit" 2>/dev/null || echo default)"
  [[ "$was" == "$(jit_mode)" ]] || echo " (its JVM started with JIT $was, not $(jit_mode): bash scripts/services.sh restart $2 to change it)"
}

# wait_until NAME SECONDS LOGFILE CHECK...: poll CHECK until it succeeds or time runs out
wait_until() {
  local name="$1" secs="$2" log="$3"; shift 3
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s) >= deadline )); then
      echo "services: ERROR: $name did not become ready within ${secs}s; see its log: $log" >&2
      [[ -f "$log" ]] && tail -n 15 "$log" | sed 's/^/    /' >&2
      return 1
    fi
    sleep 0.25
  done
}

# run a command detached in its own session, pid written to $1, output to $2
spawn() {
  local pidfile="$1" out="$2"; shift 2
  setsid nohup "$@" >>"$out" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

# stop_pid NAME PIDFILE [SECONDS]: TERM, wait, then KILL
stop_pid() {
  local name="$1" pidfile="$2" secs="${3:-30}" pid i
  if ! pid="$(alive_pid "$pidfile")"; then
    rm -f "$pidfile"; say "$name: not running"; return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for (( i = 0; i < secs * 4; i++ )); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; say "$name: stopped"; return 0; }
    sleep 0.25
  done
  say "$name: did not stop within ${secs}s, killing pid $pid"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.5
  rm -f "$pidfile"
}

# refuse to start when the port is taken by a process we did not start
check_port_free() {
  local name="$1" port="$2"
  if port_open "$port"; then
    die "$name: port 127.0.0.1:$port is already in use by another process (stop it, or run: bash scripts/services.sh stop $name)"
  fi
}

# apt-get install the Debian packages the requested services need, only those missing
install_apt_packages() {
  local want=() n
  for n in "$@"; do
    case "$n" in
      mysql) command -v mariadbd >/dev/null 2>&1 || [[ -x /usr/sbin/mariadbd ]] || want+=(mariadb-server)
             command -v mariadb >/dev/null 2>&1 || want+=(mariadb-client) ;;
      redis) command -v redis-server >/dev/null 2>&1 || want+=(redis-server)
             command -v redis-cli >/dev/null 2>&1 || want+=(redis-tools) ;;
      spark) command -v java >/dev/null 2>&1 || ls -d /usr/lib/jvm/*17*/bin/java >/dev/null 2>&1 || want+=(openjdk-17-jre-headless)
             command -v mvn >/dev/null 2>&1 || want+=(maven) ;;
      kafka) command -v kcat >/dev/null 2>&1 || want+=(kafkacat)
             command -v java >/dev/null 2>&1 || want+=(openjdk-17-jre-headless)
             command -v mvn >/dev/null 2>&1 || want+=(maven) ;;
    esac
  done
  [[ ${#want[@]} -gt 0 ]] || return 0
  install_apt_packages_named "${want[@]}"
}

# apt-get install the named Debian packages
install_apt_packages_named() {
  local want=("$@") sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  say "apt-get install ${want[*]} (log: $STATE_DIR/apt.log)"
  # a policy-rc.d that says 101 keeps the packages' maintainer scripts from starting system-wide
  # instances (which would take ports 3306/6379); ours run from the state dir instead
  local policy=/usr/sbin/policy-rc.d made_policy=""
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy" && made_policy=1
  fi
  local ok=1
  {
    $sudo apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${want[@]}"
  } >>"$STATE_DIR/apt.log" 2>&1 || ok=0
  [[ -z $made_policy ]] || $sudo rm -f "$policy"
  [[ $ok == 1 ]] || die "apt-get install ${want[*]} failed; see $STATE_DIR/apt.log"
}

# a Python venv at $2 holding the pip requirement $3 (reinstalled when the requirement changes);
# $1 names the service in messages, $4 is its state dir (install.log)
install_pip_venv() {
  local name="$1" venv="$2" spec="$3" state="$4"
  [[ -f "$venv/.complete" && "$(cat "$venv/.complete")" == "$spec" ]] && return 0
  say "$name: installing $spec into $venv"
  mkdir -p "$state"
  rm -rf "$venv"
  if ! python3 -m venv "$venv" >>"$state/install.log" 2>&1; then
    install_apt_packages_named python3-venv
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv" >>"$state/install.log" 2>&1 || die "$name: cannot create a Python venv; see $state/install.log"
  fi
  "$venv/bin/pip" install -q "$spec" >>"$state/install.log" 2>&1 || die "$name: pip install $spec failed; see $state/install.log"
  echo "$spec" >"$venv/.complete"
}

# resolve Maven artifacts and their runtime dependencies into $3 (replaced whole, marked complete
# with $5): $1 names the service, $2 is the work dir (pom.xml, mvn.log), $4 the <dependency>
# elements, $6 what to name in an error
maven_resolve() {
  local name="$1" work="$2" out="$3" deps="$4" mark="$5" what="$6"
  mkdir -p "$work"
  cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>pinpipe.services</groupId><artifactId>$name</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
$deps
  </dependencies>
</project>
EOF
  rm -rf "$out.tmp"
  (cd "$work" && mvn_locked -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out.tmp") >"$work/mvn.log" 2>&1 \
    || die "$name: Maven could not resolve $what; see $work/mvn.log"
  rm -rf "$out" && mv "$out.tmp" "$out"
  echo "$mark" >"$out/.complete"
}
