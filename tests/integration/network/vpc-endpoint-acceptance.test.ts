import { DescribeVpcEndpointsCommand } from '@aws-sdk/client-ec2';
import { installRealism, type RealismHandle } from '../../../local/realism';
import type { VendorAcceptance } from '../../../local/realism/profiles';
import { testConfig } from '../../helpers/config';
import { useLocalStack } from '../../helpers/local-stack';
import { fullRequest, leftoversOf, statesEntered } from '../../helpers/workflow';
import { buildNetwork, ec2, run } from './network-helpers';

/**
 * V9: an interface endpoint to the vendor's service becomes available only once the vendor accepts its connection.
 * One the vendor has not accepted stays `pendingAcceptance` (it never times out into `available`); waiting the
 * state machine's 15 minutes for it only delays the failure. The realism layer's world plays a vendor that does not
 * accept (`vendorEndpointServices.acceptance`).
 */
describe('V9: an endpoint the vendor has not accepted is reported at once, by name, saying what to ask the vendor', () => {
  const stack = useLocalStack();
  let realism: RealismHandle | undefined;
  const vendorThat = (acceptance: VendorAcceptance) => (realism = installRealism({ profile: 'instant', seed: 1, overrides: { vendorEndpointServices: { acceptance } } }));
  afterEach(() => realism?.uninstall());

  it.each([
    ['pendingAcceptance', /is pendingAcceptance: the vendor has not accepted its connection/],
    ['rejected', /was rejected by the vendor's endpoint service/],
  ] as const)('V9: CheckVpcEndpoint fails at its first check with VpcEndpointNotAcceptedError on a %s endpoint, and the undo deletes it', async (acceptance, why) => {
    vendorThat(acceptance);
    const id = `accept-${acceptance.toLowerCase()}`;
    const state = await buildNetwork(testConfig({ network: { vpcEndpoint: { enabled: true } } }, id), 'CreateVpcEndpoint');
    expect(state.vpcEndpoint).toMatchObject({ state: acceptance });

    await expect(run('CheckVpcEndpoint', state)).rejects.toMatchObject({
      name: 'VpcEndpointNotAcceptedError',
      message: expect.stringMatching(new RegExp(`${why.source}.*Ask Zilliz to allow account 123456789012 on com\\.amazonaws\\.vpce\\.us-west-2\\.vpce-svc-0654fb016640c364a`)),
    });

    const vpcEndpointId = state.vpcEndpoint!.vpcEndpointId;
    expect(await run('DeleteVpcEndpoint', state)).toEqual({ deleted: [vpcEndpointId], notFound: [] });
    const [after] = (await ec2().send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [vpcEndpointId] }))).VpcEndpoints!;
    expect(after.State?.toLowerCase()).toBe('deleted');
  });

  it('V9, V10: a provisioning whose endpoint stays pendingAcceptance fails with VpcEndpointNotAcceptedError after one check, not at the 15-minute deadline, and rolls back to nothing', async () => {
    vendorThat('pendingAcceptance');
    const record = await stack.run('byoc-provision', fullRequest('accept-workflow'), { name: 'accept-workflow' });
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('VpcEndpointNotAcceptedError');
    expect(JSON.parse(record.cause!).errorMessage).toMatch(/^CheckVpcEndpoint: VPC endpoint vpce-\S+ to \S+ is pendingAcceptance/);
    const entered = statesEntered(record.history);
    expect(entered.filter((n) => n === 'CheckVpcEndpoint')).toHaveLength(1);
    // Only the first wait (the endpoint's typical time to become available), never the polling wait after it.
    expect(entered.filter((n) => n.startsWith('WaitVpcEndpoint'))).toEqual(['WaitVpcEndpointTypical']);
    expect(entered).not.toContain('CreatePrivateDns');
    expect((await leftoversOf('accept-workflow')).resources).toEqual([]);
  }, 120_000);
});
