import type { V1Pod } from '@kubernetes/client-node';

/**
 * The kubelet evicted the sandbox pod for ephemeral storage: the sample wrote past its container's
 * `ephemeral-storage` limit (profile `limits.disk`), an emptyDir's `sizeLimit`, or filled the node
 * (kubelet messages: "Pod ephemeral local storage usage exceeds the total limit of containers 1Gi.",
 * "Container sample exceeded its local ephemeral storage limit \"1Gi\".", "Usage of EmptyDir volume
 * \"x\" exceeds the limit \"16Mi\".", "The node was low on resource: ephemeral-storage. …").
 * Returns the kubelet's message, or undefined.
 */
export function ephemeralStorageEviction(pod: V1Pod | undefined): string | undefined {
  const status = pod?.status;
  if (status?.reason !== 'Evicted') return undefined;
  const message = status.message ?? '';
  return /ephemeral[- ](local )?storage|EmptyDir volume/i.test(message) ? message.slice(0, 500) : undefined;
}
