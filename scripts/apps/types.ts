/**
 * The app registry's types. An app is declared once, as data, in its own file; every command reads that entry.
 * Adding a third app is adding one file and one line in index.ts.
 */

/** One value an app needs at run time, stored in its Kubernetes Secret. */
export interface AppInput {
  key: string;
  description: string;
  /** Shown in prompts and errors as an example of a valid value. */
  example: string;
  /** Sensitive values are masked everywhere, asked with a hidden prompt, and never repeated in errors. */
  sensitive: boolean;
  /** Returns what is expected when the value is invalid (never echo a sensitive value). */
  validate?: (value: string) => string | undefined;
}

/** An image deckhand builds from this repository and pushes. */
export interface AppImage {
  /** Last path segment of the repository: <IMAGE_REGISTRY>/<IMAGE_OWNER>/<name>. */
  name: string;
  /** Relative to the project root. */
  dockerfile: string;
  /** Build context, relative to the project root. */
  context: string;
  /** Nodes on LKE are amd64: always build for it, also on an Apple Silicon laptop. */
  platform: 'linux/amd64';
  /** A package.json whose `version` becomes an image tag beside `sha-<commit>`. */
  versionFile?: string;
}

/** One of a service's images, and where the roll-out puts it (by digest, in memory: the manifests keep placeholders). */
export interface ServiceImage extends AppImage {
  /** The Deployment whose pod template runs it. */
  deployment: string;
  /** The container in that pod template. */
  container: string;
}

interface AppBase {
  name: string;
  description: string;
  /** Namespace the app runs in (overridable with --namespace). */
  namespace: string;
  secret: {
    /**
     * Name of the Kubernetes Secret that holds the inputs. A Job app's runs each get their own (`<release>-inputs`);
     * for them this is the Secret that runs made before per-run inputs shared, which releases and uninstall still
     * recognise (and delete with the last of those runs).
     */
    name: string;
    /** Local file (git-ignored) read after the environment, e.g. `.env.caelundas`. */
    envFile: string;
    inputs: readonly AppInput[];
    /** Checks across inputs (e.g. END_DATE >= START_DATE), run when each input is valid on its own. */
    crossCheck?: (values: Readonly<Record<string, string>>) => string[];
  };
}

/** A batch workload: each run is a Helm release of the kubernetes-job chart whose output is copied back. */
export interface JobApp extends AppBase {
  kind: 'job';
  image: AppImage;
  chart: {
    /** Relative to the project root. */
    path: string;
    /** Applied in order (later files win), relative to the project root. */
    valuesFiles: readonly string[];
  };
  output: {
    /** Where the Job writes its files inside the container (the PVC's mount path). */
    mountPath: string;
  };
}

/** A PostgreSQL database that a service's manifests run in its namespace, reached by `db connect | psql | dump`. */
export interface AppDatabase {
  /** Labels of its pods (the Deployment's pod template). */
  selector: Readonly<Record<string, string>>;
  container: string;
  /** The container port Postgres listens on. */
  port: number;
  user: string;
  name: string;
  /** The Secret key holding the password, which is also the app input kept in the app's env file. */
  passwordKey: string;
}

/** A long-running web service rolled out from plain manifests with kubectl. */
export interface ServiceApp extends AppBase {
  kind: 'service';
  /** Built and pushed on every roll-out (skipped when the registry has the commit's image); the first is the main one. */
  images: readonly ServiceImage[];
  /** Folder of manifests (applied server-side, in dependency order), relative to the project root. */
  manifests: string;
  /** Every Deployment in the manifests: the roll-out watches those it changes. */
  deployments: readonly string[];
  /** Its database, when it runs one (must match the manifests: test/addons checks). */
  database?: AppDatabase;
  /** Deployments the others need (the database): rolled out, and ready, before the rest is applied. */
  readyFirst: readonly string[];
}

export type AppDefinition = JobApp | ServiceApp;
