import type { JobApp } from './types.ts';
import { isoDate, numberInRange } from './validators.ts';

/**
 * caelundas: generates astronomical calendars (.ics files) for a date range and a place on Earth. It runs as a
 * Kubernetes Job; its files land on a PersistentVolumeClaim and are copied back after the run.
 */
export const caelundas: JobApp = {
  name: 'caelundas',
  kind: 'job',
  description:
    'Astronomical calendar generator, run as a batch Job; its .ics output is copied back to output/<cluster>/<namespace>/<release>/files/.',
  namespace: 'caelundas',
  image: {
    name: 'caelundas',
    dockerfile: 'applications/caelundas/Dockerfile',
    context: 'applications/caelundas',
    platform: 'linux/amd64',
    versionFile: 'applications/caelundas/package.json',
  },
  secret: {
    // Runs made before per-run inputs shared this Secret; each run now has its own, <release>-inputs.
    name: 'caelundas-env-secret',
    envFile: '.env.caelundas',
    inputs: [
      {
        key: 'START_DATE',
        description: 'First day of the calendar',
        example: '2026-01-01',
        sensitive: false,
        validate: isoDate,
      },
      {
        key: 'END_DATE',
        description: 'Last day of the calendar (not before START_DATE)',
        example: '2026-12-31',
        sensitive: false,
        validate: isoDate,
      },
      // A latitude/longitude pair usually points at someone's home: treated as sensitive, masked in all output.
      {
        key: 'LATITUDE',
        description: 'Latitude of the observer, in degrees (north positive)',
        example: '40.7128',
        sensitive: true,
        validate: numberInRange(-90, 90),
      },
      {
        key: 'LONGITUDE',
        description: 'Longitude of the observer, in degrees (east positive)',
        example: '-74.0060',
        sensitive: true,
        validate: numberInRange(-180, 180),
      },
    ],
    crossCheck: (values) => {
      const start = values.START_DATE;
      const end = values.END_DATE;
      // ISO dates compare correctly as strings.
      return start && end && end < start ? [`END_DATE must be on or after START_DATE (got ${start} → ${end})`] : [];
    },
  },
  chart: {
    path: 'charts/kubernetes-job',
    valuesFiles: ['charts/kubernetes-job/values/base.yaml', 'charts/kubernetes-job/values/caelundas-production.yaml'],
  },
  output: { mountPath: '/app/output' },
};
