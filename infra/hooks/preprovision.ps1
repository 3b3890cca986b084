# azd preprovision (Windows): the same checks as preprovision.sh.
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '..\..')
foreach ($tool in 'az', 'node', 'npm') {
  if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { throw "preprovision: $tool is required (README, Azure)" }
}
az account show *> $null
if ($LASTEXITCODE -ne 0) { throw "preprovision: run 'az login' first: the hooks use the Azure CLI" }
$subscriptions = @($env:AZURE_SUBSCRIPTION_ID)
$governed = @($env:GOVERNED_SUBSCRIPTION_ID) + "$env:GOVERNED_SUBSCRIPTION_IDS".Split(',') | ForEach-Object { "$_".Trim() } | Where-Object { $_ }
foreach ($sub in $governed) { if ($subscriptions -notcontains $sub) { $subscriptions += $sub } }
$namespaces = 'Microsoft.Web', 'Microsoft.App', 'Microsoft.EventGrid', 'Microsoft.DocumentDB', 'Microsoft.BotService', 'Microsoft.OperationalInsights', 'Microsoft.Insights', 'Microsoft.Storage', 'Microsoft.ManagedIdentity'
foreach ($sub in $subscriptions) {
  foreach ($ns in $namespaces) {
    $state = az provider show --subscription $sub -n $ns --query registrationState -o tsv 2>$null
    if ($state -ne 'Registered') {
      Write-Host "Registering $ns in subscription $sub ($state)..."
      az provider register --subscription $sub -n $ns --wait | Out-Null
    }
  }
}
if ($env:ENTRA_MODE -eq 'script' -and -not $env:AUTH_CLIENT_ID) {
  throw 'preprovision: ENTRA_MODE=script needs the app registrations first: run infra/hooks/entra.sh apps (or have an Entra admin run it), then azd up again.'
}
if (-not (Test-Path node_modules)) { npm ci --no-audit --no-fund }
npm run build --silent
node dist/deploy/rbacCondition.js policies
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
