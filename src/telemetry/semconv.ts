// The names this driver's telemetry uses, in one place: OpenTelemetry
// semantic-convention names where one exists (HTTP, FaaS, service, error),
// ours under `nomad.` and `wasm.` where none does.
//
// The semantic-convention names are written out, not imported: the
// @opentelemetry/semantic-conventions entry point holds thousands of
// constants and every task host with telemetry would load it at start.
// test/unit/telemetry-semconv.test.ts checks each one against that package.

// --- Attributes: HTTP and network (semconv, stable) ---
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_HTTP_ROUTE = 'http.route';
export const ATTR_URL_PATH = 'url.path';
export const ATTR_URL_QUERY = 'url.query';
export const ATTR_URL_SCHEME = 'url.scheme';
export const ATTR_URL_FULL = 'url.full';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_CLIENT_ADDRESS = 'client.address';
export const ATTR_NETWORK_PEER_ADDRESS = 'network.peer.address';
export const ATTR_NETWORK_PEER_PORT = 'network.peer.port';
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version';
export const ATTR_USER_AGENT_ORIGINAL = 'user_agent.original';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_HTTP_REQUEST_RESEND_COUNT = 'http.request.resend_count';

// --- Attributes: resource (semconv) ---
export const ATTR_SERVICE_NAME = 'service.name';
export const ATTR_SERVICE_NAMESPACE = 'service.namespace';
export const ATTR_SERVICE_INSTANCE_ID = 'service.instance.id';
export const ATTR_SERVICE_VERSION = 'service.version';
export const ATTR_HOST_NAME = 'host.name';
export const ATTR_PROCESS_PID = 'process.pid';
export const ATTR_FAAS_TRIGGER = 'faas.trigger';
export const ATTR_FAAS_COLDSTART = 'faas.coldstart';
export const ATTR_PROCESS_EXIT_CODE = 'process.exit.code';

// --- Attributes: Nomad (ours; no semantic convention exists) ---
export const ATTR_NOMAD_NAMESPACE = 'nomad.namespace';
export const ATTR_NOMAD_JOB_ID = 'nomad.job.id';
export const ATTR_NOMAD_JOB_NAME = 'nomad.job.name';
export const ATTR_NOMAD_GROUP = 'nomad.task_group.name';
export const ATTR_NOMAD_TASK = 'nomad.task.name';
export const ATTR_NOMAD_ALLOC_ID = 'nomad.alloc.id';
export const ATTR_NOMAD_ALLOC_INDEX = 'nomad.alloc.index';
export const ATTR_NOMAD_NODE_NAME = 'nomad.node.name';
export const ATTR_NOMAD_NODE_ID = 'nomad.node.id';
export const ATTR_NOMAD_DATACENTER = 'nomad.datacenter';
export const ATTR_NOMAD_REGION = 'nomad.region';

