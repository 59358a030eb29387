export type { DirectoryProviderOptions } from './directory-provider';
export { DirectoryProvider } from './directory-provider';
export { DIRECTORY_COLUMNS, readDirectory, readDirectoryStream } from './read-directory';
