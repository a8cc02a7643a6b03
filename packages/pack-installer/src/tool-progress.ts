/**
 * uv and npm say nothing while they download unless asked to be verbose, and an env build can take
 * minutes: they are run verbose (uv `-v`, npm `--loglevel http`) and their verbose output is cut
 * down here to a line per package, so a build shows progress as it goes. `undefined` drops a line
 * (from the progress and from the output an error keeps).
 */
export type ToolLineFilter = (line: string) => string | undefined;

const uvSelecting = /^DEBUG Selecting: (\S+) /;
const uvDownload = /^DEBUG Sending (?:fresh|revalidation) GET request for: \S*\/([^/\s]+\.(?:whl|tar\.gz|zip|tar\.bz2))$/;
const uvBuilding = /^DEBUG Building (?:wheel for |source distribution: )?(\S+)/;

/** `uv pip install -v`: the package chosen, each file downloaded and each source built; uv's own summary and errors as they are. */
export const uvProgressLine: ToolLineFilter = (line) => {
  const selected = uvSelecting.exec(line);
  if (selected) return `resolved ${selected[1]}`;
  const downloaded = uvDownload.exec(line);
  if (downloaded) return `downloading ${downloaded[1]}`;
  const built = uvBuilding.exec(line);
  if (built) return `building ${built[1]}`;
  if (/^\s*(DEBUG|TRACE|INFO)\b/.test(line) || /^WARN Skipping file for /.test(line)) return undefined;
  return line;
};

/** `npm --loglevel http`: a line per registry request (package metadata, then its tarball), without the `npm http ` prefix. */
export const npmProgressLine: ToolLineFilter = (line) => line.replace(/^npm http /, '');
