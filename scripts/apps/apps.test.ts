import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SECRET_KEY, isDnsLabel } from '../lib/names.ts';
import { UsageError } from '../lib/errors.ts';
import { APPS, findApp, findJobApp, findServiceApp, imageRepository, imagesOf } from './index.ts';
import { wppBot } from './wpp-bot.ts';
import { caelundas } from './caelundas.ts';
import { isoDate, numberInRange } from './validators.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

function validate(key: string, value: string): string | undefined {
  return caelundas.secret.inputs.find((input) => input.key === key)!.validate!(value);
}

describe('the app registry', () => {
  it('declares caelundas as a job and wpp-bot as a service, with unique names', () => {
    assert.deepEqual(
      APPS.map((app) => [app.name, app.kind]),
      [
        ['caelundas', 'job'],
        ['wpp-bot', 'service'],
      ],
    );
    assert.equal(new Set(APPS.map((app) => app.name)).size, APPS.length);
  });

  it('gives every app a valid namespace, Secret name and Secret keys', () => {
    for (const app of APPS) {
      assert.ok(isDnsLabel(app.namespace), `${app.name} namespace`);
      assert.ok(isDnsLabel(app.secret.name), `${app.name} secret name`);
      assert.match(app.secret.envFile, /^\.env\.[a-z0-9-]+$/, `${app.name} env file is git-ignored by the .env.* rule`);
      for (const input of app.secret.inputs) assert.match(input.key, SECRET_KEY);
      for (const image of imagesOf(app)) assert.equal(image.platform, 'linux/amd64', `${app.name}: ${image.name}`);
    }
  });

  it('points job apps at a chart and values files that exist', () => {
    for (const app of APPS) {
      if (app.kind !== 'job') continue;
      assert.ok(existsSync(path.join(REPO_ROOT, app.chart.path, 'Chart.yaml')), `${app.chart.path}/Chart.yaml`);
      for (const file of app.chart.valuesFiles) assert.ok(existsSync(path.join(REPO_ROOT, file)), file);
    }
  });

  it('builds each service image from a Dockerfile and version file that exist, into a Deployment it declares', () => {
    for (const app of APPS) {
      if (app.kind !== 'service') continue;
      assert.ok(app.images.length > 0);
      assert.equal(new Set(app.images.map((image) => image.name)).size, app.images.length, 'image names are unique');
      for (const image of app.images) {
        assert.ok(existsSync(path.join(REPO_ROOT, image.dockerfile)), image.dockerfile);
        assert.ok(existsSync(path.join(REPO_ROOT, image.versionFile!)), image.versionFile);
        assert.ok(app.deployments.includes(image.deployment), `${image.name} goes into ${image.deployment}`);
      }
      for (const name of app.readyFirst) assert.ok(app.deployments.includes(name), `${name} is one of the Deployments`);
    }
    assert.deepEqual(
      wppBot.images.map((image) => [image.name, `${image.deployment}/${image.container}`]),
      [
        ['wpp-bot', 'wpp-bot/wpp-bot'],
        ['wpp-bot-dashboard', 'dashboard/dashboard'],
      ],
    );
  });

  it('marks the caelundas location as sensitive and the dates as not', () => {
    const sensitive = Object.fromEntries(caelundas.secret.inputs.map((input) => [input.key, input.sensitive]));
    assert.deepEqual(sensitive, { START_DATE: false, END_DATE: false, LATITUDE: true, LONGITUDE: true });
  });

  it('names the image <registry>/<owner>/<app>, and nothing without an owner', () => {
    assert.equal(imageRepository(caelundas.image, { registry: 'ghcr.io', owner: 'me' }), 'ghcr.io/me/caelundas');
    assert.equal(imageRepository(caelundas.image, { registry: 'ghcr.io' }), undefined);
  });

  it('suggests the closest app for a typo and refuses the wrong kind, saying which commands fit it', () => {
    assert.throws(
      () => findApp('caelundsa'),
      (error: unknown) => error instanceof UsageError && error.fix!.includes('Did you mean "caelundas"?'),
    );
    assert.throws(() => findApp(undefined), UsageError);
    assert.throws(
      () => findJobApp('wpp-bot', 'uninstall'),
      (error: unknown) =>
        error instanceof UsageError &&
        /"uninstall" works on batch Job apps \(their runs\); wpp-bot is a service/.test(error.message) &&
        /For a service: status, rollback, restart and logs/.test(error.fix!),
    );
    assert.equal(findJobApp('caelundas', 'deploy').name, 'caelundas');
    assert.throws(
      () => findServiceApp('caelundas', 'status'),
      (error: unknown) =>
        error instanceof UsageError &&
        /"status" works on services \(Deployments\); caelundas is a batch Job app/.test(error.message) &&
        /Services: wpp-bot\./.test(error.fix!),
    );
    assert.equal(findServiceApp('wpp-bot', 'status').name, 'wpp-bot');
  });
});

describe('caelundas input validators', () => {
  it('accepts real ISO dates only', () => {
    assert.equal(isoDate('2026-01-01'), undefined);
    assert.equal(isoDate('2028-02-29'), undefined);
    for (const bad of ['2026-02-30', '2027-02-29', '2026-13-01', '26-01-01', '2026/01/01', '2026-1-1', ''])
      assert.ok(isoDate(bad), bad);
  });

  it('bounds latitude to [-90, 90] and longitude to [-180, 180], inclusive', () => {
    assert.equal(validate('LATITUDE', '-90'), undefined);
    assert.equal(validate('LATITUDE', '90'), undefined);
    assert.equal(validate('LATITUDE', '40.7128'), undefined);
    assert.match(validate('LATITUDE', '90.0001')!, /between -90 and 90/);
    assert.equal(validate('LONGITUDE', '-180'), undefined);
    assert.match(validate('LONGITUDE', '180.5')!, /between -180 and 180/);
    for (const bad of ['abc', '1e3', '40,7', '', 'NaN', 'Infinity']) assert.ok(numberInRange(-90, 90)(bad), bad);
  });

  it('requires END_DATE on or after START_DATE', () => {
    const check = caelundas.secret.crossCheck!;
    assert.deepEqual(check({ START_DATE: '2026-01-01', END_DATE: '2026-01-01' }), []);
    assert.deepEqual(check({ START_DATE: '2026-01-02', END_DATE: '2026-01-01' }), [
      'END_DATE must be on or after START_DATE (got 2026-01-02 → 2026-01-01)',
    ]);
  });
});
