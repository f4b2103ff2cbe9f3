import { backendFlagsOf } from '../../../local/cli/options';
import { PROFILES, resolveProfile } from '../../../local/realism';

describe('turning IAM enforcement on and off (issue 11)', () => {
  it('is on in realistic and chaos, off in instant, and an override turns it on for fast tests', () => {
    expect([PROFILES.instant.iam, PROFILES.realistic.iam, PROFILES.chaos.iam]).toEqual([false, true, true]);
    expect(resolveProfile('instant', { iam: true }).iam).toBe(true);
    expect(resolveProfile('realistic', { iam: false }).iam).toBe(false);
  });

  it('takes --iam on|off on the command line and refuses anything else, naming the option', () => {
    expect(backendFlagsOf({ iam: 'off' }).iam).toBe('off');
    expect(backendFlagsOf({ iam: 'on' }).iam).toBe('on');
    expect(backendFlagsOf({}).iam).toBeUndefined();
    expect(() => backendFlagsOf({ iam: 'maybe' })).toThrow(/--iam must be on or off, got "maybe"/);
  });
});
