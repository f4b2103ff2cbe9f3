import { CreateTagsCommand, DeleteTagsCommand } from '@aws-sdk/client-ec2';
import { GetRoleCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAcceptance, runAcceptance, type AcceptanceReport } from '../../../local/acceptance';
import { main } from '../../../local/cli';
import { ec2Client, iamClient, s3Client } from '../../../shared/aws/clients';
import { TAG_VENDOR_KEY } from '../../../shared/constants';
import { updateRoleOidc } from '../../../shared/iam/oidc';
import type { ProvisioningOutputs } from '../../../shared/state';
import { TEST_EXTERNAL_ID } from '../../helpers/config';
import { outputOf, useLocalStack } from '../../helpers/local-stack';
import { fullRequest, namesOf, REGION } from '../../helpers/workflow';

const deps = () => ({ iam: iamClient({ region: REGION }), ec2: ec2Client({ region: REGION }), s3: s3Client({ region: REGION }) });
const failed = (report: AcceptanceReport) => report.checks.filter((c) => !c.pass).map((c) => `${c.requirement} ${c.description}`);
const decisionOf = (report: AcceptanceReport, description: string) => report.checks.find((c) => c.description === description)?.decision;

/**
 * The vendor's side, simulated with an IAM policy simulator on the policies moto holds after a real provisioning
 * (issue 11; X1, S1, S2, R4, V7, V8): what the vendor's control plane and the Milvus pods will try must be allowed,
 * and nothing more.
 */
describe('vendor-side acceptance', () => {
  const stack = useLocalStack();
  let out: ProvisioningOutputs;

  beforeAll(async () => {
    out = outputOf<ProvisioningOutputs>(await stack.run('byoc-provision', fullRequest('acc-1')));
  });

  it('passes on what we build: the vendor assumes the cross-account role only with the external ID and can do its work (X1, R4, V7, V8, S1)', async () => {
    const report = await runAcceptance(out, deps());
    expect(failed(report)).toEqual([]);
    expect(report.pass).toBe(true);
    expect(decisionOf(report, 'assume the cross-account role with the external ID')).toBe('allowed');
    expect(decisionOf(report, 'assume the cross-account role without an external ID')).toBe('denied');
    expect(decisionOf(report, 'assume the cross-account role with another external ID')).toBe('denied');
    for (const subnetId of out.privateSubnetIds) expect(decisionOf(report, `launch an instance into private subnet ${subnetId}`)).toBe('allowed');
    expect(decisionOf(report, 'pass the EKS role to EKS')).toBe('allowed');
    expect(decisionOf(report, "read the bucket's location")).toBe('allowed');
    // The storage role reads and writes our bucket and nothing in another one, and the TLS-only policy holds (S1, S2).
    expect(decisionOf(report, 'write an object in our bucket')).toBe('allowed');
    expect(decisionOf(report, 'read an object in another bucket')).toBe('denied');
    expect(decisionOf(report, 'write an object in our bucket over plain HTTP (refused by the TLS-only bucket policy)')).toBe('denied');
    // Without the cluster's issuer, no service account can assume the storage role yet: said, not hidden.
    expect(report.skipped).toEqual([expect.stringContaining('no OIDC issuer yet')]);
    expect(formatAcceptance(report)[0]).toMatch(/^Vendor-side acceptance of acc-1: PASS \(\d+\/\d+ checks\)$/);
  });

  it('lets a Milvus service account use the storage role once the OIDC issuer is set, and no other service account (S2)', async () => {
    const names = namesOf('acc-1');
    await updateRoleOidc(
      { provisioningId: 'acc-1', region: REGION, roleName: names.eksRoleName, storageRoleName: names.storageRoleName, oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/FEED' },
      { iam: deps().iam },
    );
    const report = await runAcceptance(out, deps());
    expect(failed(report)).toEqual([]);
    expect(report.skipped).toEqual([]);
    expect(decisionOf(report, 'system:serviceaccount:milvus-abc:milvus-x assumes the storage role')).toBe('allowed');
    expect(decisionOf(report, 'system:serviceaccount:default:someone assumes the storage role')).toBe('denied');
  });

  it('fails on a private subnet without the Vendor tag, naming the subnet (V8)', async () => {
    const subnetId = out.privateSubnetIds[1];
    await deps().ec2.send(new DeleteTagsCommand({ Resources: [subnetId], Tags: [{ Key: TAG_VENDOR_KEY }] }));
    try {
      const report = await runAcceptance(out, deps());
      expect(report.pass).toBe(false);
      expect(failed(report)).toEqual([`V8 launch an instance into private subnet ${subnetId}`]);
      expect(formatAcceptance(report).join('\n')).toContain(`FAIL [V8] cross-account role: launch an instance into private subnet ${subnetId} - ec2:RunInstances denied (expected allowed`);
    } finally {
      await deps().ec2.send(new CreateTagsCommand({ Resources: [subnetId], Tags: [{ Key: TAG_VENDOR_KEY, Value: 'zilliz-byoc' }] }));
    }
  });

  it('fails when the cross-account role trusts another external ID than the one handed to the vendor (X1)', async () => {
    const roleName = namesOf('acc-1').crossAccountRoleName;
    const trust = decodeURIComponent((await deps().iam.send(new GetRoleCommand({ RoleName: roleName }))).Role!.AssumeRolePolicyDocument!);
    await deps().iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: trust.replace(TEST_EXTERNAL_ID, 'cid-someone-else') }));
    try {
      const report = await runAcceptance(out, deps());
      expect(failed(report)).toEqual(['X1 assume the cross-account role with the external ID']);
    } finally {
      await deps().iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: trust }));
    }
  });

  it('byoc acceptance ID: prints every check, exit 0 when all pass and 1 when one fails; 2 for an unknown provisioning', async () => {
    const run = async (argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const previous = process.env.BYOC_STATE_DIR;
      process.env.BYOC_STATE_DIR = mkdtempSync(join(tmpdir(), 'byoc-acceptance-'));
      try {
        const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
        return { code, out, err };
      } finally {
        if (previous === undefined) delete process.env.BYOC_STATE_DIR;
        else process.env.BYOC_STATE_DIR = previous;
      }
    };
    const ok = await run(['acceptance', 'acc-1']);
    expect(ok.err).toEqual([]);
    expect(ok.code).toBe(0);
    expect(ok.out[0]).toMatch(/^Vendor-side acceptance of acc-1: PASS/);
    expect(ok.out).toEqual(expect.arrayContaining([expect.stringMatching(/^ {2}ok {3}\[X1\] vendor control plane: assume the cross-account role with the external ID - sts:AssumeRole allowed$/)]));

    const failing = await run(['acceptance', 'acc-1', '--vendor-principal', 'arn:aws:iam::111122223333:role/impostor']);
    expect(failing.err).toEqual([]);
    expect(failing.code).toBe(1);
    expect(failing.out[0]).toMatch(/: FAIL/);

    const unknown = await run(['acceptance', 'never-made']);
    expect(unknown.code).toBe(2);
    expect(unknown.err.join('\n')).toContain('no provisioning never-made');
  });
});
