/**
 * The server side of SPDY/3.1 framing, as far as Kubernetes' streaming protocols use it (client-go drives it through
 * moby/spdystream): SYN_STREAM / SYN_REPLY / DATA / RST_STREAM / PING / GOAWAY. spdystream does no flow control, so
 * WINDOW_UPDATE and SETTINGS are read and ignored.
 *
 * Header blocks are zlib streams that run across the whole connection, with the SPDY/3 dictionary. Incoming blocks
 * are inflated synchronously by re-inflating everything received so far (header blocks are few and small: two per
 * forwarded connection). Outgoing blocks are written as stored (uncompressed) deflate blocks, which any inflater
 * reads, so no compressor state has to be kept in step with the socket (header values stay under 64 KiB).
 */
import { constants, inflateSync } from 'node:zlib';

/**
 * The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00, 2.6.10.1): length-prefixed words (listed
 * here separated by commas, since one of them, `200 OK`, has a space), then a tail of raw text.
 */
const DICTIONARY_WORDS =
  'options,head,post,put,delete,trace,accept,accept-charset,accept-encoding,accept-language,accept-ranges,age,' +
  'allow,authorization,cache-control,connection,content-base,content-encoding,content-language,content-length,' +
  'content-location,content-md5,content-range,content-type,date,etag,expect,expires,from,host,if-match,' +
  'if-modified-since,if-none-match,if-range,if-unmodified-since,last-modified,location,max-forwards,pragma,' +
  'proxy-authenticate,proxy-authorization,range,referer,retry-after,server,te,trailer,transfer-encoding,upgrade,' +
  'user-agent,vary,via,warning,www-authenticate,method,get,status,200 OK,version,HTTP/1.1,url,public,set-cookie,' +
  'keep-alive,origin';
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505203 Non-Authoritative Information' +
  '204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error' +
  '501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, ' +
  'Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,' +
  'publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

export const SPDY_DICTIONARY: Buffer = Buffer.concat([
  ...DICTIONARY_WORDS.split(',').flatMap((word) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(word.length);
    return [length, Buffer.from(word, 'latin1')];
  }),
  Buffer.from(DICTIONARY_TAIL, 'latin1'),
]);

const VERSION = 3;
const TYPE = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;
const FLAG_FIN = 0x01;
const MAX_DATA = 0xffffff;
/** RST_STREAM status codes. */
export const RST = { PROTOCOL_ERROR: 1, REFUSED_STREAM: 3, CANCEL: 5, INTERNAL_ERROR: 6 } as const;

/** Where the session's bytes go: a raw upgraded socket, or binary WebSocket messages (SPDY tunnelled over WebSocket). */
export interface SpdyTransport {
  send(frame: Buffer): void;
  /** Bytes handed to `send` and not yet written out. */
  backlog(): number;
  close(): void;
}

export interface SpdyStream {
  readonly id: number;
  /** Request headers, names lower-cased (SPDY sends them so). */
  readonly headers: ReadonlyMap<string, string>;
  /** The client finished sending (FIN). */
  remoteClosed: boolean;
  localClosed: boolean;
  onData?: (data: Buffer) => void;
  onRemoteClose?: () => void;
  /** The client reset the stream, or the session ended. */
  onReset?: () => void;
  write(data: Buffer): void;
  /** Half-closes our side (DATA with FIN). */
  end(): void;
  reset(status?: number): void;
}

export interface SpdySessionEvents {
  /** A new stream from the client; it has been answered with SYN_REPLY already. */
  onStream(stream: SpdyStream): void;
  onClose(): void;
  onProtocolError(message: string): void;
}

export class SpdySession {
  private readonly transport: SpdyTransport;
  private readonly events: SpdySessionEvents;
  private readonly streams = new Map<number, SpdyStream>();
  private input: Buffer = Buffer.alloc(0);
  private compressedIn: Buffer[] = [];
  private inflatedBytes = 0;
  private headerStreamStarted = false;
  private closed = false;

