import type nock from 'nock';

/**
 * Nock for the test file that calls it (at its top level): no real network, interceptors cleared after each test, and
 * the HTTP modules restored when the file is done. Jest runs test files one after another in one process, and an
 * interceptor left active answers the next file's requests a second time (its own socket errors then go unhandled).
 * The file passes its own `nock`: loading nock is what turns interception on, so this module must not import it.
 */
export function useNock(instance: typeof nock): void {
  beforeAll(() => instance.disableNetConnect());
  afterEach(() => instance.cleanAll());
  afterAll(() => {
    instance.enableNetConnect();
    instance.restore();
  });
}
