import { ec2Client, route53Client } from '../../shared/aws/clients';
import { checkVpc } from '../../shared/api/vpc-check';
import { apiHandler, json } from './http';

/** POST /vpc-checks `{ vpcId, region, targetAccount? }`: V12, an existing VPC checked against V2-V10 (200 either way; `ok` says). */
export const handler = apiHandler(async (event) => json(200, await checkVpc(event.body, { ec2: ec2Client, route53: route53Client })), { jsonBody: true });
