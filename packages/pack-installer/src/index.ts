export { installPack, type InstallOptions, type InstallResult, type InstallerConfig } from './install-pack.ts';
export { removePack, dependentsOf, type RemoveOptions } from './remove-pack.ts';
export { STACKSTORM_VERSION } from './compatibility.ts';
export type { InstallProgressEvent, InstallStage, InstallTool, ProgressListener } from './progress.ts';
