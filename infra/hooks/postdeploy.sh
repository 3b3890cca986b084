#!/bin/sh
# azd postdeploy (posix): wire Event Grid to the functions just deployed (deploy/eventGrid.ts).
set -eu
cd "$(dirname "$0")/../.."
[ -f dist/deploy/eventGrid.js ] || npm run build --silent
node dist/deploy/eventGrid.js
