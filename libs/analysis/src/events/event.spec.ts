import { EVENT_VERSION } from './event.js';
describe('event model', () => {
  it('is version 1', () => { expect(EVENT_VERSION).toBe(1); });
});
