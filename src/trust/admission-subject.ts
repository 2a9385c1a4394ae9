// What admission needs to know about a component, whatever its source: its
// digests, its bytes, and what is attached to it. src/source/attached-evidence.ts
// provides it for files, URLs and OCI artifacts; trust/ never imports source/.
import type { SignatureInput } from '../verify/signature-sources.js';
import type { AttestationInput } from '../verify/verify-attestation.js';

export interface AdmissionSubject {
  readonly kind: 'file' | 'https' | 'oci';
  /** The component as the job named it, for messages. */
  readonly origin: string;
  /** sha256:… of the OCI manifest, for artifacts from a registry. */
  readonly manifestDigest: string | undefined;
  /** sha256:… of the component bytes (computed on first use for a file). */
  digest(): Promise<string>;
  bytes(): Promise<Buffer>;
  signatures(): Promise<SignatureInput[]>;
  attestations(): Promise<AttestationInput[]>;
}
