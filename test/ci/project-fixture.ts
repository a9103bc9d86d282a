/**
 * A project folder for `ci secrets` tests, as a user has it after `tasks.ts kubeconfig` and filling in the env files:
 * `.deckhand/cluster.json` naming a kubeconfig (with a second, unrelated context beside the managed one), the app
 * inputs in `.env.caelundas` and `.env.wpp-bot`, REGISTRY_PULL_TOKEN in `.env`. Every value is fresh and random, so
 * finding one anywhere it must not be is never a coincidence.
 *
 * Also a `gh` on PATH that records its argv (one argument per line) and then runs the real gh: what the recording
 * holds is what `ps` would have shown.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { writeManagedCluster } from '../../scripts/lib/cluster-state.ts';
import { lkeKubeconfig } from '../support/linode-api-server.ts';

export interface ProjectValues {
  LATITUDE: string;
  LONGITUDE: string;
  ELEVENLABS_API_KEY: string;
  JWT_SECRET: string;
  POSTGRES_PASSWORD: string;
  REGISTRY_PULL_TOKEN: string;
  /** The bearer token of the managed cluster's user, inside the kubeconfig. */
  clusterToken: string;
  /** The token of the other context in the same file, which must never be uploaded. */
  otherClusterToken: string;
}

export interface ProjectFixture {
  dir: string;
  home: string;
  envDir: string;
  stateRoot: string;
  kubeconfig: string;
  managedContext: string;
  values: ProjectValues;
  /** Files that hold values on purpose (the user's own): left out of leak checks. */
  sourceFiles: string[];
  /** The env for the deckhand process (add PATH and the gh variables). */
  env: NodeJS.ProcessEnv;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const decimal = (whole: number) => `${randomInt(0, whole)}.${randomInt(100_000_000, 999_999_999)}`;

/** `omit` leaves inputs out of the env files (to test what is missing). */
export function createProject(dir: string, omit: readonly (keyof ProjectValues)[] = []): ProjectFixture {
  const values: ProjectValues = {
    LATITUDE: decimal(80),
    LONGITUDE: `-${decimal(170)}`,
    ELEVENLABS_API_KEY: `sk_${hex(20)}`,
    JWT_SECRET: hex(32),
    POSTGRES_PASSWORD: hex(24),
    REGISTRY_PULL_TOKEN: `ghp_${hex(18)}`,
    clusterToken: hex(32),
    otherClusterToken: hex(32),
  };
  const home = path.join(dir, 'home');
  const envDir = path.join(dir, 'env');
  const stateRoot = path.join(dir, 'state');
  for (const folder of [home, envDir, stateRoot, path.join(dir, 'tmp')]) mkdirSync(folder, { recursive: true });

  const kubeDir = path.join(home, '.kube');
  mkdirSync(kubeDir, { recursive: true, mode: 0o700 });
  const kubeconfig = path.join(kubeDir, 'deckhand-kubeconfig.yaml');
  const lke = parse(
    lkeKubeconfig({
      clusterId: 4242,
      server: 'https://4242.eu-central-1.linodelke.net:443',
      token: values.clusterToken,
    }),
  ) as Record<string, { name: string }[]>;
  lke.clusters!.push({ name: 'other', cluster: { server: 'https://other.example:6443' } } as never);
  lke.users!.push({ name: 'other-admin', user: { token: values.otherClusterToken } } as never);
  lke.contexts!.push({ name: 'other-ctx', context: { cluster: 'other', user: 'other-admin' } } as never);
  writeFileSync(kubeconfig, stringify(lke), { mode: 0o600 });
  const managedContext = 'lke4242-ctx';
  writeManagedCluster(stateRoot, {
    label: 'deckhand',
    server: 'https://4242.eu-central-1.linodelke.net:443',
    kubeconfig,
    context: managedContext,
    clusterId: 4242,
    recordedAt: '2026-01-25T14:30:22Z',
  });

  const line = (key: keyof ProjectValues) => (omit.includes(key) ? '' : `${key}=${values[key]}\n`);
  const sourceFiles = [
    path.join(envDir, '.env.caelundas'),
    path.join(envDir, '.env.wpp-bot'),
    path.join(envDir, '.env'),
    kubeconfig,
  ];
  writeFileSync(sourceFiles[0]!, `START_DATE=2026-01-01\n${line('LATITUDE')}${line('LONGITUDE')}`, { mode: 0o600 });
  writeFileSync(sourceFiles[1]!, `${line('ELEVENLABS_API_KEY')}${line('JWT_SECRET')}${line('POSTGRES_PASSWORD')}`, {
    mode: 0o600,
  });
  writeFileSync(sourceFiles[2]!, line('REGISTRY_PULL_TOKEN'), { mode: 0o600 });

  return {
    dir,
    home,
    envDir,
    stateRoot,
    kubeconfig,
    managedContext,
    values,
    sourceFiles,
    env: {
      HOME: home,
      TMPDIR: path.join(dir, 'tmp'),
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_CACHE_HOME: path.join(home, '.cache'),
      GH_CONFIG_DIR: path.join(home, '.config', 'gh'),
      DECKHAND_ENV_DIR: envDir,
      DECKHAND_STATE_ROOT: stateRoot,
    },
  };
}

/** A `gh` that appends its arguments (one per line, then a blank line) to `log`, then runs the real one. */
export function recordingGh(binDir: string, realGh: string, log: string): void {
  mkdirSync(binDir, { recursive: true });
  const script = [
    '#!/bin/sh',
    `for argument in "$@"; do printf '%s\\n' "$argument" >>'${log}'; done`,
    `printf '\\n' >>'${log}'`,
    `exec '${realGh}' "$@"`,
    '',
  ].join('\n');
  writeFileSync(path.join(binDir, 'gh'), script);
  chmodSync(path.join(binDir, 'gh'), 0o755);
}

/** Every file under `dir` (but `except`) that contains one of `needles`, with the needle's name. */
export function filesContaining(
  dir: string,
  needles: Readonly<Record<string, string>>,
  except: readonly string[],
): string[] {
  const found: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder)) {
      const file = path.join(folder, entry);
      const stats = statSync(file);
      if (stats.isDirectory()) walk(file);
      else if (stats.isFile() && !except.includes(file)) {
        const text = readFileSync(file, 'latin1');
        for (const [name, needle] of Object.entries(needles)) if (text.includes(needle)) found.push(`${file}: ${name}`);
      }
    }
  };
  walk(dir);
  return found;
}

/** Where `program` is on PATH (the first match), if anywhere. */
export function findOnPath(program: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const folder of searchPath.split(path.delimiter)) {
    if (!folder) continue;
    const candidate = path.join(folder, program);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}
