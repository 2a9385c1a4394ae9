// wasi:config/store in real components, in each version the host serves
// (0.2.0-draft, Spin's 0.2.0-draft-2024-09-27, 0.2.0-rc.1): plain config
// values from the job, get and get-all, nothing else. Secrets from Vault go
// through the same interface (test/vault).
import { describe, expect, it } from 'vitest';
import { providesImport } from '../../src/wasi/host.ts';
import { useTaskHostDir } from './support/task-host.ts';

const hosts = useTaskHostDir('config-store-');

async function serve(component: string, values: Record<string, string>): Promise<string> {
  const { url } = await hosts.serve(
    { component, grants: { config: { values, secretKeys: [], secretEnv: {} } } },
    { path: '/all' },
  );
  return url;
}

async function get(url: string, path: string): Promise<[number, string]> {
  const response = await fetch(`${url}${path}`);
  return [response.status, await response.text()];
}

describe('wasi:config/store', () => {
  it.each(['config-http', 'config-http-spin', 'config-http-rc'])(
    "%s: get and get-all answer with the job's values only",
    async (component) => {
      const url = await serve(component, { log_level: 'debug', 'feature.beta': 'on' });
      expect(await get(url, '/get/log_level')).toEqual([200, 'debug']);
      expect(await get(url, '/get/feature.beta')).toEqual([200, 'on']);
      expect(await get(url, '/get/LOG_LEVEL')).toEqual([404, 'none']);
      expect(await get(url, '/all')).toEqual([200, 'feature.beta=on\nlog_level=debug\n']);
    },
  );

  it('a task without config grants sees an empty store', async () => {
    const { url } = await hosts.serve({ component: 'config-http' }, { path: '/all' });
    expect(await get(url, '/all')).toEqual([200, '']);
    expect(await get(url, '/get/anything')).toEqual([404, 'none']);
  });

  it('serves only the versions of the interface it knows', () => {
    expect(providesImport('wasi:config/store@0.2.0-draft')).toBe(true);
    expect(providesImport('wasi:config/store@0.2.0-draft-2024-09-27')).toBe(true);
    expect(providesImport('wasi:config/store@0.2.0-rc.1')).toBe(true);
    expect(providesImport('wasi:config/store@0.3.0')).toBe(false);
    expect(providesImport('wasi:http/types@0.2.12')).toBe(true);
    expect(providesImport('wasi:keyvalue/store@0.2.0-draft2')).toBe(false);
  });
});
