/** Every Redis key Quarantine writes, in one place. */
export const KEY_PREFIX = 'q:';
export const Keys = {
  analysis: (id: string) => `${KEY_PREFIX}analysis:${id}`,
  /** Sorted set of analysis ids scored by creation time (ms): newest-first listing. */
  analysesByTime: `${KEY_PREFIX}analyses`,
  verdict: (digest: string) => `${KEY_PREFIX}verdict:${digest}`,
  /** The signed attestation (DSSE envelope JSON) of the digest's admission verdict; expires with it (docs/attestations.md). */
  attestation: (digest: string) => `${KEY_PREFIX}attestation:${digest}`,
  apiKey: (hash: string) => `${KEY_PREFIX}apikey:${hash}`,
  apiKeyIndex: `${KEY_PREFIX}apikeys`,
  cancelChannel: `${KEY_PREFIX}cancel`,
  watch: (id: string) => `${KEY_PREFIX}watch:${id}`,
  /** Sorted set of watch ids scored by creation time (ms). */
  watches: `${KEY_PREFIX}watches`,
  /** List of a watch's runs (JSON), newest first. */
  watchRuns: (id: string) => `${KEY_PREFIX}watch-runs:${id}`,
  /** One analysis per scheduler tick: SET NX of tick → analysis id. */
  watchTick: (id: string, tick: string) => `${KEY_PREFIX}watch-tick:${id}:${tick}`,
  webhook: (id: string) => `${KEY_PREFIX}webhook:${id}`,
  webhooks: `${KEY_PREFIX}webhooks`,
  delivery: (id: string) => `${KEY_PREFIX}delivery:${id}`,
  deliveryAttempts: (id: string) => `${KEY_PREFIX}delivery-attempts:${id}`,
  /** Sorted set of a subscription's delivery ids by creation time. */
  webhookDeliveries: (webhookId: string) => `${KEY_PREFIX}webhook-deliveries:${webhookId}`,
  /** Dead-letter list: delivery ids that exhausted their attempts, scored by time. */
  deadLetters: `${KEY_PREFIX}webhooks:dead`,
  ticket: (webhookId: string, repository: string, findingsKey: string) => `${KEY_PREFIX}ticket:${webhookId}:${encodeURIComponent(repository)}:${findingsKey}`,
  /** The latest completed analysis of an image reference (for verdict.changed outside watches). */
  imageLastCompleted: (image: string) => `${KEY_PREFIX}image-last:${image}`,
  /** The same, among analyses that count for admission only (what verdict.changed follows). */
  imageLastAdmission: (image: string) => `${KEY_PREFIX}image-last-admission:${image}`,
  /** Set of finding-set keys with an open ticket for one subscription and image repository. */
  openTickets: (webhookId: string, repository: string) => `${KEY_PREFIX}tickets-open:${webhookId}:${encodeURIComponent(repository)}`,
  /** Pub/sub: a digest whose verdict was just written (admission caches drop it). */
  verdictChannel: `${KEY_PREFIX}verdict-updated`,
  /** Admission: analyses it enqueued, by digest or reference (deduplication, with a TTL). */
  admissionPending: (key: string) => `${KEY_PREFIX}admission:pending:${key}`,
  /** Admission: hash namespace → JSON {mode, sandbox}, learnt from Namespace AdmissionReviews. */
  admissionNamespaces: `${KEY_PREFIX}admission:namespaces`,
  /** Per-owner quota: zset of the owner's active analysis ids (quota.repository.ts). */
  activeAnalyses: (owner: string) => `${KEY_PREFIX}active:${owner}`,
  /** The audit log: a stream trimmed by age (audit.repository.ts). */
  audit: `${KEY_PREFIX}audit`,
  /** Retention: the sweep's lock (one runner across workers) and its last run's summary (JSON). */
  retentionLock: `${KEY_PREFIX}retention:lock`,
  retentionLast: `${KEY_PREFIX}retention:last`,
  /** Vulnerability reports of a digest: hash scanner (trivy|grype|clair) → normalized report (JSON), with a TTL. */
  vulnerabilityReports: (digest: string) => `${KEY_PREFIX}vulns:${digest}`,
  /** Sorted set of digests with vulnerability reports, by last upload (ms): trimmed to a maximum, oldest first. */
  vulnerabilityDigests: `${KEY_PREFIX}vulns`,
  /** A private registry's credential (JSON, secret fields as envelopes), by host[:port] (registry-credential.repository.ts). */
  registryCredential: (host: string) => `${KEY_PREFIX}registry-cred:${host}`,
  /** Sorted set of hosts with a stored credential, scored by last update (ms). */
  registryCredentials: `${KEY_PREFIX}registry-creds`,
  /** Registry push triggers: SET NX of registry/repository@digest → analysis id (one analysis per pushed digest). */
  registryEventSeen: (registry: string, repository: string, digest: string) => `${KEY_PREFIX}registry-event:${registry}/${repository}@${digest}`,
} as const;
