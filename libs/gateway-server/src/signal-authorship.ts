import { SCANNER_RULE_IDS, type PostedSignal } from '@tradeyard/gateway-contract';
import { HttpError } from '@tradeyard/service-kit';
import type { Principal } from './auth';
import { holdsScope } from './service-credentials';

const scannerRulesRule = `must not be one of the scanner's rule ids (${SCANNER_RULE_IDS.join(', ')}): only the scanner posts under them`;

/**
 * Refuses (403) signals that claim one of the scanner's rule ids unless the scanner's credential
 * (the one holding the signals scope) posts them, naming the first such field, `${fieldOf(index)}.ruleId`
 * or `.rule`: a search by rule matches either, so a trader's signal under either would pass for the
 * scanner's. Any other rule
 * id is open to every trader; each signal records who posted it.
 */
export function refuseScannerRuleClaims(caller: Principal, signals: readonly PostedSignal[], fieldOf: (index: number) => string): void {
  if (holdsScope(caller, 'signals')) return;
  signals.forEach((signal, index) => {
    for (const key of ['ruleId', 'rule'] as const) {
      const claimed = signal[key];
      if (claimed === undefined || !(SCANNER_RULE_IDS as readonly string[]).includes(claimed)) continue;
      throw new HttpError(403, {
        error: 'forbidden',
        message: `rule id ${claimed} is the scanner's: only the scanner's credential posts signals under it; post yours under a rule id of your own`,
        details: [{ field: `${fieldOf(index)}.${key}`, rule: scannerRulesRule }],
      });
    }
  });
}
