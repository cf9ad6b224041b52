import { Collector, type Obj, type ParseLimits, arr, digestIn, obj, optArr, optObj, optStr, severityOf, str } from './collector.js';
import type { NormalizedVulnerabilityReport } from './types.js';

/**
 * Grype's JSON report (`grype <image> -o json`): `matches[]` of `{vulnerability{id, severity,
 * fix{versions[], state}}, artifact{name, version}}`; `descriptor{name, version}` names the tool;
 * `source.target` (for images) names `imageID`, `manifestDigest` and `repoDigests`.
 */
export function parseGrype(doc: Obj, digest: string, limits: ParseLimits, receivedAt: string): NormalizedVulnerabilityReport {
  const c = new Collector(limits);
  const source = optObj(doc.source, 'source');
  const target = source && source.type === 'image' ? optObj(source.target, 'source.target') : undefined;
  if (target) {
    c.names(digestIn(target.manifestDigest, 'source.target.manifestDigest'), 'source.target.manifestDigest');
    c.names(digestIn(target.imageID, 'source.target.imageID'), 'source.target.imageID');
    optArr(target.repoDigests, 'source.target.repoDigests').forEach((d, i) => c.names(digestIn(d, `source.target.repoDigests[${i}]`), 'source.target.repoDigests'));
  }
  const descriptor = optObj(doc.descriptor, 'descriptor');
  arr(doc.matches, 'matches').forEach((m, i) => {
    const field = `matches[${i}]`;
    c.tick('matches');
    const match = obj(m, field);
    const vuln = obj(match.vulnerability, `${field}.vulnerability`);
    const artifact = obj(match.artifact, `${field}.artifact`);
    const fix = optObj(vuln.fix, `${field}.vulnerability.fix`);
    const versions = fix ? optArr(fix.versions, `${field}.vulnerability.fix.versions`) : [];
    const fixed = versions.slice(0, 5).map((v, k) => optStr(v, `${field}.vulnerability.fix.versions[${k}]`)).filter((v): v is string => !!v);
    const description = optStr(vuln.description, `${field}.vulnerability.description`);
    c.add({
      id: str(vuln.id, `${field}.vulnerability.id`),
      package: str(artifact.name, `${field}.artifact.name`),
      installedVersion: optStr(artifact.version, `${field}.artifact.version`) ?? '',
      fixedVersion: fixed.length ? fixed.join(', ').slice(0, 200) : null,
      severity: severityOf(vuln.severity, `${field}.vulnerability.severity`),
      ...(description ? { title: description } : {}),
    });
  });
  return c.finish('grype', digest, { scannerVersion: descriptor ? optStr(descriptor.version, 'descriptor.version') : null, receivedAt });
}