  constructor(transport: SpdyTransport, events: SpdySessionEvents) {
    this.transport = transport;
    this.events = events;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  backlog(): number {
    return this.transport.backlog();
  }

  feed(chunk: Buffer): void {
    if (this.closed) return;
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    while (this.input.length >= 8 && !this.closed) {
      const length = this.input.readUInt32BE(4) & 0xffffff;
      if (this.input.length < 8 + length) return;
      const frame = this.input.subarray(0, 8 + length);
      this.input = this.input.subarray(8 + length);
      try {
        this.handleFrame(frame);
      } catch (error) {
        this.events.onProtocolError(error instanceof Error ? error.message : String(error));
        this.close();
      }
    }
  }

  /** Sends GOAWAY, resets what is open, and closes the transport. */
  close(): void {
    if (this.closed) return;
    const goAway = Buffer.alloc(8);
    goAway.writeUInt32BE(0, 0);
    goAway.writeUInt32BE(0, 4);
    this.transport.send(this.controlFrame(TYPE.GOAWAY, 0, goAway));
    this.closed = true;
    for (const stream of this.streams.values()) stream.onReset?.();
    this.streams.clear();
    this.transport.close();
    this.events.onClose();
  }

  /** The transport went away under us (client disconnected). */
  transportClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const stream of this.streams.values()) stream.onReset?.();
    this.streams.clear();
    this.events.onClose();
  }

  private handleFrame(frame: Buffer): void {
    const flags = frame.readUInt8(4);
    const body = frame.subarray(8);
    if ((frame.readUInt8(0) & 0x80) === 0) {
      this.handleData(frame.readUInt32BE(0) & 0x7fffffff, flags, body);
      return;
    }
    const version = frame.readUInt16BE(0) & 0x7fff;
    if (version !== VERSION) throw new Error(`SPDY version ${version} is not supported (only 3)`);
    switch (frame.readUInt16BE(2)) {
      case TYPE.SYN_STREAM: {
        const id = body.readUInt32BE(0) & 0x7fffffff;
        const headers = this.readHeaderBlock(body.subarray(10));
        this.openStream(id, headers, (flags & FLAG_FIN) !== 0);
        return;
      }
      case TYPE.RST_STREAM: {
        const stream = this.streams.get(body.readUInt32BE(0) & 0x7fffffff);
        if (!stream) return;
        this.streams.delete(stream.id);
        stream.remoteClosed = true;
        stream.localClosed = true;
        stream.onReset?.();
        return;
      }
      case TYPE.PING:
        this.transport.send(this.controlFrame(TYPE.PING, 0, Buffer.from(body.subarray(0, 4))));
        return;
      case TYPE.GOAWAY:
        this.close();
        return;
      case TYPE.HEADERS:
        this.readHeaderBlock(body.subarray(4));
        return;
      case TYPE.SYN_REPLY:
        throw new Error('SYN_REPLY from the client: the simulator never opens streams itself');
      default:
        // SETTINGS, WINDOW_UPDATE: spdystream does no flow control.
        return;
    }
  }

  private handleData(id: number, flags: number, data: Buffer): void {
    const stream = this.streams.get(id);
    if (!stream || stream.remoteClosed) return;
    if (data.length > 0) stream.onData?.(Buffer.from(data));
    if ((flags & FLAG_FIN) !== 0) {
      stream.remoteClosed = true;
      stream.onRemoteClose?.();
      this.forgetIfDone(stream);
    }
  }

  private openStream(id: number, headers: Map<string, string>, fin: boolean): void {
    const session = this;
    const stream: SpdyStream = {
      id,
      headers,
      remoteClosed: fin,
      localClosed: false,
      write(data: Buffer) {
        if (this.localClosed || session.closed) return;
        for (let offset = 0; offset < data.length; offset += MAX_DATA)
          session.transport.send(session.dataFrame(id, 0, data.subarray(offset, offset + MAX_DATA)));
      },
      end() {
        if (this.localClosed || session.closed) return;
        this.localClosed = true;
        session.transport.send(session.dataFrame(id, FLAG_FIN, Buffer.alloc(0)));
        session.forgetIfDone(this);
      },
      reset(status: number = RST.CANCEL) {
        if (session.closed || !session.streams.has(id)) return;
        this.localClosed = true;
        this.remoteClosed = true;
        session.streams.delete(id);
        const rst = Buffer.alloc(8);
        rst.writeUInt32BE(id, 0);
        rst.writeUInt32BE(status, 4);
        session.transport.send(session.controlFrame(TYPE.RST_STREAM, 0, rst));
      },
    };
    this.streams.set(id, stream);
    const reply = Buffer.alloc(4);
    reply.writeUInt32BE(id);
    this.transport.send(this.controlFrame(TYPE.SYN_REPLY, 0, Buffer.concat([reply, this.writeHeaderBlock(new Map())])));
    this.events.onStream(stream);
  }

  private forgetIfDone(stream: SpdyStream): void {
    if (stream.localClosed && stream.remoteClosed) this.streams.delete(stream.id);
  }

  private readHeaderBlock(compressed: Buffer): Map<string, string> {
    this.compressedIn.push(compressed);
    const all = inflateSync(Buffer.concat(this.compressedIn), {
      dictionary: SPDY_DICTIONARY,
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    const block = all.subarray(this.inflatedBytes);
    this.inflatedBytes = all.length;
    const headers = new Map<string, string>();
    let offset = 0;
    const count = block.readUInt32BE(offset);
    offset += 4;
    for (let i = 0; i < count; i += 1) {
      const nameLength = block.readUInt32BE(offset);
      const name = block.toString('latin1', offset + 4, offset + 4 + nameLength).toLowerCase();
      offset += 4 + nameLength;
      const valueLength = block.readUInt32BE(offset);
      // Several values of one header are joined with NUL; the port-forward headers have one each.
      const value = block.toString('latin1', offset + 4, offset + 4 + valueLength).split('\0')[0] ?? '';
      offset += 4 + valueLength;
      headers.set(name, value);
    }
    return headers;
  }

  private writeHeaderBlock(headers: Map<string, string>): Buffer {
    const parts: Buffer[] = [];
    const u32 = (n: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n);
      return b;
    };
    parts.push(u32(headers.size));
    for (const [name, value] of headers)
      parts.push(u32(name.length), Buffer.from(name, 'latin1'), u32(value.length), Buffer.from(value, 'latin1'));
    const raw = Buffer.concat(parts);
    // One non-final stored deflate block (BFINAL=0, BTYPE=00, LEN and its one's complement, little endian), then an
    // empty one, as a zlib sync flush ends: Go's inflater hands out a block's bytes only once it meets the next one.
    const stored = Buffer.alloc(5);
    stored.writeUInt8(0, 0);
    stored.writeUInt16LE(raw.length, 1);
    stored.writeUInt16LE(~raw.length & 0xffff, 3);
    const syncFlush = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);
    // The zlib header (deflate, no preset dictionary needed for stored data) opens the connection's header stream.
    const zlibHeader = this.headerStreamStarted ? Buffer.alloc(0) : Buffer.from([0x78, 0x01]);
    this.headerStreamStarted = true;
    return Buffer.concat([zlibHeader, stored, raw, syncFlush]);
  }

  private controlFrame(type: number, flags: number, body: Buffer): Buffer {
    const header = Buffer.alloc(8);
    header.writeUInt16BE(0x8000 | VERSION, 0);
    header.writeUInt16BE(type, 2);
    header.writeUInt32BE(((flags & 0xff) << 24) | body.length, 4);
    return Buffer.concat([header, body]);
  }

  private dataFrame(id: number, flags: number, data: Buffer): Buffer {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(id & 0x7fffffff, 0);
    header.writeUInt32BE(((flags & 0xff) << 24) | data.length, 4);
    return Buffer.concat([header, data]);
  }
}
