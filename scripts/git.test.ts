import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeRunner } from '../test/support/fake-runner.ts';
import * as git from './git.ts';

describe('git argv and the work tree', () => {
  it('reads the commit, the status including untracked files, and the origin URL', () => {
    assert.deepEqual(git.headArgs(), ['git', 'rev-parse', 'HEAD']);
    assert.deepEqual(git.statusArgs(), ['git', 'status', '--porcelain', '--untracked-files=normal']);
    assert.deepEqual(git.remoteUrlArgs(), ['git', 'remote', 'get-url', 'origin']);
  });

  it('says the tree is dirty, naming the changes, and turns the remote into a public https URL', async () => {
    const shell = fakeRunner((command) => {
      if (command === 'git rev-parse HEAD') return { stdout: '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d\n' };
      if (command.startsWith('git status')) return { stdout: ' M tasks.ts\n?? notes.txt\n' };
      return { stdout: 'git@github.com:me/project.git\n' };
    });
    assert.deepEqual(await git.workTreeState(shell, '/repo'), {
      commit: '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d',
      shortCommit: '1a2b3c4',
      dirty: true,
      changes: ['tasks.ts', 'notes.txt'],
      sourceUrl: 'https://github.com/me/project',
    });
    assert.equal(git.toHttpsUrl('https://user:secret@github.com/me/project.git'), 'https://github.com/me/project');
    assert.equal(git.toHttpsUrl('file:///srv/repo'), undefined);
  });
});
