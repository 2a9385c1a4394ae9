// Reads back what a gRPC status carries in its grpc-status-details-bin
// trailer, as grpc-go's status.Convert(err).Details() would.
import type * as grpc from '@grpc/grpc-js';
import { loadStatusEncoders } from '../../../src/plugin/protos.ts';

export interface DecodedStatus {
  readonly code: number;
  readonly message: string;
  readonly details: readonly { readonly type_url: string; readonly value: Uint8Array }[];
}

export function detailsOf(status: Partial<grpc.StatusObject>): DecodedStatus {
  const raw = status.metadata?.get('grpc-status-details-bin')[0];
  if (!(raw instanceof Buffer)) throw new Error('no status details');
  const { status: Status } = loadStatusEncoders();
  return Status.toObject(Status.decode(raw), { defaults: true }) as DecodedStatus;
}

/** The google.rpc.ErrorInfo detail, wherever it sits among the details. */
export function errorInfoOf(status: Partial<grpc.StatusObject>): unknown {
  const detail = detailsOf(status).details.find((d) => d.type_url === 'type.googleapis.com/google.rpc.ErrorInfo');
  if (!detail) throw new Error('no ErrorInfo detail');
  const { errorInfo } = loadStatusEncoders();
  return errorInfo.toObject(errorInfo.decode(detail.value), { defaults: true });
}
