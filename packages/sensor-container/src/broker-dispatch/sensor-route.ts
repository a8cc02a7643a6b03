import net from 'node:net';
import { brokerEndpoint, isThisHost } from '@packrun/core';

/**
 * How a sensor publishing directly reaches the broker from inside its network namespace. A broker
 * elsewhere is reached through the sensor's egress at its own address. A broker on this host is
 * out of the egress' reach (no job reaches the host), so its port, and only it, is forwarded to
 * the sensor's own loopback, where the sensor connects: the URL names 127.0.0.1 (or ::1).
 */
export interface SensorBrokerRoute {
  url: string;
  /** Host loopback ports forwarded into the sensor's namespace. */
  hostPorts: number[];
}

export async function sensorBrokerRoute(amqpUrl: string): Promise<SensorBrokerRoute> {
  const broker = brokerEndpoint(amqpUrl);
  if (!(await isThisHost(broker.host))) return { url: amqpUrl, hostPorts: [] };
  const url = new URL(amqpUrl);
  url.hostname = net.isIPv6(broker.host) ? '[::1]' : '127.0.0.1';
  url.port = String(broker.port);
  return { url: url.toString(), hostPorts: [broker.port] };
}
