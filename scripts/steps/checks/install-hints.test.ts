import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectOs, installHint, parseOsRelease } from './install-hints.ts';

const linux = (osRelease: string, arch = 'x64') => detectOs({ platform: 'linux', arch, osRelease });

describe('install commands for the system in front of us', () => {
  it('reads /etc/os-release and finds the family through ID, then ID_LIKE', () => {
    assert.deepEqual(parseOsRelease('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n'), {
      NAME: 'Ubuntu',
      ID: 'ubuntu',
      ID_LIKE: 'debian',
      VERSION_ID: '24.04',
    });
    assert.equal(linux('ID=ubuntu\nID_LIKE=debian').family, 'debian');
    assert.equal(linux('ID=pop\nID_LIKE="ubuntu debian"').family, 'debian');
    assert.equal(linux('ID=fedora').family, 'fedora');
    assert.equal(linux('ID="rocky"\nID_LIKE="rhel centos fedora"').family, 'fedora');
    assert.equal(linux('ID=arch').family, 'arch');
    assert.equal(linux('ID=alpine').family, 'alpine');
    assert.equal(linux('ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"').family, 'suse');
    assert.equal(linux('ID=nixos').family, 'linux');
    assert.equal(detectOs({ platform: 'darwin', arch: 'arm64' }).family, 'macos');
  });

  it("gives each system's own command, and the vendor's page where its packages fall short", () => {
    const mac = detectOs({ platform: 'darwin', arch: 'arm64' });
    assert.match(installHint('helm', mac), /^brew install helm /);
    assert.match(installHint('terraform', mac), /^brew tap hashicorp\/tap && brew install hashicorp\/tap\/terraform /);
    assert.match(installHint('docker', mac), /^brew install --cask docker/);
    const bookworm = linux('ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"');
    assert.match(installHint('docker', bookworm), /^sudo apt-get install -y docker\.io /);
    assert.match(
      installHint('buildx', bookworm),
      /^see https:\/\/docs\.docker\.com\/build\/install-buildx\/ \(Debian GNU\/Linux 12/,
    );
    assert.match(
      installHint('buildx', linux('ID=ubuntu\nVERSION_ID="24.04"')),
      /^sudo apt-get install -y docker-buildx /,
    );
    assert.match(installHint('terraform', bookworm), /^see https:\/\/developer\.hashicorp\.com\/terraform\/install/);
    assert.match(installHint('git', linux('ID=fedora')), /^sudo dnf install -y git /);
  });

  it('offers tools install for helm and kubectl where the pinned builds run (Linux x86-64), not elsewhere', () => {
    assert.match(installHint('kubectl', linux('ID=debian')), /^npx tsx tasks\.ts tools install /);
    assert.match(installHint('helm', linux('ID=arch', 'arm64')), /^sudo pacman -S helm /);
    assert.match(installHint('kubectl', detectOs({ platform: 'darwin', arch: 'x64' })), /^brew install kubectl /);
  });
});
