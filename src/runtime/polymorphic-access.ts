// A per-request WASI 0.3 service keeps an instance for every request in
// flight (p3-instances.ts), and each instance brings its own copies of jco's
// runtime classes: jco defines them inside instantiate(). V8 gives the
// copies of a function one shared record of what it has seen, so every
// property access in jco's runtime sees one object shape per instance. Past
// four shapes V8 stops specialising an access (megamorphic: a lookup in a
// global cache on every execution, which misses often). With ten requests in
// flight there are about ten instances, and the whole runtime ran at
// megamorphic speed. Allowing as many shapes as instances are kept idle
// (MAX_IDLE_RESET, 16) keeps its accesses specialised: hello-http-p3
// per-request, 10 connections, ~360 -> ~295 µs of task-host CPU a request
// (README, Measured).
//
// The setting is V8's, for the whole process: it is widened only in a
// process that serves such a service, before the instances run. V8 reads it
// each time an access records a new shape, so setting it at run time takes
// effect for everything that runs afterwards.
import { setFlagsFromString } from 'node:v8';

/** Shapes an access may see before V8 stops specialising it: V8's default until widened. */
let allowed = 4;

/** Lets every property access see `shapes` object shapes (never narrows it). */
export function widenPolymorphicAccess(shapes: number): void {
  if (shapes <= allowed) return;
  allowed = shapes;
  setFlagsFromString(`--max-valid-polymorphic-map-count=${shapes}`);
}
