import { startProvisioning } from '../../shared/api/provisionings';
import { fullRequest } from '../helpers/workflow';
import { SCALE, SUITE_TIMEOUT_MS, useReliabilityStack } from './reliability-stack';

/**
 * Issue 13, concurrency: many provisionings at once in one account (50 in CI, 100 in the soak), each with its own
 * names, with AWS's throttling buckets on (realistic profile): all succeed, each one's resources carry only its own
 * ID and refer only to its own resources (census), then all tear down to zero. And two starts of the same ID at the
 * same moment through the service layer start exactly one execution. The wall time is printed (a figure, not a goal).
 */
describe(`concurrency: ${SCALE.concurrent} provisionings at once in one account`, () => {
  // The realistic time scale (AWS / 100): throttling buckets refill on the same scale, so the burst meets them.
  const rel = useReliabilityStack('concurrency', { timeScale: 100, sfnServer: true });
  beforeAll(() => rel.takeReference('cc-reference'), SUITE_TIMEOUT_MS);

  it('all succeed, each with one of each resource carrying only its own ID, and all tear down to zero', async () => {
    const ids = Array.from({ length: SCALE.concurrent }, (_, i) => `cc-${String(i + 1).padStart(3, '0')}`);
    const started = Date.now();
    const records = await Promise.all(ids.map((id) => rel.provision(id)));
    const provisioned = Date.now() - started;
    expect(records.filter((r) => r.status !== 'SUCCEEDED').map((r) => `${r.name}: ${r.error} ${r.cause}`)).toEqual([]);
    const census = await rel.expectOneOfEach(ids);
    // Each one's outputs name only resources tagged with its own ID.
    for (const record of records) {
      const id = JSON.parse(record.input).provisioningId as string;
      const out = JSON.parse(record.output!) as Record<string, unknown>;
      const named = [out.vpcId, out.publicSubnetId, ...(out.privateSubnetIds as string[]), out.securityGroupId, out.natGatewayId, out.vpcEndpointId, out.s3GatewayEndpointId, out.hostedZoneId, out.bucketName];
      const owners = named.map((n) => census.entries.find((e) => e.id === n)?.owner);
      expect({ id, owners: [...new Set(owners)] }).toEqual({ id, owners: [id] });
    }

    const tornStarted = Date.now();
    const teardowns = await Promise.all(ids.map((id) => rel.teardown(id)));
    const tornDown = Date.now() - tornStarted;
    expect(teardowns.filter((r) => r.status !== 'SUCCEEDED').map((r) => `${r.name}: ${r.error} ${r.cause}`)).toEqual([]);
    await rel.expectNothingLeft(ids);
    const counts = rel.stack.realism.counts();
    process.stdout.write(
      `concurrency: ${ids.length} provisionings at once in ${(provisioned / 1000).toFixed(1)} s, their teardowns in ${(tornDown / 1000).toFixed(1)} s ` +
        `(throttled attempts ${counts.throttle ?? 0}, eventual-consistency misses ${counts['eventual-consistency'] ?? 0})\n`,
    );
  }, SUITE_TIMEOUT_MS);

  it('two starts of the same ID at the same moment (service layer) start exactly one execution', async () => {
    const deps = rel.stack.serviceDeps();
    const body = fullRequest('cc-twice');
    const [a, b] = await Promise.allSettled([startProvisioning(body, deps), startProvisioning(body, deps)]);
    const answers = [a, b].map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    // Both answered (the second with the first one's execution), or the loser was told it is running: never two.
    const failures = [a, b].filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as { status?: number; name?: string });
    for (const f of failures) {
      if ((f.status ?? 500) >= 500) rel.counter.counts.serverErrors++;
      expect(f.status).toBe(409);
    }
    const arns = new Set(answers.filter(Boolean).map((s) => s!.executionArn));
    expect(arns.size).toBe(1);
    const executions = rel.stack.store.list('byoc-provision').filter((r) => r.name.startsWith('cc-twice'));
    expect(executions.map((r) => r.name)).toEqual(['cc-twice']);
    rel.counter.counts.provisionings++;
    const done = await rel.stack.engine.runningExecutions.get([...arns][0])?.done;
    expect(rel.checked(done ?? executions[0]).status).toBe('SUCCEEDED');
    expect((await rel.teardown('cc-twice')).status).toBe('SUCCEEDED');
    await rel.expectNothingLeft(['cc-twice']);
  }, SUITE_TIMEOUT_MS);
});
