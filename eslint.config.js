// Lint enforces the layers of docs/architecture.md: the engine is pure and
// deterministic; adapters reach @raft/core only through its public subpaths.
import tseslint from "typescript-eslint";

const engineImports = {
  patterns: [
    { group: ["node:*", "fs", "path", "os", "net", "http", "crypto", "timers", "worker_threads"], message: "The engine does no I/O." },
    { group: ["**/runtime/**", "**/runtime", "**/contracts/**", "**/contracts", "**/testing/**", "**/testing"], message: "The engine imports no runtime, contracts or testing code." },
    { group: ["zod", "@raft/*"], message: "The engine has no dependencies." },
  ],
};

const adapterPatterns = [
  { group: ["@raft/core/src/**", "@raft/core/dist/**", "../../core/**", "../../../core/**"], message: "Import @raft/core through its public subpaths." },
  { group: ["@raft/log-*", "@raft/transport-*", "@raft/snapshot-store-*"], message: "Adapters never depend on each other." },
];
const portsOnly = "Adapters implement ports: they import @raft/core/contracts (tests also @raft/core/testing, /conformance and /runtime), never the engine entry.";
// Source files of adapters: @raft/core/contracts only.
const adapterImports = {
  paths: ["@raft/core", "@raft/core/runtime", "@raft/core/testing", "@raft/core/conformance"].map((name) => ({ name, message: portsOnly })),
  patterns: adapterPatterns,
};
// Their tests may also drive nodes and use the testing kit.
const adapterTestImports = { paths: [{ name: "@raft/core", message: portsOnly }], patterns: adapterPatterns };

export default tseslint.config(
  // src/gen/: code generated from .proto files (checked to be current by the package's tests).
  { ignores: ["**/dist/**", "**/node_modules/**", "**/.turbo/**", "**/src/gen/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    files: ["packages/core/src/engine/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", engineImports],
      "no-restricted-globals": [
        "error",
        ...["setTimeout", "setInterval", "setImmediate", "queueMicrotask", "process", "Date", "performance", "require", "fetch"].map((name) => ({
          name,
          message: "The engine is deterministic: time arrives as tick(), and nothing else from the host is read.",
        })),
      ],
      "no-restricted-properties": ["error", { object: "Math", property: "random", message: "Randomness comes from the injected seeded PRNG." }],
      "no-restricted-syntax": ["error", { selector: "AwaitExpression", message: "The engine is synchronous." }, { selector: ":function[async=true]", message: "The engine is synchronous." }],
    },
  },
  {
    files: ["packages/*/src/**/*.ts", "examples/file-log-store/src/**/*.ts"],
    ignores: ["packages/core/**"],
    rules: { "no-restricted-imports": ["error", adapterImports] },
  },
  {
    files: ["packages/*/test/**/*.ts"],
    ignores: ["packages/core/**"],
    rules: {
      "no-restricted-imports": ["error", adapterTestImports],
    },
  },
);