// --- Attributes: the component and its host (ours) ---
export const ATTR_WASM_DIGEST = 'wasm.component.digest';
export const ATTR_WASM_WORLD = 'wasm.component.world';
/** `process` (a task host per task) or `pooled`. */
export const ATTR_WASM_TIER = 'wasm.host.tier';
/** `shared` or `per-request`. */
export const ATTR_WASM_INSTANCE_MODE = 'wasm.instance.mode';
/** Why an instance was made: `start`, `replace` (after a trap or growth), `per-request`, `reload`. */
export const ATTR_WASM_INSTANCE_REASON = 'wasm.instance.reason';
/** A start phase: `fetch`, `verify`, `compile`, `cache-hit`, `instantiate`, ... */
export const ATTR_WASM_START_PHASE = 'wasm.start.phase';
/** The kind of capability a guest was denied: `http`, `service`, `filesystem`, `config`. */
export const ATTR_WASM_DENIED_KIND = 'wasm.denied.kind';
export const ATTR_WASM_DENIED_TARGET = 'wasm.denied.target';
export const ATTR_WASM_SERVICE_NAME = 'wasm.service.name';
export const ATTR_WASM_SERVICE_INSTANCE = 'wasm.service.instance';
export const ATTR_WASM_CONFIG_KEY = 'wasm.config.key';
export const ATTR_WASM_CONFIG_FOUND = 'wasm.config.found';
export const ATTR_WASM_COMPONENT_SOURCE = 'wasm.component.source';
export const ATTR_WASM_SIGNATURE_STATUS = 'wasm.signature.status';
export const ATTR_WASM_GUEST_SPAN_SHAPE = 'wasm.otel.shape';
export const ATTR_VAULT_PATH = 'vault.secret.path';
export const ATTR_VAULT_SECRET_NAME = 'vault.secret.name';
export const ATTR_VAULT_LEASE_TTL = 'vault.lease.ttl_seconds';
export const ATTR_VAULT_RENEWABLE = 'vault.lease.renewable';
export const ATTR_VAULT_OPERATION = 'vault.operation';
export const ATTR_VAULT_OUTCOME = 'vault.outcome';

// --- Span names ---
export const SPAN_TASK_START = 'wasm.task.start';
export const SPAN_START_PHASE = (phase: string): string => `wasm.task.start.${phase}`;
export const SPAN_INSTANTIATE = 'wasm.instantiate';
export const SPAN_RESET = 'wasm.instance.reset';
export const SPAN_GUEST_CALL = 'wasm.guest.handle';
export const SPAN_COMMAND_RUN = 'wasm.command.run';
export const SPAN_CONFIG_GET = 'wasi_config.get';
export const SPAN_CONFIG_GET_ALL = 'wasi_config.get_all';
export const SPAN_VAULT = (operation: string): string => `vault.${operation}`;
export const EVENT_DENIED = 'wasm.capability.denied';
export const EVENT_SERVICE_ATTEMPT = 'wasm.service.attempt';
export const EVENT_SERVICE_EJECTED = 'wasm.service.ejected';

// --- Metrics (semconv names where they exist) ---
export const METRIC_HTTP_SERVER_DURATION = 'http.server.request.duration';
export const METRIC_HTTP_SERVER_ACTIVE = 'http.server.active_requests';
export const METRIC_HTTP_CLIENT_DURATION = 'http.client.request.duration';
/** FaaS semconv (development): time to make an instance ready. */
export const METRIC_FAAS_INIT_DURATION = 'faas.init_duration';
export const METRIC_FAAS_COLDSTARTS = 'faas.coldstarts';
export const METRIC_FAAS_INVOKE_DURATION = 'faas.invoke_duration';
export const METRIC_START_PHASE_DURATION = 'wasm.task.start.phase.duration';
export const METRIC_LINEAR_MEMORY = 'wasm.linear_memory.size';
export const METRIC_INSTANCE_LINEAR_MEMORY = 'wasm.instance.linear_memory.size';
export const METRIC_PROCESS_CPU_TIME = 'process.cpu.time';
export const METRIC_DENIED = 'wasm.capability.denied';
export const METRIC_VAULT_LEASE_RENEWALS = 'wasm.vault.lease.renewals';
export const METRIC_VAULT_ROTATIONS = 'wasm.vault.secret.rotations';
export const METRIC_SERVICE_RETRIES = 'wasm.service.retries';
export const METRIC_SERVICE_EJECTIONS = 'wasm.service.ejections';
export const METRIC_POOL_TASKS = 'wasm.pool.tasks';
export const METRIC_POOL_CAPACITY = 'wasm.pool.capacity';
export const METRIC_POLICY_DURATION = 'wasm.policy.evaluation.duration';

/** The HTTP semconv's explicit bucket boundaries for request durations, in seconds. */
export const HTTP_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];
/** For instantiation and start phases: from 1 ms (a reset) to a minute (a cold compile of a large component). */
export const START_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];
