// Which tasks a pool host may run (`isolation = "pooled"`). A task that
// needs what a pool does not give runs in a task host of its own, as with
// `isolation = "process"`, and a task event says why: nothing about a task
// silently changes because the node pools tasks.
import type { WasmTaskConfig } from '../config/task-config.js';

/** Undefined when the task can be pooled; otherwise why it gets a task host of its own. */
export function whyNotPooled(config: WasmTaskConfig): string | undefined {
  if (config.configGrants && config.configGrants.secrets.length > 0) {
    return 'it has Vault secret blocks (their leases are held, renewed and revoked by a task host of its own, and never share a process with other tasks)';
  }
  if (config.keyValueStores && config.keyValueStores.length > 0) {
    return 'it has key_value_store blocks (the Consul connection and token of its stores are held by a task host of its own)';
  }
  if (config.allowServices && config.allowServices.length > 0) {
    return 'it has allow_services (the service router and its control channel are per process)';
  }
  return undefined;
}
