// The shape of the `Admitted: …` task event, shared by the side that writes
// it (task/admission-events.ts, at every start) and the side that reads it
// back from Nomad's API (evidence/collect-evidence.ts, `nomad-wasm
// evidence`). Kept here, below both, so neither imports the other's layer.

/** Detail keys of the `Admitted:` event. */
export const ADMISSION_DETAILS = {
  digest: 'digest',
  signer: 'signer',
  provenance: 'provenance',
  sbom: 'sbom',
  outcome: 'policy_outcome',
  decisionId: 'policy_decision_id',
  inputDigest: 'policy_input_digest',
  deny: 'policy_deny',
  warn: 'policy_warn',
  policies: 'policies',
} as const;

/** How the event's message starts. */
export const ADMITTED_PREFIX = 'Admitted: ';
