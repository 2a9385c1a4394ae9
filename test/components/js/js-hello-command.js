// world: js-command
// A wasi:cli command in JavaScript (StarlingMonkey, built by componentize-js):
// the "large" command of the start benchmarks.
export const run = {
  run() {
    console.log('hello from js');
  },
};
