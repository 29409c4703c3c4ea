import { execFile, execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { DAILY_RATED_COLUMNS } from '../src/domain/line-schema.js';
import { ROOT } from './bench-file.js';

export const CONNECTIONS = 50;

/** A daily-rated file with one line for each of `customers` customers of `partner`. */
export function writeCustomersFile(dir: string, customers: number, partner: string): string {
  const file = path.join(dir, `customers-${customers}.csv`);
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
  const lines = [DAILY_RATED_COLUMNS.join(',')];
  for (let i = 0; i < customers; i++) {
    const values: Record<string, string> = {
      PartnerId: partner,
      PartnerName: 'Bench Partner',
      CustomerId: `${hex(i, 8)}-0000-4000-8000-000000000000`,
      CustomerName: `Customer ${i}`,
      SubscriptionId: `${hex(i, 8)}-1111-4000-8000-000000000000`,
      UsageDate: '2026-10-01',
      MeterId: 'DZH318Z0BNVX-005J',
      MeterName: 'Data Transfer In',
      Quantity: '1.5',
      BillingPreTaxTotal: `${i}.123456789012`,
      BillingCurrency: i % 3 === 0 ? 'EUR' : 'USD',
      PricingPreTaxTotal: `${i}.12345`,
      PricingCurrency: 'USD',
      EntitlementId: `${hex(i, 8)}-2222-4000-8000-000000000000`,
      ResourceURI: `/subscriptions/x/resourceGroups/rg/vm-${i}`,
    };
    lines.push(DAILY_RATED_COLUMNS.map((c) => values[c] ?? '').join(','));
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

export interface Load {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

/** autocannon in its own process (asynchronous: servers under load may run in this one). */
export async function autocannon(
  url: string,
  token: string,
  seconds: number,
  connections = CONNECTIONS,
): Promise<Load> {
  const { stdout } = await promisify(execFile)(
    path.join(ROOT, 'node_modules/.bin/autocannon'),
    ['-c', String(connections), '-d', String(seconds), '-j', '-H', `Authorization=Bearer ${token}`, url],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const r = JSON.parse(stdout) as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
  };
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.non2xx + r.errors };
}

/**
 * wrk (C, from Debian's packages) in its own process, one thread. It needs far less CPU than
 * autocannon for the same load, which matters where the servers and the load share two cores.
 * Installed with apt-get when missing and this runs as root; otherwise a clear error.
 */
export async function wrk(url: string, token: string, seconds: number, connections = CONNECTIONS): Promise<Load> {
  ensureWrk();
  const { stdout } = await promisify(execFile)(
    'wrk',
    ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-H', `Authorization: Bearer ${token}`, url],
    { encoding: 'utf8' },
  );
  const number = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? 0);
  const millis = (percent: number) => {
    const m = new RegExp(`^\\s+${percent}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(stdout);
    if (!m) throw new Error(`no ${percent}% latency in wrk's output: ${stdout}`);
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2] as 'us' | 'ms' | 's'];
  };
  return {
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    p50: millis(50),
    p99: millis(99),
    errors: number(/Non-2xx or 3xx responses: (\d+)/) + number(/Socket errors: connect (\d+)/),
  };
}

let wrkChecked = false;
function ensureWrk(): void {
  if (wrkChecked) return;
  if (spawnSync('wrk', ['--version']).error) {
    if (process.getuid?.() !== 0) throw new Error('this benchmark needs wrk: apt-get install wrk');
    console.error('installing wrk (apt-get install wrk) …');
    execFileSync('sh', ['-c', 'apt-get install -y wrk || (apt-get update && apt-get install -y wrk)'], {
      stdio: 'ignore',
    });
  }
  wrkChecked = true;
}

/** CPU seconds a process has used so far (Linux: /proc/<pid>/stat utime + stime). */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ = 100)
}

/**
 * Caps a process at `cores` of CPU time (a CFS quota in a cgroup of its own, v2 or v1's cpu
 * controller), as if it ran on a machine of that size: API nodes behind a load balancer each
 * have their own cores, while here every server shares two with the load generator. Returns
 * a function that lifts the cap, or undefined where cgroups cannot be written (not root).
 */
export function capCpu(pid: number, cores: number): (() => void) | undefined {
  const period = 20_000; // µs: a short period keeps a capped server from stalling for long (latency)
  const quota = Math.round(cores * period);
  const v2 = '/sys/fs/cgroup';
  const v1 = '/sys/fs/cgroup/cpu';
  const layouts = [
    // cgroup v2 with the cpu controller enabled for children of the root
    {
      root: v2,
      usable: () => readable(`${v2}/cgroup.subtree_control`).split(/\s+/).includes('cpu'),
      set: (dir: string) => fs.writeFileSync(`${dir}/cpu.max`, `${quota} ${period}`),
    },
    {
      root: v1,
      usable: () => fs.existsSync(`${v1}/cpu.cfs_quota_us`),
      set: (dir: string) => {
        fs.writeFileSync(`${dir}/cpu.cfs_period_us`, String(period));
        fs.writeFileSync(`${dir}/cpu.cfs_quota_us`, String(quota));
      },
    },
  ];
  const layout = layouts.find((l) => l.usable());
  if (!layout) return undefined;
  const dir = `${layout.root}/partner-usage-bench-${pid}`;
  try {
    fs.mkdirSync(dir, { recursive: true });
    layout.set(dir);
    fs.writeFileSync(`${dir}/cgroup.procs`, String(pid));
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return () => {
    try {
      fs.writeFileSync(`${layout.root}/cgroup.procs`, String(pid)); // back to the root group
    } catch {
      // the process has ended: its group is empty
    }
    fs.rmdirSync(dir);
  };
}

const readable = (file: string): string => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};
