// The side services every go-plugin gRPC server exposes next to the
// application's: health, controller (shutdown), stdio and broker.
// Nomad only really uses the controller; the others must merely exist and,
// for the streams, stay open until the client goes away.
import type * as grpc from '@grpc/grpc-js';
import type { Protos } from './protos.js';
import { untilCancelled } from './stream-writer.js';

export function addGoPluginServices(server: grpc.Server, protos: Protos, onShutdown: () => void): void {
  server.addService(protos.health.grpc.health.v1.Health.service, {
    // go-plugin pings service "plugin"; answer SERVING for any name.
    Check: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      callback(null, { status: 'SERVING' });
    },
    Watch: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      call.write({ status: 'SERVING' });
      void untilCancelled(call).then(() => call.end());
    },
  });

  server.addService(protos.controller.plugin.GRPCController.service, {
    // Reply first, then go: go-plugin SIGKILLs us 2 s after this call.
    Shutdown: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      callback(null, {});
      setImmediate(onShutdown);
    },
  });

  server.addService(protos.stdio.plugin.GRPCStdio.service, {
    // Nomad discards anything sent here; keep the stream open and quiet.
    StreamStdio: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      void untilCancelled(call).then(() => call.end());
    },
  });

  server.addService(protos.broker.plugin.GRPCBroker.service, {
    StartStream: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      call.on('data', () => undefined);
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  });
}
