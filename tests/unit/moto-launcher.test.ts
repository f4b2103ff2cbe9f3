import { checkMotoInstalled, MotoMissingError, startMoto } from '../../local/moto';

describe('the moto launcher without moto', () => {
  const saved = process.env.BYOC_PYTHON;
  afterEach(() => {
    if (saved === undefined) delete process.env.BYOC_PYTHON;
    else process.env.BYOC_PYTHON = saved;
  });

  it('says how to install moto when Python is missing, before starting anything', async () => {
    process.env.BYOC_PYTHON = '/nonexistent/python3';
    expect(() => checkMotoInstalled()).toThrow(MotoMissingError);
    await expect(startMoto()).rejects.toThrow(/pip install "moto\[server\]"/);
  });

  it('says how to install moto when the Python has no moto', async () => {
    // A "Python" whose import of moto.server fails.
    process.env.BYOC_PYTHON = '/bin/false';
    expect(() => checkMotoInstalled()).toThrow(/failed/);
    expect(() => checkMotoInstalled()).toThrow(/AWS_ENDPOINT_URL=/);
  });
});
