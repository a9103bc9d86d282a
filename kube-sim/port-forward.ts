/**
 * `pods/portforward` as kubectl 1.34 speaks it. kubectl first offers a WebSocket upgrade (GET) with the subprotocol
 * `SPDY/3.1+portforward.k8s.io` and tunnels SPDY frames in binary messages (feature PortForwardWebsockets); when the
 * upgrade fails it falls back to a plain SPDY/3.1 upgrade (POST, `X-Stream-Protocol-Version: portforward.k8s.io`).
 * Either way, each local connection opens two streams that share a `requestID`: `streamType: error` and
 * `streamType: data`, both with a `port` header. The kubelet connects to that port of the pod; here a test says where
 * the pod's port leads (`setPortBackend`), e.g. a real PostgreSQL on loopback.
 *
 * As on a real node, a refused connection is reported on the error stream (kubectl then prints it and gives up with
 * "lost connection to pod"), and a pod that stops or is deleted ends every forwarding session to it.
 */
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { ApiError, badRequest } from './errors.ts';
import type { StreamTracker } from './http/watch.ts';
import { getPath } from './json.ts';
import { podMatches, type PodMatch } from './pod-match.ts';
import type { PodSessions } from './pod-sessions.ts';
import type { Registry } from './registry.ts';
import { typeFor } from './resources.ts';
import { SpdySession, type SpdyStream, type SpdyTransport } from './spdy.ts';
import type { KubeObject } from './types.ts';

const PROTOCOL = 'portforward.k8s.io';
const TUNNEL_PROTOCOL = `SPDY/3.1+${PROTOCOL}`;
const HIGH_WATER = 1024 * 1024;

export interface PortTarget {
  host: string;
  port: number;
}

/** What a forwarded connection did, for tests to check (counts, ports, errors). */
export interface PortForwardRecord {
  namespace: string;
  pod: string;
  port: number;
  transport: 'websocket' | 'spdy';
  /** Set when the kubelet reported an error on the error stream. */
  error?: string;
}

export class PortBackends {
  private readonly rules: Array<{ match: PodMatch; port: number; target: PortTarget }> = [];

  set(match: PodMatch, port: number, target: PortTarget): void {
    this.rules.push({ match, port, target });
  }

  /** The newest matching rule wins. */
  find(pod: KubeObject, port: number): PortTarget | undefined {
    for (let i = this.rules.length - 1; i >= 0; i -= 1) {
      const rule = this.rules[i];
      if (rule && rule.port === port && podMatches(rule.match, pod)) return rule.target;
    }
    return undefined;
  }
}

export interface PortForwardDeps {
  registry: Registry;
  streams: StreamTracker;
  backends: PortBackends;
  records: PortForwardRecord[];
  podSessions: PodSessions;
  recordGap(method: string, path: string, reason: string): void;
}

interface Session {
  podUid: string;
  spdy: SpdySession;
  /** Forwarded connections in progress, by requestID. */
  pairs: Map<string, Pair>;
  sockets: Set<Socket>;
}

interface Pair {
  port: number;
  error?: SpdyStream;
  data?: SpdyStream;
  socket?: Socket;
  started: boolean;
  record?: PortForwardRecord;
}

