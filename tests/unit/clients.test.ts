import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clearClientCache, ec2Client, ROLE_SESSION_NAME, stsClient } from '../../shared/aws/clients';

describe('the AWS client factory', () => {
  afterEach(() => clearClientCache());

  it('assumes the customer role with its external ID and a traceable session name (checked on the wire)', async () => {
    // A stand-in STS endpoint that records the AssumeRole request and answers like STS.
    const requests: URLSearchParams[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        requests.push(new URLSearchParams(body));
        res.setHeader('content-type', 'text/xml');
        res.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>
          <AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken>
          <Expiration>${new Date(Date.now() + 3600_000).toISOString()}</Expiration></Credentials>
          <AssumedRoleUser><AssumedRoleId>AROA:byoc</AssumedRoleId><Arn>arn:aws:sts::111122223333:assumed-role/byoc/x</Arn></AssumedRoleUser>
          </AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const saved = process.env.AWS_ENDPOINT_URL_STS;
    process.env.AWS_ENDPOINT_URL_STS = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const client = stsClient({ region: 'us-west-2', roleArn: 'arn:aws:iam::111122223333:role/byoc', externalId: 'ext-123' });
      const credentials = await client.config.credentials();
      expect(credentials.accessKeyId).toBe('ASIAEXAMPLE');
      expect(requests).toHaveLength(1);
      expect(Object.fromEntries(requests[0])).toMatchObject({ Action: 'AssumeRole', RoleArn: 'arn:aws:iam::111122223333:role/byoc', ExternalId: 'ext-123', RoleSessionName: ROLE_SESSION_NAME });
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_STS;
      else process.env.AWS_ENDPOINT_URL_STS = saved;
      server.close();
    }
  });

  it('builds one client per region and role, and reuses it', () => {
    const a = ec2Client({ region: 'us-west-2' });
    expect(ec2Client({ region: 'us-west-2' })).toBe(a);
    expect(ec2Client({ region: 'eu-central-1' })).not.toBe(a);
    expect(ec2Client({ region: 'us-west-2', roleArn: 'arn:aws:iam::111122223333:role/byoc', externalId: 'x' })).not.toBe(a);
  });
});
