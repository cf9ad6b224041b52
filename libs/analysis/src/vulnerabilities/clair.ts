import { Collector, type Obj, type ParseLimits, digestIn, obj, optStr, severityOf, str } from './collector.js';
import { type NormalizedVulnerabilityReport, VulnerabilityReportError } from './types.js';

/**
 * Clair v4's `VulnerabilityReport` (GET /matcher/api/v1/vulnerability_report/{manifest_hash}):
 * `manifest_hash`; `packages` (id → {name, version}); `vulnerabilities` (id → {name,
 * normalized_severity, fixed_in_version, description}); `package_vulnerabilities` (package id →
 * vulnerability ids). Each (package, vulnerability) pair is one finding.
 */
export function parseClair(doc: Obj, digest: string, limits: ParseLimits, receivedAt: string): NormalizedVulnerabilityReport {
  const c = new Collector(limits);
  c.names(digestIn(doc.manifest_hash, 'manifest_hash'), 'manifest_hash');
  const packages = obj(doc.packages ?? {}, 'packages');
  const vulns = obj(doc.vulnerabilities ?? {}, 'vulnerabilities');
  const pairs = obj(doc.package_vulnerabilities ?? {}, 'package_vulnerabilities');
  for (const pkgId of Object.keys(pairs)) {
    const list = pairs[pkgId];
    if (!Array.isArray(list)) throw new VulnerabilityReportError(`package_vulnerabilities.${pkgId.slice(0, 64)}`, 'must be an array of vulnerability ids');
    const pkgField = `packages.${pkgId.slice(0, 64)}`;
    if (!Object.hasOwn(packages, pkgId)) throw new VulnerabilityReportError(pkgField, 'is named in package_vulnerabilities but missing from packages');
    const pkg = obj(packages[pkgId], pkgField);
    const name = str(pkg.name, `${pkgField}.name`);
    const version = optStr(pkg.version, `${pkgField}.version`) ?? '';
    list.forEach((vid, i) => {
      c.tick('package_vulnerabilities');
      const idField = `package_vulnerabilities.${pkgId.slice(0, 64)}[${i}]`;
      if (typeof vid !== 'string') throw new VulnerabilityReportError(idField, 'must be a vulnerability id (string)');
      const vField = `vulnerabilities.${vid.slice(0, 64)}`;
      if (!Object.hasOwn(vulns, vid)) throw new VulnerabilityReportError(vField, 'is named in package_vulnerabilities but missing from vulnerabilities');
      const v = obj(vulns[vid], vField);
      const description = optStr(v.description, `${vField}.description`);
      c.add({
        id: str(v.name, `${vField}.name`),
        package: name,
        installedVersion: version,
        fixedVersion: optStr(v.fixed_in_version, `${vField}.fixed_in_version`),
        severity: severityOf(v.normalized_severity, `${vField}.normalized_severity`),
        ...(description ? { title: description } : {}),
      });
    });
  }
  return c.finish('clair', digest, { receivedAt });
}
