#!/bin/sh
# Entra setup without the Microsoft Graph Bicep extension (ENTRA_MODE=script): for tenants where
# the person running azd may not create app registrations or grant Microsoft Graph permissions.
# Run by someone who may (Application Administrator for the apps; Privileged Role Administrator
# for the Graph application permissions), in two steps around the first provision:
#   1. entra.sh apps     before `azd up`: the sign-in app (app role AccessManager.Admin, the Azure
#                        CLI pre-authorized) and the bot app; stores AUTH_CLIENT_ID and BOT_APP_ID
#   2. entra.sh grants   after `azd provision`: federated credentials trusting the app's managed
#                        identity, the sign-in redirect URI, and User.Read.All + GroupMember.Read.All
#                        for the managed identity
# Values come from the azd environment, or from the same names in the environment (an admin
# without the azd environment sets them by hand). Idempotent: it looks before it creates.
set -eu
step="${1:-}"
value() { eval "v=\${$1:-}"; [ -n "$v" ] && echo "$v" || azd env get-value "$1"; }
graph_app=00000003-0000-0000-c000-000000000000
azure_cli_app=04b07795-8ddb-461a-bbee-02f9e1bf7b46
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

app_by_name() { az ad app list --display-name "$1" --query "[0].appId" -o tsv; }

case "$step" in
apps)
  env_name=$(value AZURE_ENV_NAME)
  auth_name="AccessManager ($env_name)"
  auth_id=$(app_by_name "$auth_name")
  if [ -z "$auth_id" ]; then
    admin_role=$(node -e "console.log(require('node:crypto').randomUUID())")
    cat > "$tmp/roles.json" <<JSON
[{"id":"$admin_role","value":"AccessManager.Admin","displayName":"AccessManager administrator","description":"Queries the audit trail and the live access view, resets enforcement breakers.","allowedMemberTypes":["User"],"isEnabled":true}]
JSON
    auth_id=$(az ad app create --display-name "$auth_name" --sign-in-audience AzureADMyOrg \
      --app-roles @"$tmp/roles.json" --enable-id-token-issuance true --query appId -o tsv)
    # A delegated scope the Azure CLI is pre-authorized for: `access-manager --audience <client id>` after az login.
    scope_id=$(node -e "console.log(require('node:crypto').randomUUID())")
    object_id=$(az ad app show --id "$auth_id" --query id -o tsv)
    cat > "$tmp/api.json" <<JSON
{"api":{"requestedAccessTokenVersion":2,"oauth2PermissionScopes":[{"id":"$scope_id","value":"user_impersonation","type":"User","isEnabled":true,"adminConsentDisplayName":"Use AccessManager as you","adminConsentDescription":"Lets the app call AccessManager's API as the signed-in user.","userConsentDisplayName":"Use AccessManager as you","userConsentDescription":"Lets the app call AccessManager's API as you."}]}}
JSON
    az rest --method PATCH --url "https://graph.microsoft.com/v1.0/applications/$object_id" --headers Content-Type=application/json --body @"$tmp/api.json"
    cat > "$tmp/preauth.json" <<JSON
{"api":{"preAuthorizedApplications":[{"appId":"$azure_cli_app","delegatedPermissionIds":["$scope_id"]}]}}
JSON
    az rest --method PATCH --url "https://graph.microsoft.com/v1.0/applications/$object_id" --headers Content-Type=application/json --body @"$tmp/preauth.json"
  fi
  az ad sp show --id "$auth_id" >/dev/null 2>&1 || az ad sp create --id "$auth_id" >/dev/null
  bot_name="AccessManager bot ($env_name)"
  bot_id=$(app_by_name "$bot_name")
  [ -n "$bot_id" ] || bot_id=$(az ad app create --display-name "$bot_name" --sign-in-audience AzureADMyOrg --query appId -o tsv)
  az ad sp show --id "$bot_id" >/dev/null 2>&1 || az ad sp create --id "$bot_id" >/dev/null
  azd env set ENTRA_MODE script
  azd env set AUTH_CLIENT_ID "$auth_id"
  azd env set BOT_APP_ID "$bot_id"
  echo "AUTH_CLIENT_ID=$auth_id BOT_APP_ID=$bot_id"
  ;;
grants)
  tenant=$(value AZURE_TENANT_ID)
  identity=$(value APP_IDENTITY_PRINCIPAL_ID)
  app_url=$(value FUNCTION_APP_URL)
  for app_id in "$(value AUTH_CLIENT_ID)" "$(value BOT_APP_ID)"; do
    [ -n "$app_id" ] || continue
    if [ -z "$(az ad app federated-credential list --id "$app_id" --query "[?name=='accessmanager-managed-identity'].name" -o tsv)" ]; then
      cat > "$tmp/fic.json" <<JSON
{"name":"accessmanager-managed-identity","issuer":"https://login.microsoftonline.com/$tenant/v2.0","subject":"$identity","audiences":["api://AzureADTokenExchange"],"description":"AccessManager's managed identity (no client secret)."}
JSON
      az ad app federated-credential create --id "$app_id" --parameters @"$tmp/fic.json" >/dev/null
      echo "federated credential on $app_id"
    fi
  done
  az ad app update --id "$(value AUTH_CLIENT_ID)" --web-redirect-uris "$app_url/.auth/login/aad/callback"
  # Microsoft Graph application permissions for the managed identity, found by name, not GUID.
  graph_sp=$(az ad sp show --id "$graph_app" --query id -o tsv)
  for permission in User.Read.All GroupMember.Read.All; do
    role_id=$(az ad sp show --id "$graph_app" --query "appRoles[?value=='$permission'].id | [0]" -o tsv)
    granted=$(az rest --method GET --url "https://graph.microsoft.com/v1.0/servicePrincipals/$identity/appRoleAssignments" --query "value[?appRoleId=='$role_id'].id | [0]" -o tsv)
    if [ -z "$granted" ]; then
      az rest --method POST --url "https://graph.microsoft.com/v1.0/servicePrincipals/$graph_sp/appRoleAssignedTo" \
        --headers Content-Type=application/json \
        --body "{\"principalId\":\"$identity\",\"resourceId\":\"$graph_sp\",\"appRoleId\":\"$role_id\"}" >/dev/null
      echo "granted $permission to the managed identity"
    fi
  done
  ;;
*)
  echo "usage: $0 apps|grants   (README, Azure: the Graph permission fallback)" >&2
  exit 2
  ;;
esac
