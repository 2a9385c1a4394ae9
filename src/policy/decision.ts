// What a policy's query must produce, and how it reads: an object with
//   deny: messages (a set or array)   - any one denies the start
//   warn: messages                    - task events, the start goes on
//   allow: optional boolean           - false (with no deny) denies too
// A message is a string, or an object `{msg, code?, path?}` (Gatekeeper's
// violation style: `code` a stable name for the rule, `path` the input field
// it is about). The usual query is a rule `decision := {"deny": deny, "warn": warn}`
// (policy/examples/decision.rego).
import { isRecord } from '../verify/json-shape.js';

export interface PolicyMessage {
  readonly msg: string;
  readonly code?: string;
  readonly path?: string;
}

export interface PolicyVerdict {
  readonly allowed: boolean;
  readonly deny: readonly PolicyMessage[];
  readonly warn: readonly PolicyMessage[];
}

/** A result the driver cannot read; the caller fails closed under `enforce`. */
export class MalformedDecision extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedDecision';
  }
}

/** Reads `opa_eval`'s result set for `query`. */
export function readDecision(resultSet: readonly unknown[], query: string): PolicyVerdict {
  const first: unknown = resultSet[0];
  if (!isRecord(first) || !('result' in first))
    throw new MalformedDecision(`query ${query} is undefined for this input (no rule produced a decision)`);
  const result = first['result'];
  if (!isRecord(result))
    throw new MalformedDecision(
      `query ${query} produced ${JSON.stringify(result)}, not an object with deny/warn messages`,
    );
  const deny = messages(result['deny'], `${query}.deny`);
  const warn = messages(result['warn'], `${query}.warn`);
  const allow = result['allow'];
  if (allow !== undefined && typeof allow !== 'boolean')
    throw new MalformedDecision(`${query}.allow is ${JSON.stringify(allow)}, not a boolean`);
  const denied = deny.length > 0 || allow === false;
  return {
    allowed: !denied,
    deny: deny.length === 0 && allow === false ? [{ msg: `${query}.allow is false` }] : deny,
    warn,
  };
}

function messages(value: unknown, where: string): PolicyMessage[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new MalformedDecision(`${where} is ${JSON.stringify(value)}, not a set of messages`);
  return value.map((item: unknown): PolicyMessage => {
    if (typeof item === 'string') return { msg: item };
    if (isRecord(item) && typeof item['msg'] === 'string') {
      const { msg, code, path } = item;
      return {
        msg,
        ...(typeof code === 'string' ? { code } : {}),
        ...(typeof path === 'string' ? { path } : {}),
      };
    }
    // Anything else is still a reason; its text is better than dropping it.
    return { msg: JSON.stringify(item) };
  });
}

/** `[CODE] msg` or `msg`, for events and error messages. */
export function describeMessage(message: PolicyMessage): string {
  return message.code === undefined ? message.msg : `[${message.code}] ${message.msg}`;
}
