/**
 * `pods/exec` over WebSocket (`v5.channel.k8s.io`, also `v4`), which kubectl 1.34 uses for `exec` and `cp`.
 * Frames are binary, first byte the channel (1 stdout, 2 stderr, 3 status); the session ends with a `Status` on
 * channel 3 and close code 1000. Commands run against simulated volumes: `tar cf - PATH...` (what `kubectl cp`
 * runs), `cat`, `ls` and `test -e|-f|-d`. Anything else fails with exit code 127 and is recorded as a gap.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path/posix';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError, badRequest } from './errors.ts';
import { containerEnvironment, runProgramSession, type ExecPrograms, type ExecRecord } from './exec-programs.ts';
import type { StreamTracker } from './http/watch.ts';
import { getPath, isPlainObject } from './json.ts';
import type { Registry } from './registry.ts';
import { typeFor } from './resources.ts';
import { buildTar, entriesFor, type TarEntry } from './tar.ts';
import type { PodSessions } from './pod-sessions.ts';
import type { KubeObject } from './types.ts';
import { resolvePodPath, type VolumeStore } from './volumes.ts';

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const FRAME_SIZE = 32 * 1024;

interface CommandResult {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

export interface ExecDeps {
  registry: Registry;
  volumes: VolumeStore;
  streams: StreamTracker;
  recordGap(method: string, path: string, reason: string): void;
  /** Programs tests put in containers (`setExecPrograms`); those get stdin and TTYs. */
  programs?: ExecPrograms;
  execRecords?: ExecRecord[];
  podSessions?: PodSessions;
}

