#!/usr/bin/env bash
# Runs Microsoft's SCIM test collection (its own runner, run.sh, unmodified) against a running
# server, with the newman this project pins in package.json.
#
#   usage: npm run conformance -- [BASE_URL] [TOKEN]
#     BASE_URL  default http://127.0.0.1:${PORT:-8787}/scim/v2
#     TOKEN     default $SCIM_BEARER_TOKEN
#
# The server must start EMPTY (no users, no groups): several assertions count totals. E.g.
#   terminal 1:  SCIM_BEARER_TOKEN=t DATA_DIR=$(mktemp -d) npm start
#   terminal 2:  SCIM_BEARER_TOKEN=t npm run conformance
#
# The collection is not part of this repository. It is looked for where
# test/local/ms-postman.test.ts looks: in $MS_SCIM_POSTMAN_DIR (a folder holding run.sh) when
# set, else in ../shared/conformance/ms-scim-postman beside the repository. Where that test
# skips itself without the collection, this script stops with a message saying where it looked.
# Exit code: the runner's (0 = every assertion passed); its last line is "N passed, N failed".
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

usage() {
  sed -n '5,11s/^# \{0,1\}//p' "$0" >&2
  exit 2
}
case "${1:-}" in -h | --help) usage ;; esac
[ $# -le 2 ] || usage

BASE_URL=${1:-http://127.0.0.1:${PORT:-8787}/scim/v2}
TOKEN=${2:-${SCIM_BEARER_TOKEN:-}}
if [ -z "$TOKEN" ]; then
  echo "No bearer token: pass it as the second argument or set SCIM_BEARER_TOKEN." >&2
  usage
fi

if [ -n "${MS_SCIM_POSTMAN_DIR:-}" ]; then
  DIR=$MS_SCIM_POSTMAN_DIR
  WHERE="MS_SCIM_POSTMAN_DIR=$MS_SCIM_POSTMAN_DIR"
else
  DIR=$ROOT/../shared/conformance/ms-scim-postman
  WHERE="../shared/conformance/ms-scim-postman (beside the repository)"
fi
if [ ! -f "$DIR/run.sh" ]; then
  echo "Microsoft's SCIM collection was not found: $WHERE has no run.sh." >&2
  echo "Set MS_SCIM_POSTMAN_DIR to the folder holding run.sh and PostmanCollection.json." >&2
  exit 2
fi
NEWMAN=$ROOT/node_modules/.bin/newman
if [ ! -x "$NEWMAN" ]; then
  echo "newman is not installed: run npm ci first." >&2
  exit 2
fi

echo "Running Microsoft's SCIM collection ($DIR) against $BASE_URL; the server must start empty." >&2
NEWMAN=$NEWMAN exec bash "$DIR/run.sh" "$BASE_URL" "$TOKEN"
