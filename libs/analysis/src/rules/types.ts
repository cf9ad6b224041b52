/** Public types of the rule engine (re-exported by rules/index.ts). */
export type Priority = 'emergency' | 'alert' | 'critical' | 'error' | 'warning' | 'notice' | 'informational' | 'debug';

export interface RuleSource {
  /** File name shown in reports (e.g. `sandbox-profiles/rules/containers.yaml`). */
  name: string;
  text: string;
}

export interface LoadItemReport {
  kind: 'rule' | 'macro' | 'list' | 'required_engine_version' | 'required_plugin_versions' | 'unknown';
  name: string;
  file: string;
  /** 1-based line and column in `file` (of the item, or of the error inside it). */
  line?: number;
  column?: number;
  status: 'loaded' | 'skipped' | 'error';
  reason?: string;
}

export interface RuleMatch {
  rule: string;
  priority: Priority;
  tags: string[];
  output: string;
}
