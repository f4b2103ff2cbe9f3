import type { Command } from 'commander';
import { ApiError } from '../../../shared/api/provisionings';
import { backendFor } from '../backend';
import { action, type CliContext } from '../context';
import { addApiOption } from '../options';

export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('update-oidc')
    .summary("R1 and S2 later: put the EKS cluster's OIDC issuer into the EKS and storage roles' trust policies")
    .description("R1 and S2 later: put the EKS cluster's OIDC issuer into the EKS and storage roles' trust policies of a SUCCEEDED provisioning. Exit 1 when the provisioning is unknown or not SUCCEEDED, 2 for a bad issuer.")
    .argument('<ID>', 'the provisioning ID')
    .requiredOption('--issuer <URL>', "the EKS cluster's OIDC issuer (R1), e.g. https://oidc.eks.us-west-2.amazonaws.com/id/ABC");
  addApiOption(command);
  command.action(
    action(ctx, async (provisioningId: string, opts: { issuer: string; api?: string }) => {
      const { io } = ctx;
      const backend = await backendFor({ api: opts.api }, { sfnServer: true });
      try {
        let result;
        try {
          result = await backend.updateOidc(provisioningId, opts.issuer);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          io.err(`byoc: ${error.message}`);
          return 1;
        }
        io.out(`Set the OIDC issuer of ${result.roleArn}; its web-identity statements now trust:`);
        for (const st of result.trustPolicy.Statement.filter((x) => x.Principal?.Federated)) io.out(`  ${String(st.Principal!.Federated)}`);
        if (result.storageRole) io.out(`and of the storage role ${result.storageRole.roleArn} (S2).`);
        return 0;
      } finally {
        await backend.close();
      }
    }),
  );
}
