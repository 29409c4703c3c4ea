/**
 * Azure's units of measure ("1 Hour", "1 GB/Month", "10K", "100 RU/s") in FOCUS's UnitFormat
 * (specification/attributes/unit_format.md of FOCUS 1.2): plural units ("Hours"), a unit over time
 * as `<unit>-<plural time units>` ("GB-Months"), a rate as `<plural units>/<singular time unit>`
 * ("RU/Second"), a block of units with its whole-number quantity ("10000 Units"). A unit this
 * cannot read is given as Azure wrote it (UnitFormat is a SHOULD); the raw unit is kept beside it
 * in `x_PricingUnitDescription` either way.
 */

const TIME: Readonly<Record<string, string>> = {
  second: 'Second',
  seconds: 'Second',
  s: 'Second',
  sec: 'Second',
  minute: 'Minute',
  minutes: 'Minute',
  min: 'Minute',
  hour: 'Hour',
  hours: 'Hour',
  hr: 'Hour',
  hrs: 'Hour',
  h: 'Hour',
  day: 'Day',
  days: 'Day',
  month: 'Month',
  months: 'Month',
  mo: 'Month',
  year: 'Year',
  years: 'Year',
};

const DATA = new Map(
  ['b', 'B', 'Kb', 'KB', 'Mb', 'MB', 'Gb', 'GB', 'Tb', 'TB', 'Pb', 'PB', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'].map((u) => [
    u.toLowerCase(),
    u,
  ]),
);

/** Count units FOCUS lists, and the plural of other nouns Azure uses. */
const COUNT: Readonly<Record<string, string>> = {
  unit: 'Units',
  units: 'Units',
  count: 'Count',
  request: 'Requests',
  requests: 'Requests',
  transaction: 'Transactions',
  transactions: 'Transactions',
  operation: 'Operations',
  operations: 'Operations',
  message: 'Messages',
  messages: 'Messages',
  token: 'Tokens',
  tokens: 'Tokens',
  connection: 'Connections',
  connections: 'Connections',
  call: 'Calls',
  calls: 'Calls',
  event: 'Events',
  events: 'Events',
  user: 'Users',
  users: 'Users',
  license: 'Licenses',
  licenses: 'Licenses',
  certificate: 'Certificates',
  domain: 'Domains',
  core: 'Cores',
  cores: 'Cores',
  vcore: 'vCores',
  vcores: 'vCores',
  ru: 'RU',
  dtu: 'DTU',
  dtus: 'DTU',
  node: 'Nodes',
  nodes: 'Nodes',
  instance: 'Instances',
  instances: 'Instances',
  image: 'Images',
  images: 'Images',
  character: 'Characters',
  characters: 'Characters',
};

const plural = (time: string) => `${time}s`;

/** A single unit word: a data size, a time or a count, in FOCUS's spelling; undefined when unknown. */
function word(text: string): { kind: 'data' | 'time' | 'count'; unit: string } | undefined {
  const key = text.toLowerCase();
  const data = DATA.get(key);
  if (data) return { kind: 'data', unit: data };
  if (TIME[key]) return { kind: 'time', unit: TIME[key] };
  if (COUNT[key]) return { kind: 'count', unit: COUNT[key] };
  return undefined;
}

const cache = new Map<string, string | null>();

/** An Azure unit in FOCUS's UnitFormat; null for an empty unit. */
export function focusUnit(azure: string): string | null {
  let unit = cache.get(azure);
  if (unit === undefined) {
    unit = convert(azure.trim());
    if (cache.size < 10_000) cache.set(azure, unit);
  }
  return unit;
}

function convert(text: string): string | null {
  if (text === '') return null;
  const m = /^(\d+(?:\.\d+)?)?\s*([KM](?=\s|$))?\s*(.*)$/.exec(text)!;
  const factor = (m[1] ? Number(m[1]) : 1) * (m[2] === 'K' ? 1000 : m[2] === 'M' ? 1_000_000 : 1);
  const rest = m[3]!.trim();
  let base: string | undefined;
  if (rest === '') base = 'Units';
  else {
    const [left = '', right] = rest.split('/').map((s) => s.trim());
    const l = left === '' ? undefined : word(left);
    if (right === undefined) {
      base = l === undefined ? undefined : l.kind === 'time' ? plural(l.unit) : l.unit;
    } else {
      const r = word(right);
      if (r?.kind === 'time') {
        if (left === '') base = `Units/${r.unit}`;
        // Stored or used over a time: GB per month is GB-Months; a rate of requests is Requests/Second.
        else if (l?.kind === 'data' && r.unit !== 'Second') base = `${l.unit}-${plural(r.unit)}`;
        else if (l) base = `${l.unit}/${r.unit}`;
      }
    }
  }
  if (base === undefined || !Number.isInteger(factor)) return text;
  return factor === 1 ? base : `${factor} ${base}`;
}
