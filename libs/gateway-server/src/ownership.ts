import type { Principal } from './auth';

/** Who made something (a lockstep consumer, a signal): the parts of a principal that say who it is. */
export interface Owner {
  username: string;
  accountId: string;
}

/** The caller as an owner, to store with what it makes. */
export const ownerOf = (caller: Principal): Owner => ({ username: caller.username, accountId: caller.accountId });

/**
 * Whether `caller` is the principal that made something `owner` made: the same user and the same
 * account (a credential issued for one arena agent's account is not its user's other credentials).
 * The one place that says it, whatever the credential (login, API or service token). Something
 * stored before owners were kept (`owner` absent) belongs to no caller.
 */
export function isSamePrincipal(owner: Owner | undefined, caller: Principal): boolean {
  return owner !== undefined && owner.username === caller.username && owner.accountId === caller.accountId;
}