function refuse(socket: Duplex, error: ApiError): void {
  const body = JSON.stringify(error.toStatus());
  const statusText = error.code === 404 ? 'Not Found' : error.code === 403 ? 'Forbidden' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${error.code} ${statusText}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function createPortForwardHandler(deps: PortForwardDeps) {
  // `SPDY/3.1+portforward.k8s.io` is not an RFC 6455 token ('/' is a separator), so the ws package refuses to parse it;
  // the offer is checked here, taken off the request, and the answer added to the 101 response by hand.
  const wss = new WebSocketServer({ noServer: true });
  wss.on('headers', (headers) => headers.push(`Sec-WebSocket-Protocol: ${TUNNEL_PROTOCOL}`));
  const sessions = new Set<Session>();

  function podId(pod: KubeObject): string {
    return `${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}`;
  }

  function startSession(
    pod: KubeObject,
    transport: SpdyTransport,
    kind: PortForwardRecord['transport'],
    pause: () => void,
    resume: () => void,
  ): Session {
    // One flag for the whole connection: any backend socket that cannot keep up holds back the client's frames.
    let paused = false;
    const inbound = {
      pause: () => {
        if (!paused) ((paused = true), pause());
      },
      resume: () => {
        if (paused) ((paused = false), resume());
      },
    };
    const podUid = pod.metadata.uid ?? '';
    const session: Session = {
      podUid,
      pairs: new Map(),
      sockets: new Set(),
      spdy: new SpdySession(transport, {
        onStream: (stream) => onStream(session, pod, stream, kind, inbound),
        onClose: () => {
          untrack();
          forget();
          sessions.delete(session);
          for (const socket of session.sockets) socket.destroy();
        },
        onProtocolError: (message) =>
          deps.recordGap(
            'GET',
            `/api/v1/namespaces/${pod.metadata.namespace ?? ''}/pods/${pod.metadata.name ?? ''}/portforward`,
            `SPDY protocol error: ${message}`,
          ),
      }),
    };
    const untrack = deps.streams.add(() => session.spdy.close());
    const forget = deps.podSessions.add(podUid, () => endSession(session));
    sessions.add(session);
    return session;
  }

  /**
   * The pod's containers are gone: like a real node, every connection forwarded to it fails with the error a vanished
   * network namespace gives, and the session ends, so kubectl reports the lost connection.
   */
  function endSession(session: Session): void {
    for (const [requestId, pair] of [...session.pairs]) {
      finish(
        session,
        requestId,
        pair,
        `error forwarding port ${pair.port} to pod ${session.podUid}, uid : network namespace for sandbox of pod ${session.podUid} is closed`,
      );
    }
    session.spdy.close();
  }

  function onStream(
    session: Session,
    pod: KubeObject,
    stream: SpdyStream,
    kind: PortForwardRecord['transport'],
    inbound: { pause(): void; resume(): void },
  ): void {
    const type = stream.headers.get('streamtype');
    const port = Number(stream.headers.get('port'));
    const requestId = stream.headers.get('requestid') ?? '';
    if ((type !== 'error' && type !== 'data') || !Number.isInteger(port) || port <= 0 || port > 65535) {
      // The kubelet rejects such streams; the client sees a reset.
      stream.reset();
      return;
    }
    const pair = session.pairs.get(requestId) ?? { port, started: false };
    session.pairs.set(requestId, pair);
    pair[type] = stream;
    // The client half-closes the error stream at once; it only ever reads it.
    if (pair.error && pair.data && !pair.started) {
      pair.started = true;
      forward(session, pod, requestId, pair, kind, inbound);
    }
  }

  function finish(session: Session, requestId: string, pair: Pair, message?: string): void {
    if (message && pair.error && !pair.error.localClosed) pair.error.write(Buffer.from(message));
    if (message && pair.record) pair.record.error = message;
    pair.data?.end();
    pair.error?.end();
    pair.socket?.destroy();
    session.pairs.delete(requestId);
  }

  function forward(
    session: Session,
    pod: KubeObject,
    requestId: string,
    pair: Pair,
    kind: PortForwardRecord['transport'],
    inbound: { pause(): void; resume(): void },
  ): void {
    const data = pair.data as SpdyStream;
    const record: PortForwardRecord = {
      namespace: pod.metadata.namespace ?? '',
      pod: pod.metadata.name ?? '',
      port: pair.port,
      transport: kind,
    };
    deps.records.push(record);
    pair.record = record;
    const current = deps.registry.find(typeFor('v1', 'Pod'), pod.metadata.namespace, pod.metadata.name ?? '') ?? pod;
    const target = deps.backends.find(current, pair.port);
    const refused = `error forwarding port ${pair.port} to pod ${session.podUid}, uid : failed to execute portforward in network namespace of pod ${podId(pod)}: failed to connect to localhost:${pair.port} inside namespace of pod ${podId(pod)}, IPv4: dial tcp4 127.0.0.1:${pair.port}: connect: connection refused IPv6 dial tcp6 [::1]:${pair.port}: connect: connection refused `;
    if (!target) {
      deps.recordGap(
        'GET',
        `/api/v1/namespaces/${record.namespace}/pods/${record.pod}/portforward`,
        `port ${pair.port} of pod ${record.namespace}/${record.pod} leads nowhere: the test set no port backend for it (sim.setPortBackend)`,
      );
      finish(session, requestId, pair, refused);
      return;
    }
    const socket = connect({ host: target.host, port: target.port });
    pair.socket = socket;
    session.sockets.add(socket);
    let connected = false;
    const pending: Buffer[] = [];
    data.onData = (chunk) => {
      if (!connected) pending.push(chunk);
      else if (!socket.write(chunk)) inbound.pause();
    };
    data.onRemoteClose = () => {
      if (connected) socket.end();
    };
    data.onReset = () => {
      socket.destroy();
      pair.error?.end();
      session.pairs.delete(requestId);
    };
    socket.on('drain', () => inbound.resume());
    socket.on('connect', () => {
      connected = true;
      for (const chunk of pending.splice(0)) socket.write(chunk);
      if (data.remoteClosed) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      data.write(chunk);
      if (session.spdy.backlog() > HIGH_WATER) {
        socket.pause();
        const waitForRoom = (): void => {
          if (session.spdy.isClosed) return;
          if (session.spdy.backlog() > HIGH_WATER / 4) setImmediate(waitForRoom);
          else socket.resume();
        };
        setImmediate(waitForRoom);
      }
    });
    socket.on('end', () => {
      data.end();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!connected) finish(session, requestId, pair, refused);
      else if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE')
        finish(
          session,
          requestId,
          pair,
          `error forwarding port ${pair.port} to pod ${session.podUid}, uid : ${error.message}`,
        );
    });
    socket.on('close', () => {
      session.sockets.delete(socket);
      if (session.pairs.get(requestId) === pair) finish(session, requestId, pair);
    });
  }

  function lookupPod(namespace: string, podName: string): KubeObject {
    const pod = deps.registry.get(typeFor('v1', 'Pod'), namespace, podName);
    if (getPath(pod, 'status.phase') !== 'Running' || pod.metadata.deletionTimestamp) {
      throw badRequest(
        `unable to upgrade connection: pod ${podName} is not running (phase ${String(getPath(pod, 'status.phase') ?? 'Pending')})`,
      );
    }
    return pod;
  }

  return {
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, podName: string): void {
      const path = `/api/v1/namespaces/${namespace}/pods/${podName}/portforward`;
      let pod: KubeObject;
      try {
        pod = lookupPod(namespace, podName);
      } catch (error) {
        refuse(socket, error instanceof ApiError ? error : new ApiError(500, 'InternalError', String(error)));
        return;
      }
      const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
      if (upgrade === 'websocket') {
        const offered = String(req.headers['sec-websocket-protocol'] ?? '')
          .split(',')
          .map((p) => p.trim());
        if (!offered.includes(TUNNEL_PROTOCOL)) {
          deps.recordGap(
            'GET',
            path,
            `port-forward subprotocols offered: ${offered.join(', ') || '(none)'}; only ${TUNNEL_PROTOCOL} is implemented`,
          );
          refuse(
            socket,
            badRequest(
              `unable to upgrade connection: none of the offered subprotocols is supported: ${offered.join(', ')}`,
            ),
          );
          return;
        }
        delete req.headers['sec-websocket-protocol'];
        wss.handleUpgrade(req, socket, head, (ws) => {
          const transport: SpdyTransport = {
            send: (frame) => ws.send(frame, { binary: true }),
            backlog: () => ws.bufferedAmount,
            close: () => ws.close(1000),
          };
          const session = startSession(
            pod,
            transport,
            'websocket',
            () => ws.pause(),
            () => ws.resume(),
          );
          ws.on('message', (message: Buffer, isBinary: boolean) => {
            if (!isBinary) {
              deps.recordGap('GET', path, 'a text message on a SPDY-over-WebSocket tunnel');
              return;
            }
            session.spdy.feed(message);
          });
          ws.on('close', () => session.spdy.transportClosed());
          ws.on('error', () => session.spdy.transportClosed());
        });
        return;
      }
      if (upgrade === 'spdy/3.1') {
        const versions = String(req.headers['x-stream-protocol-version'] ?? '')
          .split(',')
          .map((p) => p.trim());
        if (!versions.includes(PROTOCOL)) {
          deps.recordGap(
            req.method ?? 'POST',
            path,
            `port-forward over SPDY with protocol versions ${versions.join(', ') || '(none)'}; only ${PROTOCOL} is implemented`,
          );
          refuse(socket, badRequest('unable to upgrade: unable to negotiate protocol'));
          return;
        }
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PROTOCOL}\r\n\r\n`,
        );
        const raw = socket as Socket;
        const transport: SpdyTransport = {
          send: (frame) => void raw.write(frame),
          backlog: () => raw.writableLength,
          close: () => raw.end(),
        };
        const session = startSession(
          pod,
          transport,
          'spdy',
          () => raw.pause(),
          () => raw.resume(),
        );
        if (head.length > 0) session.spdy.feed(head);
        raw.on('data', (chunk: Buffer) => session.spdy.feed(chunk));
        raw.on('close', () => session.spdy.transportClosed());
        raw.on('error', () => session.spdy.transportClosed());
        return;
      }
      deps.recordGap(req.method ?? 'GET', path, `port-forward with Upgrade: ${upgrade || '(none)'}`);
      refuse(socket, badRequest('unable to upgrade connection: Upgrade must be websocket or SPDY/3.1'));
    },

    openSessions(): number {
      return sessions.size;
    },
  };
}
