// The Function App's app settings: exactly the `deployed` settings of
// infra/shared/app-settings.json plus its `platform` ones, each taken from `values`
// (test/infra/consistency.test.ts compares the keys function.bicep passes with the file). A module
// of its own so that the values, some known only once the site exists, arrive as a parameter.
param siteName string
@description('Every deployed setting by name.')
param values object

var spec = loadJsonContent('../shared/app-settings.json')
var deployedNames = concat(map(filter(items(spec.settings), s => s.value.deployed), s => s.key), spec.platform)

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: siteName
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: toObject(deployedNames, name => name, name => values[name])
}
