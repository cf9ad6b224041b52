import { loadConfig } from '../config/config.js';
import { checkWebhookUrl } from './ssrf.js';

const resolveTo = (address: string) => async () => [{ address, family: 4 }];

describe('SSRF guard: the cluster API address comes from the validated config', () => {
  const saved = process.env.KUBERNETES_SERVICE_HOST;
  afterEach(() => {
    if (saved === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
    else process.env.KUBERNETES_SERVICE_HOST = saved;
  });

  it('refuses a host resolving to KUBERNETES_SERVICE_HOST as loaded at boot', async () => {
    const { allow } = loadConfig({ KUBERNETES_SERVICE_HOST: '93.184.216.34' }).webhooks;
    await expect(checkWebhookUrl('https://hooks.example/x', allow, resolveTo('93.184.216.34'))).rejects.toThrow(/cluster API/);
  });

  it('does not read process.env at check time', async () => {
    process.env.KUBERNETES_SERVICE_HOST = '93.184.216.34';
    const { allow } = loadConfig({}).webhooks;
    await expect(checkWebhookUrl('https://hooks.example/x', allow, resolveTo('93.184.216.34'))).resolves.toMatchObject({ address: '93.184.216.34' });
  });
});
