import { PackrunError } from '../errors.ts';

/** Host loopback ports a network namespace forwards, by protocol, each list sorted and unique. */
export interface ForwardedPorts {
  readonly tcp: readonly number[];
  readonly udp: readonly number[];
}

/** PACKRUN_SANDBOX_HOST_PORTS: the ports each pack's jobs may reach (`*`: every pack's). */
export type HostPortGrants = Readonly<Record<string, ForwardedPorts>>;

const noPorts: ForwardedPorts = { tcp: [], udp: [] };

function unique(ports: readonly number[]): number[] {
  return [...new Set(ports)].sort((a, b) => a - b);
}

/** One set from several: those granted to every pack, to one pack, and the runtime's own. */
export function mergePorts(...sets: ReadonlyArray<ForwardedPorts | undefined>): ForwardedPorts {
  return { tcp: unique(sets.flatMap((set) => set?.tcp ?? [])), udp: unique(sets.flatMap((set) => set?.udp ?? [])) };
}

/** The ports a job of `pack` reaches: granted to every pack, to its own, and `extraTcp` (the runtime's services). */
export function grantedPorts(grants: HostPortGrants, pack: string, extraTcp: readonly number[] = []): ForwardedPorts {
  return mergePorts(grants['*'], grants[pack], { tcp: extraTcp, udp: [] });
}

/** Names a port set, the same for the same ports whatever their order: namespaces are shared by it. */
export function portSetKey(ports: ForwardedPorts): string {
  const merged = mergePorts(ports);
  return `tcp:${merged.tcp.join(',')};udp:${merged.udp.join(',')}`;
}

/** `5432+6379+514/udp`, as the doctor shows a pack's grant. */
export function describePorts(ports: ForwardedPorts): string {
  return [...ports.tcp.map(String), ...ports.udp.map((port) => `${port}/udp`)].join('+');
}

/**
 * `pack=port[/tcp|/udp]` entries separated by commas or spaces; a bare port is TCP (as before
 * UDP could be granted). The pack is a pack ref as packs have them, so a typo is an error rather
 * than a grant to nobody.
 */
export function parseHostPortGrants(raw: string, variable: string): HostPortGrants {
  const grants: Record<string, ForwardedPorts> = {};
  for (const entry of raw.split(/[\s,]+/).filter(Boolean)) {
    const match = /^(\*|[a-z0-9_]+)=(\d{1,5})(?:\/(tcp|udp))?$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      throw new PackrunError('CONFIG_INVALID', `${variable} takes pack=port entries separated by commas, the port optionally ending in /tcp or /udp (e.g. mypack=5432,syslog_client=514/udp), got "${entry}"`, {
        hint: 'a pack ref (lower case, digits, _) or *, then =, then a port from 1 to 65535; a bare port is TCP',
        details: { variable, entry },
      });
    }
    const pack = match[1] as string;
    const protocol = match[3] === 'udp' ? 'udp' : 'tcp';
    grants[pack] = mergePorts(grants[pack] ?? noPorts, protocol === 'udp' ? { tcp: [], udp: [port] } : { tcp: [port], udp: [] });
  }
  return grants;
}
