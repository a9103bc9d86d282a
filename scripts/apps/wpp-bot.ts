import type { ServiceApp } from './types.ts';
import { minLength, nonEmpty } from './validators.ts';

/**
 * wpp-bot: a long-running WhatsApp bot web service with Postgres and a dashboard, behind Traefik with TLS.
 * Rolled out from plain manifests in k8s/wpp-bot.
 */
export const wppBot: ServiceApp = {
  name: 'wpp-bot',
  kind: 'service',
  description: 'WhatsApp bot web service with Postgres and a dashboard, behind Traefik with TLS.',
  namespace: 'wpp-bot',
  image: {
    name: 'wpp-bot',
    dockerfile: 'applications/wpp-bot/Dockerfile',
    context: 'applications/wpp-bot',
    platform: 'linux/amd64',
    versionFile: 'applications/wpp-bot/package.json',
  },
  secret: {
    name: 'wpp-bot-secret',
    envFile: '.env.wpp-bot',
    inputs: [
      {
        key: 'ELEVENLABS_API_KEY',
        description: 'ElevenLabs API key (text to speech)',
        example: 'sk_…',
        sensitive: true,
        validate: nonEmpty,
      },
      {
        key: 'JWT_SECRET',
        description: 'Key that signs dashboard sessions (32+ random characters)',
        example: 'openssl rand -hex 32',
        sensitive: true,
        validate: minLength(32),
      },
      {
        key: 'POSTGRES_PASSWORD',
        description: 'Password of the wppbot database user',
        example: 'openssl rand -hex 24',
        sensitive: true,
        validate: minLength(16),
      },
    ],
  },
  manifests: 'k8s/wpp-bot',
  deployments: ['wpp-bot', 'postgres', 'dashboard'],
  // k8s/wpp-bot/30-postgres.yaml and the wpp-bot-config ConfigMap (POSTGRES_USER, POSTGRES_DB).
  database: {
    selector: { 'app.kubernetes.io/name': 'postgres', 'app.kubernetes.io/instance': 'wpp-bot' },
    container: 'postgres',
    port: 5432,
    user: 'wppbot',
    name: 'wppbot',
    passwordKey: 'POSTGRES_PASSWORD',
  },
};
