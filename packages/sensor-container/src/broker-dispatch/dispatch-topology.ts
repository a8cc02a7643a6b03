/** Names shared by the per-pack identities, the sensor publishers and the dispatch intake. */

/** The topic exchange sensors publish to, routing key `<pack>.<trigger>`. */
export function dispatchExchange(prefix: string): string {
  return `${prefix}.trigger-dispatch`;
}

/** The durable queue behind the exchange that the intake reads; sensors cannot read it. */
export function dispatchQueue(prefix: string): string {
  return `${prefix}.trigger-dispatch`;
}

/** One RabbitMQ user per pack (and installation, since users are broker-wide). */
export function sensorUser(prefix: string, pack: string): string {
  return `${prefix}-sensor-${pack}`;
}

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The vhost an amqp URL names ('/' when it names none). */
export function vhostOf(amqpUrl: string): string {
  const pathname = new URL(amqpUrl).pathname;
  return pathname === '' || pathname === '/' ? '/' : decodeURIComponent(pathname.slice(1));
}

/** The broker URL with another user's credentials (same host, port, vhost and options). */
export function urlWithCredentials(amqpUrl: string, user: string, password: string): string {
  const parsed = new URL(amqpUrl);
  parsed.username = encodeURIComponent(user);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}
