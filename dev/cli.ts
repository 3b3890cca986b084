/** `npm run cli -- <args>`: the CLI (cli/main.ts) with the local tenant's people for `--as`. */
import { runFromProcess } from '../cli/main';
import { DEFAULT_LOCAL_USER, LOCAL_USERS } from './localUsers';

runFromProcess({ users: LOCAL_USERS, defaultLogin: DEFAULT_LOCAL_USER });
