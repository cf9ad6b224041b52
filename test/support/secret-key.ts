/** A fixed QUARANTINE_SECRET_KEY for tests only (32 bytes, base64): stacks and Nest-app tests store webhook secrets with it. */
export const TEST_SECRET_KEY = 'ZTJlLXRlc3Qtb25seS1zZWNyZXQta2V5LTAxMjM0NTY=';
