import { PackrunError } from '@packrun/core';

/**
 * A pack's requirements.txt may only name packages by name and version: anything that changes
 * where packages come from (another index, a URL, a local path, an editable checkout, an include
 * of another file) would let a pack pull code from a place the operator did not choose.
 */
const sourceOptions: Array<[RegExp, string]> = [
  [/^(-i|--index-url)\b/, 'sets the package index'],
  [/^--extra-index-url\b/, 'adds a package index'],
  [/^(-f|--find-links)\b/, 'adds a place to find packages'],
  [/^--trusted-host\b/, 'turns off TLS checks for a host'],
  [/^(-e|--editable)\b/, 'installs an editable checkout'],
  [/^(-r|--requirement)\b/, 'includes another requirements file'],
  [/^(-c|--constraint)\b/, 'includes a constraints file'],
  [/^--(no-index|use-feature|config-settings|global-option|install-option|src|root|prefix|target|user)\b/, 'changes how or where pip installs'],
];

/**
 * Every suffix pip and uv take as an archive file rather than a package name: a bare
 * `rtbuild-1.0.tar.xz` is a valid-looking name, but installs that file from the working folder.
 */
const archiveSuffix = /\.(whl|zip|tar|tar\.gz|tgz|tar\.bz2|tbz|tbz2|tar\.xz|txz|tar\.lz|tlz|tar\.lzma|tar\.zst|tzst|egg)$/i;

/** Per-requirement and global options that only narrow what is installed. */
const harmlessOption = /^--(hash|require-hashes|pre|prefer-binary|only-binary|no-binary)\b/;

/** PEP 508 name, optional extras, optional version specifiers, optional `; marker`. */
const requirementLine =
  /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(?:\[[A-Za-z0-9._,\s-]*\])?\s*(?:(?:===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*(?:,\s*(?:===|==|!=|~=|<=|>=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*)*)?(?:;[^@]*)?$/;

export interface RequirementsProblem {
  line: number;
  text: string;
  reason: string;
}

export function findUnsafeRequirements(content: string): RequirementsProblem[] {
  const problems: RequirementsProblem[] = [];
  const physical = content.split(/\r?\n/);
  for (let index = 0; index < physical.length; index++) {
    const lineNumber = index + 1;
    let text = physical[index] ?? '';
    // A trailing backslash continues the logical line; report it at its first physical line.
    while (text.endsWith('\\') && index + 1 < physical.length) {
      index++;
      text = `${text.slice(0, -1)} ${physical[index] ?? ''}`;
    }
    const logical = text.replace(/(^|\s)#.*$/, '').trim();
    if (logical === '') continue;
    const problem = classify(logical);
    if (problem) problems.push({ line: lineNumber, text: logical, reason: problem });
  }
  return problems;
}

function classify(line: string): string | undefined {
  if (line.startsWith('-')) {
    for (const [pattern, reason] of sourceOptions) if (pattern.test(line)) return reason;
    if (harmlessOption.test(line)) return undefined;
    return 'is a pip option Packrun does not allow in requirements.txt';
  }
  const [requirement = ''] = line.split(/\s+--/);
  if (/\s@\s|^[^\s;]+@/.test(requirement)) return 'installs from a direct URL (`name @ url`)';
  if (/^[a-z][a-z0-9+.-]*:/i.test(requirement)) return 'is a URL or `file:` path';
  if (/^[./~\\]|[/\\]/.test(requirement)) return 'is a local path';
  if (archiveSuffix.test(requirement.split(';')[0]!.trim())) return 'is an archive file';
  const options = line.slice(requirement.length).trim();
  if (options && !options.split(/\s+(?=--)/).every((option) => harmlessOption.test(option))) {
    return 'carries a pip option Packrun does not allow';
  }
  if (!requirementLine.test(requirement.trim())) return 'is not a `name[extras] version-specifier` requirement';
  return undefined;
}

/** Throws `PACK_REQUIREMENTS_UNSAFE` listing every refused line, unless the operator allowed them. */
export function assertSafeRequirements(content: string, file: string, allowUnsafe: boolean): void {
  if (allowUnsafe) return;
  const problems = findUnsafeRequirements(content);
  if (problems.length === 0) return;
  const listed = problems.map((p) => `  line ${p.line}: "${p.text}" ${p.reason}`).join('\n');
  throw new PackrunError('PACK_REQUIREMENTS_UNSAFE', `${file} has lines that change where packages come from:\n${listed}`, {
    hint: 'name packages by name and version only, or set PACKRUN_ALLOW_UNSAFE_REQUIREMENTS=true if you trust this pack',
    details: { file, problems },
  });
}