function refuse(socket: Duplex, error: ApiError): void {
  const body = JSON.stringify(error.toStatus());
  const statusText = error.code === 404 ? 'Not Found' : error.code === 403 ? 'Forbidden' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${error.code} ${statusText}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function checkRunnable(pod: KubeObject, container: string): void {
  const phase = getPath(pod, 'status.phase');
  if (phase === 'Succeeded' || phase === 'Failed')
    throw badRequest(`cannot exec into a container in a completed pod; current phase is ${String(phase)}`);
  const statuses = ((getPath(pod, 'status.containerStatuses') as unknown[] | undefined) ?? []).filter(isPlainObject);
  const status = statuses.find((s) => s['name'] === container);
  if (!status || !isPlainObject(getPath(status, 'state.running')))
    throw badRequest(`unable to upgrade connection: container not found ("${container}")`);
}

function exitStatus(exitCode: number): Record<string, unknown> {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [...], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

export function createExecHandler(deps: ExecDeps) {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });

  function readPath(
    pod: KubeObject,
    container: string,
    argument: string,
  ): { kind: 'ok'; relative: string; pvName: string } | { kind: 'missing' } | { kind: 'gap' } {
    const absolute = argument.startsWith('/') ? argument : path.join('/', argument);
    const resolved = resolvePodPath(deps.registry, pod, container, absolute);
    if (resolved.kind === 'outside-volumes') return { kind: 'gap' };
    if (resolved.kind === 'unbound-claim') return { kind: 'missing' };
    return { kind: 'ok', relative: resolved.relative, pvName: resolved.pvName };
  }

  async function run(
    pod: KubeObject,
    container: string,
    command: string[],
    gap: (reason: string) => void,
  ): Promise<CommandResult> {
    const [program, ...args] = command;
    const outsideVolumes = (p: string): CommandResult => {
      gap(
        `exec reads ${p}, which is not on a PVC mount of pod ${pod.metadata.name ?? ''} (only PVC-backed files are simulated)`,
      );
      return {
        stdout: Buffer.alloc(0),
        stderr: `kube-sim: ${p}: only files on PersistentVolumeClaim mounts are simulated\n`,
        exitCode: 2,
      };
    };
    if (program === 'tar' && (args[0] === 'cf' || args[0] === '-cf') && args[1] === '-' && args.length > 2) {
      const entries: TarEntry[] = [];
      let stderr = '';
      let failed = false;
      const targets = args.slice(2);
      if (targets.some((t) => t.startsWith('/'))) stderr += "tar: Removing leading `/' from member names\n";
      for (const target of targets) {
        const where = readPath(pod, container, target);
        if (where.kind === 'gap') return outsideVolumes(target);
        const found =
          where.kind === 'ok' ? entriesFor(target, where.relative, deps.volumes.files(where.pvName)) : undefined;
        if (!found) {
          stderr += `tar: ${target}: Cannot stat: No such file or directory\n`;
          failed = true;
          continue;
        }
        entries.push(...found);
      }
      if (failed) stderr += 'tar: Exiting with failure status due to previous errors\n';
      return { stdout: await buildTar(entries), stderr, exitCode: failed ? 2 : 0 };
    }
    if (program === 'cat' && args.length > 0) {
      const out: Buffer[] = [];
      let stderr = '';
      for (const target of args) {
        const where = readPath(pod, container, target);
        if (where.kind === 'gap') return outsideVolumes(target);
        const file = where.kind === 'ok' ? deps.volumes.files(where.pvName).get(where.relative) : undefined;
        if (file) out.push(file.data);
        else stderr += `cat: can't open '${target}': No such file or directory\n`;
      }
      return { stdout: Buffer.concat(out), stderr, exitCode: stderr ? 1 : 0 };
    }
    if (program === 'ls' && args.length <= 1 && !(args[0] ?? '').startsWith('-')) {
      const target = args[0] ?? '/';
      const where = readPath(pod, container, target);
      if (where.kind === 'gap') return outsideVolumes(target);
      if (where.kind === 'missing')
        return { stdout: Buffer.alloc(0), stderr: `ls: ${target}: No such file or directory\n`, exitCode: 1 };
      const files = deps.volumes.files(where.pvName);
      if (files.has(where.relative)) return { stdout: Buffer.from(`${target}\n`), stderr: '', exitCode: 0 };
      const prefix = where.relative === '' ? '' : `${where.relative}/`;
      const names = new Set(
        [...files.keys()].filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length).split('/')[0] ?? ''),
      );
      if (names.size === 0 && where.relative !== '')
        return { stdout: Buffer.alloc(0), stderr: `ls: ${target}: No such file or directory\n`, exitCode: 1 };
      return {
        stdout: Buffer.from(
          [...names]
            .sort()
            .map((n) => `${n}\n`)
            .join(''),
        ),
        stderr: '',
        exitCode: 0,
      };
    }
    if (program === 'test' && args.length === 2 && ['-e', '-f', '-d'].includes(args[0] ?? '')) {
      const target = args[1] ?? '';
      const where = readPath(pod, container, target);
      if (where.kind !== 'ok') return { stdout: Buffer.alloc(0), stderr: '', exitCode: 1 };
      const files = deps.volumes.files(where.pvName);
      const isFile = files.has(where.relative);
      const prefix = where.relative === '' ? '' : `${where.relative}/`;
      const isDir = where.relative === '' || [...files.keys()].some((p) => p.startsWith(prefix));
      const ok = args[0] === '-f' ? isFile : args[0] === '-d' ? isDir : isFile || isDir;
      return { stdout: Buffer.alloc(0), stderr: '', exitCode: ok ? 0 : 1 };
    }
    gap(`exec command not implemented: ${JSON.stringify(command)}`);
    return {
      stdout: Buffer.alloc(0),
      stderr: `kube-sim: exec command not implemented: ${command.join(' ')}\n`,
      exitCode: 127,
    };
  }

  function send(ws: WebSocket, channel: number, data: Buffer): void {
    for (let offset = 0; offset === 0 || offset < data.length; offset += FRAME_SIZE) {
      ws.send(Buffer.concat([Buffer.from([channel]), data.subarray(offset, offset + FRAME_SIZE)]));
    }
  }

  function handleProgram(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    pod: KubeObject,
    container: string,
    query: URLSearchParams,
    program: NonNullable<ReturnType<ExecPrograms['find']>>,
  ): void {
    const command = query.getAll('command');
    const tty = query.get('tty') === 'true';
    const record: ExecRecord = {
      namespace: pod.metadata.namespace ?? '',
      pod: pod.metadata.name ?? '',
      container,
      command,
      program: program.path,
      stdin: query.get('stdin') === 'true',
      tty,
    };
    deps.execRecords?.push(record);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = runProgramSession({
        ws,
        program,
        command,
        env: { HOSTNAME: pod.metadata.name ?? '', ...containerEnvironment(deps.registry, pod, container) },
        stdin: record.stdin,
        // With a TTY the runtime merges stderr into the terminal, and kubectl asks for no stderr stream.
        stderr: !tty && query.get('stderr') === 'true',
        tty,
        onEnd: (exitCode) => {
          record.exitCode = exitCode;
        },
      });
      const untrack = deps.streams.add(() => ws.terminate());
      const forget = deps.podSessions?.add(pod.metadata.uid ?? '', () => session.kill());
      ws.on('close', () => {
        untrack();
        forget?.();
      });
    });
  }

  return function handleExec(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    namespace: string,
    podName: string,
    query: URLSearchParams,
  ): void {
    const gap = (reason: string): void =>
      deps.recordGap('GET', `/api/v1/namespaces/${namespace}/pods/${podName}/exec`, reason);
    let pod: KubeObject;
    let container: string;
    try {
      pod = deps.registry.get(typeFor('v1', 'Pod'), namespace, podName);
      const containers = ((getPath(pod, 'spec.containers') as unknown[] | undefined) ?? [])
        .filter(isPlainObject)
        .map((c) => String(c['name']));
      container = query.get('container') ?? containers[0] ?? '';
      if (!containers.includes(container)) throw badRequest(`container ${container} is not valid for pod ${podName}`);
      checkRunnable(pod, container);
      const mapped = deps.programs?.find(pod, container, query.getAll('command')[0] ?? '');
      if (mapped) {
        handleProgram(req, socket, head, pod, container, query, mapped);
        return;
      }
      if (query.get('stdin') === 'true' || query.get('tty') === 'true') {
        gap('exec with stdin or a TTY is not implemented');
        throw badRequest('kube-sim does not implement exec with stdin or a TTY');
      }
      const offered = String(req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((p) => p.trim());
      if (!PROTOCOLS.some((p) => offered.includes(p))) {
        gap(
          `exec subprotocols offered: ${offered.join(', ') || '(none)'}; only ${PROTOCOLS.join(', ')} are implemented`,
        );
        throw badRequest('kube-sim implements exec only over v5.channel.k8s.io / v4.channel.k8s.io');
      }
    } catch (error) {
      refuse(socket, error instanceof ApiError ? error : new ApiError(500, 'InternalError', String(error)));
      return;
    }
    const command = query.getAll('command');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const untrack = deps.streams.add(() => ws.terminate());
      ws.on('close', untrack);
      void run(pod, container, command, gap)
        .then((result) => {
          if (result.stdout.length) send(ws, STDOUT, result.stdout);
          if (result.stderr) send(ws, STDERR, Buffer.from(result.stderr));
          send(ws, STATUS, Buffer.from(JSON.stringify(exitStatus(result.exitCode))));
          ws.close(1000);
        })
        .catch((error: unknown) => {
          gap(`exec failed inside kube-sim: ${(error as Error).stack ?? String(error)}`);
          ws.close(1011);
        });
    });
  };
}
