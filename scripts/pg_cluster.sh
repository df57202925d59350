#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for Kijun under DIR (e.g. var/pg), reachable
# only through a Unix socket in DIR/socket.
# Kijun 専用の PostgreSQL 15 クラスタ（Unix ソケットのみ）を DIR に作ります。
#
#   scripts/pg_cluster.sh start  DIR [PORT]  initdb if needed, start, wait until
#                                            ready, create role kijun_owner and
#                                            database kijun; ok if running
#   scripts/pg_cluster.sh stop   DIR         fast shutdown; ok if not running
#   scripts/pg_cluster.sh status DIR         exit 0 if running, 3 if not
#   scripts/pg_cluster.sh url    DIR [PORT]  print a libpq connection string:
#       host=/abs/DIR/socket port=55432 dbname=kijun user=kijun_owner
#
# Layout: DIR/data (PGDATA), DIR/socket, DIR/log/postgresql.log.
# PORT (default 55432) only names the socket file (no TCP: listen_addresses
# is empty); it is stored in the cluster's postgresql.conf, so `url` and
# `status` find it without being told. Local connections use trust; the
# superuser role is "postgres".
#
# Run as root, the server runs as the OS user "postgres" (PostgreSQL refuses
# to run as root): DIR is chowned to it, and directories inside this
# repository that postgres cannot traverse get o+x. Run as another user, the
# cluster belongs to that user. PG_BIN overrides /usr/lib/postgresql/15/bin.
set -euo pipefail

die() {
  printf 'pg_cluster: error: %s\n' "$1" >&2
  [ -z "${2:-}" ] || printf 'pg_cluster: エラー: %s\n' "$2" >&2
  exit 1
}
say() { printf 'pg_cluster: %s\n' "$*"; }

usage="usage: $0 start|stop|status|url DIR [PORT]"
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  die "$usage" "使い方: $0 start|stop|status|url DIR [PORT]"
fi
cmd=$1
case $cmd in start | stop | status | url) ;; *) die "$usage" "使い方: $0 start|stop|status|url DIR [PORT]" ;; esac
[ -n "$2" ] || die "$usage"
port_arg=${3:-}
if [ -n "$port_arg" ] && { ! [[ $port_arg =~ ^[0-9]+$ ]] || ((port_arg < 1 || port_arg > 65535)); }; then
  die "PORT must be a number from 1 to 65535, not '$port_arg'" "PORT は 1〜65535 の数値で指定してください"
fi

pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
for tool in initdb pg_ctl pg_isready psql; do
  [ -x "$pg_bin/$tool" ] || die "$pg_bin/$tool not found; install postgresql-15 (scripts/setup.sh)" \
    "$pg_bin/$tool がありません。postgresql-15 をインストールしてください（scripts/setup.sh）"
done
# Settings from the caller's environment must not redirect us elsewhere.
unset PGDATA PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGOPTIONS PGSERVICE \
  PGSERVICEFILE PGPASSFILE PGSYSCONFDIR PGTARGETSESSIONATTRS

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
dir=$(realpath -m -- "$2")
case $dir in
  *[[:space:]\'\"\\,]*) die "DIR must not contain spaces, quotes, backslashes or commas: $dir" \
    "DIR に空白・引用符・バックスラッシュ・カンマは使えません: $dir" ;;
esac
data=$dir/data
sock=$dir/socket
logdir=$dir/log
logfile=$logdir/postgresql.log
conf=$data/postgresql.conf
default_port=55432

# --- who runs the server -----------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
  pg_user=postgres
  if [ -f "$data/PG_VERSION" ]; then
    pg_user=$(stat -c %U "$data")
    [ "$pg_user" != root ] || die "$data belongs to root; PostgreSQL cannot run as root" \
      "$data の所有者が root です。PostgreSQL は root では動きません"
  fi
  id -u "$pg_user" >/dev/null 2>&1 || die "OS user '$pg_user' does not exist (install postgresql-15)" \
    "OS ユーザ '$pg_user' がありません（postgresql-15 をインストールしてください）"
  # cd /: the caller's working directory may be closed to postgres.
  as_pg() { (cd / && runuser -u "$pg_user" -- "$@"); }
else
  pg_user=$(id -un)
  as_pg() { "$@"; }
fi

# --- state ----------------------------------------------------------------------
# running_pid: print the postmaster's pid if this cluster is running. A pid in
# postmaster.pid that now belongs to another process (after a crash or a
# reboot) or to a zombie does not count.
running_pid() {
  local pid state cwd
  [ -f "$data/postmaster.pid" ] || return 1
  { read -r pid <"$data/postmaster.pid"; } 2>/dev/null || return 1
  [[ $pid =~ ^[0-9]+$ ]] && [ -e "/proc/$pid" ] || return 1
  state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$state" != Z ] && [ "$state" != X ] || return 1
  if cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null); then
    [ "$cwd" = "$data" ] || return 1
  else
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] || return 1
  fi
  echo "$pid"
}

