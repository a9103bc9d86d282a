/**
 * How to install each tool on the machine in front of us: macOS (Homebrew), Debian and Ubuntu (apt), Fedora and its
 * relatives (dnf), Arch (pacman), Alpine (apk), openSUSE (zypper) — read from `process.platform` and
 * /etc/os-release (ID, then ID_LIKE). A command is given only where that system's own packages carry a version
 * deckhand works with; otherwise the vendor's install page, which has the repository set-up for that system. On
 * Linux x64, helm and kubectl also come from `tools install` (the pinned builds deckhand is tested with).
 */
import { readFileSync } from 'node:fs';
import { deckhand } from '../../lib/hints.ts';
import { pinnedToolsRunHere } from './pinned-tools.ts';

export type OsFamily = 'macos' | 'debian' | 'fedora' | 'arch' | 'alpine' | 'suse' | 'linux' | 'windows' | 'other';

export interface OsInfo {
  family: OsFamily;
  /** os-release ID and VERSION_ID on Linux ("debian", "12"). */
  id?: string;
  version?: string;
  /** For messages: "macOS", "Ubuntu 24.04", "Debian GNU/Linux 12 (bookworm)". */
  name: string;
  platform: string;
  arch: string;
}

/** Reads /etc/os-release the way systemd documents it: KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) fields[match[1]!] = match[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  return fields;
}

export function detectOs(options: { platform?: string; arch?: string; osRelease?: string | undefined } = {}): OsInfo {
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  if (platform === 'darwin') return { family: 'macos', name: 'macOS', platform, arch };
  if (platform === 'win32') return { family: 'windows', name: 'Windows', platform, arch };
  if (platform !== 'linux') return { family: 'other', name: platform, platform, arch };
  const text = options.osRelease ?? readOsRelease();
  const fields = parseOsRelease(text ?? '');
  const ids = [fields.ID ?? '', ...(fields.ID_LIKE ?? '').split(/\s+/)].filter(Boolean);
  const family = familyOf(ids);
  return {
    family,
    name: fields.PRETTY_NAME ?? fields.NAME ?? 'Linux',
    platform,
    arch,
    ...(fields.ID ? { id: fields.ID } : {}),
    ...(fields.VERSION_ID ? { version: fields.VERSION_ID } : {}),
  };
}

function readOsRelease(): string | undefined {
  for (const file of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      // try the next one
    }
  }
  return undefined;
}

function familyOf(ids: readonly string[]): OsFamily {
  const is = (...names: string[]) => ids.some((id) => names.includes(id));
  if (is('debian', 'ubuntu')) return 'debian';
  if (is('fedora', 'rhel', 'centos')) return 'fedora';
  if (is('arch')) return 'arch';
  if (is('alpine')) return 'alpine';
  if (is('suse', 'opensuse')) return 'suse';
  return 'linux';
}

export type InstallableTool = 'git' | 'docker' | 'buildx' | 'helm' | 'kubectl' | 'terraform';

const PAGES: Readonly<Record<InstallableTool, string>> = {
  git: 'https://git-scm.com/downloads',
  docker: 'https://docs.docker.com/engine/install/',
  buildx: 'https://docs.docker.com/build/install-buildx/',
  helm: 'https://helm.sh/docs/intro/install/',
  kubectl: 'https://kubernetes.io/docs/tasks/tools/',
  terraform: 'https://developer.hashicorp.com/terraform/install',
};

/**
 * The system's own command for each tool, where its packages are current enough. Debian and Ubuntu ship no helm and
 * only an old kubectl, and terraform is in no distribution's main repository since its licence change: those go to
 * the vendor's page, which sets up its repository for each system.
 */
const COMMANDS: Readonly<Partial<Record<OsFamily, Partial<Record<InstallableTool, string>>>>> = {
  macos: {
    git: 'xcode-select --install',
    docker: 'brew install --cask docker   (Docker Desktop, with buildx)',
    buildx: 'brew install docker-buildx',
    helm: 'brew install helm',
    kubectl: 'brew install kubectl',
    terraform: 'brew tap hashicorp/tap && brew install hashicorp/tap/terraform',
  },
  debian: {
    git: 'sudo apt-get install -y git',
    docker: 'sudo apt-get install -y docker.io',
    buildx:
      "sudo apt-get install -y docker-buildx   (Debian 13+, Ubuntu 24.04+; older releases: Docker's own repository)",
  },
  fedora: {
    git: 'sudo dnf install -y git',
    docker: 'sudo dnf install -y moby-engine && sudo systemctl enable --now docker',
    helm: 'sudo dnf install -y helm',
  },
  arch: {
    git: 'sudo pacman -S git',
    docker: 'sudo pacman -S docker docker-buildx && sudo systemctl enable --now docker',
    buildx: 'sudo pacman -S docker-buildx',
    helm: 'sudo pacman -S helm',
    kubectl: 'sudo pacman -S kubectl',
  },
  alpine: {
    git: 'sudo apk add git',
    docker: 'sudo apk add docker docker-cli-buildx && sudo rc-update add docker && sudo service docker start',
    buildx: 'sudo apk add docker-cli-buildx',
    helm: 'sudo apk add helm',
  },
  suse: {
    git: 'sudo zypper install -y git',
    docker: 'sudo zypper install -y docker && sudo systemctl enable --now docker',
    helm: 'sudo zypper install -y helm',
  },
};

/** What to run (or read) to install `tool` here, in one line. */
export function installHint(tool: InstallableTool, os: OsInfo = detectOs()): string {
  if ((tool === 'helm' || tool === 'kubectl') && pinnedToolsRunHere(os.platform, os.arch))
    return `${deckhand('tools', 'install')}   (the pinned helm 4 and kubectl 1.34 deckhand is tested with, into .deckhand/bin)`;
  const command = hasPackage(tool, os) ? COMMANDS[os.family]?.[tool] : undefined;
  return command ? `${command}   (${os.name}; more: ${PAGES[tool]})` : `see ${PAGES[tool]} (${os.name})`;
}

/** Debian has docker-buildx from 13 (trixie) on, Ubuntu from 24.04; older releases need Docker's own repository. */
function hasPackage(tool: InstallableTool, os: OsInfo): boolean {
  if (tool !== 'buildx' || os.family !== 'debian') return true;
  const major = Number(os.version?.split('.')[0] ?? 0);
  return os.id === 'ubuntu' ? major >= 24 : os.id === 'debian' ? major >= 13 : false;
}

/** A prerequisite check's line for a tool that is missing or does not run, with how to install it here. */
export function toolProblem(probe: { name: string; reason: string; missing: boolean }): string {
  const what = probe.missing ? 'is not installed (not on PATH)' : `does not run (${probe.reason})`;
  const installable = (Object.keys(PAGES) as string[]).includes(probe.name);
  return `${probe.name} ${what}: ${installable ? installHint(probe.name as InstallableTool) : "see the README's prerequisites"}`;
}
