/** Style sheets are bundled by esbuild (web/build.cjs); to the type checker they are modules with no exports. */
declare module '*.css';
