import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareVersions, minorOf } from './check.ts';
import { skewCheck } from './doctor-cluster.ts';
import { judgeTerraformVersion, parseBuildxPlatforms } from './doctor-local.ts';

describe('judging versions', () => {
  it("kubectl within one minor version of the server is fine; further is kubectl's unsupported skew", () => {
    assert.equal(skewCheck('v1.34.5', 'v1.35.0').status, 'ok');
    assert.equal(skewCheck('v1.34.5', 'v1.33.4+lke2').status, 'ok');
    const old = skewCheck('v1.31.0', 'v1.34.2');
    assert.equal(old.status, 'warn');
    assert.match(
      old.message,
      /kubectl v1\.31\.0 is 3 minor versions older than the server \(v1\.34\.2\); kubectl supports one/,
    );
    assert.match(old.fix!, /^Install kubectl 1\.34 \(±1\): /);
    assert.match(
      skewCheck('v1.30.0', 'v1.38.0').fix!,
      /^Install kubectl 1\.38 \(±1\): https:\/\/kubernetes\.io\/docs\/tasks\/tools\/$/,
    );
    assert.match(skewCheck('v1.37.0', 'v1.34.2').message, /3 minor versions newer/);
    assert.deepEqual(minorOf('1.34'), { major: 1, minor: 34 });
    assert.equal(minorOf('unknown'), undefined);
  });

  it('terraform needs 1.9 or newer', () => {
    assert.equal(compareVersions('1.10.0', '1.9.0'), 1);
    assert.equal(compareVersions('1.9.0', '1.9.0'), 0);
    assert.equal(judgeTerraformVersion('1.11.4').status, 'ok');
    assert.equal(judgeTerraformVersion('1.8.5').status, 'fail');
  });

  it("reads buildx's platforms, the current one starred", () => {
    const inspect =
      'Name:   default\nDriver: docker\n\nNodes:\nName:      default\nPlatforms: linux/amd64*, linux/arm64, linux/386\n';
    assert.deepEqual(parseBuildxPlatforms(inspect), ['linux/amd64', 'linux/arm64', 'linux/386']);
    assert.deepEqual(parseBuildxPlatforms('Name: x\n'), []);
  });
});
