import { K8S_LABELS } from '#core/kubernetes/labels';

/**
 * What the admission server and the Kubernetes objects that call it must agree on: the webhook paths,
 * the namespace labels it reads, the injected initContainer. The generated manifests
 * (libs/sandbox/src/kubernetes/deploy-manifests.ts) and the server both import these.
 */
export const ADMISSION_MODES = ['enforce', 'warn'] as const;
export type AdmissionMode = (typeof ADMISSION_MODES)[number];
export type AdmissionKind = 'validate' | 'mutate';

/** Namespace labels the webhook reads. */
export const ADMISSION_LABELS = {
  mode: 'quarantine.io/admission-mode',
  sandbox: K8S_LABELS.sandbox,
} as const;

/** `/admission/validate`, `/admission/mutate/warn`…: the mode rides in the path (service.path cannot carry a query). */
export function admissionPath(kind: AdmissionKind, mode?: AdmissionMode): string {
  return mode ? `/admission/${kind}/${mode}` : `/admission/${kind}`;
}
export const ADMISSION_REVIEW_ROUTE = /^\/admission\/(validate|mutate)(?:\/(warn|enforce))?$/;
export const ADMISSION_VERDICTS_PREFIX = '/admission/verdicts/';
export const ADMISSION_HEALTH_PATH = '/admission/healthz';

/** The initContainer the mutating webhook injects, and the program it runs from the Quarantine image. */
export const INIT_CONTAINER_NAME = 'quarantine-verdict-check';
export const VERDICT_CHECK_PROGRAM = 'dist/libs/admission/src/verdict-check.js';
