# azd prepackage for the api service (Windows): the same as package.sh.
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '..\..')
if (-not (Test-Path node_modules)) { npm ci --no-audit --no-fund }
npm run package
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
