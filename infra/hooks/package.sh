#!/bin/sh
# azd prepackage for the api service (posix): the deployable package (npm run package ->
# artifacts/package, which azure.yaml's `dist` names). Installs first on a fresh clone.
set -eu
cd "$(dirname "$0")/../.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run package
