import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clearClientCache, ec2Client, ROLE_SESSION_NAME, roleSessionName, stsClient } from '../../shared/aws/clients';

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

  it("names the session after the provisioning (CloudTrail in the customer's account) and calls STS in the provisioner's own region", async () => {
    const seen: { body: URLSearchParams; authorization: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ body: new URLSearchParams(body), authorization: String(req.headers.authorization) });
        res.setHeader('content-type', 'text/xml');
        res.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>
          <AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken>
          <Expiration>${new Date(Date.now() + 3600_000).toISOString()}</Expiration></Credentials>
          <AssumedRoleUser><AssumedRoleId>AROA:byoc</AssumedRoleId><Arn>arn:aws:sts::111122223333:assumed-role/byoc/x</Arn></AssumedRoleUser>
          </AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const saved = { sts: process.env.AWS_ENDPOINT_URL_STS, region: process.env.AWS_REGION };
    process.env.AWS_ENDPOINT_URL_STS = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.AWS_REGION = 'eu-central-1'; // where the provisioner (its Lambdas) runs
    try {
      const client = ec2Client({ region: 'ap-east-1', roleArn: 'arn:aws:iam::111122223333:role/byoc', externalId: 'ext-123', provisioningId: 'demo-001' });
      await client.config.credentials();
      expect(seen).toHaveLength(1);
      expect(seen[0].body.get('RoleSessionName')).toBe('byoc-demo-001');
      expect(seen[0].authorization).toMatch(/Credential=[^/]+\/\d{8}\/eu-central-1\/sts\/aws4_request/);
    } finally {
      for (const [name, value] of [['AWS_ENDPOINT_URL_STS', saved.sts], ['AWS_REGION', saved.region]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      server.close();
    }
  });

  it('keeps session names within what AWS accepts (2-64 of [\\w+=,.@-])', () => {
    expect(roleSessionName()).toBe(ROLE_SESSION_NAME);
    const long = roleSessionName('x'.repeat(64));
    expect(long).toHaveLength(64);
    expect(long).toMatch(/^byoc-x+$/);
  });

  it('builds one client per region and role, and reuses it', () => {
    const a = ec2Client({ region: 'us-west-2' });
    expect(ec2Client({ region: 'us-west-2' })).toBe(a);
    expect(ec2Client({ region: 'eu-central-1' })).not.toBe(a);
    expect(ec2Client({ region: 'us-west-2', roleArn: 'arn:aws:iam::111122223333:role/byoc', externalId: 'x' })).not.toBe(a);
  });
});
