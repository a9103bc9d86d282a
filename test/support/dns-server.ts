/**
 * A tiny authoritative DNS server on loopback UDP for tests: A records from a table (RFC 1035 wire format), NXDOMAIN
 * for names it does not know, an empty answer for other record types of known names. deckhand is pointed at it with
 * DECKHAND_DNS_SERVERS=127.0.0.1:PORT, so its DNS check runs node:dns exactly as it does against a real resolver.
 */
import { createSocket } from 'node:dgram';

export interface TestDnsServer {
  /** `127.0.0.1:PORT`, for DECKHAND_DNS_SERVERS. */
  address: string;
  /** Names asked so far (lowercase), in order. */
  readonly queries: readonly string[];
  stop(): Promise<void>;
}

const TYPE_A = 1;
const CLASS_IN = 1;

function readName(message: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let at = offset;
  while (message[at] !== 0) {
    const length = message[at]!;
    labels.push(message.subarray(at + 1, at + 1 + length).toString('ascii'));
    at += 1 + length;
  }
  return { name: labels.join('.').toLowerCase(), end: at + 1 };
}

export function answer(
  query: Buffer,
  records: ReadonlyMap<string, readonly string[]>,
): { reply: Buffer; name: string } {
  const { name, end } = readName(query, 12);
  const type = query.readUInt16BE(end);
  const question = query.subarray(12, end + 4);
  const known = records.get(name);
  const addresses = known && type === TYPE_A ? known : [];
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  const recursionDesired = query[2]! & 0x01;
  header[2] = 0x84 | recursionDesired; // response, authoritative
  header[3] = 0x80 | (known ? 0 : 3); // recursion available; NXDOMAIN for unknown names
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const answers = addresses.map((ip) => {
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0); // the name, as a pointer to the question's
    record.writeUInt16BE(TYPE_A, 2);
    record.writeUInt16BE(CLASS_IN, 4);
    record.writeUInt32BE(60, 6);
    record.writeUInt16BE(4, 10);
    ip.split('.').forEach((part, index) => record.writeUInt8(Number(part), 12 + index));
    return record;
  });
  return { reply: Buffer.concat([header, question, ...answers]), name };
}

/** Serves `records` (name → IPv4 addresses) until stopped. */
export async function startDnsServer(records: Record<string, readonly string[]>): Promise<TestDnsServer> {
  const table = new Map(Object.entries(records).map(([name, ips]) => [name.toLowerCase(), ips]));
  const queries: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (message, remote) => {
    try {
      const { reply, name } = answer(message, table);
      queries.push(name);
      socket.send(reply, remote.port, remote.address);
    } catch {
      // Not a query this server understands: no answer, as a real server may drop garbage.
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    queries,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
