// Two rewrites of the glue jco 1.35 makes for a WASI 0.3 component that
// take allocation off every call, applied once when the glue is cached:
//
// 1. Lift and lower builders made once. Where a trampoline lifts or lowers
//    a value of a compound type, jco's glue builds the lift function on
//    every call: `_liftFlatResult({ caseMetas: [...] })` and its nested
//    options, variants, records and resource lifts, with their metadata
//    arrays and closures. For wasi:http's error-code (some forty cases)
//    that is hundreds of objects per response.new, most of a request's
//    garbage. The builders are pure (they close over their metadata and
//    over the instance's tables, not over the call), so each such
//    expression is now evaluated on its first call and kept:
//    `(_nomadMemo[n] ??= <expression>)`, in the function that makes the
//    instance, so an instance never sees another's.
// 2. Debug logging that costs nothing when off. jco's 200-odd
//    `_debugLog('…', { … })` calls build their arguments (and some call
//    functions for them) before `_debugLog` checks JCO_DEBUG. A call is now
//    `_nomadDebugOn && _debugLog(…)`: arguments are built only when
//    JCO_DEBUG was set when the glue loaded (the glue's environment is a
//    frozen copy taken then: nothing could turn it on later anyway).
//
// The glue is parsed (acorn), not matched with patterns: a builder is kept
// only if nothing it names belongs to the call it sits in (a parameter or
// local of the trampoline) and what it reads while being built is a
// constant. Both rewrites apply, or none does, with the reason.
import {
  parse,
  type ArrowFunctionExpression,
  type CallExpression,
  type FunctionDeclaration,
  type FunctionExpression,
  type Node,
  type Pattern,
  type Program,
} from 'acorn';
import { ancestor, recursive, type RecursiveVisitors } from 'acorn-walk';

export type LiftMemoResult =
  { readonly glue: string; readonly memoized: number; readonly debugCalls: number } | { readonly unavailable: string };

type FunctionNode = FunctionDeclaration | FunctionExpression | ArrowFunctionExpression;

const BUILDER = /^_(?:lift|lower)Flat[A-Z]\w*$/;
const DEBUG_LOG = '_debugLog';

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** A function around a builder, and the node it sits in (to tell a function called where it is defined). */
interface Enclosing {
  readonly fn: FunctionNode;
  readonly parent: Node | undefined;
}

export function memoizeLiftBuilders(glue: string): LiftMemoResult {
  let program: Program;
  try {
    program = parse(glue, { ecmaVersion: 'latest', sourceType: 'module' });
  } catch (err) {
    return { unavailable: `the glue does not parse: ${(err as Error).message}` };
  }
  const scope = debugLogScope(program);
  if (typeof scope === 'string') return { unavailable: scope };
  const debugCalls: CallExpression[] = [];
  const builders: { call: CallExpression; chain: Enclosing[] }[] = [];
  ancestor(program, {
    CallExpression(node, _state, ancestors) {
      const at = ancestors.indexOf(scope);
      if (at < 0) return; // outside instantiate(): nothing of ours
      if (isCallOf(node, DEBUG_LOG) && ancestors.at(-2)?.type === 'ExpressionStatement') debugCalls.push(node);
      else if (isBuilderCall(node)) builders.push({ call: node, chain: enclosing(ancestors, at) });
    },
  });
  if (debugCalls.length === 0) return { unavailable: `no ${DEBUG_LOG}(…) statements` };
  const debugEdits: Edit[] = debugCalls.map((call) => ({
    start: call.start,
    end: call.start,
    text: '_nomadDebugOn && ',
  }));
  const scopes = new Scopes(program);
  const hosts = new Set<FunctionNode>([scope]);
  const memoEdits: Edit[] = [];
  for (const { call, chain } of outermost(builders)) {
    const host = memoHost(call, chain, scopes);
    if (!host) continue;
    hosts.add(host);
    // A debug call inside the builder (in a closure of its) is guarded within the kept text.
    const inside = debugEdits.filter((e) => call.start <= e.start && e.start < call.end);
    const built = applyEdits(
      glue.slice(call.start, call.end),
      inside.map((e) => ({ ...e, start: e.start - call.start, end: e.end - call.start })),
    );
    memoEdits.push({ start: call.start, end: call.end, text: `(_nomadMemo[${memoEdits.length}] ??= ${built})` });
  }
  if (memoEdits.length === 0) return { unavailable: 'no lift or lower builder inside a trampoline' };
  const outside = debugEdits.filter((e) => !memoEdits.some((m) => m.start <= e.start && e.start < m.end));
  const declarations = [...hosts].map((host) => declareAtTop(host, host === scope));
  return {
    glue: applyEdits(glue, [...outside, ...memoEdits, ...declarations]),
    memoized: memoEdits.length,
    debugCalls: debugCalls.length,
  };
}

