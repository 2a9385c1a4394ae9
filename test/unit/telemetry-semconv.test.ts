// Our semantic-convention names are written out (semconv.ts loads nothing at
// a task host's start); this checks each against the
// @opentelemetry/semantic-conventions package they claim to be.
import * as stable from '@opentelemetry/semantic-conventions';
import * as incubating from '@opentelemetry/semantic-conventions/incubating';
import { describe, expect, it } from 'vitest';
import * as ours from '../../src/telemetry/semconv.js';

const pairs: [string, string, string][] = [
  ['ATTR_HTTP_REQUEST_METHOD', ours.ATTR_HTTP_REQUEST_METHOD, stable.ATTR_HTTP_REQUEST_METHOD],
  ['ATTR_HTTP_RESPONSE_STATUS_CODE', ours.ATTR_HTTP_RESPONSE_STATUS_CODE, stable.ATTR_HTTP_RESPONSE_STATUS_CODE],
  ['ATTR_HTTP_ROUTE', ours.ATTR_HTTP_ROUTE, stable.ATTR_HTTP_ROUTE],
  ['ATTR_URL_PATH', ours.ATTR_URL_PATH, stable.ATTR_URL_PATH],
  ['ATTR_URL_QUERY', ours.ATTR_URL_QUERY, stable.ATTR_URL_QUERY],
  ['ATTR_URL_SCHEME', ours.ATTR_URL_SCHEME, stable.ATTR_URL_SCHEME],
  ['ATTR_URL_FULL', ours.ATTR_URL_FULL, stable.ATTR_URL_FULL],
  ['ATTR_SERVER_ADDRESS', ours.ATTR_SERVER_ADDRESS, stable.ATTR_SERVER_ADDRESS],
  ['ATTR_SERVER_PORT', ours.ATTR_SERVER_PORT, stable.ATTR_SERVER_PORT],
  ['ATTR_CLIENT_ADDRESS', ours.ATTR_CLIENT_ADDRESS, stable.ATTR_CLIENT_ADDRESS],
  ['ATTR_NETWORK_PEER_ADDRESS', ours.ATTR_NETWORK_PEER_ADDRESS, stable.ATTR_NETWORK_PEER_ADDRESS],
  ['ATTR_NETWORK_PEER_PORT', ours.ATTR_NETWORK_PEER_PORT, stable.ATTR_NETWORK_PEER_PORT],
  ['ATTR_NETWORK_PROTOCOL_VERSION', ours.ATTR_NETWORK_PROTOCOL_VERSION, stable.ATTR_NETWORK_PROTOCOL_VERSION],
  ['ATTR_USER_AGENT_ORIGINAL', ours.ATTR_USER_AGENT_ORIGINAL, stable.ATTR_USER_AGENT_ORIGINAL],
  ['ATTR_ERROR_TYPE', ours.ATTR_ERROR_TYPE, stable.ATTR_ERROR_TYPE],
  ['ATTR_HTTP_REQUEST_RESEND_COUNT', ours.ATTR_HTTP_REQUEST_RESEND_COUNT, stable.ATTR_HTTP_REQUEST_RESEND_COUNT],
  ['ATTR_SERVICE_NAME', ours.ATTR_SERVICE_NAME, stable.ATTR_SERVICE_NAME],
  ['ATTR_SERVICE_VERSION', ours.ATTR_SERVICE_VERSION, stable.ATTR_SERVICE_VERSION],
  ['ATTR_SERVICE_NAMESPACE', ours.ATTR_SERVICE_NAMESPACE, incubating.ATTR_SERVICE_NAMESPACE],
  ['ATTR_SERVICE_INSTANCE_ID', ours.ATTR_SERVICE_INSTANCE_ID, incubating.ATTR_SERVICE_INSTANCE_ID],
  ['ATTR_HOST_NAME', ours.ATTR_HOST_NAME, incubating.ATTR_HOST_NAME],
  ['ATTR_PROCESS_PID', ours.ATTR_PROCESS_PID, incubating.ATTR_PROCESS_PID],
  ['ATTR_PROCESS_EXIT_CODE', ours.ATTR_PROCESS_EXIT_CODE, incubating.ATTR_PROCESS_EXIT_CODE],
  ['ATTR_FAAS_TRIGGER', ours.ATTR_FAAS_TRIGGER, incubating.ATTR_FAAS_TRIGGER],
  ['ATTR_FAAS_COLDSTART', ours.ATTR_FAAS_COLDSTART, incubating.ATTR_FAAS_COLDSTART],
  ['METRIC_HTTP_SERVER_DURATION', ours.METRIC_HTTP_SERVER_DURATION, stable.METRIC_HTTP_SERVER_REQUEST_DURATION],
  ['METRIC_HTTP_CLIENT_DURATION', ours.METRIC_HTTP_CLIENT_DURATION, stable.METRIC_HTTP_CLIENT_REQUEST_DURATION],
  ['METRIC_HTTP_SERVER_ACTIVE', ours.METRIC_HTTP_SERVER_ACTIVE, incubating.METRIC_HTTP_SERVER_ACTIVE_REQUESTS],
  ['METRIC_FAAS_INIT_DURATION', ours.METRIC_FAAS_INIT_DURATION, incubating.METRIC_FAAS_INIT_DURATION],
  ['METRIC_FAAS_COLDSTARTS', ours.METRIC_FAAS_COLDSTARTS, incubating.METRIC_FAAS_COLDSTARTS],
  ['METRIC_FAAS_INVOKE_DURATION', ours.METRIC_FAAS_INVOKE_DURATION, incubating.METRIC_FAAS_INVOKE_DURATION],
  ['METRIC_PROCESS_CPU_TIME', ours.METRIC_PROCESS_CPU_TIME, incubating.METRIC_PROCESS_CPU_TIME],
];

describe('semantic-convention names', () => {
  it.each(pairs)('%s is the convention’s name', (_name, mine, theirs) => {
    expect(theirs).toBeTypeOf('string');
    expect(mine).toBe(theirs);
  });

  it('request-duration buckets are the HTTP convention’s', () => {
    // From the HTTP semantic conventions (http.server.request.duration, "explicit bucket boundaries").
    expect(ours.HTTP_DURATION_BUCKETS).toEqual([
      0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
    ]);
  });
});
