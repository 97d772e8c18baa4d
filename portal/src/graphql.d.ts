// A .graphql file imports as its operation's text with its fragments appended (vite.config.js).
declare module '*.graphql' {
  const document: string;
  export default document;
}
