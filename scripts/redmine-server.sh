#!/usr/bin/env bash
# A real Redmine 5 (Debian bookworm's package) on 127.0.0.1 for the Redmine sync's
# integration tests. Needs root and apt-get; its database lives on the MariaDB that
# MARIADB_URL names (default mysql://root@127.0.0.1:3306/, a user that may create
# databases and users), which `make test` sets to the server the tests use.
#
#   scripts/redmine-server.sh install        packages, database, migrations, default data
#   scripts/redmine-server.sh start [PORT]   install if needed, serve, write var/redmine-test.env
#   scripts/redmine-server.sh stop [PORT]    stop the server (no-op when it is not running)
#   scripts/redmine-server.sh status [PORT]  exit 0 when it answers
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENV_FILE="$ROOT/var/redmine-test.env"

APP_DIR=/usr/share/redmine
INSTANCE=default
DATABASE_YML=/etc/redmine/$INSTANCE/database.yml
GEMFILE_LOCK=/var/lib/redmine/Gemfile.lock
DB_NAME=redmine_test
DB_APP_USER=redmine_app # what Redmine itself signs in as
DB_RO_USER=redmine_ro   # for tests that read Redmine's tables directly
DEFAULT_PORT=3001
# The server is one per machine (one database), so its state lives in /run, not in a clone.
PID_FILE=/run/redmine-test.pid
PORT_FILE=/run/redmine-test.port
CLOCK_FILE=/run/redmine-test.clock # days its clock is ahead (make test-clock-ahead)
LOCK_FILE=/run/redmine-test.lock
LOG_FILE=/var/log/redmine-test.log
INSTALL_LOG=/var/log/redmine-test-install.log
START_TIMEOUT=180

