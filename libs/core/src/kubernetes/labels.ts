/**
 * Labels on the Kubernetes objects Quarantine creates (sandbox namespaces and what is in them). Shared by
 * the Kubernetes runtime (libs/sandbox), the admission policy (libs/admission) and the generated deploy
 * manifests, so all three agree.
 */
export const K8S_LABELS = {
  sandbox: 'quarantine.io/sandbox',
  analysisId: 'quarantine.io/analysis-id',
  environment: 'quarantine.io/environment',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;
