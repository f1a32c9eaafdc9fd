#!/usr/bin/env bash
# Runs Microsoft's SCIM test collection ("SCIM Tests", PostmanCollection.json, unmodified)
# against a running server, with the newman this project pins in package.json.
#
#   usage: npm run conformance -- [--collection FILE] [BASE_URL] [TOKEN]
#     FILE      Microsoft's PostmanCollection.json (default: $MS_SCIM_COLLECTION, else
#               PostmanCollection.json in $MS_SCIM_POSTMAN_DIR, else in
#               ../shared/conformance/ms-scim-postman beside the repository)
#     BASE_URL  default http://127.0.0.1:${PORT:-8787}/scim/v2
#     TOKEN     default $SCIM_BEARER_TOKEN
#
# The server must start EMPTY (no users, no groups): several assertions count totals. E.g.
#   terminal 1:  SCIM_BEARER_TOKEN=t DATA_DIR=$(mktemp -d) npm start
#   terminal 2:  SCIM_BEARER_TOKEN=t npm run conformance -- --collection ~/PostmanCollection.json
#
# The collection is Microsoft's (MIT), not part of this repository; without it the script
# says where to get it. Exit code: newman's (0 = every assertion passed; 2 = not run); the
# last line is "N passed, N failed".
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# Where the collection comes from: the commit it was checked against, and that file's sha256.
COMMIT=d445ef901981fef684a220fe8cf6c97b588600fd
SHA256=36ee6b9fb355cd6d438b7012ce266c05496caf494db4cb2a2be832f91fa56ccf
URL=https://raw.githubusercontent.com/AzureAD/SCIMReferenceCode/$COMMIT/PostmanCollection.json

usage() {
  sed -n '5,11s/^# \{0,1\}//p' "$0" >&2
  exit 2
}

COLLECTION=${MS_SCIM_COLLECTION:-}
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage ;;
    --collection)
      [ $# -ge 2 ] || usage
      COLLECTION=$2
      shift 2
      ;;
    --collection=*)
      COLLECTION=${1#--collection=}
      shift
      ;;
    *)
      ARGS+=("$1")
      shift
      ;;
  esac
done
[ ${#ARGS[@]} -le 2 ] || usage

if [ -z "$COLLECTION" ]; then
  if [ -n "${MS_SCIM_POSTMAN_DIR:-}" ]; then
    COLLECTION=$MS_SCIM_POSTMAN_DIR/PostmanCollection.json
  else
    COLLECTION=$ROOT/../shared/conformance/ms-scim-postman/PostmanCollection.json
  fi
fi
if [ ! -f "$COLLECTION" ]; then
  cat >&2 <<EOF
Microsoft's SCIM collection is not at $COLLECTION.
It is Microsoft's (MIT licence), not part of this repository. Get it, then pass its path:
  curl -fLo PostmanCollection.json $URL
  npm run conformance -- --collection PostmanCollection.json
(The file of github.com/AzureAD/SCIMReferenceCode at commit ${COMMIT:0:7}; sha256 $SHA256.)
EOF
  exit 2
fi
actual=$(node -e 'const c=require("crypto");process.stdout.write(c.createHash("sha256").update(require("fs").readFileSync(process.argv[1])).digest("hex"))' "$COLLECTION")
if [ "$actual" != "$SHA256" ]; then
  echo "Note: $COLLECTION is not the copy this project was checked against (sha256 $SHA256); results may differ." >&2
fi

BASE_URL=${ARGS[0]:-http://127.0.0.1:${PORT:-8787}/scim/v2}
BASE_URL=${BASE_URL%/}
TOKEN=${ARGS[1]:-${SCIM_BEARER_TOKEN:-}}
if [ -z "$TOKEN" ]; then
  echo "No bearer token: pass it after the base URL or set SCIM_BEARER_TOKEN." >&2
  usage
fi
NEWMAN=$ROOT/node_modules/.bin/newman
if [ ! -x "$NEWMAN" ]; then
  echo "newman is not installed: run npm ci first." >&2
  exit 2
fi

# The collection builds URLs as {{Protocol}}://{{Server}}{{Port}}/{{Api}}/...
proto=${BASE_URL%%://*}
rest=${BASE_URL#*://}
hostport=${rest%%/*}
api=""
[[ "$rest" == */* ]] && api=${rest#*/}
host=${hostport%%:*}
port=""
[[ "$hostport" == *:* ]] && port=":${hostport#*:}"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
REPORT=${REPORT:-$TMP/newman-report.json}

# Drop only the "Get Token" folder: it calls GET /Token, an endpoint of Microsoft's reference
# server that is not part of SCIM, and would overwrite {{token}} with "undefined".
node -e '
  const fs = require("fs");
  const c = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  c.item = c.item.filter((i) => i.name !== "Get Token");
  fs.writeFileSync(process.argv[2], JSON.stringify(c));
' "$COLLECTION" "$TMP/collection.json"

echo "Running Microsoft's SCIM collection ($COLLECTION) against $BASE_URL; the server must start empty." >&2
set +e
"$NEWMAN" run "$TMP/collection.json" \
  --env-var "Protocol=$proto" --env-var "Server=$host" --env-var "Port=$port" \
  --env-var "Api=$api" --env-var "token=$TOKEN" \
  --reporters cli,json --reporter-json-export "$REPORT" --disable-unicode --color off
rc=$?
set -e
node -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).run.stats.assertions;
  console.log(`${s.total - s.failed} passed, ${s.failed} failed`);
' "$REPORT" || true
exit $rc