log() { echo "redmine-server: $*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

urldecode() { printf '%b' "${1//%/\\x}"; }

# DB_HOST, DB_PORT and the administrative user, from MARIADB_URL.
read_database_url() {
	local url=${MARIADB_URL:-mysql://root@127.0.0.1:3306/} netloc credentials=root hostport
	netloc=${url#*://}
	netloc=${netloc%%/*}
	hostport=$netloc
	if [[ "$netloc" == *@* ]]; then
		credentials=${netloc%@*}
		hostport=${netloc##*@}
	fi
	DB_ADMIN_USER=$(urldecode "${credentials%%:*}")
	DB_ADMIN_PASSWORD=""
	if [[ "$credentials" == *:* ]]; then DB_ADMIN_PASSWORD=$(urldecode "${credentials#*:}"); fi
	DB_HOST=${hostport%%:*}
	DB_PORT=3306
	if [[ "$hostport" == *:* ]]; then DB_PORT=${hostport##*:}; fi
	DB_ADMIN_URL="mysql://${credentials}@$DB_HOST:$DB_PORT/$DB_NAME"
}
read_database_url

# apt, bundler and the migrations are verbose: their output goes to a log, shown on failure.
quietly() {
	echo "--- $(date -Is) $*" >>"$INSTALL_LOG"
	if ! "$@" >>"$INSTALL_LOG" 2>&1 </dev/null; then
		tail -n 40 "$INSTALL_LOG" >&2
		die "failed: $* (see $INSTALL_LOG)"
	fi
}

sql() {
	MYSQL_PWD="$DB_ADMIN_PASSWORD" mysql --protocol=TCP -h "$DB_HOST" -P "$DB_PORT" \
		-u "$DB_ADMIN_USER" --batch --skip-column-names "$@"
}

# Redmine's files (cache, logs, uploads) belong to www-data: running its Ruby as root
# would leave root-owned files behind that the server then cannot write.
as_www_data() {
	(cd "$APP_DIR" && setpriv --reuid=www-data --regid=www-data --init-groups \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp LANG=C.UTF-8 \
		RAILS_ENV=production REDMINE_INSTANCE="$INSTANCE" "$@")
}

# --- install --------------------------------------------------------------------------

packages_installed() {
	local p
	for p in redmine redmine-mysql ruby-webrick curl; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || return 1
	done
}

install_packages() {
	packages_installed && return 0
	command -v apt-get >/dev/null || die "apt-get not found (a Debian bookworm machine is needed)"
	log "installing Debian packages redmine, redmine-mysql, ruby-webrick, curl"
	# dbconfig-common would create a 3-byte utf8 database under its own name and ask for
	# credentials: keep it out, the database and database.yml are made below.
	debconf-set-selections <<-EOF
		redmine redmine/current-instances string $INSTANCE
		redmine redmine/instances/$INSTANCE/dbconfig-install boolean false
		redmine redmine/instances/$INSTANCE/dbconfig-upgrade boolean false
		redmine redmine/instances/$INSTANCE/dbconfig-remove boolean false
		redmine redmine/instances/$INSTANCE/database-type select mysql
	EOF
	quietly apt-get update -qq
	quietly env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		redmine redmine-mysql ruby-webrick curl
}

create_database() {
	local answer
	answer=$(sql -e 'SELECT 1' 2>&1) ||
		die "MariaDB at $DB_HOST:$DB_PORT (MARIADB_URL) refuses $DB_ADMIN_USER: $answer"
	local charset
	charset=$(sql -e "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA
		WHERE SCHEMA_NAME = '$DB_NAME'")
	if [[ -n "$charset" && "$charset" != utf8mb4 ]]; then
		# 3-byte utf8 answers 500 on an emoji; this database holds only test data.
		log "database $DB_NAME is $charset, not utf8mb4: recreating it"
		sql -e "DROP DATABASE \`$DB_NAME\`"
	fi
	sql -e "CREATE DATABASE IF NOT EXISTS \`$DB_NAME\`
		CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
}

# The application user's password lives only in database.yml: reuse it when it is there.
app_password() {
	local password=""
	if [[ -f "$DATABASE_YML" ]]; then
		password=$(sed -n 's/^  password: "\([0-9a-f]*\)"$/\1/p' "$DATABASE_YML")
	fi
	[[ -n "$password" ]] || password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	echo "$password"
}

create_users() {
	local password=$1 host
	for host in 127.0.0.1 localhost; do
		sql -e "CREATE USER IF NOT EXISTS '$DB_APP_USER'@'$host' IDENTIFIED BY '$password';
			ALTER USER '$DB_APP_USER'@'$host' IDENTIFIED BY '$password';
			GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_APP_USER'@'$host';
			CREATE USER IF NOT EXISTS '$DB_RO_USER'@'$host';
			GRANT SELECT ON \`$DB_NAME\`.* TO '$DB_RO_USER'@'$host';"
	done
}

write_database_yml() {
	local password=$1 wanted
	wanted="# Written by scripts/redmine-server.sh of the helpdesk project (its test server).
production:
  adapter: mysql2
  database: $DB_NAME
  host: $DB_HOST
  port: $DB_PORT
  username: $DB_APP_USER
  password: \"$password\"
  encoding: utf8mb4
  collation: utf8mb4_unicode_ci"
	# Compared on every install, so a hand edit or an older layout is put right.
	if [[ ! -f "$DATABASE_YML" ]] || [[ "$(cat "$DATABASE_YML")" != "$wanted" ]]; then
		log "writing $DATABASE_YML"
		mkdir -p "$(dirname "$DATABASE_YML")"
		printf '%s\n' "$wanted" >"$DATABASE_YML"
	fi
	chown root:www-data "$DATABASE_YML"
	chmod 640 "$DATABASE_YML"
}

# The package ships no app server; WEBrick is enough for tests. The Gemfile also picks the
# mysql2 gem from database.yml, which did not exist when the package's postinst locked it.
bundle_gems() {
	local gemfile_local=$APP_DIR/Gemfile.local
	grep -qs "^gem 'webrick'" "$gemfile_local" || echo "gem 'webrick'" >>"$gemfile_local"
	if ! grep -qs '^    webrick ' "$GEMFILE_LOCK" || ! grep -qs '^    mysql2 ' "$GEMFILE_LOCK"; then
		log "bundle install --local"
		rm -f "$GEMFILE_LOCK"
		(cd "$APP_DIR" && quietly bundle install --local)
		chown www-data:www-data "$GEMFILE_LOCK"
	fi
}

migrate() {
	local latest
	latest=$(find "$APP_DIR/db/migrate" -name '*.rb' -printf '%f\n' | sed 's/_.*//' | sort -n | tail -1)
	if [[ "$(sql -e "SELECT COUNT(*) FROM \`$DB_NAME\`.schema_migrations
		WHERE version = '$latest'" 2>/dev/null)" != 1 ]]; then
		log "migrating the database"
		# SCHEMA=/dev/null: db/schema.rb would be written into the read-only package tree.
		quietly as_www_data SCHEMA=/dev/null bundle exec rake db:migrate
	fi
	if [[ "$(sql -e "SELECT COUNT(*) FROM \`$DB_NAME\`.trackers")" == 0 ]]; then
		log "loading the default data (Russian)"
		quietly as_www_data REDMINE_LANG=ru bundle exec rake redmine:load_default_data
		# The task reports its own failures but still exits 0.
		[[ "$(sql -e "SELECT COUNT(*) FROM \`$DB_NAME\`.trackers")" != 0 ]] ||
			die "the default data was not loaded"
	fi
}

cmd_install() {
	[[ "$(id -u)" == 0 ]] || die "needs root"
	install_packages
	create_database
	local password
	password=$(app_password)
	create_users "$password"
	write_database_yml "$password"
	bundle_gems
	migrate
}

# --- server ---------------------------------------------------------------------------

# host:port of database.yml, which a running server read when it started (an install,
# the only writer, happens before a start).
running_database() {
	local host port
	host=$(sed -n 's/^  host: //p' "$DATABASE_YML" 2>/dev/null)
	port=$(sed -n 's/^  port: //p' "$DATABASE_YML" 2>/dev/null)
	echo "${host:-$DB_HOST}:${port:-$DB_PORT}"
}

http_code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "$@" || true; }

answering() { [[ "$(http_code "http://127.0.0.1:$1/")" == 200 ]]; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

key_works() {
	[[ -n "$2" ]] &&
		[[ "$(http_code -H "X-Redmine-API-Key: $2" "http://127.0.0.1:$1/users/current.json")" == 200 ]]
}

env_file_key() {
	sed -n 's/^REDMINE_TEST_API_KEY=//p' "$ENV_FILE" 2>/dev/null || true
}

# The admin's key as Redmine stored it; lets a fresh clone skip booting Rails once more.
stored_key() {
	sql -e "SELECT t.value FROM \`$DB_NAME\`.tokens t JOIN \`$DB_NAME\`.users u ON u.id = t.user_id
		WHERE u.login = 'admin' AND t.action = 'api' ORDER BY t.id DESC LIMIT 1" 2>/dev/null || true
}

# The pid of our rackup, or nothing: a recycled pid must not be taken for it.
server_pid() {
	local pid
	pid=$(cat "$PID_FILE" 2>/dev/null || true)
	if [[ -n "$pid" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q rackup; then
		echo "$pid"
	fi
}

launch() {
	local port=$1
	log "starting Redmine on 127.0.0.1:$port (log: $LOG_FILE)"
	mkdir -p "$(dirname "$LOG_FILE")"
	echo "--- $(date -Is) start on port $port" >>"$LOG_FILE"
	# `make test-clock-ahead` moves the server's clock too (Debian's libfaketime).
	local clock="" library
	if [[ -n "${CLOCK_AHEAD_DAYS:-}" ]]; then
		library=$(compgen -G '/usr/lib/*/faketime/libfaketime.so.1' | head -1) ||
			die "CLOCK_AHEAD_DAYS needs libfaketime (apt-get install faketime)"
		clock="FAKETIME=+${CLOCK_AHEAD_DAYS}d LD_PRELOAD=$library"
		log "its clock: $CLOCK_AHEAD_DAYS days ahead"
	fi
	# setsid: a server of its own session, not stopped with the shell that started it.
	# 9>&-: the child must not hold the lock that serialises this script.
	setsid bash -c "cd '$APP_DIR' && exec setpriv --reuid=www-data --regid=www-data --init-groups \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp LANG=C.UTF-8 $clock \
		RAILS_ENV=production RACK_ENV=production REDMINE_INSTANCE=$INSTANCE \
		bundle exec rackup -s webrick -E production -o 127.0.0.1 -p $port config.ru" \
		</dev/null >>"$LOG_FILE" 2>&1 9>&- &
	echo $! >"$PID_FILE"
	echo "$port" >"$PORT_FILE"
	echo "${CLOCK_AHEAD_DAYS:-0}" >"$CLOCK_FILE"
	local pid=$! waited=0
	until answering "$port"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 30 "$LOG_FILE" >&2
			die "the server exited while starting (see $LOG_FILE)"
		fi
		if ((waited >= START_TIMEOUT)); then
			tail -n 30 "$LOG_FILE" >&2
			die "no answer on port $port after ${START_TIMEOUT}s (see $LOG_FILE)"
		fi
		((waited % 10 == 0)) && log "waiting for http://127.0.0.1:$port/ (${waited}s)"
		sleep 1
		waited=$((waited + 1))
	done
	log "answering after ${waited}s"
}

# REST API on, admin usable by key: one `rails runner`, as each run boots Rails (slow).
configure_admin() {
	log "enabling the REST API and reading the admin's API key (rails runner)"
	local out
	out=$(as_www_data bundle exec rails runner -e production '
		Setting.rest_api_enabled = "1"
		admin = User.find_by_login("admin") or abort "no admin user"
		admin.must_change_passwd = false
		admin.status = User::STATUS_ACTIVE
		admin.save!
		puts "API_KEY=#{admin.api_key}"
	' </dev/null 2>>"$INSTALL_LOG") || die "rails runner failed (see $INSTALL_LOG)"
	sed -n 's/^API_KEY=//p' <<<"$out" | tail -1
}

write_env_file() {
	mkdir -p "$(dirname "$ENV_FILE")"
	cat >"$ENV_FILE.tmp" <<-EOF
		REDMINE_TEST_URL=http://127.0.0.1:$1
		REDMINE_TEST_API_KEY=$2
		REDMINE_TEST_DATABASE_URL=mysql://$DB_RO_USER@$DB_HOST:$DB_PORT/$DB_NAME
		REDMINE_TEST_ADMIN_DATABASE_URL=$DB_ADMIN_URL
	EOF
	mv "$ENV_FILE.tmp" "$ENV_FILE"
}

lock() {
	exec 9>"$LOCK_FILE"
	flock 9
}

cmd_start() {
	local port=${1:-$DEFAULT_PORT} key
	[[ "$(id -u)" == 0 ]] || die "needs root"
	lock
	# A running server on another database or clock than asked for is restarted.
	local clock database
	clock=$(cat "$CLOCK_FILE" 2>/dev/null || echo 0)
	database=$(running_database)
	if answering "$port" && [[ "$clock" != "${CLOCK_AHEAD_DAYS:-0}" ]]; then
		log "its clock is $clock days ahead, not ${CLOCK_AHEAD_DAYS:-0}: restarting it"
		stop_server "$port"
	elif answering "$port" && [[ "$database" != "$DB_HOST:$DB_PORT" ]]; then
		log "it runs on the MariaDB at $database, not $DB_HOST:$DB_PORT: restarting it"
		stop_server "$port"
	fi
	if ! answering "$port"; then
		port_open "$port" && die "port $port is taken by something that is not Redmine"
		cmd_install
		launch "$port"
	fi
	key=$(env_file_key)
	key_works "$port" "$key" || key=$(stored_key)
	if ! key_works "$port" "$key"; then
		key=$(configure_admin)
		key_works "$port" "$key" || die "the admin's API key does not work (see $LOG_FILE)"
	fi
	write_env_file "$port" "$key"
	log "ready: http://127.0.0.1:$port (settings in $ENV_FILE)"
}

cmd_stop() {
	local port=${1:-$(cat "$PORT_FILE" 2>/dev/null || echo "$DEFAULT_PORT")}
	lock
	stop_server "$port"
}

# The caller holds the lock.
stop_server() {
	local port=$1 pid
	pid=$(server_pid)
	if [[ -z "$pid" ]]; then
		port_open "$port" && die "port $port is open but not by a server this script started"
		return 0
	fi
	log "stopping Redmine (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	# WEBrick finishes its requests first; a hung one must not keep the port.
	local started=$SECONDS killed=""
	while kill -0 "$pid" 2>/dev/null || port_open "$port"; do
		if [[ -z "$killed" ]] && ((SECONDS - started >= 30)); then
			log "still running after 30s: killing it"
			kill -KILL "$pid" 2>/dev/null || true
			killed=1
		fi
		((SECONDS - started >= 60)) && die "port $port still open after 60s"
		sleep 0.2
	done
	rm -f "$PID_FILE" "$CLOCK_FILE"
}

cmd_status() {
	local port=${1:-$(cat "$PORT_FILE" 2>/dev/null || echo "$DEFAULT_PORT")}
	if answering "$port"; then
		echo "Redmine answers on http://127.0.0.1:$port"
	else
		echo "Redmine does not answer on port $port"
		return 1
	fi
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start "${2:-}" ;;
stop) cmd_stop "${2:-}" ;;
status) cmd_status "${2:-}" ;;
*)
	echo "usage: $0 install | start [PORT] | stop [PORT] | status [PORT]" >&2
	exit 2
	;;
esac
