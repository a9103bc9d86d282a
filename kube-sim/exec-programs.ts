/**
 * Programs a test puts "inside" a container: `kubectl exec` of a mapped command runs a real program on this machine
 * (e.g. `psql` → /usr/lib/postgresql/15/bin/psql, pointed at a real PostgreSQL on loopback by its environment) with
 * the exec session's stdin, stdout, stderr and exit code, and, with `tty=true`, in a real pseudo-terminal (node-pty):
 * stderr merged into stdout, resize messages applied, raw bytes both ways, as a container runtime does.
 *
 * The program sees the container's environment (literal `env` values, and those from Secrets and ConfigMaps, as the
 * kubelet resolves them), HOSTNAME set to the pod name, TERM for a TTY, then the test's own `env` on top, and the
 * host's PATH unless the test sets one.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { tmpdir } from 'node:os';
import { spawn as spawnPty } from 'node-pty';
import type { WebSocket } from 'ws';
import { getPath, isPlainObject } from './json.ts';
import { podMatches, type PodMatch } from './pod-match.ts';
import type { Registry } from './registry.ts';
import { typeFor } from './resources.ts';
import type { KubeObject } from './types.ts';

export interface ExecProgram {
  /** The program on this machine. */
  path: string;
  /** Put before the arguments given to the command in the container. */
  args?: string[];
  /** Set on top of the container's environment. */
  env?: Record<string, string>;
  /** Working directory (default: the system temp folder). */
  cwd?: string;
}

/** One exec session into a mapped program, for tests to check (e.g. that a dump ran without a TTY). */
export interface ExecRecord {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  program: string;
  stdin: boolean;
  tty: boolean;
  /** Set when the program has ended. */
  exitCode?: number;
}

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const RESIZE = 4;
const CLOSE = 255;
const FRAME_SIZE = 32 * 1024;
const HIGH_WATER = 1024 * 1024;

export class ExecPrograms {
  private readonly rules: Array<{ match: PodMatch; programs: Map<string, ExecProgram> }> = [];

  set(match: PodMatch, programs: Record<string, string | ExecProgram>): void {
    this.rules.push({
      match,
      programs: new Map(Object.entries(programs).map(([name, p]) => [name, typeof p === 'string' ? { path: p } : p])),
    });
  }

  /** The newest matching rule naming the command (as given, or by its base name for `/usr/bin/psql`) wins. */
  find(pod: KubeObject, container: string, command: string): ExecProgram | undefined {
    const base = command.split('/').pop() ?? command;
    for (let i = this.rules.length - 1; i >= 0; i -= 1) {
      const rule = this.rules[i];
      if (!rule || !podMatches(rule.match, pod, container)) continue;
      const found = rule.programs.get(command) ?? rule.programs.get(base);
      if (found) return found;
    }
    return undefined;
  }
}

function decodeValue(value: unknown, base64: boolean): string {
  return typeof value === 'string' ? (base64 ? Buffer.from(value, 'base64').toString('utf8') : value) : '';
}

/** The container's environment as the kubelet would set it (the parts the simulator can resolve). */
export function containerEnvironment(
  registry: Registry,
  pod: KubeObject,
  containerName: string,
): Record<string, string> {
  const containers = ((getPath(pod, 'spec.containers') as unknown[] | undefined) ?? []).filter(isPlainObject);
  const container = containers.find((c) => c['name'] === containerName);
  const namespace = pod.metadata.namespace;
  const env: Record<string, string> = {};
  const dataOf = (kind: 'Secret' | 'ConfigMap', name: string): Record<string, string> => {
    const found = registry.find(typeFor('v1', kind), namespace, name);
    const data = found && isPlainObject(found['data']) ? found['data'] : {};
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, decodeValue(v, kind === 'Secret')]));
  };
  for (const from of (Array.isArray(container?.['envFrom']) ? container['envFrom'] : []).filter(isPlainObject)) {
    const prefix = typeof from['prefix'] === 'string' ? from['prefix'] : '';
    const secret = getPath(from, 'secretRef.name');
    const configMap = getPath(from, 'configMapRef.name');
    const values =
      typeof secret === 'string'
        ? dataOf('Secret', secret)
        : typeof configMap === 'string'
          ? dataOf('ConfigMap', configMap)
          : {};
    for (const [k, v] of Object.entries(values)) env[`${prefix}${k}`] = v;
  }
  for (const item of (Array.isArray(container?.['env']) ? container['env'] : []).filter(isPlainObject)) {
    const name = String(item['name'] ?? '');
    if (typeof item['value'] === 'string')
      env[name] = item['value'].replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, ref: string) => env[ref] ?? whole);
    const secretRef = getPath(item, 'valueFrom.secretKeyRef');
    const configMapRef = getPath(item, 'valueFrom.configMapKeyRef');
    if (isPlainObject(secretRef))
      env[name] = dataOf('Secret', String(secretRef['name'] ?? ''))[String(secretRef['key'] ?? '')] ?? '';
    if (isPlainObject(configMapRef))
      env[name] = dataOf('ConfigMap', String(configMapRef['name'] ?? ''))[String(configMapRef['key'] ?? '')] ?? '';
    if (getPath(item, 'valueFrom.fieldRef.fieldPath') === 'metadata.name') env[name] = pod.metadata.name ?? '';
    if (getPath(item, 'valueFrom.fieldRef.fieldPath') === 'metadata.namespace') env[name] = namespace ?? '';
  }
  return env;
}

