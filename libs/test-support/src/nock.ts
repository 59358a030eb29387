import nock from 'nock';

/**
 * Nock for the test file that calls it (at its top level): no real network, interceptors cleared after each test, and
 * the HTTP modules restored when the file is done. Jest runs test files one after another in one process, and an
 * interceptor left active answers the next file's requests a second time (its own socket errors then go unhandled).
 */
export function useNock(): void {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => {
    nock.enableNetConnect();
    nock.restore();
  });
}
