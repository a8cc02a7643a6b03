import dgram from 'node:dgram';

/** A UDP socket of the host's that keeps every payload it receives. */
export interface UdpListener {
  port: number;
  received: string[];
  close(): void;
}

/** Binds `host` (`::` is IPv6 only, so the IPv4 one may share the port); port 0 picks a free one. */
export async function listenUdp(host: string, port = 0): Promise<UdpListener> {
  const received: string[] = [];
  const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', ipv6Only: host === '::' }, (message) => received.push(message.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => resolve());
  });
  return { port: socket.address().port, received, close: () => socket.close() };
}
