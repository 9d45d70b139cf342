// Entry of a verification thread (verify-pool.ts): loads tsx in the thread, then the TypeScript worker itself.
import { register } from 'tsx/esm/api';

register();
await import('./verify-worker.ts');
