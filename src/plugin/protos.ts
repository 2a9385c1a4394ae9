// Loads our proto files (proto/) for grpc-js, with the options the wire
// contract needs: keepCase (Nomad's `Attr`, `Topology` field names), 64-bit
// ints as strings, enums by name.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import type { ProtoGrpcType as DriverProto } from '../generated/driver.js';
import type { ProtoGrpcType as BaseProto } from '../generated/base.js';
import type { ProtoGrpcType as ControllerProto } from '../generated/grpc_controller.js';
import type { ProtoGrpcType as StdioProto } from '../generated/grpc_stdio.js';
import type { ProtoGrpcType as BrokerProto } from '../generated/grpc_broker.js';
import type { ProtoGrpcType as HealthProto } from '../generated/health.js';

export const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));

const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

function load<T>(file: string): T {
  return grpc.loadPackageDefinition(protoLoader.loadSync(file, LOADER_OPTIONS)) as unknown as T;
}

export interface Protos {
  readonly driver: DriverProto;
  readonly base: BaseProto;
  readonly controller: ControllerProto;
  readonly stdio: StdioProto;
  readonly broker: BrokerProto;
  readonly health: HealthProto;
}

export function loadProtos(): Protos {
  return {
    driver: load<DriverProto>('plugins/drivers/proto/driver.proto'),
    base: load<BaseProto>('plugins/base/proto/base.proto'),
    controller: load<ControllerProto>('go-plugin/grpc_controller.proto'),
    stdio: load<StdioProto>('go-plugin/grpc_stdio.proto'),
    broker: load<BrokerProto>('go-plugin/grpc_broker.proto'),
    health: load<HealthProto>('grpc/health/v1/health.proto'),
  };
}

/** Encoders for the messages we pack into gRPC status details by hand. */
export function loadStatusEncoders(): {
  status: protobuf.Type;
  recoverableError: protobuf.Type;
  errorInfo: protobuf.Type;
} {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : PROTO_DIR + target);
  root.loadSync(
    [
      'google/rpc/status.proto',
      'google/rpc/error_details.proto',
      'plugins/shared/structs/proto/recoverable_error.proto',
    ],
    { keepCase: true },
  );
  return {
    status: root.lookupType('google.rpc.Status'),
    recoverableError: root.lookupType('hashicorp.nomad.plugins.shared.structs.RecoverableError'),
    errorInfo: root.lookupType('google.rpc.ErrorInfo'),
  };
}
