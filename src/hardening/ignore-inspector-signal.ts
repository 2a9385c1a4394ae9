// Imported first by every entry point that can hold a secret (the plugin,
// task hosts and spares, pool hosts). By Node's default, SIGUSR1 opens the
// inspector on 127.0.0.1:9229, and whoever reaches that port gets the
// process's heap (tokens, secret values) and code execution as its user,
// which is root here. Processes we spawn run with --disable-sigusr1
// (node-flags.ts); this listener covers a Node without that flag, and a
// plugin started other than through plugins/wasm: with a listener
// installed, Node does not start the inspector on SIGUSR1.
process.on('SIGUSR1', () => {
  // Nothing to do: the signal is only ours to swallow (task hosts add a notice of their own).
});
