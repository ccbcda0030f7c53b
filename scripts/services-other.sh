# MariaDB, Redis and the S3 server for scripts/services.sh (sourced).

# ---- mysql: Debian's MariaDB with its own datadir under the state dir ----------------------------
MYSQL_PORT=3306
MYSQL_STATE="$STATE_DIR/mysql"
MYSQL_SOCK="$MYSQL_STATE/mysqld.sock"

install_mysql() { :; } # Debian packages only (install_apt_packages)

mysql_user() { if [[ $(id -u) -eq 0 ]]; then echo root; else id -un; fi; }

ready_mysql() {
  alive_pid "$MYSQL_STATE/mysqld.pid" >/dev/null && port_open "$MYSQL_PORT" &&
    mariadb-admin --no-defaults --socket="$MYSQL_SOCK" -u "$(mysql_user)" --connect-timeout=2 ping >/dev/null 2>&1
}

start_mysql() {
  if ready_mysql; then say "mysql: already running on 127.0.0.1:$MYSQL_PORT"; return 0; fi
  local mariadbd
  mariadbd="$(command -v mariadbd || echo /usr/sbin/mariadbd)"
  if ! alive_pid "$MYSQL_STATE/mysqld.pid" >/dev/null; then
    check_port_free mysql "$MYSQL_PORT"
    mkdir -p "$MYSQL_STATE"
    if [[ ! -d "$MYSQL_STATE/data/mysql" ]]; then
      say "mysql: creating datadir"
      rm -rf "$MYSQL_STATE/data"
      mariadb-install-db --no-defaults --datadir="$MYSQL_STATE/data" --user="$(mysql_user)" \
        --auth-root-authentication-method=socket --skip-test-db >"$MYSQL_STATE/install-db.log" 2>&1 \
        || die "mysql: mariadb-install-db failed; see $MYSQL_STATE/install-db.log"
    fi
    say "mysql: starting MariaDB on 127.0.0.1:$MYSQL_PORT (log: $MYSQL_STATE/mysqld.log)"
    # --no-defaults: ignore /etc/mysql; flush the redo log once a second (test service, not prod)
    spawn "$MYSQL_STATE/mysqld.pid" "$MYSQL_STATE/mysqld.out" "$mariadbd" --no-defaults \
      --user="$(mysql_user)" --datadir="$MYSQL_STATE/data" --socket="$MYSQL_SOCK" \
      --pid-file="$MYSQL_STATE/mariadbd.pid" --bind-address=127.0.0.1 --port="$MYSQL_PORT" \
      --log-error="$MYSQL_STATE/mysqld.log" --skip-name-resolve --max-connections=500 \
      --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci
  fi
  wait_until mysql 60 "$MYSQL_STATE/mysqld.log" ready_mysql
  mariadb --no-defaults --socket="$MYSQL_SOCK" -u "$(mysql_user)" >>"$MYSQL_STATE/bootstrap.log" 2>&1 <<'SQL' \
    || die "mysql: creating database and user failed; see $MYSQL_STATE/bootstrap.log"
CREATE DATABASE IF NOT EXISTS pinpipe;
CREATE USER IF NOT EXISTS 'pinpipe'@'%' IDENTIFIED BY 'pinpipe';
CREATE USER IF NOT EXISTS 'pinpipe'@'localhost' IDENTIFIED BY 'pinpipe';
CREATE USER IF NOT EXISTS 'pinpipe'@'127.0.0.1' IDENTIFIED BY 'pinpipe';
GRANT ALL PRIVILEGES ON *.* TO 'pinpipe'@'%';
GRANT ALL PRIVILEGES ON *.* TO 'pinpipe'@'localhost';
GRANT ALL PRIVILEGES ON *.* TO 'pinpipe'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
  say "mysql: ready"
}

stop_mysql() { stop_pid mysql "$MYSQL_STATE/mysqld.pid" 60; }

# ---- redis: Debian's redis-server, no persistence ------------------------------------------------
REDIS_PORT=6379
REDIS_STATE="$STATE_DIR/redis"

install_redis() { :; }

ready_redis() {
  alive_pid "$REDIS_STATE/redis.pid" >/dev/null &&
    [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

start_redis() {
  if ready_redis; then say "redis: already running on 127.0.0.1:$REDIS_PORT"; return 0; fi
  if ! alive_pid "$REDIS_STATE/redis.pid" >/dev/null; then
    check_port_free redis "$REDIS_PORT"
    mkdir -p "$REDIS_STATE"
    say "redis: starting on 127.0.0.1:$REDIS_PORT (log: $REDIS_STATE/redis.log)"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
      --daemonize yes --pidfile "$REDIS_STATE/redis.pid" --logfile "$REDIS_STATE/redis.log" \
      --dir "$REDIS_STATE" --protected-mode no >>"$REDIS_STATE/redis.out" 2>&1 \
      || die "redis: redis-server failed to start; see $REDIS_STATE/redis.log"
  fi
  wait_until redis 30 "$REDIS_STATE/redis.log" ready_redis
  say "redis: ready"
}

stop_redis() { stop_pid redis "$REDIS_STATE/redis.pid" 30; }

# ---- s3: moto's server (PyPI) in a venv under the cache dir ---------------------------------------
S3_PORT=9000
S3_STATE="$STATE_DIR/s3"
MOTO_SPEC="${PINPIPE_MOTO_SPEC:-moto[server]==5.2.5}"
MOTO_VENV="$CACHE_DIR/moto-venv"

install_s3() {
  install_pip_venv s3 "$MOTO_VENV" "$MOTO_SPEC" "$S3_STATE"
}

ready_s3() {
  alive_pid "$S3_STATE/moto.pid" >/dev/null &&
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$S3_PORT/pinpipe"
}

start_s3() {
  if ready_s3; then say "s3: already running on 127.0.0.1:$S3_PORT"; return 0; fi
  if ! alive_pid "$S3_STATE/moto.pid" >/dev/null; then
    check_port_free s3 "$S3_PORT"
    mkdir -p "$S3_STATE"
    say "s3: starting moto on 127.0.0.1:$S3_PORT (log: $S3_STATE/moto.log)"
    spawn "$S3_STATE/moto.pid" "$S3_STATE/moto.log" "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT"
  fi
  wait_until s3 60 "$S3_STATE/moto.log" curl -sS -o /dev/null --max-time 2 "http://127.0.0.1:$S3_PORT/"
  # moto keeps buckets in memory: (re)create the default bucket each start (unsigned requests are accepted)
  curl -fsS -o /dev/null -X PUT "http://127.0.0.1:$S3_PORT/pinpipe" || die "s3: cannot create bucket pinpipe; see $S3_STATE/moto.log"
  wait_until s3 30 "$S3_STATE/moto.log" ready_s3
  say "s3: ready"
}

stop_s3() { stop_pid s3 "$S3_STATE/moto.pid" 20; }
