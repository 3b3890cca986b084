/** `npm run cli -- <args>`: the admin CLI (shared/cli/main.ts), the same entry point as the `access-manager` bin. */
import { runFromProcess } from '../cli/main';

runFromProcess();
