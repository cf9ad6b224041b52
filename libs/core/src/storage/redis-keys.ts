/** Every Redis key Quarantine writes, in one place. */
export const KEY_PREFIX = 'q:';
export const Keys = {
  analysis: (id: string) => `${KEY_PREFIX}analysis:${id}`,
  /** Sorted set of analysis ids scored by creation time (ms): newest-first listing. */
  analysesByTime: `${KEY_PREFIX}analyses`,
  verdict: (digest: string) => `${KEY_PREFIX}verdict:${digest}`,
  apiKey: (hash: string) => `${KEY_PREFIX}apikey:${hash}`,
  apiKeyIndex: `${KEY_PREFIX}apikeys`,
  cancelChannel: `${KEY_PREFIX}cancel`,
  /** Pub/sub: a digest whose verdict was just written (admission caches drop it). */
  verdictChannel: `${KEY_PREFIX}verdict-updated`,
  /** Admission: analyses it enqueued, by digest or reference (deduplication, with a TTL). */
  admissionPending: (key: string) => `${KEY_PREFIX}admission:pending:${key}`,
  /** Admission: hash namespace → JSON {mode, sandbox}, learnt from Namespace AdmissionReviews. */
  admissionNamespaces: `${KEY_PREFIX}admission:namespaces`,
} as const;
