/** The API's Prometheus metrics: requests by route and status, records by type, latency. */
import { Exposition, histogramSamples, sample } from '../core/prometheus.js';
import { TOPICS } from '../core/records.js';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

class Histogram {
  readonly counts = new Array<number>(BUCKETS.length).fill(0);
  sum = 0;
  count = 0;
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < BUCKETS.length; i++) if (v <= BUCKETS[i]!) this.counts[i]!++;
  }
}

export class ApiMetrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  readonly accepted: Record<string, number> = { pin: 0, geo: 0, user: 0 };
  readonly duplicates: Record<string, number> = { pin: 0, geo: 0, user: 0 };
  readonly rejected: Record<string, number> = { pin: 0, geo: 0, user: 0, unknown: 0 };
  logUnavailable = 0;
  inFlight = 0;

  constructor(private readonly gauges: () => Record<string, number> = () => ({})) {}

  request(route: string, status: number, seconds: number): void {
    const k = `${route} ${status}`;
    this.requests.set(k, (this.requests.get(k) ?? 0) + 1);
    let h = this.latency.get(route);
    if (!h) this.latency.set(route, (h = new Histogram()));
    h.observe(seconds);
  }

  count(kind: 'accepted' | 'duplicates' | 'rejected', type: string, n = 1): void {
    const m = this[kind];
    m[type] = (m[type] ?? 0) + n;
  }

  requestCount(route: string, status: number): number {
    return this.requests.get(`${route} ${status}`) ?? 0;
  }

  render(): string {
    const out = new Exposition();
    out.family(
      'pinpipe_api_requests_total',
      'counter',
      'HTTP requests by route and status.',
      [...this.requests].map(([k, n]) => {
        const [route, status] = k.split(' ');
        return sample('pinpipe_api_requests_total', n, { route: route!, status: status! });
      }),
    );
    const records: [string, string, Record<string, number>][] = [
      ['pinpipe_api_records_accepted_total', 'Records durably appended to the log, by type.', this.accepted],
      ['pinpipe_api_records_duplicate_total', 'Records answered as duplicates of an accepted idempotency key (not appended again), by type.', this.duplicates],
      ['pinpipe_api_records_rejected_total', 'Records refused with a 4xx (invalid, too large, unauthorized...), by type.', this.rejected],
    ];
    for (const [name, help, m] of records)
      out.family(
        name,
        'counter',
        help,
        [...new Set([...TOPICS, ...Object.keys(m)])].map((t) => sample(name, m[t] ?? 0, { type: t })),
      );
    out.single('pinpipe_api_log_unavailable_total', 'counter', 'Requests answered 503 because the log did not accept the records.', this.logUnavailable);
    out.single('pinpipe_api_requests_in_flight', 'gauge', 'Requests being handled now.', this.inFlight);
    out.family(
      'pinpipe_api_request_duration_seconds',
      'histogram',
      'Time from request start to the response, by route.',
      [...this.latency].flatMap(([route, h]) => histogramSamples('pinpipe_api_request_duration_seconds', { buckets: BUCKETS, ...h }, { route })),
    );
    for (const [name, v] of Object.entries(this.gauges())) out.single(name, 'gauge', null, v);
    return out.text();
  }
}
