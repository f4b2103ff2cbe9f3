import { FaultSpecError, formatFaultSpec, matchesOperation, parseFaultSpec } from '../../../local/realism/fault-spec';

describe('the fault spec (--faults)', () => {
  it('reads every kind, with rates, @N and operation patterns', () => {
    const rules = parseFaultSpec('CreateNatGateway:lose-response, *:throttle=0.1,Create*:error5xx=0.25@2,CreateVpc:fail,DescribeVpcs:timeout,GetChange:delay=30@1');
    expect(rules).toEqual([
      { text: 'CreateNatGateway:lose-response', operation: 'CreateNatGateway', kind: 'lose-response', rate: 1, nth: undefined },
      { text: '*:throttle=0.1', operation: '*', kind: 'throttle', rate: 0.1, nth: undefined },
      { text: 'Create*:error5xx=0.25@2', operation: 'Create*', kind: 'error5xx', rate: 0.25, nth: 2 },
      { text: 'CreateVpc:fail', operation: 'CreateVpc', kind: 'fail', rate: 1, nth: undefined },
      { text: 'DescribeVpcs:timeout', operation: 'DescribeVpcs', kind: 'timeout', rate: 1, nth: undefined },
      { text: 'GetChange:delay=30@1', operation: 'GetChange', kind: 'delay', rate: 1, nth: 1, seconds: 30 },
    ]);
    expect(formatFaultSpec(rules)).toBe('CreateNatGateway:lose-response,*:throttle=0.1,Create*:error5xx=0.25@2,CreateVpc:fail,DescribeVpcs:timeout,GetChange:delay=30@1');
  });

  it('reads an empty or missing spec as no faults', () => {
    expect(parseFaultSpec(undefined)).toEqual([]);
    expect(parseFaultSpec('  ')).toEqual([]);
  });

  it.each([
    ['CreateVpc', 'fault entry 1 "CreateVpc" has no ":"'],
    ['CreateVpc:explode', 'unknown fault "explode"; expected one of fail, throttle[=RATE]'],
    ['createVpc:fail', '"createVpc" is not an operation'],
    ['Create-Vpc:fail', '"Create-Vpc" is not an operation'],
    ['CreateVpc:fail,,DescribeVpcs:fail', 'fault entry 2 "" is empty'],
    ['CreateVpc:throttle=2', 'rate "2" must be a number in (0, 1]'],
    ['CreateVpc:throttle=0', 'rate "0" must be a number in (0, 1]'],
    ['CreateVpc:error5xx=lots', 'rate "lots" must be a number in (0, 1]'],
    ['CreateVpc:delay', 'delay needs seconds'],
    ['CreateVpc:delay=-1', 'delay needs seconds'],
    ['CreateVpc:fail=0.5', 'fail takes no value'],
    ['CreateVpc:throttle@0', '"@0" must be @N'],
    ['CreateVpc:lose-response@2', 'lose-response takes no @N'],
    ['DescribeVpcs:fail,CreateVpc:oops', 'fault entry 2 "CreateVpc:oops": unknown fault "oops"'],
  ])('refuses %j, naming the bad part', (spec, message) => {
    expect(() => parseFaultSpec(spec)).toThrow(FaultSpecError);
    expect(() => parseFaultSpec(spec)).toThrow(message);
  });

  it('matches an operation exactly, by prefix, or all of them', () => {
    expect(matchesOperation('CreateVpc', 'CreateVpc')).toBe(true);
    expect(matchesOperation('CreateVpc', 'CreateVpcEndpoint')).toBe(false);
    expect(matchesOperation('Create*', 'CreateVpcEndpoint')).toBe(true);
    expect(matchesOperation('Create*', 'DeleteVpc')).toBe(false);
    expect(matchesOperation('*', 'GetChange')).toBe(true);
  });
});
