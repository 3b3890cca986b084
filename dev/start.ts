/**
 * `npm start`: the local installation on PORT (7071), the simulated tenant on SIM_PORT (7072),
 * the embedded Cosmos DB on COSMOS_PORT (8081), timers on their schedules. Ctrl-C stops it all.
 */
import { ConfigError } from '../shared/domain/errors';
import { startLocalStack } from './localStack';

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new ConfigError(`${name} must be a port number between 1 and 65535 (got ${JSON.stringify(raw)}).`);
  return value;
}

async function main(): Promise<void> {
  const hostPort = port('PORT', 7071);
  const stack = await startLocalStack({
    port: hostPort,
    simPort: port('SIM_PORT', 7072),
    cosmosPort: port('COSMOS_PORT', 8081),
    cosmosEndpoint: process.env.COSMOS_ENDPOINT || undefined,
    cosmosKey: process.env.COSMOS_KEY || undefined,
    policiesDir: process.env.POLICIES_DIR || undefined,
    runTimers: true,
    anchorBlobs: true,
    azuritePort: port('AZURITE_PORT', 10000),
    log: process.env.VERBOSE_LOGS === 'true' ? (line) => console.log(line) : undefined,
  });
  console.log(`Simulated Azure at ${stack.sim.url} (ARM at /, Graph at /v1.0, Teams connector at /connector); Cosmos DB at ${stack.cosmos?.endpoint ?? process.env.COSMOS_ENDPOINT}; audit anchors in Azurite at ${stack.azurite?.accountUrl ?? '(off)'}`);
  console.log(`AccessManager listening on http://localhost:${stack.host.port}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping AccessManager...`);
    stack.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error('AccessManager failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
