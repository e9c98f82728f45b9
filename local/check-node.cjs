// Preloaded by every npm script that runs TypeScript with node (`node --require ./local/check-node.cjs`):
// node runs .ts files itself only from 22.18 on (type stripping on by default). Older versions
// would die with ERR_UNKNOWN_FILE_EXTENSION; this says what to install instead, with a way that
// needs no version manager (Node from the npm registry into a folder, as .ci/run does).
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  // The npm registry's Node builds (what .ci/run installs); there is none for macOS on Apple silicon.
  const platform = `${process.platform}-${process.arch}`;
  const pkg = ["linux-x64", "linux-arm64", "darwin-x64"].includes(platform) ? `node-${platform}` : undefined;
  const dir = "$HOME/.cache/loginsystem-edge/node22";
  const install = pkg
    ? [
        "Without a version manager, install Node 22 from the npm registry into a folder and put it first on PATH:",
        `  npm install --prefix "${dir}" --ignore-scripts --no-save ${pkg}@22.23.3`,
        `  export PATH="${dir}/node_modules/${pkg}/bin:$PATH"`,
        "Or use nvm (nvm install reads .nvmrc), or an installer from https://nodejs.org.",
      ]
    : [
        "Without a version manager: download the Node 22 archive for this system from https://nodejs.org/dist/latest-v22.x/,",
        "unpack it and put its bin folder first on PATH (or use nvm: nvm install reads .nvmrc).",
      ];
  console.error(
    [
      `LoginSystem Edge needs Node.js 22.18 or newer (this is ${process.version}).`,
      ...install,
      "Then run npm ci and this command again.",
    ].join("\n"),
  );
  process.exit(1);
}
