import { baseConfigShape } from '@tradeyard/service-kit';
import { z } from 'zod';

export const scannerConfigSchema = z.object({
  ...baseConfigShape(8081),
});
export type ScannerConfig = z.infer<typeof scannerConfigSchema>;
