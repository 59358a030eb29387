import { onColdStart } from '../src';

describe('onColdStart', () => {
  const original = process.env.AWS_LAMBDA_FUNCTION_NAME;
  afterEach(() => {
    if (original === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    else process.env.AWS_LAMBDA_FUNCTION_NAME = original;
  });

  it('builds once and shares the result across calls', async () => {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    let builds = 0;
    const get = onColdStart(async () => ({ build: (builds += 1) }));
    expect(builds).toBe(0);
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toBe(b);
    expect(builds).toBe(1);
  });

  it('builds at once on Lambda (at module load, i.e. cold start)', async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'refinery-test';
    let builds = 0;
    const get = onColdStart(async () => (builds += 1));
    expect(builds).toBe(1);
    await get();
    expect(builds).toBe(1);
  });

  it('does not cache a failed build: the next call tries again', async () => {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    let attempt = 0;
    const get = onColdStart(async () => {
      attempt += 1;
      if (attempt === 1) throw new Error('S3 unreachable');
      return 'ready';
    });
    await expect(get()).rejects.toThrow('S3 unreachable');
    await expect(get()).resolves.toBe('ready');
  });
});