/** The function whose body declares `_debugLog` (jco's instantiate()); a reason if not exactly one. */
function debugLogScope(program: Program): FunctionNode | string {
  const found: (FunctionNode | null)[] = [];
  ancestor(program, {
    VariableDeclarator(node, _state, ancestors) {
      if (node.id.type !== 'Identifier' || node.id.name !== DEBUG_LOG) return;
      const fn = ancestors.at(-4);
      found.push(ancestors.at(-3)?.type === 'BlockStatement' && isFunction(fn) ? fn : null);
    },
  });
  if (found.length !== 1) return `${DEBUG_LOG} is declared ${found.length} times, expected once`;
  const [scope] = found;
  if (!scope || scope.body.type !== 'BlockStatement') return `${DEBUG_LOG} is not declared in a function body`;
  return scope;
}

/** The functions from instantiate() (at `from`) inwards, each with the node it sits in. */
function enclosing(ancestors: readonly Node[], from: number): Enclosing[] {
  const chain: Enclosing[] = [];
  for (let i = from; i < ancestors.length; i++) {
    const node = ancestors[i];
    if (isFunction(node)) chain.push({ fn: node, parent: ancestors[i - 1] });
  }
  return chain;
}

/**
 * Where a builder's value can be kept: the innermost function around it
 * that runs once per instance (instantiate(), or a function called where
 * it is defined inside it, like jco's `(function* _initGenerator() { … })()`),
 * provided that a function between that one and the builder runs per call
 * (else there is nothing to save), that nothing the builder names is
 * declared by those per-call functions, and that what it reads while being
 * built (outside closures of its own) is not a `let`, `var` or parameter.
 * Undefined: the builder is left as it is.
 */
function memoHost(call: CallExpression, chain: readonly Enclosing[], scopes: Scopes): FunctionNode | undefined {
  let once = 1; // chain[0] is instantiate()
  while (once < chain.length && isCalledWhereDefined(chain[once] as Enclosing)) once++;
  const perCall = chain.slice(once).map(({ fn }) => scopes.of(fn));
  const host = chain[once - 1]?.fn;
  if (!host || perCall.length === 0) return undefined;
  const onceScopes = [scopes.of(scopes.program), ...chain.slice(0, once).map(({ fn }) => scopes.of(fn))];
  for (const { name, inClosure } of referencesIn(call, scopes)) {
    if (perCall.some((names) => names.has(name))) return undefined;
    if (inClosure) continue; // read when the built function runs: any binding outside the call is fine
    // The innermost declaration wins; declared nowhere: a global.
    const kind = onceScopes.findLast((names) => names.has(name))?.get(name);
    if (kind !== undefined && kind !== 'const' && kind !== 'function' && kind !== 'class') return undefined;
  }
  return host;
}

function isCalledWhereDefined({ fn, parent }: Enclosing): boolean {
  return parent?.type === 'CallExpression' && (parent as CallExpression).callee === fn;
}

/**
 * The names a builder call refers to outside itself, each with whether it
 * is read inside a closure of the builder's (later, when that runs) or
 * while the builder is built. Names a closure of the builder declares are
 * its own, not references.
 */
function referencesIn(call: CallExpression, scopes: Scopes): { name: string; inClosure: boolean }[] {
  const found: { name: string; inClosure: boolean }[] = [];
  for (const arg of call.arguments) {
    ancestor(arg, {
      Identifier(node, _state, ancestors) {
        const closures = ancestors.filter(isFunction);
        if (closures.some((fn) => scopes.of(fn).has(node.name))) return;
        found.push({ name: node.name, inClosure: closures.length > 0 });
      },
    });
  }
  return found;
}

type DeclarationKind = 'const' | 'let' | 'var' | 'using' | 'await using' | 'function' | 'class' | 'param' | 'catch';

/** What each function (or the module) declares in its own scope, not in functions inside it; computed once each. */
class Scopes {
  readonly #declared = new Map<Node, Map<string, DeclarationKind>>();

