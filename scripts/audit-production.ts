// `npm run audit`, part of `npm test`: the production dependencies' known vulnerabilities, from
// `npm audit --omit=dev`. High or critical fails. A registry without the audit endpoint (this
// project's machines reach a mirror that answers it 405) cannot be asked: that is said loudly,
// never taken for a pass in silence (docs/reliability.md).
import { spawnSync } from 'node:child_process';

const result = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8' });
interface AuditReport {
  statusCode?: number;
  uri?: string;
  metadata?: { vulnerabilities?: Record<string, number> };
  vulnerabilities?: Record<string, { severity: string; range: string }>;
}
let report: AuditReport;
try {
  report = JSON.parse(result.stdout) as AuditReport;
} catch {
  console.error(`npm audit printed no report:\n${result.stdout}${result.stderr}`);
  process.exit(1);
}
if (report.statusCode !== undefined && report.uri?.includes('/security/')) {
  console.warn(
    `npm audit: NOT CHECKED — the registry answered ${report.statusCode} to its audit endpoint (${report.uri}).\n` +
      'Run `npm run audit` on a network where the registry answers audits before a release.',
  );
  process.exit(0);
}
const counts = report.metadata?.vulnerabilities;
if (!counts) {
  console.error(`npm audit gave no counts: ${result.stdout.slice(0, 500)}`);
  process.exit(1);
}
const serious = (counts.high ?? 0) + (counts.critical ?? 0);
for (const [name, v] of Object.entries(report.vulnerabilities ?? {})) {
  if (v.severity === 'high' || v.severity === 'critical') console.error(`${v.severity}: ${name} ${v.range}`);
}
console.log(`npm audit (production dependencies): ${JSON.stringify(counts)}`);
process.exit(serious > 0 ? 1 : 0);
