import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allStates } from '../../local/engine';
import { deadlineChecks, elapsedAtCheck, nextWaitSeconds, WAIT_POLICIES, withWaitPolicy, type WaitPolicyName } from '../../shared/waiting';

const asl = JSON.parse(readFileSync(join(__dirname, '..', '..', 'statemachine', 'provision.asl.json'), 'utf8'));
const states = new Map(allStates(asl) as [string, Record<string, unknown>][]);

/** The three wait loops of the provision workflow (V6, V9, V10), by policy. */
const LOOPS: Record<WaitPolicyName, { create: string; check: string; choice: string; status: string; wait: string; timeout: string }> = {
  natGateway: { create: 'CreateNatGateway', check: 'CheckNatGateway', choice: 'IsNatGatewayReady', status: 'natGatewayStatus', wait: 'WaitNatGateway', timeout: 'NatGatewayTimeout' },
  vpcEndpoint: { create: 'CreateVpcEndpoint', check: 'CheckVpcEndpoint', choice: 'IsVpcEndpointReady', status: 'vpcEndpointStatus', wait: 'WaitVpcEndpoint', timeout: 'VpcEndpointTimeout' },
  privateDnsChange: { create: 'CreatePrivateDns', check: 'CheckPrivateDnsChange', choice: 'IsPrivateDnsChangeReady', status: 'privateDnsStatus', wait: 'WaitPrivateDnsChange', timeout: 'PrivateDnsChangeTimeout' },
};

describe('the waiting policy (decision 27)', () => {
  describe.each(Object.entries(LOOPS) as [WaitPolicyName, (typeof LOOPS)[WaitPolicyName]][])('the %s loop in provision.asl.json', (name, loop) => {
    const policy = WAIT_POLICIES[name];

    it('waits the typical time once after the create, before the first check (no check that cannot succeed on AWS)', () => {
      expect(states.get(loop.create)!.Next).toBe(`${loop.wait}Typical`);
      expect(states.get(`${loop.wait}Typical`)).toMatchObject({ Type: 'Wait', Seconds: policy.firstWaitSeconds, Next: loop.check });
    });

    it('then waits what the check step computed (SecondsPath), and gives up at the check count the policy derives from its deadline', () => {
      expect(states.get(loop.wait)).toMatchObject({ Type: 'Wait', SecondsPath: `$.${loop.status}.nextWaitSeconds`, Next: loop.check });
      const choice = states.get(loop.choice) as { Choices: Record<string, unknown>[]; Default: string };
      expect(choice.Default).toBe(loop.wait);
      expect(choice.Choices).toContainEqual({ Variable: `$.${loop.status}.checks`, NumericGreaterThanEquals: deadlineChecks(policy), Next: loop.timeout });
      expect(elapsedAtCheck(policy, deadlineChecks(policy))).toBeGreaterThanOrEqual(policy.deadlineSeconds);
      expect(elapsedAtCheck(policy, deadlineChecks(policy) - 1)).toBeLessThan(policy.deadlineSeconds);
      expect(String((states.get(loop.timeout) as { Cause?: string }).Cause)).toContain(`${deadlineChecks(policy)} checks`);
    });
  });

  it.each(Object.keys(WAIT_POLICIES) as WaitPolicyName[])('%s: a resource ready at any time before the deadline is seen at most 8% (or the minimum poll) later', (name) => {
    const policy = WAIT_POLICIES[name];
    for (let readyAt = policy.firstWaitSeconds; readyAt < policy.deadlineSeconds; readyAt += 0.5) {
      let checks = 1;
      while (elapsedAtCheck(policy, checks) < readyAt) checks++;
      const late = elapsedAtCheck(policy, checks) - readyAt;
      expect({ readyAt, late: late <= Math.max(policy.minPollSeconds, Math.min(policy.maxPollSeconds, Math.round(policy.pollFraction * readyAt) + 1)) }).toEqual({ readyAt, late: true });
    }
  });

  it('checks a NAT gateway at most 11 times in its usual two minutes, an endpoint 17 times in three, a Route 53 change 11 times in one (the cost side of the policy)', () => {
    const checksUntil = (name: WaitPolicyName, seconds: number) => {
      let checks = 1;
      while (elapsedAtCheck(WAIT_POLICIES[name], checks) < seconds) checks++;
      return checks;
    };
    expect(checksUntil('natGateway', 120)).toBeLessThanOrEqual(11);
    expect(checksUntil('vpcEndpoint', 180)).toBeLessThanOrEqual(17);
    expect(checksUntil('privateDnsChange', 60)).toBeLessThanOrEqual(11);
  });

  it('counts the checks in the state and hands the next wait to the state machine', () => {
    const first = withWaitPolicy(undefined, { ready: false }, WAIT_POLICIES.natGateway);
    expect(first).toEqual({ ready: false, checks: 1, nextWaitSeconds: nextWaitSeconds(WAIT_POLICIES.natGateway, 1) });
    expect(first.nextWaitSeconds).toBe(5); // 8% of the 55 s waited (4.4), raised to the 5 s minimum
    const later = withWaitPolicy({ checks: 20 }, { ready: false }, WAIT_POLICIES.natGateway);
    expect(later.checks).toBe(21);
    expect(later.nextWaitSeconds).toBeGreaterThan(first.nextWaitSeconds);
    expect(later.nextWaitSeconds).toBeLessThanOrEqual(WAIT_POLICIES.natGateway.maxPollSeconds);
  });
});