function exitStatus(exitCode: number, command: string[]): Record<string, unknown> {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGPIPE: 13, SIGTERM: 15 };

export interface ProgramSession {
  /** Ends the program (the pod went away, or the simulator stops). */
  kill(): void;
}

export interface ProgramSessionOptions {
  ws: WebSocket;
  program: ExecProgram;
  command: string[];
  env: Record<string, string>;
  stdin: boolean;
  stderr: boolean;
  tty: boolean;
  onEnd(exitCode: number): void;
}

/** Runs a mapped program for one exec WebSocket (v5/v4 channel protocol) until it exits or the client goes. */
export function runProgramSession(options: ProgramSessionOptions): ProgramSession {
  const { ws, program, command } = options;
  const argv = [...(program.args ?? []), ...command.slice(1)];
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    ...options.env,
    ...(options.tty ? { TERM: options.env['TERM'] ?? 'xterm' } : {}),
    ...program.env,
  };
  const cwd = program.cwd ?? tmpdir();
  let ended = false;

  const send = (channel: number, data: Buffer): void => {
    for (let offset = 0; offset < data.length; offset += FRAME_SIZE)
      ws.send(Buffer.concat([Buffer.from([channel]), data.subarray(offset, offset + FRAME_SIZE)]));
  };
  /** Holds a producer back while the client is slower than the program. */
  const throttle = (pause: () => void, resume: () => void): void => {
    if (ws.bufferedAmount <= HIGH_WATER) return;
    pause();
    const wait = (): void => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > HIGH_WATER / 4) setImmediate(wait);
      else resume();
    };
    setImmediate(wait);
  };
  const end = (exitCode: number): void => {
    if (ended) return;
    ended = true;
    options.onEnd(exitCode);
    if (ws.readyState === ws.OPEN) {
      send(STATUS, Buffer.from(JSON.stringify(exitStatus(exitCode, command))));
      ws.close(1000);
    }
  };

  if (options.tty) {
    const terminal = spawnPty(program.path, argv, {
      name: env.TERM ?? 'xterm',
      cols: 80,
      rows: 24,
      cwd,
      env,
      encoding: null,
    });
    terminal.onData((chunk: string | Buffer) => {
      send(STDOUT, Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      throttle(
        () => terminal.pause(),
        () => terminal.resume(),
      );
    });
    terminal.onExit(({ exitCode, signal }) => end(signal ? 128 + signal : exitCode));
    ws.on('message', (message: Buffer) => {
      const channel = message[0];
      const payload = message.subarray(1);
      if (channel === STDIN) terminal.write(payload);
      if (channel === RESIZE) {
        const size = JSON.parse(payload.toString('utf8')) as { Width?: number; Height?: number };
        if (size.Width && size.Height) terminal.resize(size.Width, size.Height);
      }
    });
    ws.on('close', () => {
      if (!ended) terminal.kill('SIGHUP');
    });
    return { kill: () => terminal.kill('SIGKILL') };
  }

  const child: ChildProcessWithoutNullStreams = spawn(program.path, argv, { cwd, env, stdio: 'pipe' });
  child.stdout.on('data', (chunk: Buffer) => {
    send(STDOUT, chunk);
    throttle(
      () => child.stdout.pause(),
      () => child.stdout.resume(),
    );
  });
  child.stderr.on('data', (chunk: Buffer) => {
    if (options.stderr) send(STDERR, chunk);
  });
  child.stdin.on('error', () => undefined);
  if (!options.stdin) child.stdin.end();
  child.on('error', (error) => {
    if (options.stderr) send(STDERR, Buffer.from(`exec: ${error.message}\n`));
    end(127);
  });
  child.on('close', (code, signal) => end(code ?? 128 + (SIGNALS[signal ?? ''] ?? 9)));
  ws.on('message', (message: Buffer) => {
    const channel = message[0];
    if (channel === STDIN && options.stdin && !child.stdin.writableEnded) {
      if (!child.stdin.write(message.subarray(1))) {
        ws.pause();
        child.stdin.once('drain', () => ws.resume());
      }
    }
    // v5: the client closed its stdin.
    if (channel === CLOSE && message[1] === STDIN) child.stdin.end();
  });
  ws.on('close', () => {
    if (!ended) child.kill('SIGKILL');
  });
  return { kill: () => child.kill('SIGKILL') };
}
