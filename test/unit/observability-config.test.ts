import { loadConfig } from '../../infra/config';
import { createLogger, logLevelFromEnv, temporalLogger } from '../../infra/logger';
import { otlpTracesUrl, tracingFromEnv } from '../../infra/tracing';

describe('observability settings', () => {
  it('is off by default: info logs, no API metrics, no worker metrics, no tracing', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ logLevel: 'info', metricsEnabled: false, temporalMetricsAddress: undefined });
    expect(tracingFromEnv({}, 'tradeguard')).toBeUndefined();
    expect(tracingFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }, 'tradeguard')).toBeUndefined();
  });

  it('reads LOG_LEVEL, METRICS_ENABLED and TEMPORAL_METRICS_ADDRESS', () => {
    expect(loadConfig({ LOG_LEVEL: 'DEBUG', METRICS_ENABLED: 'true', TEMPORAL_METRICS_ADDRESS: '0.0.0.0:9464' })).toMatchObject({
      logLevel: 'debug',
      metricsEnabled: true,
      temporalMetricsAddress: '0.0.0.0:9464',
    });
    expect(loadConfig({ METRICS_ENABLED: '0' }).metricsEnabled).toBe(false);
    expect(logLevelFromEnv({}, 'silent')).toBe('silent');
  });

  it('refuses values it cannot use, naming the variable', () => {
    expect(() => loadConfig({ LOG_LEVEL: 'verbose' })).toThrow(/LOG_LEVEL=verbose/);
    expect(() => loadConfig({ METRICS_ENABLED: 'yes please' })).toThrow(/METRICS_ENABLED/);
    expect(() => loadConfig({ TEMPORAL_METRICS_ADDRESS: '9464' })).toThrow(/TEMPORAL_METRICS_ADDRESS=9464 is not host:port/);
    expect(() => loadConfig({ TEMPORAL_METRICS_ADDRESS: 'localhost:70000' })).toThrow(/TEMPORAL_METRICS_ADDRESS/);
  });

  it('sends spans to the collector’s OTLP/HTTP traces path', () => {
    expect(otlpTracesUrl('http://collector:4318')).toBe('http://collector:4318/v1/traces');
    expect(otlpTracesUrl('http://collector:4318/')).toBe('http://collector:4318/v1/traces');
  });
});

describe('the Temporal Runtime logger', () => {
  it('writes JSON lines with the SDK’s metadata, one run id name, and errors with their stack', () => {
    const lines: string[] = [];
    const logger = temporalLogger(createLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(l) } }));
    logger.debug('Activity completed', { workflowId: 'order:PO-1', workflowRunId: 'run-1', activityType: 'recordOrderChange', [Symbol('ts')]: 1n });
    logger.error('Activity failed', { workflowId: 'order:PO-1', error: new Error('database down') });
    logger.trace('below the level', {});
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed).toHaveLength(2);
    expect(parsed[0]).toMatchObject({ level: 'debug', msg: 'Activity completed', workflowId: 'order:PO-1', runId: 'run-1', activityType: 'recordOrderChange' });
    expect(parsed[0]).not.toHaveProperty('workflowRunId');
    expect(parsed[1]).toMatchObject({ level: 'error', msg: 'Activity failed', err: { message: 'database down' } });
    expect(parsed[1].err.stack).toContain('Error: database down');
  });

  it('redacts API keys and card numbers passed along in objects', () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (l: string) => void lines.push(l) } });
    logger.info({ headers: { authorization: 'Bearer tg_secret', 'x-api-key': 'tg_secret2' }, body: { card: { number: '4242424242424242' } } }, 'careless');
    expect(lines.join('')).not.toMatch(/tg_secret|4242424242424242/);
    expect(JSON.parse(lines[0])).toMatchObject({ headers: { authorization: '[redacted]', 'x-api-key': '[redacted]' }, body: { card: '[redacted]' } });
  });
});
