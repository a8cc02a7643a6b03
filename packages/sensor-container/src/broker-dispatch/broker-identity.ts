import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { PackrunError, type Logger, type SensorBroker } from '@packrun/core';
import { dispatchExchange, escapeRegex, sensorUser, urlWithCredentials, vhostOf } from './dispatch-topology.ts';

/** What one pack's sensor user may do on the vhost. */
export interface SensorGrant {
  user: string;
  password: string;
  vhost: string;
  exchange: string;
  /** Regexes as RabbitMQ takes them. */
  permissions: { configure: string; write: string; read: string };
  topicWrite: string;
}

/** Creates or updates a user with exactly the grant (idempotent: run on every container start). */
export type Provisioner = (grant: SensorGrant) => Promise<void>;

/** Dispatches a sensor process keeps while the broker is unreachable (documented in docs/sensors.md). */
export const sensorBufferLimit = 10_000;

/**
 * Hands out each pack's RabbitMQ identity, provisioning it the first time a sensor of the pack
 * starts in this container. The password is new for every container start and lives only in the
 * container's memory and in the job message of that pack's sensor processes: nothing is written
 * to disk or to the store, where a pack's datastore reads could reach it.
 */
export class BrokerIdentities {
  private readonly granted = new Map<string, Promise<SensorBroker>>();

  constructor(
    private readonly amqpUrl: string,
    private readonly prefix: string,
    private readonly provision: Provisioner,
    private readonly logger: Logger,
  ) {}

  forPack(pack: string): Promise<SensorBroker> {
    let granted = this.granted.get(pack);
    if (!granted) {
      granted = this.grant(pack);
      this.granted.set(pack, granted);
      // A failed provisioning (broker down) is tried again at the sensor's next start.
      granted.catch(() => this.granted.delete(pack));
    }
    return granted;
  }

  private async grant(pack: string): Promise<SensorBroker> {
    const exchange = dispatchExchange(this.prefix);
    const grant: SensorGrant = {
      user: sensorUser(this.prefix, pack),
      password: randomBytes(24).toString('base64url'),
      vhost: vhostOf(this.amqpUrl),
      exchange,
      permissions: { configure: '^$', write: `^${escapeRegex(exchange)}$`, read: '^$' },
      topicWrite: `^${escapeRegex(pack)}\\.`,
    };
    await this.provision(grant);
    this.logger.info({ pack, user: grant.user }, 'sensor broker identity provisioned');
    return { url: urlWithCredentials(this.amqpUrl, grant.user, grant.password), exchange, buffer_limit: sensorBufferLimit };
  }
}

/** Through the management plugin's HTTP API; the URL carries an administrator's credentials. */
export function managementProvisioner(managementUrl: string): Provisioner {
  const parsed = new URL(managementUrl);
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`;
  parsed.username = '';
  parsed.password = '';
  const base = parsed.toString().replace(/\/+$/, '');
  const put = async (route: string, body: unknown): Promise<void> => {
    let response: Response;
    try {
      response = await fetch(`${base}${route}`, { method: 'PUT', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    } catch (cause) {
      throw provisioningFailed(`the RabbitMQ management API at ${base} is unreachable`, cause);
    }
    if (!response.ok) throw provisioningFailed(`the RabbitMQ management API answered ${response.status} to PUT ${route}: ${(await response.text()).slice(0, 300)}`);
  };
  return async (grant) => {
    const vhost = encodeURIComponent(grant.vhost);
    const user = encodeURIComponent(grant.user);
    await put(`/api/users/${user}`, { password: grant.password, tags: '' });
    await put(`/api/permissions/${vhost}/${user}`, grant.permissions);
    await put(`/api/topic-permissions/${vhost}/${user}`, { exchange: grant.exchange, write: grant.topicWrite, read: '^$' });
  };
}

/**
 * Through rabbitmqctl on the broker's host. The password goes on its command line (visible to
 * local users in the process list for the second the call takes); prefer the management API where
 * the host has other users.
 */
export function rabbitmqctlProvisioner(command: string): Provisioner {
  const run = (args: string[]): Promise<{ ok: boolean; output: string }> =>
    new Promise((resolve) => {
      execFile(command, args, { timeout: 60_000 }, (error, stdout, stderr) => resolve({ ok: error === null, output: `${stdout}${stderr}` }));
    });
  const must = async (args: string[]): Promise<void> => {
    const { ok, output } = await run(args);
    if (!ok) throw provisioningFailed(`${command} ${args[0] ?? ''} failed: ${output.trim().slice(-300)}`);
  };
  return async (grant) => {
    const added = await run(['add_user', grant.user, grant.password]);
    if (!added.ok) {
      if (!/already exists/i.test(added.output)) throw provisioningFailed(`${command} add_user failed: ${added.output.trim().slice(-300)}`);
      await must(['change_password', grant.user, grant.password]);
    }
    const { configure, write, read } = grant.permissions;
    await must(['set_permissions', '-p', grant.vhost, grant.user, configure, write, read]);
    await must(['set_topic_permissions', '-p', grant.vhost, grant.user, grant.exchange, grant.topicWrite, '^$']);
  };
}

function provisioningFailed(message: string, cause?: unknown): PackrunError {
  return new PackrunError('SENSOR_BROKER_IDENTITY_FAILED', `cannot provision a sensor RabbitMQ user: ${message}`, {
    hint: 'check PACKRUN_SENSOR_BROKER_IDENTITY and the administrator credentials (docs/sensors.md, "Publishing to RabbitMQ")',
    userError: false,
    ...(cause === undefined ? {} : { cause }),
  });
}
