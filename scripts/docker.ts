/**
 * docker, wrapped: pure argv builders plus thin runners. Images are built for linux/amd64 (LKE nodes) with buildx
 * when it is installed; without buildx, the classic builder builds and `docker push` pushes.
 * Registry credentials go to `docker login --password-stdin`, never argv.
 */
import { ToolMissingError } from './lib/errors.ts';
import type { Runner } from './lib/shell.ts';

/** `docker --version` answers without an engine (`docker version` fails when no engine runs). */
export function clientVersionArgs(): string[] {
  return ['docker', '--version'];
}

/** `28.2.2` from `Docker version 28.2.2, build e6534b4`. */
export function parseClientVersion(stdout: string): string {
  return stdout
    .trim()
    .replace(/^Docker version /, '')
    .split(',')[0]!;
}

/** The engine's version; fails when no engine answers. */
export function serverVersionArgs(): string[] {
  return ['docker', 'version', '--format', '{{.Server.Version}}'];
}

export function buildxVersionArgs(): string[] {
  return ['docker', 'buildx', 'version'];
}

/** The current builder, with the platforms it can build ("Platforms: linux/amd64, linux/arm64"). */
export function buildxInspectArgs(): string[] {
  return ['docker', 'buildx', 'inspect'];
}

/** True when the buildx plugin is installed (Docker Desktop and docker-ce have it; Debian's docker.io does not). */
export async function hasBuildx(shell: Runner): Promise<boolean> {
  const result = await shell
    .run(buildxVersionArgs(), { kind: 'read', nothrow: true, timeoutMs: 15_000 })
    .catch((error: unknown) => {
      // Without docker there is no buildx either; whether docker itself is needed is the caller's decision.
      if (error instanceof ToolMissingError) return undefined;
      throw error;
    });
  return result?.exitCode === 0 && /buildx|github\.com\/docker/i.test(result.stdout);
}

export interface BuildOptions {
  dockerfile: string;
  context: string;
  /** Full references: repository:tag. */
  tags: readonly string[];
  platform: string;
  labels: Readonly<Record<string, string>>;
  /** buildx only: push as part of the build. */
  push?: boolean;
  /** Where buildx writes its metadata (it holds the pushed digest). */
  metadataFile?: string;
}

export function buildxBuildArgs(options: BuildOptions): string[] {
  return [
    'docker',
    'buildx',
    'build',
    '--platform',
    options.platform,
    '--file',
    options.dockerfile,
    ...options.tags.flatMap((tag) => ['--tag', tag]),
    ...Object.entries(options.labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
    // Provenance attestations turn the pushed manifest into an index, which hides the platform; keep it plain.
    '--provenance=false',
    ...(options.metadataFile ? ['--metadata-file', options.metadataFile] : []),
    ...(options.push ? ['--push'] : ['--load']),
    options.context,
  ];
}

/** The classic builder: builds for the engine's own platform (must be amd64 to match LKE nodes). */
export function classicBuildArgs(options: Omit<BuildOptions, 'push' | 'metadataFile'>): string[] {
  return [
    'docker',
    'build',
    '--platform',
    options.platform,
    '--file',
    options.dockerfile,
    ...options.tags.flatMap((tag) => ['--tag', tag]),
    ...Object.entries(options.labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
    options.context,
  ];
}

export function pushArgs(reference: string): string[] {
  return ['docker', 'push', reference];
}

/** The manifest of a pushed image; fails when the registry has no such tag. */
export function manifestInspectArgs(
  reference: string,
  insecure: boolean,
  options: { verbose?: boolean } = {},
): string[] {
  // --verbose adds each manifest's descriptor, whose digest is what the registry serves for the tag.
  return [
    'docker',
    'manifest',
    'inspect',
    ...(insecure ? ['--insecure'] : []),
    ...(options.verbose ? ['--verbose'] : []),
    reference,
  ];
}

/**
 * The registry (or the proxy in front of it) was never reached — refused, unknown host, no route, timed out, reset —
 * as docker's Go client words it, e.g. `dial tcp 127.0.0.1:1: connect: connection refused`. A registry that answers
 * "manifest unknown", "not found" or "unauthorized" was reached: those are not network failures.
 */
export function isNetworkFailure(stderr: string): boolean {
  return /\b(dial tcp|proxyconnect|connection refused|connection reset|no such host|server misbehaving|network is unreachable|no route to host|i\/o timeout|TLS handshake timeout|context deadline exceeded|Client\.Timeout exceeded|temporary failure in name resolution)\b/i.test(
    stderr,
  );
}

export function loginArgs(registry: string, user: string): string[] {
  return ['docker', 'login', registry, '--username', user, '--password-stdin'];
}

/** `docker push` ends with "<tag>: digest: sha256:… size: N"; that digest is what the cluster will pull. */
export function digestFromPushOutput(output: string): string | undefined {
  return /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1];
}

/** A registry on loopback is plain HTTP (what docker treats as an insecure registry). */
export function isLoopbackRegistry(registry: string): boolean {
  return /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(registry);
}

/**
 * The digest the registry serves for a tag, from `docker manifest inspect --verbose`: one descriptor for a
 * single-platform image, a list for a multi-platform index (then the entry of `architecture`, which is what the
 * nodes pull).
 */
export function manifestDigest(stdout: string, architecture: string): string | undefined {
  type Entry = { Descriptor?: { digest?: string; platform?: { architecture?: string } } };
  const parsed = JSON.parse(stdout) as Entry | Entry[];
  if (!Array.isArray(parsed)) return parsed.Descriptor?.digest;
  return parsed.find((entry) => entry.Descriptor?.platform?.architecture === architecture)?.Descriptor?.digest;
}

/** buildx's `--metadata-file` holds the pushed digest as `containerimage.digest`. */
export function digestFromMetadata(text: string): string | undefined {
  try {
    return (JSON.parse(text) as Record<string, string | undefined>)['containerimage.digest'];
  } catch {
    return undefined;
  }
}
