#!/bin/sh
# azd preprovision (posix): fail early, with a reason, on what provisioning would fail on later,
# and derive the RBAC condition from policies/ (deploy/rbacCondition.ts).
set -eu
cd "$(dirname "$0")/../.."
for tool in az node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "preprovision: $tool is required (README, Azure)" >&2; exit 1; }
done
az account show >/dev/null 2>&1 || { echo "preprovision: run 'az login' first: the hooks use the Azure CLI" >&2; exit 1; }

# Flex Consumption needs Microsoft.App as well as Microsoft.Web; Event Grid system topics need
# Microsoft.EventGrid in every subscription that holds an event source.
subscriptions="${AZURE_SUBSCRIPTION_ID}"
for sub in ${GOVERNED_SUBSCRIPTION_ID:-} $(echo "${GOVERNED_SUBSCRIPTION_IDS:-}" | tr ',' ' '); do
  case " $subscriptions " in *" $sub "*) ;; *) subscriptions="$subscriptions $sub" ;; esac
done
for sub in $subscriptions; do
  for ns in Microsoft.Web Microsoft.App Microsoft.EventGrid Microsoft.DocumentDB Microsoft.BotService Microsoft.OperationalInsights Microsoft.Insights Microsoft.Storage Microsoft.ManagedIdentity; do
    state=$(az provider show --subscription "$sub" -n "$ns" --query registrationState -o tsv 2>/dev/null || echo Unknown)
    if [ "$state" != "Registered" ]; then
      echo "Registering $ns in subscription $sub ($state)..."
      az provider register --subscription "$sub" -n "$ns" --wait >/dev/null
    fi
  done
done

if [ "${ENTRA_MODE:-graph}" = "script" ] && [ -z "${AUTH_CLIENT_ID:-}" ]; then
  echo "preprovision: ENTRA_MODE=script needs the app registrations first: run infra/hooks/entra.sh apps (or have an Entra admin run it), then azd up again." >&2
  exit 1
fi

# The condition is computed from the policies as they are in this clone.
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build --silent
node dist/deploy/rbacCondition.js policies
