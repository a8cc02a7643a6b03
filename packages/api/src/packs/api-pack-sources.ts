import path from 'node:path';
import { PackrunError } from '@packrun/core';

function refused(source: string, why: string, hint: string): PackrunError {
  return new PackrunError('PACK_SOURCE_INVALID', `pack source "${source}" is refused over the API: ${why}`, { hint, details: { source } });
}

/** `scheme://[user@]host...` or scp's `user@host:path`: the host part, for the option check. */
function hostOf(url: string): string | undefined {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^/:?#]*)/i.exec(url);
  if (scheme) return scheme[1];
  const scp = /^[^@/]+@([^:/]*):/.exec(url);
  return scp?.[1];
}

/**
 * An item of st2's `packs` list (POST /packs/install) as Packrun takes it from an API caller:
 * what st2 takes (`name`, `name=version`, a git URL, `URL=ref`) and Packrun's own sources (a folder
 * or a .tar.gz on the server, an archive URL). Refused, before anything runs: a relative or
 * non-normal path (it would be resolved against the server's working folder), `file://` and other
 * local-repository URLs (a folder on the server is named as a folder), anything git or the shell
 * could read as an option (a source, host or ref starting with `-`), and control characters.
 */
export function checkApiPackSource(raw: string): string {
  const source = raw.trim();
  if (/[\0-\x1f\x7f]/.test(source)) throw refused(raw, 'it holds control characters', 'give one source per item');
  if (source.startsWith('-')) throw refused(source, 'a source starting with "-" reads as an option', 'give a pack name, a git URL, a folder or a .tar.gz');
  const url = source.replace(/^git\+/i, '');
  if (/^(file|ext|fd):/i.test(url) || /^[a-z][a-z0-9+.-]*::/i.test(url)) {
    throw refused(source, 'local-repository and transport-helper URLs (file://, ext::) are not fetched for API callers', 'name a folder on the server by its absolute path, or give an https or ssh git URL');
  }
  const host = hostOf(url);
  if (host !== undefined) {
    if (host.startsWith('-')) throw refused(source, `its host "${host}" starts with "-" (ssh would read it as an option)`, 'give the repository\'s real host name');
    // Any part after an "=" may end up as the ref git is given: none may read as an option.
    const optionLike = url.split('=').slice(1).find((part) => part.startsWith('-'));
    if (optionLike !== undefined) throw refused(source, `"${optionLike}" after "=" starts with "-" (git would read it as an option)`, 'give a branch, tag, commit or version after "="');
    return source;
  }
  const looksLikePath = source.startsWith('/') || source.startsWith('.') || source.startsWith('~') || source.includes('/') || source.includes('\\');
  if (looksLikePath) {
    if (!path.isAbsolute(source) || source.includes('\\')) {
      throw refused(source, 'a folder or archive on the server must be named by its absolute path', 'give the absolute path (`packrun pack install` resolves a relative one before sending it)');
    }
    if (path.normalize(source).replace(/\/+$/, '') !== source.replace(/\/+$/, '') || source.split('/').includes('..')) {
      throw refused(source, 'the path has "..", "." or doubled "/" segments', 'give the path as it is, normalised');
    }
  }
  return source;
}
