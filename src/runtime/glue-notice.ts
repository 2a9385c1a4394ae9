// What a task says at start when jco's glue for its component was not the
// one the rewrites know (a jco upgrade, a glue shape they do not recognise):
// the task then runs on jco's own glue, correct but slower, and an
// operator must hear about it rather than find it in a benchmark. The
// reasons were recorded when the component was transpiled (component-cache.ts).
import type { PreparedComponent } from './component-cache.js';
import { JCO_VERSION } from './jco-info.js';

/** The notice for this task, or undefined when every rewrite it depends on applied. */
export function glueNotice(component: PreparedComponent, perRequestHttp: boolean): string | undefined {
  const missing =
    component.wasi === '0.3' ? missingAsync(component, perRequestHttp) : missingSync(component, perRequestHttp);
  if (missing.length === 0) return undefined;
  const why = component.glueNotes.length > 0 ? `: ${component.glueNotes.join('; ')}` : '';
  return `jco ${JCO_VERSION}'s glue for component ${component.digest} was not rewritten by ${missing.join(' and ')}; it runs slower on jco's own glue until the rewrites are checked against this jco${why}`;
}

/** WASI 0.2 glue: synchronous lifts and lowers. */
function missingSync(component: PreparedComponent, perRequestHttp: boolean): string[] {
  return [
    ...(component.glueSyncCalls ? [] : ["glue-sync-calls (host calls keep jco's task bookkeeping)"]),
    // Only per-request instances are reset with the state hooks.
    ...(component.glueStateHooks || !perRequestHttp
      ? []
      : ['glue-state-hooks (per-request instances are built afresh)']),
  ];
}

/** WASI 0.3 glue: jco's async runtime, and the state hooks its per-request instances are reset with. */
function missingAsync(component: PreparedComponent, perRequestHttp: boolean): string[] {
  return [
    ...(component.glueAsyncRuntime ? [] : ['glue-async-runtime (waiting tasks poll on timers)']),
    ...(component.glueAsyncLeaks ? [] : ['glue-async-leaks (a shared instance is replaced every 500 requests)']),
    ...(component.glueLiftMemo ? [] : ['glue-lift-memo (lift and lower builders are made on every call)']),
    ...(component.glueStateHooks || !perRequestHttp
      ? []
      : ['glue-async-state-hooks (per-request instances are built afresh)']),
  ];
}
