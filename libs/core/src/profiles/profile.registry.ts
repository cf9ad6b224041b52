import { loadProfiles, type SandboxProfile } from './profile.js';

/** The validated sandbox profiles, loaded once at boot. */
export class ProfileRegistry {
  private readonly profiles: Map<string, SandboxProfile>;

  constructor(readonly dir: string) {
    this.profiles = loadProfiles(dir);
  }

  get(name: string): SandboxProfile | undefined {
    return this.profiles.get(name);
  }

  list(): SandboxProfile[] {
    return [...this.profiles.values()];
  }

  names(): string[] {
    return [...this.profiles.keys()];
  }
}
