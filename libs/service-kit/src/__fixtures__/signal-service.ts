// Started by service.spec.ts as a real process to prove SIGTERM handling end to end.
import { createService } from '../service';

const service = createService({
  name: 'fixture',
  config: { PORT: Number(process.env.PORT), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
  onClose: () => new Promise((resolve) => setTimeout(resolve, 200)),
});
service.start().then((url) => process.stdout.write(`READY ${url}\n`));
