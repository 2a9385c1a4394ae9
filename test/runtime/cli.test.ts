// The nomad-wasm CLI as an operator runs it: the built bin/nomad-wasm.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeWit } from '../../src/cli/world-summary.js';
import { nomadWasm } from './support/cli.js';
import { COMPONENTS } from './support/task-host.js';

describe('nomad-wasm inspect', () => {
  it('prints the world, imports and the capabilities a file component would ask for', async () => {
    const result = await nomadWasm(['inspect', join(COMPONENTS, 'env-probe.wasm')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^world\s+wasi:cli\/run command \(WASI 0\.2\)$/m);
    expect(result.stdout).toMatch(/^digest\s+sha256:[0-9a-f]{64}$/m);
    expect(result.stdout).toMatch(/^\s+wasi:cli\/environment@0\.2\.\d+$/m);
    expect(result.stdout).toContain('environment: only variables granted with `env` / `pass_env`');
    expect(result.stdout).toMatch(/^signatures\s+none found$/m);
  });

  it('reports JSON with --json, for a wasi:http service', async () => {
    const result = await nomadWasm(['inspect', '--json', join(COMPONENTS, 'echo-http.wasm')]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      world: string;
      exports: string[];
      unsupportedImports: string[];
      grants: string[];
    };
    expect(report.world).toBe('wasi:http service');
    expect(report.grants).toContain('port');
    expect(report.exports.some((e) => e.startsWith('wasi:http/incoming-handler@'))).toBe(true);
    expect(report.unsupportedImports).toEqual([]);
  });

  it('tells a WASI 0.3 service and command apart from 0.2 ones, with what they would ask for', async () => {
    const service = await nomadWasm(['inspect', join(COMPONENTS, 'hello-http-p3.wasm')]);
    expect(service.code).toBe(0);
    expect(service.stdout).toMatch(/^world\s+wasi:http service \(WASI 0\.3\)$/m);
    expect(service.stdout).toMatch(/^exports\s+wasi:http\/handler@0\.3\.0$/m);
    const command = await nomadWasm(['inspect', '--json', join(COMPONENTS, 'command-p3.wasm')]);
    expect(command.code).toBe(0);
    const report = JSON.parse(command.stdout) as {
      world: string;
      wasi: string;
      unsupportedImports: string[];
      grants: string[];
    };
    expect(report).toMatchObject({ world: 'wasi:cli/run command', wasi: '0.3', unsupportedImports: [] });
    expect(report.grants).toEqual(['env', 'mount']);
  });

  it('flags a WASI 0.3 import the driver does not host (a middleware importing wasi:http/handler)', async () => {
    const result = await nomadWasm(['inspect', join(COMPONENTS, 'p3-middleware.wasm')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^\s+wasi:http\/handler@0\.3\.0 +<- not provided by this driver: the task would fail$/m,
    );
  });

  it('reports the config fields a wasi:config/store component can be granted', async () => {
    const result = await nomadWasm(['inspect', '--json', join(COMPONENTS, 'config-http.wasm')]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { imports: string[]; grants: string[] };
    expect(report.imports.some((i) => i.startsWith('wasi:config/store@'))).toBe(true);
    expect(report.grants).toEqual(['config_values', 'config_keys', 'port']);
  });

  it('describes a WASI preview1 module (Go, GOOS=wasip1) by what it runs as and what it would ask for', async () => {
    const text = await nomadWasm(['inspect', join(COMPONENTS, 'wasip1-probe.wasm')]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^kind\s+WASI preview1 module: runs as a command through the preview1 adapter$/m);
    expect(text.stdout).toMatch(/^preview1\s+\d+ functions imported: .*\bpath_open\b.*\bproc_exit\b/m);
    expect(text.stdout).toMatch(/^world\s+wasi:cli\/run command \(WASI 0\.2\)$/m);
    expect(text.stdout).toContain('files: only directories granted with `mount` blocks');
    const json = await nomadWasm(['inspect', '--json', join(COMPONENTS, 'wasip1-probe.wasm')]);
    const report = JSON.parse(json.stdout) as {
      preview1: { functions: string[] };
      grants: string[];
      unsupportedImports: string[];
    };
    expect(report.preview1.functions).toContain('fd_write');
    expect(report.grants).toEqual(['env', 'mount']);
    expect(report.unsupportedImports).toEqual([]);
  });

  it('describes a Spin app: what it may be granted, and what answers "not available"', async () => {
    const result = await nomadWasm(['inspect', '--json', join(COMPONENTS, 'spin-py-app.wasm')]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      grants: string[];
      capabilities: string[];
      unsupportedImports: string[];
    };
    expect(report.unsupportedImports).toEqual([]);
    expect(report.grants).toEqual(
      expect.arrayContaining(['config_values', 'config_keys', 'key_value_store', 'allow_http', 'port']),
    );
    expect(report.capabilities).toContain(
      'key-value stores: only the labels granted with `key_value_store` blocks (Consul KV)',
    );
    expect(report.capabilities).toContain(
      'SQLite: not available on this driver (the component starts; those calls answer an error)',
    );
  });

  it('describes a Spin 4 app (spin-sdk 5) as a WASI 0.3 service the driver runs, with its grants', async () => {
    const text = await nomadWasm(['inspect', join(COMPONENTS, 'spin4-py-app.wasm')]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^world\s+wasi:http service \(WASI 0\.3\)$/m);
    expect(text.stdout).toContain('  spin:key-value/key-value@3.0.0\n');
    const json = await nomadWasm(['inspect', '--json', join(COMPONENTS, 'spin4-py-app.wasm')]);
    const report = JSON.parse(json.stdout) as {
      wasi: string;
      grants: string[];
      capabilities: string[];
      unsupportedImports: string[];
    };
    expect(report.wasi).toBe('0.3');
    expect(report.unsupportedImports).toEqual([]);
    expect(report.grants).toEqual(expect.arrayContaining(['config_values', 'config_keys', 'key_value_store', 'port']));
    expect(report.capabilities).toContain(
      'outbound Redis: not available on this driver (the component starts; those calls answer an error)',
    );
  });

  it('fails with the error code for a preview1 reactor and for a file that is not Wasm', async () => {
    const core = await nomadWasm(['inspect', join(COMPONENTS, 'reactor-go.wasm')]);
    expect(core.code).toBe(1);
    expect(core.stderr).toMatch(/error \[WASI_PREVIEW1_NOT_A_COMMAND\]: .*reactor-go\.wasm is a WASI preview1 reactor/);
    const junk = await nomadWasm(['inspect', join(COMPONENTS, 'not-wasm.wasm')]);
    expect(junk.code).toBe(1);
    expect(junk.stderr).toMatch(/error \[COMPONENT_INVALID\]: .*not WebAssembly/);
  });

  it('exits 2 with usage for a missing argument', async () => {
    const result = await nomadWasm(['verify']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('verify takes exactly one <ref>');
  });
});

describe('summarizeWit', () => {
  it('flags imports the driver cannot provide and maps grants', () => {
    const summary = summarizeWit(`package root:component;

world root {
  import wasi:sockets/tcp@0.2.3;
  import wasi:http/outgoing-handler@0.2.3;
  import acme:secret/store@1.0.0;

  export wasi:http/incoming-handler@0.2.3;
}
`);
    expect(summary.world).toBe('wasi:http service');
    expect(summary.unsupportedImports).toEqual(['acme:secret/store@1.0.0']);
    expect(summary.capabilities).toEqual([
      'outbound HTTP: only hosts granted with `allow_http`, and services named in `allow_services`',
      'sockets: always denied by this driver',
    ]);
    expect(summary.grants).toEqual(['allow_http', 'allow_services', 'port']);
  });

  it('calls a component of a WASI 0.3 release candidate the driver does not host unsupported', () => {
    const summary = summarizeWit(`package root:component;

world root {
  import wasi:http/types@0.3.0-rc-2025-09-16;

  export wasi:http/handler@0.3.0-rc-2025-09-16;
}
`);
    expect(summary.world).toBe('unsupported');
    expect(summary.wasi).toBeUndefined();
    expect(summary.unsupportedImports).toEqual(['wasi:http/types@0.3.0-rc-2025-09-16']);
  });

  it("maps Spin 4's async interfaces alone (no fermyon:spin imports) to their grants and to not available", () => {
    const summary = summarizeWit(`package root:component;

world root {
  import spin:variables/variables@3.0.0;
  import spin:key-value/key-value@3.0.0;
  import spin:redis/redis@3.0.0;
  import spin:mqtt/mqtt@3.0.0;
  import spin:mysql/mysql@3.0.0;
  import spin:sqlite/sqlite@3.1.0;
  import spin:postgres/postgres@4.2.0;

  export wasi:http/handler@0.3.0;
}
`);
    expect(summary.wasi).toBe('0.3');
    expect(summary.unsupportedImports).toEqual([]);
    expect(summary.grants).toEqual(['config_values', 'config_keys', 'key_value_store', 'port']);
    expect(summary.capabilities).toEqual([
      'Spin variables: only `config_values`, and the keys of Vault `secret` blocks granted with `config_keys`',
      'key-value stores: only the labels granted with `key_value_store` blocks (Consul KV)',
      ...['outbound Redis', 'outbound MQTT', 'outbound PostgreSQL', 'outbound MySQL', 'SQLite'].map(
        (what) => `${what}: not available on this driver (the component starts; those calls answer an error)`,
      ),
    ]);
  });

  it('maps wasi:config/store to config_values and config_keys (Vault secrets)', () => {
    const summary = summarizeWit(`package root:component;

world root {
  import wasi:config/store@0.2.0-draft;
  import wasi:cli/environment@0.2.3;

  export wasi:http/incoming-handler@0.2.3;
}
`);
    expect(summary.unsupportedImports).toEqual([]);
    expect(summary.grants).toEqual(['env', 'config_values', 'config_keys', 'port']);
    expect(summary.capabilities).toContain(
      'config values: only `config_values`, and the keys of Vault `secret` blocks granted with `config_keys`',
    );
  });
});