# The port: the one given, else the running server's, else the configured one.
conf_port() {
  local p=""
  [ -r "$conf" ] && p=$(sed -n 's/^port = \([0-9][0-9]*\).*/\1/p' "$conf" | tail -n 1)
  echo "${p:-$default_port}"
}
current_port() {
  local pid p=""
  if [ -n "$port_arg" ]; then
    echo "$port_arg"
  elif pid=$(running_pid) && p=$(sed -n 4p "$data/postmaster.pid" 2>/dev/null) && [[ $p =~ ^[0-9]+$ ]]; then
    echo "$p"
  else
    conf_port
  fi
}

case $cmd in
  url)
    printf 'host=%s port=%s dbname=kijun user=kijun_owner\n' "$sock" "$(current_port)"
    exit 0
    ;;
  status)
    if pid=$(running_pid); then
      say "running (pid $pid, socket $sock, port $(current_port))"
      exit 0
    fi
    say "not running ($dir)"
    exit 3
    ;;
  stop)
    if ! pid=$(running_pid); then
      say "not running ($dir)"
      exit 0
    fi
    exec 9>>"$dir/.lock"
    flock -w 60 9 || die "timed out waiting for the lock $dir/.lock" "$dir/.lock のロック待ちがタイムアウトしました"
    as_pg "$pg_bin/pg_ctl" stop -D "$data" -m fast -w -t 60 -s ||
      die "pg_ctl stop failed; see $logfile" "停止に失敗しました。$logfile を確認してください"
    say "stopped (pid $pid)"
    exit 0
    ;;
esac

# --- start ------------------------------------------------------------------------
# Role kijun_owner (owns the schema, applies migrations, creates the tier
# roles kijun_app_*) and database kijun, via psql as the superuser.
ensure_db() {
  as_pg "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U postgres -d postgres \
    >/dev/null <<'SQL' || die "could not create role kijun_owner / database kijun" \
    "ロール kijun_owner / データベース kijun を作成できません"
SELECT 'CREATE ROLE kijun_owner LOGIN CREATEROLE'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'kijun_owner') \gexec
ALTER ROLE kijun_owner LOGIN CREATEROLE;
SELECT 'CREATE DATABASE kijun OWNER kijun_owner ENCODING ''UTF8'' TEMPLATE template0'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'kijun') \gexec
SQL
}

already_running() {
  local pid
  pid=$(running_pid) || return 1
  port=$(sed -n 4p "$data/postmaster.pid")
  if [ -n "$port_arg" ] && [ "$port_arg" != "$port" ]; then
    die "already running on port $port, not $port_arg; stop it first" \
      "すでにポート $port で起動しています。先に停止してください"
  fi
  ensure_db
  say "already running (pid $pid, port $port) / 起動済み"
}
# Fast path, without the lock.
if already_running; then exit 0; fi