  constructor(readonly program: Program) {}

  of(root: FunctionNode | Program): Map<string, DeclarationKind> {
    let names = this.#declared.get(root);
    if (!names) this.#declared.set(root, (names = declaredBy(root)));
    return names;
  }
}

/** Parameters, variables (any block), functions, classes and catch bindings of one scope. */
function declaredBy(root: FunctionNode | Program): Map<string, DeclarationKind> {
  const names = new Map<string, DeclarationKind>();
  const add = (pattern: Pattern | null | undefined, kind: DeclarationKind): void => {
    if (pattern) for (const name of patternNames(pattern)) names.set(name, kind);
  };
  if (root.type !== 'Program') for (const param of root.params) add(param, 'param');
  const visitors: RecursiveVisitors<undefined> = {
    Function(fn) {
      // Its name is ours; what it declares inside is its own.
      if (fn.type === 'FunctionDeclaration' && fn.id) names.set(fn.id.name, 'function');
    },
    VariableDeclaration(node, state, c) {
      for (const d of node.declarations) {
        add(d.id, node.kind);
        if (d.init) c(d.init, state);
      }
    },
    ClassDeclaration(node, state, c) {
      if (node.id) names.set(node.id.name, 'class');
      if (node.superClass) c(node.superClass, state);
      c(node.body, state);
    },
    CatchClause(node, state, c) {
      add(node.param, 'catch');
      c(node.body, state);
    },
  };
  recursive(root.type === 'Program' ? root : root.body, undefined, visitors);
  return names;
}

/** The names a binding pattern declares: `a`, `{ a, b: [c] }`, `...d`, `e = 1`. */
function patternNames(pattern: Pattern): string[] {
  switch (pattern.type) {
    case 'Identifier':
      return [pattern.name];
    case 'ObjectPattern':
      return pattern.properties.flatMap((p) => patternNames(p.type === 'RestElement' ? p : p.value));
    case 'ArrayPattern':
      return pattern.elements.flatMap((e) => (e ? patternNames(e) : []));
    case 'AssignmentPattern':
      return patternNames(pattern.left);
    case 'RestElement':
      return patternNames(pattern.argument);
    default:
      return []; // a member expression: assigns, declares nothing
  }
}

function isFunction(node: Node | undefined): node is FunctionNode {
  return (
    node?.type === 'FunctionDeclaration' ||
    node?.type === 'FunctionExpression' ||
    node?.type === 'ArrowFunctionExpression'
  );
}

function isCallOf(call: CallExpression, name: string): boolean {
  return call.callee.type === 'Identifier' && call.callee.name === name;
}

/** `_liftFlatX({ … })`: a builder given only metadata objects. */
function isBuilderCall(call: CallExpression): boolean {
  return (
    call.callee.type === 'Identifier' &&
    BUILDER.test(call.callee.name) &&
    call.arguments.length > 0 &&
    call.arguments.every((arg) => arg.type === 'ObjectExpression')
  );
}

/** Only the outermost of nested builder calls is kept (it holds the inner ones). */
function outermost<T extends { call: CallExpression }>(found: readonly T[]): T[] {
  return found.filter(
    ({ call }) =>
      !found.some((other) => other.call !== call && other.call.start <= call.start && call.end <= other.call.end),
  );
}

/** `_nomadMemo` (and, in instantiate(), `_nomadDebugOn`) first thing in a function's body. */
function declareAtTop(fn: FunctionNode, withDebugFlag: boolean): Edit {
  const at = fn.body.start + 1; // after the `{`
  const debugFlag = withDebugFlag ? '\n  const _nomadDebugOn = Boolean(globalThis?.process?.env?.JCO_DEBUG);' : '';
  return {
    start: at,
    end: at,
    text: `\n  // nomad-driver-wasm (glue-lift-memo): lift and lower builders made once; debug arguments built only when on.${debugFlag}\n  const _nomadMemo = [];\n`,
  };
}

/** The text with its edits, in one pass (a glue is megabytes and has thousands of edits); edits must not overlap. */
function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const parts: string[] = [];
  let at = 0;
  for (const edit of sorted) {
    if (edit.start < at) throw new Error(`glue-lift-memo: overlapping edits at ${edit.start}`);
    parts.push(text.slice(at, edit.start), edit.text);
    at = edit.end;
  }
  parts.push(text.slice(at));
  return parts.join('');
}
