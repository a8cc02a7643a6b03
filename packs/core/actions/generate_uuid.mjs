import { randomBytes, randomUUID } from 'node:crypto';

/** 100-ns intervals between the Gregorian reform (1582-10-15) and the Unix epoch. */
const gregorianOffset = 122192928000000000n;
let lastTimestamp = 0n;
const clockSequence = randomBytes(2).readUInt16BE(0) & 0x3fff;
/** A random node id with the multicast bit set, as RFC 4122 allows in place of a MAC address. */
const node = randomBytes(6);
node[0] |= 0x01;

/** A time-based (version 1) UUID; ids made in the same 100 ns by this process stay distinct. */
function uuid1() {
  let timestamp = BigInt(Date.now()) * 10000n + gregorianOffset;
  if (timestamp <= lastTimestamp) timestamp = lastTimestamp + 1n;
  lastTimestamp = timestamp;
  const low = Number(timestamp & 0xffffffffn);
  const mid = Number((timestamp >> 32n) & 0xffffn);
  const high = Number((timestamp >> 48n) & 0x0fffn) | 0x1000;
  const bytes = Buffer.alloc(16);
  bytes.writeUInt32BE(low, 0);
  bytes.writeUInt16BE(mid, 4);
  bytes.writeUInt16BE(high, 6);
  bytes.writeUInt16BE(clockSequence | 0x8000, 8);
  node.copy(bytes, 10);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** core.uuid: the UUID as text, as StackStorm's returns it. */
export default function generateUuid({ uuid_type: type }) {
  if (type === 'uuid4') return randomUUID();
  if (type === 'uuid1') return uuid1();
  throw new Error(`uuid_type must be uuid1 or uuid4, got ${JSON.stringify(type)}`);
}
