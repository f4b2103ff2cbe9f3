import type { Command } from 'commander';
import { formatAcceptance, localAcceptance } from '../../acceptance';
import { action, EXIT, stateDirOf, type CliContext } from '../context';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('acceptance')
    .summary("the vendor's side, simulated: can its control plane and the Milvus pods do their work with what we built, and nothing more?")
    .description(
      "Simulate, with an IAM policy simulator on the policies AWS holds now, what the vendor does after a provisioning: " +
        'assume the cross-account role (only with the right external ID), pass the EKS role to EKS, update the EKS and storage roles\' ' +
        "trust policies, launch tagged instances into each private subnet with the security group, read the bucket's location, " +
        'and let a Milvus service account use the storage role on our bucket and no other (X1, R4, V7, V8, S1, S2). ' +
        'On the local stack the provisioning was built on (AWS_ENDPOINT_URL wins). Exit 0 every check passes, 1 one fails, 2 usage or no such provisioning.',
    )
    .argument('<ID>', 'the provisioning ID')
    .option('--vendor-principal <ARN>', "the vendor control plane's role (default: the vendor's published one)")
    .option('--service-account <SUB>', 'the Kubernetes service account that uses the storage role', 'system:serviceaccount:milvus-abc:milvus-x')
    .option('--json', 'print the report as JSON')
    .action(
      action(ctx, async (provisioningId: string, opts: { vendorPrincipal?: string; serviceAccount: string; json?: boolean }) => {
        const { io } = ctx;
        const result = await localAcceptance(provisioningId, stateDirOf(), {
          serviceAccount: opts.serviceAccount,
          ...(opts.vendorPrincipal ? { vendorPrincipalArn: opts.vendorPrincipal } : {}),
        });
        if ('refused' in result) {
          io.err(`byoc: ${result.refused}`);
          return EXIT.usage;
        }
        if (opts.json) io.out(JSON.stringify(result.report, null, 2));
        else for (const line of formatAcceptance(result.report)) io.out(line);
        return result.report.pass ? EXIT.ok : EXIT.failed;
      }),
    );
}
