// How the plugin starts the Node processes that hold secrets (task hosts,
// spares, pool hosts): never with core dumps, never with an inspector that
// SIGUSR1 can open.
//
// - Core dumps: a task host's memory holds secret values and, in Vault's
//   disable_file mode, the task's token. Node cannot set resource limits
//   itself, so the child is started through `sh -c 'ulimit -c 0 && exec
//   node ...'`: the limit (soft and hard) is set in the very process that
//   becomes node (exec keeps the pid), and its own children inherit it.
//   prctl(PR_SET_DUMPABLE, 0) would also refuse ptrace, but needs a native
//   addon, and exec resets it anyway.
// - SIGUSR1: --disable-sigusr1 (Node 22.14+/23.7+) keeps the inspector's
//   watchdog from ever listening for it; ignore-inspector-signal.ts covers
//   older Nodes from the first line of each entry point.
const SH = '/bin/sh';
const NO_CORE_DUMPS = 'ulimit -c 0 && exec "$0" "$@"';

/** Whether this Node knows --disable-sigusr1 (also accepted in NODE_OPTIONS, hence this set). */
export const DISABLE_SIGUSR1: readonly string[] = process.allowedNodeEnvironmentFlags.has('--disable-sigusr1')
  ? ['--disable-sigusr1']
  : [];

/** The command that runs `node <flags> <entry> <args>` with no core dumps and no SIGUSR1 inspector. */
export function hardenedNodeCommand(
  nodeFlags: readonly string[],
  entry: string,
  args: readonly string[],
): { readonly file: string; readonly args: string[] } {
  return { file: SH, args: ['-c', NO_CORE_DUMPS, process.execPath, ...DISABLE_SIGUSR1, ...nodeFlags, entry, ...args] };
}
