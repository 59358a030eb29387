export type { SharedDirectory } from './directory-index';
export type { DirectoryProviderOptions } from './directory-provider';
export { DirectoryProvider } from './directory-provider';
export type { SharedPeople } from './people-table';
export { DIRECTORY_COLUMNS, readDirectory, readDirectoryStream } from './read-directory';
