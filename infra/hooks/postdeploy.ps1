# azd postdeploy (Windows): wire Event Grid to the functions just deployed (deploy/eventGrid.ts).
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '..\..')
if (-not (Test-Path dist/deploy/eventGrid.js)) { npm run build --silent }
node dist/deploy/eventGrid.js
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
