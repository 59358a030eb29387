// The API token of this tab: kept in sessionStorage (gone when the tab closes, never shared with other tabs).

const KEY = 'refinery.token';

export class Session {
  /** @returns {string | null} */
  get token() {
    try {
      return sessionStorage.getItem(KEY);
    } catch {
      return null;
    }
  }

  get signedIn() {
    return Boolean(this.token);
  }

  /** @param {string} token */
  signIn(token) {
    sessionStorage.setItem(KEY, token);
  }

  signOut() {
    sessionStorage.removeItem(KEY);
  }
}