port=${port_arg:-$(conf_port)}
# Unix socket paths are limited to 107 bytes.
sockfile=$sock/.s.PGSQL.$port
((${#sockfile} <= 107)) || die "socket path too long (${#sockfile} > 107 bytes): $sockfile; use a shorter DIR" \
  "ソケットのパスが長すぎます（107 バイトまで）。短い DIR を使ってください"

# DIR: created if missing, owned by the server's OS user, mode 0700.
if [ ! -d "$dir" ]; then
  mkdir -p -- "$dir" || die "cannot create $dir" "$dir を作成できません"
fi
exec 9>>"$dir/.lock"
flock -w 120 9 || die "timed out waiting for the lock $dir/.lock" "$dir/.lock のロック待ちがタイムアウトしました"
# Another `start` may have finished while we waited for the lock.
if already_running; then exit 0; fi

if [ "$(id -u)" -eq 0 ]; then
  if [ ! -f "$data/PG_VERSION" ] && [ "$(stat -c %U "$dir")" != "$pg_user" ]; then
    # Only take over a directory that holds nothing but our own files.
    for f in "$dir"/* "$dir"/.[!.]*; do
      [ -e "$f" ] || continue
      case ${f##*/} in .lock | data | socket | log) ;; *)
        die "$dir is not empty and holds no cluster; refusing to take it over" \
          "$dir は空ではなくクラスタもありません。使用を中止します" ;;
      esac
    done
    chown -R "$pg_user:" "$dir"
  fi
  chmod 0700 "$dir"
  # postgres must be able to reach DIR: every parent needs o+x (search).
  if ! as_pg test -x "$dir" -a -w "$dir"; then
    parent=""
    IFS=/ read -ra parts <<<"${dir#/}"
    for part in "${parts[@]}"; do
      parent=$parent/$part
      [ "$parent" != "$dir" ] || break
      as_pg test -x "$parent" && continue
      case $parent/ in
        "$repo"/*)
          chmod o+x "$parent"
          say "chmod o+x $parent (so that $pg_user can reach $dir)"
          ;;
        *)
          die "OS user $pg_user cannot enter $parent, which is outside the repository; use another DIR (e.g. /tmp/kijun-pg) or run: chmod o+x $parent" \
            "OS ユーザ $pg_user が $parent に入れません（リポジトリ外なので変更しません）。別の DIR を使うか chmod o+x してください"
          ;;
      esac
    done
    as_pg test -x "$dir" -a -w "$dir" || die "OS user $pg_user cannot write to $dir" \
      "OS ユーザ $pg_user が $dir に書き込めません"
  fi
else
  chmod 0700 "$dir"
fi
as_pg mkdir -p -m 0700 "$sock" "$logdir"

# initdb on first start.
if [ ! -f "$data/PG_VERSION" ]; then
  locale=C
  if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; fi
  say "initdb $data (locale $locale, port $port)"
  if ! as_pg "$pg_bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale="$locale" --no-instructions >"$logdir/initdb.log" 2>&1; then
    cat "$logdir/initdb.log" >&2
    die "initdb failed (log: $logdir/initdb.log)" "initdb に失敗しました（ログ: $logdir/initdb.log）"
  fi
  as_pg tee -a "$conf" >/dev/null <<EOF

# --- scripts/pg_cluster.sh: Unix socket only, in DIR/socket ---
listen_addresses = ''
unix_socket_directories = '$sock'
port = $port
EOF
elif [ "$(cat "$data/PG_VERSION")" != 15 ]; then
  die "$data is a PostgreSQL $(cat "$data/PG_VERSION") cluster, not 15" \
    "$data は PostgreSQL 15 のクラスタではありません"
fi

# Keep the socket directory and port right even if DIR moved or PORT changed.
set_conf() {
  local name=$1 value=$2
  if [ "$(sed -n "s/^$name = //p" "$conf" | tail -n 1)" != "$value" ]; then
    as_pg sed -i "/^$name = /d" "$conf"
    printf '%s = %s\n' "$name" "$value" | as_pg tee -a "$conf" >/dev/null
  fi
}
set_conf listen_addresses "''"
set_conf unix_socket_directories "'$sock'"
set_conf port "$port"

# Left over from a crash (kill -9, power loss): the old postmaster's children
# may still hold its shared memory for a moment; PostgreSQL refuses to start
# until they are gone. A lock file whose pid is dead is PostgreSQL's to clean
# up, but one whose pid is a zombie, or now names another process (pids are
# reused after a reboot), looks live to it, so remove that. We hold the lock
# and the server is not running, so no live server owns these files.
if [ -f "$data/postmaster.pid" ]; then
  shmid=$(sed -n 7p "$data/postmaster.pid" | awk '{ print $2 }')
  if [[ $shmid =~ ^[0-9]+$ ]]; then
    for _ in $(seq 1 100); do
      attached=$(awk -v id="$shmid" '$2 == id { print $7 }' /proc/sysvipc/shm 2>/dev/null)
      if [ -z "$attached" ] || [ "$attached" -eq 0 ]; then break; fi
      sleep 0.1
    done
  fi
fi
for f in "$data/postmaster.pid" "$sock"/.s.PGSQL.*.lock; do
  [ -f "$f" ] || continue
  { read -r old_pid <"$f"; } 2>/dev/null || old_pid=""
  old_pid=${old_pid#-}
  if [[ $old_pid =~ ^[0-9]+$ ]] && [ -e "/proc/$old_pid" ]; then
    say "removing stale ${f##*/} (pid $old_pid is a zombie or another process now)"
    as_pg rm -f "$f"
  fi
done

# 9>&-: the server must not inherit (and so hold) our lock.
if ! out=$(as_pg "$pg_bin/pg_ctl" start -D "$data" -l "$logfile" -w -t 120 -s 2>&1 9>&-); then
  printf '%s\n' "$out" >&2
  tail -n 20 "$logfile" >&2 || true
  die "PostgreSQL did not start; see $logfile" "PostgreSQL が起動しませんでした。$logfile を確認してください"
fi
for _ in $(seq 1 100); do
  as_pg "$pg_bin/pg_isready" -q -h "$sock" -p "$port" && break
  sleep 0.1
done
as_pg "$pg_bin/pg_isready" -q -h "$sock" -p "$port" ||
  die "PostgreSQL started but does not answer on $sock (port $port)" \
    "PostgreSQL が $sock で応答しません"
ensure_db
say "started (pid $(running_pid || echo '?'), $(printf 'host=%s port=%s dbname=kijun user=kijun_owner' "$sock" "$port")) / 起動しました"
