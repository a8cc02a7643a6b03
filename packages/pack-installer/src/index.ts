export { installPack, type InstallOptions, type InstallResult, type InstallerConfig } from './install-pack.ts';
export { upgradePack } from './upgrade-pack.ts';
export { ensureBuiltinPacks, outdatedBuiltinPacks } from './builtin-packs.ts';
export { collectRetiredVersions } from './version-gc.ts';
export { removePack, dependentsOf, type RemoveOptions } from './remove-pack.ts';
export { listInstalledPacks, packInfo, type InstalledPackSummary, type InstalledPackRecord, type EnvState } from './installed-packs.ts';
export { STACKSTORM_VERSION } from './compatibility.ts';
export type { ArchiveLimits } from './sources/archive-check.ts';
export type { InstallProgressEvent, InstallStage, InstallTool, ProgressListener } from './progress.ts';
