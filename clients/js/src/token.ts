// Access-token bookkeeping: which token to connect with, when it expires.
// The client never verifies a JWT (the server does); it only reads `exp` and
// `iat` from the payload to refresh in band before the server would close
// the socket with 4003.

export type TokenSource = () => string | Promise<string>;

interface Claims {
  exp?: number;
  iat?: number;
  sub?: string;
}

function base64UrlDecode(part: string): string {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const binary = atob(b64);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** The claims of a JWT, or {} when it is not one (an opaque token). */
export function readClaims(token: string): Claims {
  const parts = token.split('.');
  if (parts.length !== 3) return {};
  try {
    const claims = JSON.parse(base64UrlDecode(parts[1]));
    return typeof claims === 'object' && claims ? claims : {};
  } catch {
    return {};
  }
}

export class TokenKeeper {
  private token: string | null;
  private inflight: Promise<string> | null = null;

  constructor(
    initial: string | null | undefined,
    private readonly source: TokenSource | undefined,
  ) {
    this.token = initial ?? null;
  }

  /** True when a new token can be asked for (getToken was given). */
  get refreshable(): boolean {
    return this.source !== undefined;
  }

  get current(): string | null {
    return this.token;
  }

  /** Milliseconds since the epoch at which the current token expires, or null. */
  expiresAt(): number | null {
    if (!this.token) return null;
    const { exp } = readClaims(this.token);
    return typeof exp === 'number' ? exp * 1000 : null;
  }

  lifetimeMs(): number | null {
    if (!this.token) return null;
    const { exp, iat } = readClaims(this.token);
    return typeof exp === 'number' && typeof iat === 'number' ? (exp - iat) * 1000 : null;
  }

  /**
   * A token to connect with: the current one unless it is missing or about
   * to expire (then getToken, when there is one).
   */
  async forConnect(now = Date.now()): Promise<string | null> {
    const exp = this.expiresAt();
    const stale = !this.token || (exp !== null && exp - now < 5000);
    if (stale && this.source) return this.refresh();
    return this.token;
  }

  /** Calls getToken once even when several callers ask at the same time. */
  refresh(): Promise<string> {
    if (!this.source) return Promise.reject(new Error('no getToken to refresh the token with'));
    if (!this.inflight) {
      this.inflight = Promise.resolve()
        .then(() => this.source!())
        .then((t) => {
          this.token = t;
          return t;
        })
        .finally(() => {
          this.inflight = null;
        });
    }
    return this.inflight;
  }

  /** The token was refused or expired: the next connect must ask for a new one. */
  invalidate(): void {
    if (this.source) this.token = null;
  }
}
