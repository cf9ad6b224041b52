import { Ajv2020 } from 'ajv/dist/2020.js';

/**
 * JSON Schemas for the hardening objects Quarantine generates (docs/hardening.md). Written for this
 * project (ours, not upstream files):
 * - SECCOMP: the OCI runtime spec's `linux.seccomp` (config-linux.md / schema/config-linux.json:
 *   defaultAction, defaultErrnoRet, architectures, flags, syscalls[names, action, errnoRet, args]),
 *   which is also Docker's profile file format minus Docker's extras (archMap, includes/excludes),
 *   which we do not emit. Unknown fields refused.
 * - SPO: the Security Profiles Operator's SeccompProfile v1beta1 CRD (spec.defaultAction,
 *   architectures, syscalls, flags, baseProfileName), with Kubernetes object metadata.
 * - CILIUM: the parts of a cilium.io/v2 CiliumNetworkPolicy we emit (endpointSelector,
 *   enableDefaultDeny, ingress fromEntities + toPorts, egress toCIDR / toFQDNs / toEntities /
 *   toEndpoints + toPorts with DNS rules), field names and enums from Cilium's CRD.
 * NetworkPolicy is checked against the Kubernetes OpenAPI schema (test/support/k8s-schema.ts).
 */

const ACTIONS = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY'];
const ARCHES = ['SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE', 'SCMP_ARCH_S390', 'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64'];
const OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
const uint32 = { type: 'integer', minimum: 0, maximum: 4294967295 };
const uint64 = { type: 'integer', minimum: 0 };
const syscallName = { type: 'string', pattern: '^[a-z_][a-z0-9_]*$', maxLength: 64 };

const syscallRule = {
  type: 'object',
  additionalProperties: false,
  required: ['names', 'action'],
  properties: {
    names: { type: 'array', minItems: 1, uniqueItems: true, items: syscallName },
    action: { enum: ACTIONS },
    errnoRet: uint32,
    args: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['index', 'value', 'op'], properties: { index: uint32, value: uint64, valueTwo: uint64, op: { enum: OPS } } },
    },
  },
};

export const SECCOMP_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['defaultAction'],
  properties: {
    defaultAction: { enum: ACTIONS },
    defaultErrnoRet: uint32,
    flags: { type: 'array', items: { enum: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] } },
    listenerPath: { type: 'string' },
    listenerMetadata: { type: 'string' },
    architectures: { type: 'array', uniqueItems: true, items: { enum: ARCHES } },
    syscalls: { type: 'array', items: syscallRule },
  },
};

const dnsSubdomain = { type: 'string', maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$' };
const dnsLabel = { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' };
const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
const metadata = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: dnsSubdomain, namespace: dnsLabel, labels: stringMap, annotations: stringMap },
};

export const SPO_SECCOMP_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'security-profiles-operator.x-k8s.io/v1beta1' },
    kind: { const: 'SeccompProfile' },
    metadata,
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['defaultAction'],
      properties: {
        defaultAction: { enum: ACTIONS },
        architectures: { type: 'array', items: { enum: ARCHES } },
        syscalls: { type: 'array', items: syscallRule },
        flags: { type: 'array', items: { type: 'string' } },
        baseProfileName: { type: 'string' },
        listenerPath: { type: 'string' },
        listenerMetadata: { type: 'string' },
        disabled: { type: 'boolean' },
      },
    },
  },
};

const port = { type: 'object', additionalProperties: false, required: ['port'], properties: { port: { type: 'string', pattern: '^([1-9][0-9]{0,4})$' }, endPort: { type: 'integer' }, protocol: { enum: ['TCP', 'UDP', 'SCTP', 'ICMP', 'ICMPv6', 'ANY'] } } };
const fqdn = { type: 'object', additionalProperties: false, minProperties: 1, maxProperties: 1, properties: { matchName: { type: 'string', maxLength: 255, pattern: '^([-a-zA-Z0-9_]+[.]?)+$' }, matchPattern: { type: 'string', maxLength: 255, pattern: '^(([a-zA-Z0-9\\-_]+|\\*)[.]?)+$|^\\*$' } } };
const portRule = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ports: { type: 'array', maxItems: 40, items: port },
    rules: { type: 'object', additionalProperties: false, properties: { dns: { type: 'array', items: fqdn } } },
  },
};
const selector = { type: 'object', additionalProperties: false, properties: { matchLabels: stringMap } };
const ENTITIES = ['all', 'world', 'cluster', 'host', 'remote-node', 'kube-apiserver', 'init', 'health', 'unmanaged', 'none', 'ingress'];

export const CILIUM_POLICY_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'cilium.io/v2' },
    kind: { const: 'CiliumNetworkPolicy' },
    metadata,
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['endpointSelector'],
      properties: {
        endpointSelector: selector,
        enableDefaultDeny: { type: 'object', additionalProperties: false, properties: { ingress: { type: 'boolean' }, egress: { type: 'boolean' } } },
        ingress: {
          type: 'array',
          items: { type: 'object', additionalProperties: false, properties: { fromEntities: { type: 'array', items: { enum: ENTITIES } }, toPorts: { type: 'array', items: portRule } } },
        },
        egress: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              toCIDR: { type: 'array', items: { type: 'string', format: 'cidr' } },
              toFQDNs: { type: 'array', maxItems: 50, items: fqdn },
              toEntities: { type: 'array', items: { enum: ENTITIES } },
              toEndpoints: { type: 'array', items: selector },
              toPorts: { type: 'array', items: portRule },
            },
          },
        },
      },
    },
  },
};

const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addFormat('cidr', /^(?:\d{1,3}(?:\.\d{1,3}){3}\/(?:[0-9]|[12][0-9]|3[0-2])|[0-9a-fA-F:]+\/(?:[0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))$/);
const compiled = {
  seccomp: ajv.compile(SECCOMP_SCHEMA),
  spo: ajv.compile(SPO_SECCOMP_SCHEMA),
  cilium: ajv.compile(CILIUM_POLICY_SCHEMA),
};

/** Problems of `value` against one of the schemas above ([] when valid), as `path: message`. */
export function hardeningSchemaProblems(kind: keyof typeof compiled, value: unknown): string[] {
  const v = compiled[kind];
  return v(value) ? [] : (v.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
}
