// wasi:sockets@0.3: present so that components importing it load, denied
// at every entry point, as in the 0.2 host (src/wasi/sockets.ts): raw
// sockets cannot be held to an allow-list the way outbound HTTP is.
import { p3Key } from './versions.js';

type SocketError = { tag: 'access-denied' };
const ACCESS_DENIED: SocketError = Object.freeze({ tag: 'access-denied' });

function denied(): never {
  throw ACCESS_DENIED;
}

class TcpSocket {
  static create = denied;
}
class UdpSocket {
  static create = denied;
}

export const socketP3Interfaces: Record<string, object> = {
  [p3Key('wasi:sockets/types')]: { TcpSocket, UdpSocket },
  [p3Key('wasi:sockets/ip-name-lookup')]: {
    resolveAddresses: (): Promise<never> => Promise.reject(ACCESS_DENIED),
  },
};
