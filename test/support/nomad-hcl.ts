// The agent configuration every test's Nomad server shares: one node on
// loopback, its own ports, a server that elects itself.
export interface NomadPorts {
  readonly http: number;
  readonly rpc: number;
  readonly serf: number;
}

/** HCL of a single-server Nomad agent on 127.0.0.1 keeping its state in `dataDir`. */
export function loopbackServerHcl(dataDir: string, ports: NomadPorts): string {
  return `data_dir  = "${dataDir}"
bind_addr = "127.0.0.1"
disable_update_check = true
log_level = "DEBUG"
ports {
  http = ${ports.http}
  rpc  = ${ports.rpc}
  serf = ${ports.serf}
}
advertise {
  http = "127.0.0.1"
  rpc  = "127.0.0.1"
  serf = "127.0.0.1"
}
server {
  enabled          = true
  bootstrap_expect = 1
}
`;
}
