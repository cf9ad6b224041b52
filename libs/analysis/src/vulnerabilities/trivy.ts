import { Collector, type Obj, type ParseLimits, digestIn, obj, optArr, optObj, optStr, severityOf, str, timestampOf } from './collector.js';
import { type NormalizedVulnerabilityReport, VulnerabilityReportError } from './types.js';

/**
 * Trivy's JSON report (`trivy image --format json`), schema version 2: `Metadata.ImageID` and
 * `Metadata.RepoDigests` name the image; `Results[].Vulnerabilities[]` carry `VulnerabilityID`,
 * `PkgName`, `InstalledVersion`, `FixedVersion` (possibly a comma-separated list) and `Severity`
 * (`CRITICAL` … `UNKNOWN`). A result with no vulnerabilities has no (or a null) list.
 */
export function parseTrivy(doc: Obj, digest: string, limits: ParseLimits, receivedAt: string): NormalizedVulnerabilityReport {
  if (doc.SchemaVersion !== 2) throw new VulnerabilityReportError('SchemaVersion', `must be 2 (Trivy's current JSON schema), got ${JSON.stringify(doc.SchemaVersion)?.slice(0, 40)}`);
  const c = new Collector(limits);
  const meta = optObj(doc.Metadata, 'Metadata');
  if (meta) {
    c.names(digestIn(meta.ImageID, 'Metadata.ImageID'), 'Metadata.ImageID');
    optArr(meta.RepoDigests, 'Metadata.RepoDigests').forEach((d, i) => c.names(digestIn(d, `Metadata.RepoDigests[${i}]`), 'Metadata.RepoDigests'));
  }
  const results = optArr(doc.Results, 'Results');
  results.forEach((r, i) => {
    const result = obj(r, `Results[${i}]`);
    const list = optArr(result.Vulnerabilities, `Results[${i}].Vulnerabilities`);
    list.forEach((v, j) => {
      const field = `Results[${i}].Vulnerabilities[${j}]`;
      c.tick(`Results[${i}].Vulnerabilities`);
      const vuln = obj(v, field);
      const title = optStr(vuln.Title, `${field}.Title`);
      c.add({
        id: str(vuln.VulnerabilityID, `${field}.VulnerabilityID`),
        package: str(vuln.PkgName, `${field}.PkgName`),
        installedVersion: optStr(vuln.InstalledVersion, `${field}.InstalledVersion`) ?? '',
        fixedVersion: optStr(vuln.FixedVersion, `${field}.FixedVersion`),
        severity: severityOf(vuln.Severity, `${field}.Severity`),
        ...(title ? { title } : {}),
      });
    });
  });
  return c.finish('trivy', digest, { generatedAt: timestampOf(doc.CreatedAt), receivedAt });
}
