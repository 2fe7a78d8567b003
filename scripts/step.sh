#!/usr/bin/env bash
# One line per setup step: `scripts/step.sh "what it does" command args...`.
# The command's own output (apt, pip, npm, migrations) goes to var/setup.log; on failure
# its last lines are shown with the log's name, and the step's exit status is kept.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOG="${SETUP_LOG:-$ROOT/var/setup.log}"
mkdir -p "$(dirname "$LOG")"

title=$1
shift
printf '%s ... ' "$title"
echo "--- $(date -Is) $title: $*" >>"$LOG"
started=$SECONDS
"$@" >>"$LOG" 2>&1 </dev/null
status=$?
if ((status != 0)); then
	echo "failed (exit $status)"
	echo "--- the last lines of ${LOG#"$ROOT"/}:" >&2
	tail -n 40 "$LOG" >&2
	exit "$status"
fi
echo "done ($((SECONDS - started)) s)"
