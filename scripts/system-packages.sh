#!/usr/bin/env bash
# Debian packages a step needs: `scripts/system-packages.sh [--optional] WHAT PACKAGE...`.
# Missing packages are installed with apt-get when run as root; otherwise the command that
# installs them is printed and the step fails (or, with --optional, goes on without them).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
optional=""
if [[ "${1:-}" == --optional ]]; then
	optional=1
	shift
fi
what=$1
shift

if ! command -v dpkg-query >/dev/null; then
	echo "(not a Debian system: make sure $what are installed: $*)"
	exit 0
fi
missing=()
for package in "$@"; do
	dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$package")
done
if ((${#missing[@]} == 0)); then
	exit 0
fi

if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
	"$ROOT/scripts/step.sh" "Installing $what: ${missing[*]}" \
		env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" ||
		{
			# The package lists may be older than the mirror: refresh them once and retry.
			"$ROOT/scripts/step.sh" "Refreshing apt's package lists" apt-get update -q &&
				"$ROOT/scripts/step.sh" "Installing $what: ${missing[*]}" \
					env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
		}
	exit
fi

echo "Missing $what: ${missing[*]}"
echo "  install them with: sudo apt-get install ${missing[*]}"
if [[ -n "$optional" ]]; then
	echo "  (going on without them)"
	exit 0
fi
exit 1
