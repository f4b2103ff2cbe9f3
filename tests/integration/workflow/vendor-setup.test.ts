import { GetRoleCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, DeleteBucketPolicyCommand, DeleteObjectCommand, GetBucketTaggingCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { iamClient, s3Client } from '../../../shared/aws/clients';
import { updateRoleOidc } from '../../../shared/iam/oidc';
import type { ProvisioningOutputs } from '../../../shared/state';
import { outputOf, useLocalStack } from '../../helpers/local-stack';
import { fullRequest, leftoversOf, namesOf, REGION, teardownRequest } from '../../helpers/workflow';

const iam = () => iamClient({ region: REGION });
const s3 = () => s3Client({ region: REGION });
const trustOf = async (roleName: string) => decodeURIComponent((await iam().send(new GetRoleCommand({ RoleName: roleName }))).Role!.AssumeRolePolicyDocument!);

/** The whole customer-side setup as the vendor's console needs it (S1, S2, X1, C1), through both workflows. */
describe('the vendor-side setup through the workflows', () => {
  const stack = useLocalStack();

  it('keeps a bucket that holds objects at teardown, says so, and deletes it once it is empty (S1: teardown never deletes data)', async () => {
    const out = outputOf<ProvisioningOutputs>(await stack.run('byoc-provision', fullRequest('vs-keep')));
    // moto evaluates the TLS-only bucket policy and sees the local endpoint's plain HTTP as aws:SecureTransport=false:
    // lift the policy to write the object the database would write over TLS.
    await s3().send(new DeleteBucketPolicyCommand({ Bucket: out.bucketName }));
    await s3().send(new PutObjectCommand({ Bucket: out.bucketName, Key: 'milvus/segment-1', Body: 'data' }));

    const teardown = await stack.run('byoc-teardown', teardownRequest('vs-keep'));
    expect(teardown.status).toBe('SUCCEEDED');
    const result = JSON.parse(teardown.output!) as { kept: { type: string; id: string; detail: string }[]; message: string; deleted: Record<string, unknown> };
    expect(result.kept).toEqual([{ type: 'S3 bucket', id: out.bucketName, detail: expect.stringContaining('holds objects') }]);
    expect(result.message).toContain(`Kept on purpose: S3 bucket ${out.bucketName}`);
    expect(result.deleted.bucket).toMatchObject({ deleted: [], kept: [{ bucketName: out.bucketName, reason: expect.any(String) }] });
    // The data is still there; everything else is gone.
    await expect(s3().send(new HeadBucketCommand({ Bucket: out.bucketName }))).resolves.toBeDefined();
    expect((await leftoversOf('vs-keep')).resources).toEqual([]);

    // Once the customer empties it, the next teardown deletes it.
    await s3().send(new DeleteObjectCommand({ Bucket: out.bucketName, Key: 'milvus/segment-1' }));
    const again = await stack.run('byoc-teardown', teardownRequest('vs-keep'), { name: 'vs-keep--teardown-2' });
    expect(again.status).toBe('SUCCEEDED');
    expect(JSON.parse(again.output!).kept).toEqual([]);
    await expect(s3().send(new HeadBucketCommand({ Bucket: out.bucketName }))).rejects.toThrow();
  });

  it('uses the customer\'s existing bucket without changing it, and never deletes it (S1)', async () => {
    await s3().send(new CreateBucketCommand({ Bucket: 'customer-own-data', CreateBucketConfiguration: { LocationConstraint: REGION } }));
    const out = outputOf<ProvisioningOutputs>(await stack.run('byoc-provision', fullRequest('vs-existing', { bucket: { name: 'customer-own-data', existing: true } })));
    expect(out).toMatchObject({ bucketName: 'customer-own-data', bucketManaged: false });
    expect(out.vendorApi.bucketId).toBe('customer-own-data');
    // Not tagged by us: we changed nothing on it.
    await expect(s3().send(new GetBucketTaggingCommand({ Bucket: 'customer-own-data' }))).rejects.toThrow();

    const teardown = await stack.run('byoc-teardown', teardownRequest('vs-existing', { bucketName: 'customer-own-data' }));
    expect(teardown.status).toBe('SUCCEEDED');
    await expect(s3().send(new HeadBucketCommand({ Bucket: 'customer-own-data' }))).resolves.toBeDefined();
    expect((await leftoversOf('vs-existing', { ...namesOf('vs-existing'), bucketName: 'customer-own-data' })).resources).toEqual([]);
  });

  it('keeps the real OIDC issuer in the EKS and storage roles when the provisioning runs again after update-oidc (R1, S2)', async () => {
    const names = namesOf('vs-oidc');
    outputOf(await stack.run('byoc-provision', fullRequest('vs-oidc')));
    expect(await trustOf(names.storageRoleName)).toContain('oidc-provider/eks_oidc_url');

    await updateRoleOidc(
      { provisioningId: 'vs-oidc', region: REGION, roleName: names.eksRoleName, storageRoleName: names.storageRoleName, oidcIssuerUrl: 'https://oidc.eks.us-west-2.amazonaws.com/id/FEED' },
      { iam: iam() },
    );
    for (const role of [names.eksRoleName, names.storageRoleName]) expect(await trustOf(role)).toContain('oidc.eks.us-west-2.amazonaws.com/id/FEED');

    // A re-run (a retry, a redeploy of the custom resource) with no issuer in the request.
    outputOf(await stack.run('byoc-provision', fullRequest('vs-oidc')));
    for (const role of [names.eksRoleName, names.storageRoleName]) {
      const trust = await trustOf(role);
      expect(trust).toContain('oidc.eks.us-west-2.amazonaws.com/id/FEED');
      expect(trust).not.toContain('eks_oidc_url');
    }
  });
});
