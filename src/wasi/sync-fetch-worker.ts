// Worker half of sync-fetch.ts: performs one request per message and wakes
// the waiting guest thread.
import { parentPort } from 'node:worker_threads';
import { performDirect } from './direct-fetch.js';
import { performPinned } from './pinned-fetch.js';
import type { SyncFetchRequest } from './sync-fetch.js';

parentPort?.on('message', (request: SyncFetchRequest) => {
  void (request.connect ? performPinned(request) : performDirect(request)).then((result) => {
    request.port.postMessage(result);
    const flag = new Int32Array(request.flag);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
});
