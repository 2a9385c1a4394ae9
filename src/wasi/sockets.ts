// wasi:sockets: present so components that import it can load, and denied
// at every entry point. Raw sockets cannot be confined to an allow-list the
// way outbound HTTP is (any protocol, any peer), so they are not granted.
const ACCESS_DENIED = 'access-denied';

class Network {}
class TcpSocket {}
class UdpSocket {}
class IncomingDatagramStream {}
class OutgoingDatagramStream {}
class ResolveAddressStream {}

function denied(): never {
  throw ACCESS_DENIED;
}

const network = new Network();

export const socketInterfaces = {
  'wasi:sockets/network': { Network, networkErrorCode: (): undefined => undefined },
  'wasi:sockets/instance-network': { instanceNetwork: (): Network => network },
  'wasi:sockets/tcp-create-socket': { createTcpSocket: denied },
  'wasi:sockets/udp-create-socket': { createUdpSocket: denied },
  'wasi:sockets/tcp': { TcpSocket },
  'wasi:sockets/udp': { UdpSocket, IncomingDatagramStream, OutgoingDatagramStream },
  'wasi:sockets/ip-name-lookup': { ResolveAddressStream, resolveAddresses: denied },
};
