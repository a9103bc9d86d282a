import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readSettings, withSettings } from './tfvars.ts';

describe('the cluster settings in terraform.tfvars', () => {
  it('reads the string settings and leaves every other line alone when one is replaced or added', () => {
    const text = 'cluster_label = "deckhand"\nregion        = "us-east"  # Newark\nnode_min  = 1\n';
    assert.deepEqual(readSettings(text), { region: 'us-east' });
    assert.equal(
      withSettings(text, { region: 'us-ord', node_type: 'g6-standard-2' }),
      'cluster_label = "deckhand"\nregion = "us-ord"\nnode_min  = 1\nnode_type = "g6-standard-2"\n',
    );
  });

  it('a new file says where it came from and that the token does not belong in it', () => {
    const text = withSettings('', { region: 'us-ord' });
    assert.match(text, /^# Written by `tasks\.ts setup`/);
    assert.match(text, /The Linode token does NOT belong here/);
    assert.deepEqual(readSettings(text), { region: 'us-ord' });
  });
});
