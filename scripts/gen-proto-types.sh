#!/usr/bin/env bash
# Generates TypeScript types for our proto files into src/generated (git-ignored).
# The directory is marked CommonJS so its extensionless type-only imports resolve.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf src/generated
proto-loader-gen-types --keepCase --longs=String --enums=String --defaults --oneofs \
  --grpcLib=@grpc/grpc-js --outDir=src/generated --includeDirs=proto -- \
  plugins/drivers/proto/driver.proto plugins/base/proto/base.proto \
  plugins/shared/structs/proto/recoverable_error.proto google/rpc/status.proto google/rpc/error_details.proto \
  go-plugin/grpc_controller.proto go-plugin/grpc_stdio.proto go-plugin/grpc_broker.proto \
  grpc/health/v1/health.proto >/dev/null
echo '{ "type": "commonjs" }' > src/generated/package.json
