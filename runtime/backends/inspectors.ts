import type { InspectorModule } from './shared/inspection.js';

/**
 * The inspector of each persistent backend, loaded only when the `cachier`
 * command needs that backend (a server backend's module loads its driver,
 * an optional peer). Each lives in its backend's folder, built on that
 * backend's own layout, codec and claim format.
 */
export const inspectors: Readonly<Record<string, () => Promise<InspectorModule>>> = {
  file: () => import('./file/inspector.js'),
  mongo: () => import('./mongo/inspector.js'),
  redis: () => import('./redis/inspector.js'),
  postgres: () => import('./postgres/inspector.js'),
  s3: () => import('./s3/inspector.js'),
};
