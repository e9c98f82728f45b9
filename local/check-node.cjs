// Preloaded by every npm script that runs TypeScript with node (`node --require ./local/check-node.cjs`):
// node runs .ts files itself only from 22.18 on (type stripping on by default). Older versions
// would die with ERR_UNKNOWN_FILE_EXTENSION; this says in one line what to install instead.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `LoginSystem Edge needs Node.js 22.18 or newer (this is ${process.version}): install it (nvm install, see .nvmrc) and run again.`,
  );
  process.exit(1);
}
