// Module hooks that report the URL of every file module loaded, one per line on stderr prefixed with "loaded ".
export async function load(url, context, nextLoad) {
  if (url.startsWith('file:')) process.stderr.write(`loaded ${url}\n`);
  return nextLoad(url, context);
}
